"""Protocol benchmark: throughput, bytes on the wire, decoder heap.

    .venv/bin/python bench/protocol_bench.py [--json] [--budget-ms 1000] [--only cpython|micropython]

Runs bench/mp_protocol_bench.py twice, unchanged: on CPython (in this
process) and on real MicroPython (the WebAssembly port under Node), and
prints both columns side by side. Figures, not a test: nothing here passes
or fails, except that a run that crashes is reported as an error.
"""

import argparse
import ast
import asyncio
import contextlib
import io
import json
import os
import platform
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
REPO_ROOT = os.path.dirname(HERE)
if REPO_ROOT not in sys.path:
    sys.path.insert(0, REPO_ROOT)

from simulator.mpy import protocol_mounts, run_micropython  # noqa: E402

SCRIPT = os.path.join(HERE, "mp_protocol_bench.py")

RATE_ROWS = (
    ("encode_seal_frame", "encode + seal + frame (rating)"),
    ("encode", "  encode only (compact JSON)"),
    ("seal", "  encode + seal (HMAC)"),
    ("frame", "  frame only (CRC-32, COBS)"),
    ("deframe_open", "deframe + open + decode (rating)"),
    ("deframe", "  deframe only (64-byte reads)"),
    ("open", "  open (verify seal + decode)"),
    ("decode", "  decode only (JSON + checks)"),
)
SIZE_ROWS = (
    ("rating_good", "good rating (lv 5, no labels)"),
    ("rating_bad", "bad rating (lv 2, labels 213 214)"),
    ("invitation", "invitation, %(matter_chars)d-character matter name"),
    ("config", "config with the national labels (%(labels)d)"),
)
HEAP_ROWS = (
    ("feed", "Deframer.feed of the frame"),
    ("open", "Session.open (seal + JSON + checks)"),
    ("peak", "peak over feed + open"),
    ("kept", "kept after gc (frame + message)"),
)


class BenchError(RuntimeError):
    pass


def _parse(stdout, where):
    lines = stdout.splitlines()
    bench = [ln for ln in lines if ln.startswith("BENCH ")]
    if not bench:
        raise BenchError("%s printed no BENCH line:\n%s" % (where, stdout))
    result = json.loads(bench[-1][len("BENCH "):])
    if "MEMINFO-BEGIN" in lines:
        result["mem_info"] = "\n".join(lines[lines.index("MEMINFO-BEGIN") + 1:lines.index("MEMINFO-END")])
    return result


