"""Firmware benchmarks: heap through a whole session on MicroPython,
press-to-screen time in the simulator.

    .venv/bin/python bench/fw_session_bench.py [--presses 30] [--phases 0,17,33]

1. Heap on real MicroPython (WebAssembly port). bench/mp_fw_heap.py runs the
   whole firmware session of tests/firmware/mp_fw_session.py (invite,
   press, journal, ack, bad rating with labels, timeout, cancel, reboot with a
   rating owed and its replay) stepped by a fake clock, with automatic
   garbage collection off, and reads gc.mem_alloc():
   - right before and right after each step of the terminal (its ui, link
     and house tasks, transport reads and writes included): the difference
     is exactly what that step allocated, garbage included ("worst step").
     The in-interpreter hub side runs outside that window (it is not on the
     device; the "rig step" figure includes it, for reference);
   - every 50 steps, at a fixed phase, after yielding to the host and
     gc.collect() ("live"; the wasm port frees memory only once control went
     back to the host, docs/FIRMWARE.md, and yielding at every step leaves
     port-side references that inflate the figure, so it is not done at
     every step). The run is repeated with the samples at other phases
     (--phases) and the highest live figure is kept, so the figure does not
     hang on where the samples happen to fall.
   The need is live peak + worst step: a device collects when an allocation
   does not fit. Figures are split into code (the bytecode of protocol/ and
   firmware/ compiled from source at import; on the device it is frozen into
   the firmware image and lives in flash) and data (everything the terminal
   allocates: canvas, font index and cache, journal buffer, session, link,
   config). The live figure includes the hub side's data in the same
   interpreter (its code is counted apart; its data is about 1 KB plus its
   link). The qstr pool is printed before and after the session: what the
   session interned for good (characters of hub text, see firmware/ui/utf8.py).
2. Press-to-screen in the CPython simulator: a SimTerminal on a pty with a
   HubPeer; for each of N invitations, the time from the host's press to
   the thanks screen being shown (frames counter moved and the text is on
   screen), polled every 0.5 ms. This includes the ui task's 20 ms poll
   period, so it is what a citizen would see. Also printed: on MicroPython,
   the real time of the one task step that takes the press, writes the
   journal and draws the next screen.
"""

import argparse
import os
import re
import statistics
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, REPO)

from simulator.mpy import protocol_mounts, run_micropython  # noqa: E402

GOAL = 64 * 1024


def heap_run(phase):
    """One session on MicroPython, live data sampled at steps % 50 == PHASE -> parsed figures."""
    mounts = protocol_mounts() + [(os.path.join(REPO, "firmware"), "/lib/firmware"),
                                  (os.path.join(REPO, "simulator"), "/lib/simulator"),
                                  (os.path.join(REPO, "tests"), "/lib/tests")]
    r = run_micropython(os.path.join(REPO, "bench", "mp_fw_heap.py"), mounts=mounts,
                        args=[str(phase)], timeout=600)
    if r.returncode != 0:
        raise SystemExit("MicroPython run failed:\n" + r.stderr + r.stdout)
    v = {}
    for line in r.stdout.splitlines():
        if line.startswith("heap "):
            for k, n in re.findall(r"(\w+)=(\d+)", line):
                v[k] = int(n)
    v["worst"] = [(int(b), int(st), sc) for b, st, sc in
                  re.findall(r"^worst (\d+) step (\d+) screen (\w+)$", r.stdout, re.M)]
    v["by_screen"] = {sc: int(b) for sc, b in re.findall(r"^screenmax (\w+) (\d+)$", r.stdout, re.M)}
    v["qstr"] = [(int(n), int(b)) for n, b in
                 re.findall(r"n_qstr=(\d+), n_str_data_bytes=\d+, n_total_bytes=(\d+)", r.stdout)]
    v["press"] = [float(x) for x in re.search(r"press_ms (.*)", r.stdout).group(1).split()]
    return v


def _span(values):
    lo, hi = min(values), max(values)
    return "%d" % hi if lo == hi else "%d (runs: %d..%d)" % (hi, lo, hi)


def heap_on_micropython(phases):
    runs = [heap_run(p) for p in phases]
    v = runs[0]
    base = v["hubcore"]           # all code loaded, the hub side's own objects made
    live = [r["live_peak"] - r["hubcore"] for r in runs]
    step = [r["term_step"] for r in runs]
    print("MicroPython heap (gc.mem_alloc, bytes); %d runs, live sampled at steps %% 50 = %s"
          % (len(runs), ", ".join(str(p) for p in phases)))
    print("  interpreter at start               %7d" % v["start"])
    print("  code: protocol/                    %7d" % (v["protocol"] - v["start"]))
    print("  code: firmware/ + session script   %7d" % (v["code"] - v["hubcode"]))
    print("  code: hub side (not terminal)      %7d" % (v["hubcode"] - v["protocol"]))
    print("  data at boot (terminal made)       %7d" % (v["booted"] - base))
    print("  data peak, live                    %s" % _span(live))
    print("  most one terminal step allocated   %s" % _span(step))
    print("  most one rig step (+ hub side)     %s" % _span([r["rig_step"] for r in runs]))
    print("  live peak + worst step             %7d  (goal < %d)" % (max(live) + max(step), GOAL))
    print("  biggest terminal steps (bytes, step, screen after it):")
    for b, st, sc in v["worst"]:
        print("    %7d  step %4d  %s" % (b, st, sc))
    print("  most one step allocated, by the screen it left shown:")
    for sc in sorted(v["by_screen"]):
        print("    %-10s %7d" % (sc, v["by_screen"][sc]))
    (q0, b0), (q1, b1) = v["qstr"][0], v["qstr"][-1]
    print("  qstr pool over the session: +%d qstrs, +%d bytes" % (q1 - q0, b1 - b0))
    press = v["press"]
    print("  press step on MicroPython, ms:     %s  (median %.1f)"
          % (" ".join("%.1f" % x for x in press), statistics.median(press)))


def press_to_screen(n):
    from simulator.terminal import SimTerminal
    from simulator.terminal_hubpeer import HubPeer
    key = os.urandom(32)
    term = SimTerminal("B1", key, os.path.join(tempfile.mkdtemp(), "flash"))
    peer = HubPeer(term.port, {"B1": key})
    try:
        peer.wait(lambda: peer.online)
        times = []
        for i in range(n):
            peer.invite("b%d" % i)
            while "请您对本次服务进行评价" not in term.texts():
                time.sleep(0.001)
            term.advance(2000)
            frames = term.board.display.frames
            t0 = time.perf_counter()
            term.press(i % 3)
            while term.board.display.frames == frames or "谢谢您的评价" not in term.texts():
                time.sleep(0.0005)
            times.append((time.perf_counter() - t0) * 1000)
            term.advance(4000)
            while "谢谢您的评价" in term.texts():
                time.sleep(0.001)
        peer.wait(lambda: len(peer.events) == n and term.journal_depth() == 0)
    finally:
        term.close()
        peer.close()
    times.sort()
    print("CPython simulator press-to-screen (host press -> thanks shown), %d presses, ms:" % n)
    print("  median %.1f  p95 %.1f  max %.1f"
          % (statistics.median(times), times[int(0.95 * (n - 1))], times[-1]))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--presses", type=int, default=30)
    ap.add_argument("--phases", default="0,17,33",
                    help="live-sample phases, one MicroPython run each (default 0,17,33)")
    args = ap.parse_args()
    heap_on_micropython([int(p) for p in args.phases.split(",")])
    press_to_screen(args.presses)


if __name__ == "__main__":
    main()
