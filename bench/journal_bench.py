"""Flash journal benchmark: append/ack cost, bytes per rating,
open and compaction time for a 10,000-rating journal, heap of an open journal.

    .venv/bin/python bench/journal_bench.py [--ratings 10000] [--json] [--only cpython|micropython]

Runs bench/mp_journal_bench.py unchanged on CPython (in this process, on a
real file in a temporary directory; appends fsync) and on real MicroPython
(the WebAssembly port under Node; its filesystem lives in memory, so the
times there are the interpreter's cost, not flash's). Figures, not a test.
"""

import argparse
import ast
import asyncio
import contextlib
import io
import json
import os
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
REPO_ROOT = os.path.dirname(HERE)
sys.path.insert(0, REPO_ROOT)
sys.path.append(os.path.join(REPO_ROOT, "firmware"))   # the device layout: `journal`

from simulator.mpy import protocol_mounts, run_micropython  # noqa: E402

SCRIPT = os.path.join(HERE, "mp_journal_bench.py")

ROWS = (
    ("append_us", "durable append, one rating (µs)", "{:,}"),
    ("ack_us", "durable ack (µs)", "{:,}"),
    ("payload_avg", "payload: encoded rating (bytes, mean)", "{:.1f}"),
    ("record_avg", "append record on flash (bytes, mean)", "{:.1f}"),
    ("bytes_per_rating", "flash per rating, append + ack (bytes)", "{:.1f}"),
    ("build_s", "build N pending, flush only (s)", "{:.2f}"),
    ("file_bytes_pending", "file with N pending (bytes)", "{:,}"),
    ("open_pending_ms", "open, N pending (ms)", "{:,.0f}"),
    ("heap_open_alloc", "heap allocated by that open, before gc (bytes)", "{:,}"),
    ("heap_open_kept", "heap held by the open journal (bytes)", "{:,}"),
    ("pending8_ms", "pending(limit=8) (ms)", "{:.2f}"),
    ("ack_deep_ms", "out-of-order ack near the end (ms)", "{:,.0f}"),
    ("ack_inorder_us", "in-order ack, flush only (µs)", "{:,}"),
    ("heap_half_acked_kept", "heap held after N/2 acks (bytes)", "{:,}"),
    ("open_half_acked_ms", "open, N appends + N/2 acks (ms)", "{:,.0f}"),
    ("file_bytes_half_acked", "that file (bytes)", "{:,}"),
    ("compact_ms", "compact it to N/2 pending (ms)", "{:,.0f}"),
    ("file_bytes_compacted", "file after compaction (bytes)", "{:,}"),
)


def run_cpython(n):
    with open(SCRIPT, encoding="utf-8") as f:
        code = compile(f.read(), SCRIPT, "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)
    out = io.StringIO()
    with tempfile.TemporaryDirectory() as top:
        argv, sys.argv = sys.argv, [SCRIPT, top + "/flash", str(n)]
        try:
            with contextlib.redirect_stdout(out):
                asyncio.run(eval(code, {"__name__": "__main__"}))  # noqa: S307 (our own file)
        finally:
            sys.argv = argv
    return parse(out.getvalue(), "CPython")


def run_mpy(n):
    mounts = protocol_mounts() + [(os.path.join(REPO_ROOT, "firmware", "journal"), "/lib/journal")]
    r = run_micropython(SCRIPT, mounts=mounts, args=["/flash", str(n)], timeout=900)
    if r.returncode != 0:
        raise SystemExit("MicroPython run exited %s:\n%s%s" % (r.returncode, r.stderr, r.stdout))
    return parse(r.stdout, "MicroPython")


def parse(stdout, where):
    lines = [ln for ln in stdout.splitlines() if ln.startswith("BENCH ")]
    if not lines:
        raise SystemExit("%s run printed no BENCH line:\n%s" % (where, stdout))
    return json.loads(lines[-1][len("BENCH "):])


def report(results, n):
    cols = list(results)
    print("Journal, N = %d ratings (4 in 5 good ~150 B, 1 in 5 bad with labels ~210 B)" % n)
    print("| figure | " + " | ".join(cols) + " |")
    print("|---|" + "---|" * len(cols))
    for key, label, fmt in ROWS:
        cells = []
        for c in cols:
            v = results[c].get(key)
            cells.append("—" if c == "CPython" and key.startswith("heap") else fmt.format(v))
        print("| %s | %s |" % (label.replace("N", str(n)) if "N" in label else label,
                                " | ".join(cells)))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--ratings", type=int, default=10000)
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--only", choices=("cpython", "micropython"))
    args = ap.parse_args(argv)
    results = {}
    if args.only != "micropython":
        results["CPython"] = run_cpython(args.ratings)
    if args.only != "cpython":
        results["MicroPython (wasm, in-memory FS)"] = run_mpy(args.ratings)
    if args.json:
        print(json.dumps(results, indent=1))
    else:
        report(results, args.ratings)


if __name__ == "__main__":
    main()
