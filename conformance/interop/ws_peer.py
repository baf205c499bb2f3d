"""Python `websockets` as a WebSocket peer of pushcodec.

    python ws_peer.py client ws://127.0.0.1:PORT [OVERSIZE_URL OVERSIZE_BYTES]
        # checks against pushcodec's ws-echo server; the 1009 check sends
        # OVERSIZE_BYTES to OVERSIZE_URL (an echo server with a smaller limit)
    python ws_peer.py server PORT                  # echo server for pushcodec's ws-interop-client

Client: runs a fixed list of checks, prints "ok NAME" / "FAIL NAME: why" and
a closing line "python-websockets client: N passed, M failed"; exit status 1
on any failure. Every check is bounded in time. websockets offers
permessage-deflate by default (RFC 7692); the checks also offer each
parameter and check what pushcodec's server agreed to.

Server: echoes every message as received (type kept); a text message starting
with "cmd:" is a command instead (see COMMANDS in serve()). permessage-deflate
is on (websockets' defaults: 12-bit windows both ways, memLevel 5). Listens on
127.0.0.1 only, prints "listening PORT" when ready, stops after --max-seconds.
"""

import asyncio
import sys

from websockets.asyncio.client import connect
from websockets.asyncio.server import serve
from websockets.exceptions import ConnectionClosed
from websockets.extensions.permessage_deflate import ClientPerMessageDeflateFactory

CHECK_TIMEOUT = 60
MAX = 64 * 1024 * 1024


