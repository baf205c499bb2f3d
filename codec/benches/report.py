#!/usr/bin/env python3
"""Ratio table for BENCHMARKS.md from one run of `cargo bench -p pushcodec
--bench compare`.

Joins target/criterion/compare-records.json (written by the bench: what
each implementation is, its checked output and allocations per item) with
criterion's target/criterion/<group>/<id>/new/estimates.json (mean time per
run) and prints Markdown: one table per workload, then the targets of
issues 7, 14 and 17 with the measured ratios.

    python3 codec/benches/report.py [TARGET_DIR] > /tmp/table.md
    PARTIAL=1 python3 codec/benches/report.py   # after a COMPARE_GROUPS run

Ratios are throughput ratios within one run: "× fastest peer" is our
throughput over the fastest peer's that hands out the same level of item
(frames vs messages); "× limit" is our throughput over the limit's.
"""

import json
import math
import os
import sys

root = sys.argv[1] if len(sys.argv) > 1 else os.environ.get("CARGO_TARGET_DIR", "target")
crit = os.path.join(root, "criterion")
# PARTIAL=1: the record of the last COMPARE_GROUPS run instead of the full one.
records = json.load(open(os.path.join(
    crit, "compare-records-partial.json" if os.environ.get("PARTIAL") else "compare-records.json")))


def mean_ns(group, ident):
    p = os.path.join(crit, group, ident, "new", "estimates.json")
    if not os.path.exists(p):
        return None
    e = json.load(open(p))
    return e["mean"]["point_estimate"]


groups = {}
order = []
for r in records:
    r["ns"] = None if r["skipped"] else (mean_ns(r["group"], r["id"]) or r.get("single_run_ns"))
    if r["group"] not in groups:
        groups[r["group"]] = []
        order.append(r["group"])
    groups[r["group"]].append(r)


def tput(r):
    return r["bytes"] / r["ns"] * 1e3 if r["ns"] else None  # MB/s


def fastest(rs, kind, level=None):
    c = [r for r in rs if r["kind"] == kind and r["ns"] and (level is None or r["level"] == level)]
    return min(c, key=lambda r: r["ns"]) if c else None


def fmt(x, d=2):
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "–"
    if x >= 100:
        return f"{x:,.0f}"
    return f"{x:.{d}f}"


def table(g):
    rs = groups[g]
    limits = [r for r in rs if r["kind"] == "limit" and r["ns"]]
    out = [f"#### `{g}`", ""]
    head = "| implementation | level | MB/s | items/s | × fastest peer (same level) | × fastest peer (any) |"
    for l in limits:
        head += f" × {l['id']} |"
    head += " allocs/item | output check |"
    out.append(head)
    out.append("|" + "---|" * (head.count("|") - 1))
    anyp = fastest(rs, "peer")
    for r in rs:
        if r["skipped"]:
            out.append(f"| {r['id']} | {r['level']} | – | – | – | – |" + " – |" * len(limits)
                       + f" – | {r['skipped']} |")
            continue
        if not r["ns"]:
            continue
        same = fastest(rs, "peer", r["level"])
        row = f"| {'**' + r['id'] + '**' if r['kind'] == 'ours' else r['id']} | {r['level']} | {fmt(tput(r), 0)} |"
        row += f" {fmt(r['items'] / r['ns'] * 1e9, 0)} |"
        row += f" {fmt(same['ns'] / r['ns']) if same and r['kind'] != 'limit' else '–'} |"
        row += f" {fmt(anyp['ns'] / r['ns']) if anyp and r['kind'] != 'limit' else '–'} |"
        for l in limits:
            row += f" {fmt(l['ns'] / r['ns'])} |"
        note = r["checked"] + (f"; {r['note']}" if r.get("note") else "")
        row += f" {fmt(r['allocs_per_item'], 3)} | {note} |"
        out.append(row)
    out.append("")
    return out


def get(g, ident):
    for r in groups.get(g, []):
        if r["id"] == ident:
            return r
    return None


def ratio_best_ours(g, level=None, ours_ids=None):
    rs = groups[g]
    ours = [r for r in rs if r["kind"] == "ours" and r["ns"] and (level is None or r["level"] == level)
            and (ours_ids is None or r["id"] in ours_ids)]
    o = min(ours, key=lambda r: r["ns"])
    p = fastest(rs, "peer", level)
    return o, p, p["ns"] / o["ns"]


lines = ["## Targets (issues 7, 14 and 17)", "",
         "| target | measured | met? |", "|---|---|---|"]


def target(name, value, ok):
    mark = ok if isinstance(ok, str) else ('yes' if ok else '**no**')
    lines.append(f"| {name} | {value} | {mark} |")


# The issue: "≥ 2× the fastest peer on 16-byte frames and on fragmented
# messages" — 16-byte frames compared at frame level, fragmented messages at
# message level (reassembled). The other two pairings are reported too, as
# "extra" rows (stricter than the issue asks).
for w, level, extra in (("text_16B_x100k", "frames", False),
                        ("text_256B_4frags_x10k", "messages", False),
                        ("text_16B_x100k", "messages", True),
                        ("text_256B_4frags_x10k", "frames", True)):
    g = f"ws_decode_stream_{w}"
    if g in groups:
        o, p, x = ratio_best_ours(g, level)
        what = {"frames": "16-byte frames" if "16B" in w else "fragments as frames",
                "messages": "fragmented messages" if "frags" in w else "16-byte whole messages"}[level]
        target(f"WS decode {what} ({w}, {level} level), ≥ 2.0× fastest peer" + (" — extra, not in the issue" if extra else ""),
               f"{x:.2f}× ({o['id']} vs {p['id']})", x >= 2.0)
