"""Fixtures shared by every test folder, and how the suite is laid out.

tests/ mirrors the source: protocol/, firmware/, hub/, upstream/,
simulator/, and system/ for whole-system runs (the demo, a whole hall, the
hub under uvicorn, the CLI end to end). Helpers live in tests/support/, one
module per concern, imported as `tests.support.<name>`; a fixture used in
one folder only sits in that folder's conftest.py.

Import scheme: every folder is a package (an `__init__.py` each) and pytest
runs in its default prepend mode. A test module's name is then dotted from
the repository root (tests.hub.test_cli and tests.upstream.test_cli can
share a basename), pytest puts the repository root first on sys.path (so
`hub`, `protocol`, `tests.support` resolve with no sys.path edits), and a
MicroPython script beside its test is the module `tests.<folder>.<name>` on
CPython. `--import-mode=importlib` would give unique names too, but its test
modules are not importable by name, and the MicroPython scripts and the
helpers they share need to be.

MicroPython: `micropython` runs a script on real MicroPython (the
WebAssembly port) and returns its stdout; the test fails, showing stderr, if
the script did not exit 0. tests/ is always mounted at /lib/tests, so a
script under tests/ runs from its place and imports its neighbours with the
same dotted names as on CPython (`from tests.support import linksim`).

    def test_x(micropython):
        from simulator.mpy import protocol_mounts
        out = micropython("tests/protocol/mp_x.py", mounts=protocol_mounts(), args=["1"])

`anyio_backend`: asyncio for the async API tests. `mosquitto`: a real broker, see below.
"""

import os

import pytest

from simulator.mpy import run_micropython

TESTS_MOUNT = (os.path.dirname(os.path.abspath(__file__)), "/lib/tests")


@pytest.fixture
def micropython():
    def run(script, mounts=(), args=(), heap=None, timeout=300):
        mounts = list(mounts) + [TESTS_MOUNT]
        result = run_micropython(script, mounts=mounts, args=args, heap=heap, timeout=timeout)
        if result.returncode != 0:
            pytest.fail("MicroPython run of %s exited %s\n--- stderr ---\n%s--- stdout ---\n%s"
                        % (script, result.returncode, result.stderr, result.stdout),
                        pytrace=False)
        return result.stdout
    return run


@pytest.fixture
def anyio_backend():
    """The API tests (`pytest.mark.anyio`) run on asyncio, as uvicorn does."""
    return "asyncio"


@pytest.fixture
def mosquitto(tmp_path):
    """A real mosquitto on a free loopback port, from hub/data/mosquitto.conf.

    `.host`, `.port`; `.restart(downtime=0.5)` keeps the port and persistence;
    `.stop(kill=True)`; `.log()`. No anonymous clients, as in a hall: every
    client logs in with `**broker.hub_login(hall)`, `.terminal_login(hall,
    device)` (that device's own topics only) or `.observer_login()` (every
    topic; a test's observer); `.add_user` / `.remove_user` for others. See
    simulator/broker.py.
    """
    from simulator.broker import MosquittoBroker
    broker = MosquittoBroker(tmp_path / "mosquitto").start()
    try:
        yield broker
    finally:
        broker.stop()
