#!/usr/bin/env python3
"""Generates the seed corpora of the fuzz targets into fuzz/seeds/<target>/.

Sources, in order:
  1. the conformance vectors (conformance/vectors/**/*.json, format in
     conformance/vectors/README.md), when they exist;
  2. the examples of the spec texts (WHATWG HTML §9.2.6, RFC 6455 §5.7,
     §1.3), built in below, so seeds exist even without the vectors.

Each target has its own input layout (documented at the top of its file):
  sse_decode         [flags, max_line, max_event, split_seed] + stream
  sse_differential   [flags, split_seed] + stream
  ws_frame_decode    [flags, max_frame, max_message, split_seed] + wire
  ws_message_decode  (same as ws_frame_decode)
  ws_stream          [flags, max_frame, max_message, split_seed, write_limit] + wire
  ws_handshake       [kind, split_seed] + HTTP head
  ws_extension_header [config] + Sec-WebSocket-Extensions value
  deflate_inflate    [flags, max, split_seed] + compressed payload
  sse_roundtrip, ws_roundtrip: `arbitrary`-structured; the vectors' payload
                     bytes are used as raw seeds (any bytes are valid input).

Files are named <source>-<vector name>[-variant] and overwritten on each
run; the script is deterministic. Usage: python3 fuzz/gen_seeds.py
"""
import json
import pathlib
import re
import sys

FUZZ = pathlib.Path(__file__).resolve().parent
ROOT = FUZZ.parent
SEEDS = FUZZ / "seeds"
VECTORS = ROOT / "conformance" / "vectors"

WS_ROLE_FLAG = {"server": 0, "client": 1}  # flags & 1: the decoding role


def vector_bytes(v):
    """The BYTES format of conformance/vectors/README.md, flattened."""
    if isinstance(v, str):
        digits = re.sub(r"[^0-9a-fA-F]", "", v)
        return bytes.fromhex(digits)
    if isinstance(v, list):
        return b"".join(vector_bytes(p) for p in v)
    if isinstance(v, dict):
        if "text" in v:
            return v["text"].encode("utf-8", "surrogatepass")
        if "pattern" in v:
            return bytes(i % 256 for i in range(v["pattern"]))
        if "repeat" in v:
            return vector_bytes(v["repeat"]) * v["count"]
        if "mask" in v:
            key = vector_bytes(v["mask"])
            data = vector_bytes(v["data"])
            return bytes(b ^ key[i % 4] for i, b in enumerate(data))
    raise ValueError(f"unknown BYTES segment {v!r}")


def safe(name):
    return re.sub(r"[^A-Za-z0-9._-]", "_", name)[:80]


class Seeds:
    def __init__(self):
        self.files = {}

    def add(self, target, name, data, max_len=4096):
        # Keep seeds small (and within the runs' -max_len): a long input is
        # cut, which still exercises its header / first lines.
        self.files[(target, safe(name))] = data[:max_len]

    def write(self):
        counts = {}
        for (target, name), data in sorted(self.files.items()):
            d = SEEDS / target
            d.mkdir(parents=True, exist_ok=True)
            (d / name).write_bytes(data)
            counts[target] = counts.get(target, 0) + 1
        return counts


def sse_seeds(seeds, name, stream):
    # Large limits and one read; small limits and byte-by-byte reads.
    seeds.add("sse_decode", name, bytes([1, 255, 255, 0]) + stream)
    seeds.add("sse_decode", name + "-small", bytes([1, 8, 16, 1]) + stream)
    seeds.add("sse_differential", name, bytes([1, 2]) + stream)
    seeds.add("sse_roundtrip", name, stream)


def ws_seeds(seeds, name, role, stream, max_frame=255, max_message=255):
    flags = WS_ROLE_FLAG.get(role, 0)
    for t in ("ws_frame_decode", "ws_message_decode"):
        seeds.add(t, name, bytes([flags, max_frame, max_message, 0]) + stream)
        seeds.add(t, name + "-split", bytes([flags, max_frame, max_message, 2]) + stream)
    seeds.add("ws_roundtrip", name, stream)
    seeds.add("ws_stream", name, bytes([flags, max_frame, max_message, 2, 7]) + stream)


# Spec examples, used whether or not the vectors exist.
SPEC_SSE = {
    "spec-9.2.6-stocks": b"data: YHOO\ndata: +2\ndata: 10\n\n",
    "spec-9.2.6-four-blocks": b": test stream\n\ndata: first event\nid: 1\n\ndata:second event\nid\n\ndata:  third event\n\n",
    "spec-9.2.6-empty-data": b"data\n\ndata\ndata\n\ndata:",
    "spec-9.2.6-space": b"data:test\n\ndata: test\n\n",
    "spec-crlf-bom-retry": b"\xef\xbb\xbfretry: 3000\r\nevent: add\r\nid: 7\rdata: a\r\n\r\n",
}
SPEC_WS = {
    "spec-5.7-unmasked-text": ("client", "81 05 48 65 6c 6c 6f"),
    "spec-5.7-masked-text": ("server", "81 85 37 fa 21 3d 7f 9f 4d 51 58"),
    "spec-5.7-fragmented": ("client", "01 03 48 65 6c 80 02 6c 6f"),
    "spec-5.7-unmasked-ping": ("client", "89 05 48 65 6c 6c 6f"),
    "spec-5.7-masked-pong": ("server", "8a 85 37 fa 21 3d 7f 9f 4d 51 58"),
    "spec-5.7-256-binary": ("client", "82 7e 01 00" + "00" * 256),
    "spec-close-1000": ("server", "88 82 00 00 00 00 03 e8"),
}
SPEC_HTTP = {
    "spec-1.3-client": b"GET /chat HTTP/1.1\r\nHost: server.example.com\r\nUpgrade: websocket\r\n"
    b"Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
    b"Origin: http://example.com\r\nSec-WebSocket-Protocol: chat, superchat\r\n"
    b"Sec-WebSocket-Version: 13\r\n\r\n",
    "spec-1.3-server": b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
    b"Connection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"
    b"Sec-WebSocket-Protocol: chat\r\n\r\n",
}


