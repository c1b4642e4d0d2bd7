"""A press whose edge is older than the invitation on screen.

Found by a demo run whose terminal froze on a fresh invitation (20秒): the
citizen pressed at the screen before, the hub's `inv` arrived in the link
task before the ui task read the edge, and the level press gave the rating a
negative decision time (dp). The journal's check refused the record inside
the ui task, which died; the device's watchdog would have reset it, the
simulator's did not."""

import tempfile

from simulator.shims import install

install()

from firmware.app.buttons import PressGuard  # noqa: E402
from firmware.app.config import Config  # noqa: E402
from firmware.app.flow import Flow, INVITE  # noqa: E402
from firmware.app.main import Terminal  # noqa: E402
from firmware.boards.sim import SimBoard  # noqa: E402

INV = {"t": "inv", "mid": 7, "eid": "e1", "win": "2", "cs": "CS-1", "mc": "M1",
       "mn": "居民身份证换领", "stf": "A0101", "stn": "王芳", "to": 20}


def test_a_press_older_than_the_invitation_is_ignored_not_a_rating():
    cfg = Config(tempfile.mkdtemp())
    f = Flow(cfg, PressGuard(cfg.timeout("read_ms")))
    f.invite(INV, 1000)
    assert f.press(0, 990) == []            # pressed 10 ms before it was drawn
    assert f.state == INVITE and f.guard.ignored == 1
    fx = f.press(0, 2500)                    # the citizen's real press still rates
    assert [e[0] for e in fx] == ["record", "screen"] and fx[0][1]["dp"] == 1500


def test_the_terminal_survives_a_press_made_just_before_an_invitation(tmp_path):
    """The rounds of the real Terminal in the order that killed its ui task."""
    t = [5000]
    board = SimBoard(str(tmp_path / "flash"), "T0002", bytes(32), clock=lambda: t[0])
    term = Terminal(board)
    term.start()
    board.buttons.press(0)                   # edge at 5000: the citizen presses
    t[0] += 5
    term._hub_message(dict(INV), t[0])       # the link task takes an inv at 5005
    t[0] += 15
    term.ui_step(t[0])                       # the ui task reads the edge: must not raise
    assert term.screen == INVITE and term.journal.depth() == 0
    assert term.guard.ignored == 1
    term.close()
