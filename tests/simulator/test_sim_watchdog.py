"""The simulated terminal keeps the device's watchdog rule: a firmware whose
ui task died is reset and comes back, as machine.WDT would do it."""

import os

from simulator.terminal import SimTerminal
from simulator.terminal_hubpeer import HubPeer
from tests.support.poll import wait

DEV = "T0002"


def test_a_terminal_whose_ui_task_dies_is_reset_and_online_again(tmp_path):
    key = os.urandom(32)
    term = SimTerminal(DEV, key, str(tmp_path / "flash"))
    peer = HubPeer(term.port, {DEV: key})
    try:
        peer.wait(lambda: peer.online)
        sessions = peer.sessions

        def broken(now):
            raise RuntimeError("a bug in the ui task")
        term._call(setattr, term.terminal.flow, "tick", broken)   # ui_step calls it every round
        wait(lambda: term.watchdog_resets == 1, 20, "the watchdog reset")
        assert isinstance(term.crashed, RuntimeError) and len(term.crashes) == 1
        assert term.boots == 2
        wait(lambda: term.screen == "idle" and term._call(lambda: term.terminal.link.online),
                 20, "the terminal online again after its reset")
        peer.wait(lambda: peer.sessions > sessions, 20)     # a new handshake after the reset
    finally:
        term.close()
        peer.close()
