"""Firmware benchmarks (issue 3): heap through a whole session on MicroPython,
press-to-screen time in the simulator.

    .venv/bin/python bench/fw_session_bench.py [--presses 30]

1. Heap on real MicroPython (WebAssembly port). bench/mp_fw_heap.py runs the
   whole firmware session of tests/micropython/mp_fw_session.py (invite,
   press, journal, ack, bad rating with labels, timeout, cancel, reboot with a
   rating owed) stepped by a fake clock, and samples gc.mem_alloc() between
   task steps: every step without collecting (so the growth across one step
   is what that step allocated, garbage included: "worst step"), and every
   50 steps after yielding to the host and gc.collect() ("live"; the wasm
   port frees memory only once control went back to the host, DESIGN.md §6,
   and yielding at every step leaves port-side references that inflate the
   figure, so it is not done at every step). The need is live peak + worst
   step: a device collects when an allocation does not fit. Figures are split into code (the bytecode of
   protocol/ and firmware/ compiled from source at import; on the device it
   is frozen into the firmware image and lives in flash) and data (everything
   the terminal allocates: canvas, font index and cache, journal buffer,
   session, link, config). The data figures include the hub side that runs
   in the same interpreter (its code is counted apart; its data is about
   1 KB plus its link).
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


def heap_on_micropython():
    mounts = protocol_mounts() + [(os.path.join(REPO, "firmware"), "/lib/firmware"),
                                  (os.path.join(REPO, "simulator"), "/lib/simulator"),
                                  (os.path.join(REPO, "tests", "micropython"), "/lib/mptests")]
    r = run_micropython(os.path.join(REPO, "bench", "mp_fw_heap.py"), mounts=mounts, timeout=600)
    if r.returncode != 0:
        raise SystemExit("MicroPython run failed:\n" + r.stderr + r.stdout)
    v = {}
    for k, n in re.findall(r"(\w+)=(\d+)", r.stdout):
        v[k] = int(n)
    press = [float(x) for x in re.search(r"press_ms (.*)", r.stdout).group(1).split()]
    code_protocol = v["protocol"] - v["start"]
    code_fw = v["code"] - v["hubcode"]
    code_hub = v["hubcode"] - v["protocol"]
    base = v["hubcore"]           # all code loaded, the hub side's own objects made
    print("MicroPython heap (gc.mem_alloc, bytes)")
    print("  interpreter at start             %7d" % v["start"])
    print("  code: protocol/                  %7d" % code_protocol)
    print("  code: firmware/ + session script %7d" % code_fw)
    print("  code: hub side (not terminal)    %7d" % code_hub)
    live = v["session_peak_live"] - base
    print("  data at boot (terminal made)     %7d" % (v["booted"] - base))
    print("  data peak, live                  %7d" % live)
    print("  most one task step allocated     %7d" % v["step_alloc"])
    print("  live peak + worst step           %7d  (goal < %d)" % (live + v["step_alloc"], GOAL))
    print("  press step on MicroPython, ms:   %s  (median %.1f)"
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
    args = ap.parse_args()
    heap_on_micropython()
    press_to_screen(args.presses)


if __name__ == "__main__":
    main()
