"""Heap of the firmware on the MicroPython Unix port, under a hard cap (-X heapsize).

    .venv/bin/python bench/unix_port_heap.py [--lo 160] [--hi 512] [--step 8] [--runs 5]

The code is protocol/ and firmware/ compiled to .mpy (mpy-cross from the
tree, tests/support/unix_port.compile_tree). Prints:
- `imports GROUP=BYTES`: the heap the code holds after each import group
  (tests/firmware/mp_unix_imports.py), and the board's own figure
  (gc.mem_alloc() after importing everything, before the terminal is made);
- for the serial terminal (tests/support/unix_session.whole_session:
  invitation, good and bad ratings with a label, timeout, cancel, power cut
  with a rating owed, replay once, against the real hub over the pty cable)
  and for the MQTT one (mqtt_session, through a real mosquitto): the smallest
  -X heapsize (KiB, to --step) at which the session passes, by bisection,
  then the smallest from there at which --runs sessions in a row pass
  (fragmentation depends on how the bytes arrive, so the edge is ragged:
  that steady figure is the cap the suite records, tests/support/unix_port.py);
- `data`: the cap minus the imports: what the running terminal has for data;
- `part NAME=BYTES`: the live heap each part of a terminal holds at rest
  (tests/firmware/mp_unix_parts.py), and the whole terminal after its first
  screen: the rest of the data part is each step's garbage and fragmentation;
- `boot`: spawn to the first screen (host clock, the interpreter's start
  included) and the board's own boot_ms (module import to first screen),
  and reboot to online (a new link session with the hub), over 5 reboots.
The failure of each probe below the cap is shown (its MemoryError line).
This is a 64-bit build: pointers are 8 bytes (docs/PERFORMANCE.md).
"""

import argparse
import os
import pathlib
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from tests.support.fw import real_hub, real_hub_mqtt, shows  # noqa: E402
from tests.support.poll import wait  # noqa: E402
from tests.support.unix_port import (  # noqa: E402
    REPO_ROOT, UnixTerminal, compile_tree, micropython_env, tool)
from tests.support.unix_session import IDLE_ONLINE, mqtt_session, whole_session  # noqa: E402

IMPORTS_SCRIPT = os.path.join(REPO_ROOT, "tests", "firmware", "mp_unix_imports.py")
PARTS_SCRIPT = os.path.join(REPO_ROOT, "tests", "firmware", "mp_unix_parts.py")


def import_figures(tree):
    out = subprocess.run([tool("micropython"), "-X", "heapsize=1M", IMPORTS_SCRIPT], cwd=tree,
                         env=micropython_env(tree), capture_output=True, text=True, check=True)
    return [line for line in out.stdout.splitlines() if line.startswith(("imports ", "word "))]


def part_figures(tree, tmp):
    out = subprocess.run([tool("micropython"), "-X", "heapsize=1M", PARTS_SCRIPT,
                          os.path.join(tmp, "parts-flash")], cwd=tree,
                         env=micropython_env(tree, REPO_ROOT), capture_output=True, text=True,
                         check=True)
    return [line for line in out.stdout.splitlines() if line.startswith("part ")]


def _why(e):
    lines = [x for x in str(e).splitlines() if "Error" in x] or [str(e).splitlines()[0]]
    return lines[-1]


def probe_serial(tree, kib):
    """-> None if the whole session passes at KIB KiB over the serial cable, else why not."""
    with tempfile.TemporaryDirectory() as tmp:
        try:
            with real_hub(pathlib.Path(tmp), lambda key: UnixTerminal(
                    "T1", key, os.path.join(tmp, "flash"), heap="%dK" % kib, tree=tree)) as hall:
                whole_session(hall)
        except (AssertionError, RuntimeError, TimeoutError) as e:
            return _why(e)
    return None


def probe_mqtt(tree, kib):
    """-> None if the MQTT session passes at KIB KiB through a real mosquitto, else why not."""
    from simulator.broker import MosquittoBroker
    with tempfile.TemporaryDirectory() as tmp:
        broker = MosquittoBroker(pathlib.Path(tmp) / "mosquitto").start()
        try:
            with real_hub_mqtt(pathlib.Path(tmp), broker, lambda key, mq: UnixTerminal(
                    "T1", key, os.path.join(tmp, "flash"), heap="%dK" % kib, tree=tree,
                    serial=False, mqtt=mq)) as hall:
                mqtt_session(hall)
        except (AssertionError, RuntimeError, TimeoutError) as e:
            return _why(e)
        finally:
            broker.stop()
    return None


