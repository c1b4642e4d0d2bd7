"""The firmware's memory on the MicroPython Unix port, where -X heapsize is a hard cap.

The figures and how they were found: docs/PERFORMANCE.md ("Firmware on the
MicroPython Unix port"), bench/unix_port_heap.py. A 64-bit build: pointers
are 8 bytes, so these figures run up to twice a 32-bit device's."""

import re

import pytest

from tests.support.unix_port import UnixTerminal

# The board's code after its imports, .mpy (bench: 160,896 bytes); code that grows past
# this needs the cap measured again (bench/unix_port_heap.py) and RECORDED_CAP raised.
IMPORTS_BUDGET = 170_000


def _figures(out, prefix):
    return {m.group(1): int(m.group(2)) for m in re.finditer(prefix + r" (\S+)=(\d+)", out)}


def test_the_code_fits_its_import_budget(micropython_unix):
    out = micropython_unix("tests/firmware/mp_unix_imports.py")
    f = _figures(out, "imports")
    assert "word 64-bit (a pointer is 8 bytes)" in out
    assert f["start"] < f["protocol_messages"] < f["app"] < f["board"] < f["mqtt_client"]
    assert f["board"] <= IMPORTS_BUDGET, f


def test_the_cap_is_hard(tmp_path, mpy_tree):
    """Below the code's own size the terminal cannot boot: MemoryError, not a sampled figure."""
    with pytest.raises(RuntimeError, match="MemoryError"):
        UnixTerminal("T1", bytes(32), tmp_path / "flash", heap="128K", tree=mpy_tree).close()


def test_the_stepped_session_runs_unchanged_on_the_unix_port(micropython_unix, tmp_path):
    # The in-process hub side and the tests' helpers are compiled from source here,
    # so this run needs more heap than the terminal alone.
    out = micropython_unix("tests/firmware/mp_unix_session.py", [tmp_path / "flash"], heap="512K")
    assert "mp_fw_session ok: 4 events, 5 deliveries, 2 sessions" in out