# Issue 14: large frames against the read copy and tokio-websockets.
g = "ws_decode_reads_binary_1MiB_x16"
if g in groups:
    for ident in ("pushcodec-FrameCodec", "pushcodec-MessageCodec"):
        o, m = get(g, ident), get(g, "limit-reads-copy")
        if o and m and o["ns"] and m["ns"]:
            x = m["ns"] / o["ns"]
            target(f"WS decode 1 MiB frames fed 64 KiB reads, {ident} ≥ 0.8× memcpy of the reads "
                   f"(limit-reads-copy; issue 14)", f"{x:.2f}×", x >= 0.8)
g = "ws_decode_stream_binary_1MiB_x16"
if g in groups:
    t = get(g, "tokio-websockets")
    for ident in ("pushcodec-WebSocketStream", "pushcodec-FramedRead-MessageCodec", "pushcodec-FramedRead-FrameCodec"):
        o = get(g, ident)
        if o and t and o["ns"] and t["ns"]:
            x = t["ns"] / o["ns"]
            target(f"WS decode 1 MiB frames, {ident} ≥ 1.2× tokio-websockets (issue 14)", f"{x:.2f}×", x >= 1.2)
g = "ws_decode_stream_text_16B_x100k"
if g in groups:
    for ident, need in (("pushcodec-WebSocketStream", 1.5), ("pushcodec-FramedRead-MessageCodec", 2.0)):
        o, p, x = ratio_best_ours(g, "messages", [ident])
        target(f"WS decode 16-byte messages, {ident} ≥ {need}× the fastest peer's whole-message API (issue 14)",
               f"{x:.2f}× (vs {p['id']})", x >= need)
for g in order:
    if g.startswith("ws_decode"):
        for r in groups[g]:
            if r["kind"] == "ours" and r["level"] == "frames":
                a = r["allocs_per_item"]
                target(f"WS decode: allocations per frame — {g}/{r['id']} (whole run, incl. the read buffer growing "
                       f"to frame size: for information; the target is the steady-state rows below)",
                       f"{a:.4f}", "info")
for g in order:
    if g.startswith("ws_steady_allocs"):
        r = groups[g][0]
        target(f"WS decode: 0 allocations per frame in steady state — {g[len('ws_steady_allocs_'):]}",
               r["note"], r["allocs_per_item"] < 0.01)
# Issue 17: ratio to the fastest peer (both sse-parse APIs among them).
for read, w, need in ((4096, "token_x100k", 2.5), (4096, "20lines_x10k", 1.5),
                      (4096, "256KiB_line_x64", 1.2), (7, "token_x100k", 1.2),
                      (7, "20lines_x10k", 1.2), (7, "256KiB_line_x64", None)):
    g = f"sse_decode_{w}_reads{read}"
    if g in groups:
        o, p, x = ratio_best_ours(g)
        extra = ""
        if "256KiB" in w:
            m, lc = get(g, "limit-memchr"), get(g, "limit-line-copy+memchr")
            if m and m["ns"] and lc and lc["ns"]:
                extra = (f"; {m['ns'] / o['ns']:.2f}× one memchr2 pass, "
                         f"{lc['ns'] / o['ns']:.2f}× copying the reads into a buffer that holds the line + memchr2")
        name = f"SSE decode {w}, {read}-byte reads, " + (f"≥ {need}× fastest peer" if need
                                                         else "× fastest peer — extra, not in the issue")
        target(name, f"{x:.2f}× (vs {p['id']}){extra}", x >= need if need else "info")
g = "sse_decode_8MiB_line_reads1024"
if g in groups:
    o = get(g, "pushcodec-SseDecoder")
    ref = get("sse_decode_256KiB_line_x64_reads4096", "pushcodec-SseDecoder")
    if o and o["ns"] and ref and ref["ns"]:
        per8 = o["ns"] / o["bytes"]
        per256 = ref["ns"] / ref["bytes"]
        target("SSE decode one 8 MiB line in 1 KiB reads: linear",
               f"{per8:.3f} ns/byte (criterion) vs {per256:.3f} ns/byte for 256 KiB lines in 4 KiB reads: "
               f"×{per8 / per256:.2f} per byte for a 32× longer line (a rescan from the line start would be ~×32 or far worse). "
               f"Probe: {o.get('note') or ''}", per8 / per256 < 2.0)
for g in order:
    if g.startswith("sse_steady_allocs"):
        r = groups[g][0]
        w = g[len("sse_steady_allocs_"):]
        multi = w.startswith("20lines")
        need = "≤ 1 allocation per multi-line event" if multi else "0 allocations per single-line event"
        a = r["allocs_per_item"]
        target(f"SSE decode: {need} in steady state — {w}", r["note"], a <= 1.0 if multi else a < 0.0005)
for g in order:
    if g.startswith("sse_decode"):
        r = get(g, "pushcodec-SseDecoder")
        if r:
            a = r["allocs_per_item"]
            target(f"SSE decode: allocations per event — {g} (whole run, incl. the caller's read buffer growing "
                   f"from 8 KiB: for information)", f"{a:.3f}", "info")
for g in order:
    if g.startswith("ws_write_path"):
        r = groups[g][0]
        target(f"WS write path {g[len('ws_write_path_'):]}: payload bytes copied per payload byte",
               r["note"], True)

print("\n".join(lines))
print()
print("## Full table")
print()
for g in order:
    if g.startswith(("ws_write_path", "ws_steady_allocs", "sse_steady_allocs")):
        continue
    print("\n".join(table(g)))
