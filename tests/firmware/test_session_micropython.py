"""The whole firmware (flow, journal, screens, hub link over real link frames)
on real MicroPython, and the very same run on CPython: invite, press, journal,
ack, bad rating with labels, timeout, cancel, reboot with a rating owed.

tests/firmware/mp_fw_session.py steps the firmware with a fake clock and
deterministic random bytes against simulator/terminal_hubcore.py in the same
interpreter, so the two interpreters must print identical lines."""

import asyncio
import contextlib
import io
import os

from simulator.mpy import REPO_ROOT, protocol_mounts

HERE = os.path.dirname(os.path.abspath(__file__))

CHECKS = ("hello carries the journal depth", "rating delivered live", "kept until acked",
          "journal empty after ack", "bad rating with a label", "timeout reported",
          "cancel leaves no event", "owed before reboot", "journal survives reboot",
          "replayed once after reboot", "stored once")


def mounts():
    return protocol_mounts() + [(os.path.join(REPO_ROOT, "firmware"), "/lib/firmware"),
                                (os.path.join(REPO_ROOT, "simulator"), "/lib/simulator")]


def run_on_cpython(flash):
    from simulator.shims import install
    install()
    from tests.firmware import mp_fw_session
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        asyncio.run(mp_fw_session.main(flash))
    return buf.getvalue()


def check(out):
    for name in CHECKS:
        assert "check %s ok" % name in out, out
    assert "mp_fw_session ok: 4 events, 5 deliveries, 2 sessions" in out
    assert "screen 请您对本次服务进行评价 | 30秒 | 事项 | 个体工商户设立登记" in out


def test_firmware_session_on_cpython(tmp_path):
    check(run_on_cpython(str(tmp_path / "flash")))


def test_firmware_session_on_micropython_matches_cpython(micropython, tmp_path):
    out = micropython(os.path.join(HERE, "mp_fw_run.py"), mounts=mounts(), args=["/flash"])
    check(out)
    assert out == run_on_cpython(str(tmp_path / "flash"))


OLD_CHECKS = ("old records kept over the update", "old records sent as the old firmware sent them",
              "new rating follows the old ones", "each replayed exactly once")


def run_old_journal_on_cpython(flash):
    from simulator.shims import install
    install()
    from tests.firmware import mp_journal_old_records
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        asyncio.run(mp_journal_old_records.main(flash))
    return buf.getvalue()


def test_journal_of_the_old_firmware_is_replayed_once_on_micropython(micropython, tmp_path):
    """A terminal updated from firmware 0.1.0, whose journal records still carry
    seq and org: each is sent once, as before, on both interpreters."""
    out = micropython(os.path.join(HERE, "mp_fw_run.py"), mounts=mounts(), args=["/flash", "old"])
    for name in OLD_CHECKS:
        assert "check %s ok" % name in out, out
    assert "old_journal ok: 4 events, 4 deliveries, 2 sessions" in out
    assert out == run_old_journal_on_cpython(str(tmp_path / "flash"))