def text_of(n):
    """n bytes of ASCII text."""
    return ("pushcodec-" * (n // 10 + 1))[:n]


def binary_of(n):
    return bytes(i % 251 for i in range(min(n, 251))) * (n // 251) + bytes(i % 251 for i in range(n % 251))


async def echo_roundtrip(url, msg):
    async with connect(url, max_size=MAX, proxy=None, ping_interval=None) as ws:
        await ws.send(msg)
        got = await ws.recv()
        assert type(got) is type(msg), f"echo type {type(got).__name__}, sent {type(msg).__name__}"
        assert got == msg, f"echo differs (len {len(got)} vs {len(msg)})"


async def check_fragmented_text(url):
    async with connect(url, max_size=MAX, proxy=None, ping_interval=None) as ws:
        await ws.send(["Hel", "lo", " κόσμε"])  # an iterable is sent as fragments
        got = await ws.recv()
        assert got == "Hello κόσμε", repr(got)


async def check_fragmented_binary(url):
    async with connect(url, max_size=MAX, proxy=None, ping_interval=None) as ws:
        await ws.send([b"\x00\x01", b"", b"\x02" * 70000])
        got = await ws.recv()
        assert got == b"\x00\x01" + b"\x02" * 70000, f"len {len(got)}"


async def check_ping_pong(url):
    async with connect(url, max_size=MAX, proxy=None, ping_interval=None) as ws:
        waiter = await ws.ping(b"interop-ping")
        await asyncio.wait_for(waiter, 10)  # resolves when the matching pong arrives


async def check_client_close(url):
    ws = await connect(url, max_size=MAX, proxy=None, ping_interval=None)
    await ws.send("before close")
    assert await ws.recv() == "before close"
    await ws.close(4001, "client says bye")
    rcvd = ws.protocol.close_rcvd
    assert rcvd is not None, "no close frame received from the server"
    assert rcvd.code == 4001, f"server answered close code {rcvd.code}, expected the echo 4001"


async def expect_closed_with(url, send, code):
    ws = await connect(url, max_size=MAX, proxy=None, ping_interval=None)
    try:
        await send(ws)
        got = await asyncio.wait_for(ws.recv(), 20)
        raise AssertionError(f"received {str(got)[:40]!r} instead of a close")
    except ConnectionClosed:
        pass  # the server closed while we were sending or waiting
    finally:
        await ws.close()
    rcvd = ws.protocol.close_rcvd
    assert rcvd is not None, "connection dropped without a close frame"
    assert rcvd.code == code, f"close code {rcvd.code} ({rcvd.reason!r}), expected {code}"


async def check_invalid_utf8(url):
    # text=True sends the bytes in a Text frame without checking them.
    async def send(ws):
        await ws.send(b"valid \xce\xba then invalid \xed\xa0\x80", text=True)
    await expect_closed_with(url, send, 1007)


async def check_invalid_utf8_fragmented(url):
    async def send(ws):
        await ws.send([b"\xf0\x9f", b"\x98"], text=True)  # fragments of a truncated 4-byte sequence
    await expect_closed_with(url, send, 1007)


async def check_oversized(url, size):
    async def send(ws):
        # In fragments, so that the server can refuse before all of it is sent.
        chunk = b"\x00" * 65536
        await ws.send(chunk[: size % 65536] if i == 0 else chunk for i in range(size // 65536 + 1))
    await expect_closed_with(url, send, 1009)


def tokens():
    return [f'{{"type":"token","index":{i},"text":" word{i % 17}"}}' for i in range(50)]


def agreed(ws):
    """The Sec-WebSocket-Extensions of the server's 101 ('' if none)."""
    return ws.response.headers.get("Sec-WebSocket-Extensions", "")


async def check_deflate(url, factory, expect):
    """Offers permessage-deflate (websockets' default offer when factory is
    None), checks the server's answer contains every string of `expect`,
    then exchanges compressed messages both ways: tokens, 300 KB of text,
    1 MiB of binary."""
    kwargs = {} if factory is None else {"extensions": [factory], "compression": None}
    async with connect(url, max_size=MAX, proxy=None, ping_interval=None, **kwargs) as ws:
        answer = agreed(ws)
        assert answer.startswith("permessage-deflate"), f"not negotiated: {answer!r}"
        for e in expect:
            assert e in answer, f"answer {answer!r} lacks {e!r}"
        msgs = tokens() + ["κόσμε " + text_of(300_000), binary_of(1 << 20)]
        for m in msgs:
            await ws.send(m)
            got = await ws.recv()
            assert got == m, f"echo differs (len {len(got)} vs {len(m)})"


async def check_no_deflate(url):
    async with connect(url, max_size=MAX, proxy=None, ping_interval=None, compression=None) as ws:
        assert agreed(ws) == "", f"server answered {agreed(ws)!r} to no offer"
        await ws.send("plain")
        assert await ws.recv() == "plain"


async def check_deflate_bomb(url):
    """64 MiB of zeros compress to ~64 KB: the 1 MiB server refuses it with
    1009 while inflating, as soon as the limit is crossed."""
    async def send(ws):
        assert agreed(ws).startswith("permessage-deflate"), agreed(ws)
        await ws.send(b"\x00" * (64 << 20))
    await expect_closed_with(url, send, 1009)


async def run_client(url, oversized_url, oversized):
    checks = [
        ("text 'Hello'", lambda: echo_roundtrip(url, "Hello")),
        ("text multibyte", lambda: echo_roundtrip(url, "κόσμε 😀 €")),
    ]
    for n in (0, 125, 126, 65536):
        checks.append((f"text {n} B", lambda n=n: echo_roundtrip(url, text_of(n))))
    for n in (0, 125, 126, 65536, 16 * 1024 * 1024):
        checks.append((f"binary {n} B", lambda n=n: echo_roundtrip(url, binary_of(n))))
    checks += [
        ("fragmented text send", lambda: check_fragmented_text(url)),
        ("fragmented binary send", lambda: check_fragmented_binary(url)),
        ("ping -> pong", lambda: check_ping_pong(url)),
        ("client close 4001 + reason echoed", lambda: check_client_close(url)),
        ("invalid UTF-8 text -> close 1007", lambda: check_invalid_utf8(url)),
        ("invalid UTF-8 across fragments -> close 1007", lambda: check_invalid_utf8_fragmented(url)),
        (f"oversized message ({oversized} B) -> close 1009", lambda: check_oversized(oversized_url, oversized)),
        ("permessage-deflate, websockets' default offer", lambda: check_deflate(url, None, [])),
        ("permessage-deflate, no offer -> uncompressed", lambda: check_no_deflate(url)),
        ("permessage-deflate bomb (64 MiB of zeros) -> close 1009", lambda: check_deflate_bomb(oversized_url)),
    ]
    F = ClientPerMessageDeflateFactory
    for name, factory, expect in [
        ("server_max_window_bits=9", F(server_max_window_bits=9), ["server_max_window_bits=9"]),
        ("server_max_window_bits=8", F(server_max_window_bits=8), ["server_max_window_bits=8"]),
        ("client_max_window_bits=10", F(client_max_window_bits=10), ["client_max_window_bits=10"]),
        ("server_no_context_takeover", F(server_no_context_takeover=True), ["server_no_context_takeover"]),
        ("client_no_context_takeover", F(client_no_context_takeover=True), ["client_no_context_takeover"]),
        ("all four, 9-bit windows",
         F(server_no_context_takeover=True, client_no_context_takeover=True,
           server_max_window_bits=9, client_max_window_bits=9),
         ["server_no_context_takeover", "client_no_context_takeover",
          "server_max_window_bits=9", "client_max_window_bits=9"]),
    ]:
        checks.append((f"permessage-deflate offering {name}",
                       lambda factory=factory, expect=expect: check_deflate(url, factory, expect)))
    passed = failed = 0
    for name, check in checks:
        try:
            await asyncio.wait_for(check(), CHECK_TIMEOUT)
            print(f"ok   {name}", flush=True)
            passed += 1
        except Exception as e:  # noqa: BLE001 - every failure is reported
            print(f"FAIL {name}: {type(e).__name__}: {e}", flush=True)
            failed += 1
    print(f"python-websockets client: {passed} passed, {failed} failed", flush=True)
    return 1 if failed else 0


LAST_CLOSE = {"code": None, "reason": None}


async def handler(ws):
    try:
        async for msg in ws:
            if isinstance(msg, str) and msg.startswith("cmd:"):
                await command(ws, msg[4:])
            else:
                await ws.send(msg)
    except ConnectionClosed:
        pass
    finally:
        # Normal closes (1000, or no code) of the other checks' connections
        # must not hide the interesting one.
        rcvd = ws.protocol.close_rcvd
        if rcvd is not None and rcvd.code not in (1000, 1005):
            LAST_CLOSE["code"] = rcvd.code
            LAST_CLOSE["reason"] = rcvd.reason


async def command(ws, cmd):
    """COMMANDS:
    fragments          -> "Hel"+"lo" as two fragments, then b"\\x01\\x02"+b"\\x03"
    invalid-utf8       -> a Text frame holding ce ba ff
    big N              -> a binary message of N zero bytes
    close CODE REASON  -> close the connection with CODE and REASON
    ping               -> ping "srv-ping", then text "pong ok" once the pong came back
    last-close         -> text "CODE REASON" of the last close frame received with a code other than 1000
                          (then forgotten); "None None" if there was none within 2 s
    extensions         -> text: the Sec-WebSocket-Extensions this server answered ("none" if none)
    """
    name, _, arg = cmd.partition(" ")
    if name == "fragments":
        await ws.send(["Hel", "lo"])
        await ws.send([b"\x01\x02", b"\x03"])
    elif name == "invalid-utf8":
        await ws.send(b"\xce\xba\xff", text=True)
    elif name == "big":
        await ws.send(b"\x00" * int(arg))
    elif name == "close":
        code, _, reason = arg.partition(" ")
        await ws.close(int(code), reason)
    elif name == "ping":
        waiter = await ws.ping(b"srv-ping")
        await asyncio.wait_for(waiter, 10)
        await ws.send("pong ok")
    elif name == "extensions":
        await ws.send(ws.response.headers.get("Sec-WebSocket-Extensions", "none"))
    elif name == "last-close":
        for _ in range(40):  # the previous connection's handler may still be finishing
            if LAST_CLOSE["code"] is not None:
                break
            await asyncio.sleep(0.05)
        await ws.send(f"{LAST_CLOSE['code']} {LAST_CLOSE['reason']}")
        LAST_CLOSE["code"] = LAST_CLOSE["reason"] = None
    else:
        await ws.send(f"unknown command {cmd}")


async def run_server(port, max_seconds):
    async with serve(handler, "127.0.0.1", port, max_size=MAX, ping_interval=None) as server:
        print(f"listening {server.sockets[0].getsockname()[1]}", flush=True)
        await asyncio.sleep(max_seconds)
    return 0


def main(argv):
    if len(argv) >= 2 and argv[0] == "client":
        oversized_url = argv[2] if len(argv) > 2 else argv[1]
        oversized = int(argv[3]) if len(argv) > 3 else 64 * 1024 * 1024 + 1
        return asyncio.run(run_client(argv[1], oversized_url, oversized))
    if len(argv) >= 2 and argv[0] == "server":
        max_seconds = float(argv[2]) if len(argv) > 2 else 300
        return asyncio.run(run_server(int(argv[1]), max_seconds))
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