def run_cpython(budget_ms):
    """Run the bench script in this process; its top-level await is allowed."""
    with open(SCRIPT, encoding="utf-8") as f:
        code = compile(f.read(), SCRIPT, "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)
    argv, sys.argv = sys.argv, [SCRIPT, str(budget_ms)]
    out = io.StringIO()
    try:
        with contextlib.redirect_stdout(out):
            coro = eval(code, {"__name__": "__main__", "__file__": SCRIPT})  # noqa: S307 (our own file)
            if coro is not None:
                asyncio.run(coro)
    finally:
        sys.argv = argv
    return _parse(out.getvalue(), "CPython run")


def run_mpy(budget_ms):
    r = run_micropython(SCRIPT, mounts=protocol_mounts(), args=[str(budget_ms)], timeout=300)
    if r.returncode != 0:
        raise BenchError("MicroPython run exited %s:\n%s%s" % (r.returncode, r.stderr, r.stdout))
    return _parse(r.stdout, "MicroPython run")


def machine():
    try:
        node = subprocess.run(["node", "--version"], capture_output=True, text=True, timeout=20).stdout.strip()
    except OSError:
        node = "absent"
    return {"nproc": os.cpu_count(), "python": platform.python_version(), "node": node,
            "platform": platform.platform()}


def _cells(results, get, fmt="{:,}"):
    cells = []
    for r in results.values():
        try:
            cells.append(fmt.format(get(r)))
        except (KeyError, TypeError):
            cells.append("-")
    return cells


def _row(label, cells, width=38):
    return "%-*s" % (width, label) + "".join("%26s" % c for c in cells)


def report(doc):
    results = doc["results"]
    names = {"cpython": "CPython %s", "micropython": "MicroPython %s (wasm)"}
    head = _row("", [names[k] % r["version"] for k, r in results.items()])
    m = doc["machine"]
    lines = ["Protocol benchmark: %d cores, Python %s, Node %s, %d ms per figure"
             % (m["nproc"], m["python"], m["node"], doc["budget_ms"]), "",
             "Throughput, messages/s of CPU time (%s)"
             % ", ".join("%s: %s" % (k, r["clock"]) for k, r in results.items()), head]
    for key, label in RATE_ROWS:
        lines.append(_row(label, _cells(results, lambda r: r["rates"][key])))
    any_sizes = next(iter(results.values()))["sizes"]
    lines += ["", "Bytes on the wire (body -> sealed packet -> link frame -> UART bytes with COBS + 0x00)",
              _row("", ["body", "sealed", "frame", "on the wire"], width=38)]
    for key, label in SIZE_ROWS:
        s = any_sizes[key]
        if "%(" in label:
            label = label % s
        lines.append(_row(label, [s["body"], s["sealed"], s["frame"], s["wire"]]))
    if len(results) > 1:
        lines.append("same bytes from both interpreters: %s" % ("yes" if doc["same_wire"] else "NO"))
    for where, title in (("decode_rating_on_hub", "one sealed rating, hub session"),
                         ("decode_invitation_on_terminal", "one sealed invitation, terminal session"),
                         ("decode_config_on_terminal", "one sealed config (label table), terminal session")):
        lines += ["", "Heap, bytes, decoding %s (after a warm-up)" % title, head]
        lines += [_row(label, _cells(results, lambda r, k=key: r["heap"][where][k])) for key, label in HEAP_ROWS]
    lines += ["", "Heap, bytes, held by the decoder", head,
              _row("in use after imports (protocol + bench)", _cells(results, lambda r: r["heap"]["after_imports"])),
              _row("Deframer (empty)", _cells(results, lambda r: r["heap"]["deframer"])),
              _row("Session (keys, tag)", _cells(results, lambda r: r["heap"]["session"]))]
    lines += ["", "Heap figures: MicroPython gc.mem_alloc() (no collection runs inside a call, so",
              "'peak' is all it allocated, an upper bound; 'kept' is good to ~100 bytes, the",
              "collector being conservative); CPython tracemalloc."]
    mp = results.get("micropython")
    if mp and "mem_info" in mp:
        lines += ["", "micropython.mem_info() after the heap measurements:", mp["mem_info"]]
    return "\n".join(lines)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--json", action="store_true", help="print the figures as JSON")
    ap.add_argument("--budget-ms", type=int, default=1000,
                    help="CPU time spent on each throughput figure: 5 slices taken in turns with the others, the first a warm-up, the best counts (default 1000)")
    ap.add_argument("--only", choices=("cpython", "micropython"), help="measure one interpreter")
    args = ap.parse_args(argv)
    results = {}
    try:
        if args.only != "micropython":
            results["cpython"] = run_cpython(args.budget_ms)
        if args.only != "cpython":
            results["micropython"] = run_mpy(args.budget_ms)
    except (BenchError, RuntimeError) as e:
        print("protocol_bench: %s" % e, file=sys.stderr)
        return 1
    wires = {json.dumps({k: v["wire_hex"] for k, v in r["sizes"].items()}, sort_keys=True) for r in results.values()}
    doc = {"machine": machine(), "budget_ms": args.budget_ms, "same_wire": len(wires) == 1,
           "results": results}
    print(json.dumps(doc, indent=2, ensure_ascii=False) if args.json else report(doc))
    return 0


if __name__ == "__main__":
    sys.exit(main())