def bisect(probe, tree, lo, hi, step):
    """lo fails, hi passes -> the smallest passing cap (to STEP KiB) and the failures seen."""
    fails = {}
    why = probe(tree, hi)
    if why:
        raise SystemExit("the session fails even at %d KiB: %s" % (hi, why))
    while hi - lo > step:
        mid = (lo + hi) // 2 // step * step
        if mid <= lo:
            break
        why = probe(tree, mid)
        print("  probe %d KiB: %s" % (mid, why or "pass"), flush=True)
        if why:
            fails[mid] = why
            lo = mid
        else:
            hi = mid
    return hi, fails


def steady(probe, tree, cap, step, runs):
    """The smallest cap from CAP up, by STEP, at which RUNS sessions in a row pass:
    fragmentation depends on how the bytes arrive, so the edge is ragged."""
    while True:
        for i in range(runs):
            why = probe(tree, cap)
            if why:
                print("  again %d KiB, run %d: %s" % (cap, i + 1, why), flush=True)
                cap += step
                break
        else:
            return cap


def boot_times(tree, kib, n=5):
    """Spawn to first screen, board boot_ms, and reboot to online with the real hub."""
    with tempfile.TemporaryDirectory() as tmp:
        with real_hub(pathlib.Path(tmp), lambda key: UnixTerminal(
                "T1", key, os.path.join(tmp, "flash"), heap="%dK" % kib, tree=tree)) as hall:
            term = hall.term
            wait(shows(term, IDLE_ONLINE))
            online = []
            for _ in range(n):
                t0 = time.monotonic()
                term.reboot()
                wait(shows(term, IDLE_ONLINE))
                online.append(time.monotonic() - t0)
            boots = term.boots[1:]
            imports = term.boots[0]["imports"]
    return ([b["spawn_to_ready_s"] * 1000 for b in boots], [b["boot_ms"] for b in boots],
            [x * 1000 for x in online], imports)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--lo", type=int, default=160, help="KiB known to fail (below the imports)")
    ap.add_argument("--hi", type=int, default=512, help="KiB known to pass")
    ap.add_argument("--step", type=int, default=8, help="resolution, KiB")
    ap.add_argument("--runs", type=int, default=5, help="sessions in a row that must pass")
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tree = compile_tree(os.path.join(tmp, "mpy"))
        figures = import_figures(tree)
        for line in figures:
            print(line)
        imports = dict(x[len("imports "):].split("=") for x in figures if x.startswith("imports "))
        for line in part_figures(tree, tmp):
            print(line)
        caps = {}
        for name, probe, imp in (("serial", probe_serial, int(imports["board"])),
                                 ("mqtt", probe_mqtt, int(imports["mqtt_client"]))):
            print("%s session:" % name, flush=True)
            edge, fails = bisect(probe, tree, a.lo, a.hi, a.step)
            cap = steady(probe, tree, edge, a.step, a.runs)
            caps[name] = cap
            for k in sorted(fails):
                print("  fails at %d KiB: %s" % (k, fails[k]))
            print("%s: passes at %d KiB (bisection), %d of %d runs in a row at %d KiB; "
                  "imports %d bytes; data %d bytes = %.1f KiB (cap minus imports; goal 64 KiB)"
                  % (name, edge, a.runs, a.runs, cap, imp, cap * 1024 - imp,
                     (cap * 1024 - imp) / 1024), flush=True)
        spawn, boot_ms, online, board_imports = boot_times(tree, caps["serial"])
    print("board's own imports figure (serial): %d bytes" % board_imports)
    print("boot spawn->first screen ms: median %.0f (%s)" % (
        statistics.median(spawn), " ".join("%.0f" % x for x in spawn)))
    print("boot board boot_ms (import to first screen): median %.0f" % statistics.median(boot_ms))
    print("reboot->online ms (kill, start, link session with the hub): median %.0f (%s)" % (
        statistics.median(online), " ".join("%.0f" % x for x in online)))


if __name__ == "__main__":
    main()
