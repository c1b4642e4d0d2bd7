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
