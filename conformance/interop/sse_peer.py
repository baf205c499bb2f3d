"""sse-starlette's ServerSentEvent encoder (a third-party SSE writer, CRLF
line ends) piped through pushcodec's sse-decode.

    python sse_peer.py SSE_DECODE_BIN

Compares sse-decode's JSON lines with the events a browser dispatches for
these bytes (WHATWG HTML §9.2.6), worked out by hand from the encoder's
output shown in each comment. Closing line
"sse-starlette -> sse-decode: N passed, M failed"; exit 1 on failure.
"""

import json
import subprocess
import sys

from sse_starlette import ServerSentEvent as S

STREAM = [
    # ': keep-alive\r\nid: 1\r\nevent: token\r\ndata: hello\r\nretry: 1500\r\n\r\n'
    S(data="hello", event="token", id="1", retry=1500, comment="keep-alive"),
    # 'data: a\r\ndata: b\r\ndata: c\r\ndata: d\r\n\r\n'
    S(data="a\nb\r\nc\rd"),
    # 'data: \r\n\r\n'
    S(data=""),
    # 'id: \r\ndata:   two spaces, ...\r\n\r\n' (empty id resets the last event ID)
    S(data="  two spaces, κόσμε 😀", id=""),
    # ': only a comment\r\n\r\n' (nothing dispatched)
    S(comment="only a comment"),
    # 'id: 7\r\nevent: json\r\ndata: {"k": [1, 2]}\r\n\r\n'
    S(data='{"k": [1, 2]}', event="json", id="7"),
    # 'id: ид\r\ndata: unicode id\r\n\r\n'
    S(data="unicode id", id="ид"),
    # 'retry: 250\r\n\r\n'
    S(retry=250),
    # 'data: last\r\n\r\n'
    S(data="last"),
]

EXPECTED = [
    {"retry": 1500},
    {"type": "token", "data": "hello", "lastEventId": "1"},
    {"type": "message", "data": "a\nb\nc\nd", "lastEventId": "1"},
    {"type": "message", "data": "", "lastEventId": "1"},
    {"type": "message", "data": "  two spaces, κόσμε 😀", "lastEventId": ""},
    {"type": "json", "data": '{"k": [1, 2]}', "lastEventId": "7"},
    {"type": "message", "data": "unicode id", "lastEventId": "ид"},
    {"retry": 250},
    {"type": "message", "data": "last", "lastEventId": "ид"},
]


def main(argv):
    if len(argv) != 1:
        print(__doc__, file=sys.stderr)
        return 2
    stream = b"".join(e.encode() for e in STREAM)
    proc = subprocess.Popen([argv[0]], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    # Small writes, so CRLF pairs and UTF-8 characters get split.
    for i in range(0, len(stream), 5):
        proc.stdin.write(stream[i : i + 5])
        proc.stdin.flush()
    proc.stdin.close()
    out = proc.stdout.read().decode("utf-8")
    code = proc.wait(timeout=30)
    got = [json.loads(line) for line in out.splitlines() if line.strip()]
    results = [("sse-decode exits 0", code == 0, f"exit status {code}")]
    for i, want in enumerate(EXPECTED):
        have = got[i] if i < len(got) else None
        results.append((f"item {i + 1} {json.dumps(want, ensure_ascii=False)[:60]}", have == want, f"got {have}"))
    results.append(("no extra items", len(got) == len(EXPECTED), f"got {len(got)} items: {got[len(EXPECTED):]}"))
    passed = failed = 0
    for name, ok, why in results:
        if ok:
            passed += 1
            print(f"ok   {name}")
        else:
            failed += 1
            print(f"FAIL {name}: {why}")
    print(f"sse-starlette -> sse-decode: {passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
