"""The journal's crash checks (tests/firmware/mp_journal.py) pass on real
MicroPython, the WebAssembly port, and print the very same lines on CPython.

On MicroPython firmware/journal is mounted at /lib/firmware/journal, as on the
device, and the real-filesystem part runs on the
port's in-memory VFS: torn appends and acks, a half-written compaction, a
cut replace and a damaged header are made there with plain file writes.
"""

import contextlib
import io
import os
import re

from simulator.mpy import REPO_ROOT
from tests.firmware import mp_journal

HERE = os.path.dirname(os.path.abspath(__file__))
SCRIPT = os.path.join(HERE, "mp_journal.py")
SCENARIOS = 2

SUMMARY = re.compile(r"^mp_journal ok: (\d+) scenarios, (\d+) cut points \(x2 with "
                     r"corruption\); 4 real-fs cases$", re.M)


def check(out):
    m = SUMMARY.search(out)
    assert m, "no summary line in:\n" + out
    assert int(m.group(1)) == SCENARIOS and int(m.group(2)) > 2000
    cuts = re.findall(r"^cuts .* cut_steps_kept=(\d+) refused_full=(\d+)$", out, re.M)
    assert len(cuts) == SCENARIOS
    assert all(int(kept) > 0 for kept, _ in cuts)        # cut steps that took effect
    assert any(int(full) > 0 for _, full in cuts)        # JournalFull was exercised
    assert "real torn append: pending=[5, 6, 8, 9, 10] next=11" in out
    assert "real damaged header: refused, file kept" in out


def test_journal_crash_checks_on_micropython_match_cpython(micropython, tmp_path):
    out = micropython(SCRIPT, mounts=[(os.path.join(REPO_ROOT, "protocol"), "/lib/protocol"),
                                      (os.path.join(REPO_ROOT, "firmware", "journal"), "/lib/firmware/journal")],
                      args=["/flash", str(SCENARIOS)])
    check(out)
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        mp_journal.main(str(tmp_path / "flash"), SCENARIOS)
    assert out == buf.getvalue()
