"""The whole session on the MicroPython Unix port, at the recorded heap cap, code from .mpy.

Invitation, good rating, bad rating with a label, timeout, cancel, power cut
with a rating owed and its replay stored once (tests/support/unix_session.py),
the firmware on firmware/boards/unix.py under `-X heapsize=RECORDED_CAP`,
against the real hub over a pty cable. Config push and OTA are not in it:
the firmware has neither yet (issue 14, items 2 and 3)."""

from tests.support.fw import real_hub
from tests.support.unix_port import RECORDED_CAP, UnixTerminal
from tests.support.unix_session import whole_session


def test_whole_session_at_the_recorded_cap(tmp_path, mpy_tree):
    with real_hub(tmp_path, lambda key: UnixTerminal("T1", key, tmp_path / "flash",
                                                     heap=RECORDED_CAP, tree=mpy_tree)) as hall:
        whole_session(hall)
        assert len(hall.term.boots) == 3
        assert all(b["imports"] < 200 * 1024 for b in hall.term.boots)
