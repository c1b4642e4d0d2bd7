"""The link's lossy-line checks (tests/protocol/mp_link.py) pass on real
MicroPython and on CPython, with the very same results on both."""

import contextlib
import io
import os
import re

from tests.protocol import mp_link

SCRIPT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "mp_link.py")
ROUNDS = 2

SUMMARY = re.compile(r"^mp_link ok: (\d+) link runs, (\d+) messages delivered, (\d+) repeats "
                     r"across reboots; (\d+) frames and (\d+) bad pieces deframed; "
                     r"(\d+) cobs checks; 0 failed$", re.M)


def check_summary(out):
    m = SUMMARY.search(out)
    assert m, "no summary line in:\n" + out
    runs, delivered, repeats, frames, bad, cobs_checks = map(int, m.groups())
    assert runs == 7 * ROUNDS        # five on link version 1, two with version 2 ends
    assert delivered >= ROUNDS * 1000
    assert repeats > 0          # the reboot scenario really re-delivered something
    assert frames > 0 and bad > 0 and cobs_checks == ROUNDS * 128
    assert out.count("\nlink ") + out.startswith("link ") == runs
    assert out.count(" v2\n") == 2 * ROUNDS      # both version 2 runs ended on version 2


def run_on_cpython():
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        mp_link.main(ROUNDS)
    return buf.getvalue()


def test_link_checks_pass_on_cpython():
    check_summary(run_on_cpython())


def test_link_checks_pass_on_micropython_with_the_same_results(micropython):
    from simulator.mpy import protocol_mounts
    out = micropython(SCRIPT, mounts=protocol_mounts(),
                      args=[str(ROUNDS)])
    check_summary(out)
    # Same PRNG, same code, no clock: the two interpreters must agree to the byte.
    assert out == run_on_cpython()