# RFC 7692 §7.2.3: the example payloads (without the 00 00 ff ff tail).
SPEC_DEFLATE = {
    "spec-7.2.3.1-one-block": "f2 48 cd c9 c9 07 00",
    "spec-7.2.3.2-shared": "f2 48 cd c9 c9 07 00 00 00 ff ff f2 00 11 00 00",
    "spec-7.2.3.3-stored": "00 05 00 fa ff 48 65 6c 6c 6f 00",
    "spec-7.2.3.4-bfinal": "f3 48 cd c9 c9 07 00 00",
    "spec-7.2.3.5-two-blocks": "f2 48 05 00 00 00 ff ff ca c9 c9 07 00",
    "spec-7.2.3.6-empty": "00",
}
# RFC 7692 §5.2, §7.1.3 and RFC 6455 §9.1 header values.
SPEC_EXTENSIONS = {
    "spec-5.2-foo": "permessage-foo",
    "spec-5.2-x10": "permessage-foo; x=10",
    "spec-5.2-quoted": 'permessage-foo; x="10"',
    "spec-5.2-fallback": "permessage-foo, permessage-bar",
    "spec-5.2-use-y": "permessage-foo; use_y, permessage-foo",
    "spec-7.1.3-simplest": "permessage-deflate",
    "spec-7.1.3-window": "permessage-deflate; client_max_window_bits; server_max_window_bits=10",
    "spec-7.1.3-fallback": "permessage-deflate;\tclient_max_window_bits; server_max_window_bits=10, permessage-deflate; client_max_window_bits",
    "spec-9.1-mux": "mux; max-channels=4; flow-control, deflate-stream",
    "spec-all-params": "permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=8; client_max_window_bits=9",
}


def deflate_seeds(seeds, name, payload):
    # Window 15, 1 MiB limit, one read; 8-bit window, 64-byte limit, byte by byte.
    seeds.add("deflate_inflate", name, bytes([7, 0, 0]) + payload)
    seeds.add("deflate_inflate", name + "-small", bytes([0x10, 1, 1]) + payload)


def extension_seeds(seeds, name, value):
    seeds.add("ws_extension_header", name, bytes([0xFF]) + value.encode())
    seeds.add("ws_extension_header", name + "-limits", bytes([0x12]) + value.encode())


def handshake_seeds(seeds, name, head):
    # ws_handshake: [kind, split_seed] + head; kind & 1 == 0: request, 1: response.
    kind = 1 if head.startswith(b"HTTP/") else 0
    seeds.add("ws_handshake", name, bytes([kind, 2]) + head)


def main():
    seeds = Seeds()
    for name, stream in SPEC_SSE.items():
        sse_seeds(seeds, name, stream)
    for name, (role, hexwire) in SPEC_WS.items():
        ws_seeds(seeds, name, role, bytes.fromhex(hexwire.replace(" ", "")))
    for name, head in SPEC_HTTP.items():
        handshake_seeds(seeds, name, head)
    for name, hexpayload in SPEC_DEFLATE.items():
        deflate_seeds(seeds, name, bytes.fromhex(hexpayload.replace(" ", "")))
    for name, value in SPEC_EXTENSIONS.items():
        extension_seeds(seeds, name, value.replace("\\t", "\t"))

    used = 0
    if VECTORS.is_dir():
        for path in sorted(VECTORS.rglob("*.json")):
            doc = json.loads(path.read_text())
            for v in doc.get("vectors", []):
                kind = v.get("kind")
                name = "vec-" + v["name"]
                data = vector_bytes(v["input"])
                if kind == "sse":
                    sse_seeds(seeds, name, data)
                elif kind in ("frames", "messages"):
                    mf = v.get("max_frame_size")
                    mm = v.get("max_message_size")
                    ws_seeds(
                        seeds,
                        name,
                        v.get("role", "server"),
                        data,
                        max_frame=mf if isinstance(mf, int) and mf < 255 else 255,
                        max_message=mm if isinstance(mm, int) and mm < 255 else 255,
                    )
                elif kind == "handshake":
                    handshake_seeds(seeds, name, data)
                elif kind == "deflate_negotiate":
                    extension_seeds(seeds, name, data.decode("utf-8", "replace"))
                elif kind == "deflate_compress":
                    for i, p in enumerate(v["expect"]["payloads"]):
                        if p is not None:
                            deflate_seeds(seeds, f"{name}-{i}", vector_bytes(p))
                    deflate_seeds(seeds, name + "-plain", data)
                elif kind == "deflate_messages":
                    # The frames' payloads: unmasked frames with 7-bit lengths.
                    payload = b""
                    wire = data
                    while len(wire) >= 2 and wire[1] < 126:
                        n = wire[1]
                        payload += wire[2 : 2 + n]
                        wire = wire[2 + n :]
                    if payload:
                        deflate_seeds(seeds, name, payload)
                else:
                    continue
                used += 1
    else:
        print("gen_seeds: no conformance/vectors yet; spec examples only", file=sys.stderr)

    counts = seeds.write()
    print(f"gen_seeds: {used} conformance vectors; seeds per target: {counts}")


if __name__ == "__main__":
    main()
