"""The idle screen of the real firmware (SimTerminal on a pty, hub side from the
protocol package): the hall's name from `cfg`, the staff on duty from `duty`."""

from tests.support.fw import shows
from tests.support.poll import wait
from firmware.ui import theme

HALL = "演示政务服务大厅"


def idle_texts(term):
    wait(lambda: term.screen == "idle" and HALL in term.texts())
    return term.texts()


def test_idle_shows_the_hall_name_and_who_is_on_duty(rig):
    term, peer = rig
    peer.send({"t": "cfg", "ver": 2, "hall": HALL, "win": "3"})
    texts = idle_texts(term)
    assert texts[0] == HALL and "3号窗口" in texts and theme.T_NO_STAFF in texts
    peer.send({"t": "duty", "st": "on", "win": "3", "stf": "A0103", "stn": "张伟"})
    wait(shows(term, "张伟", "工号 A0103", theme.T_ON_DUTY))
    assert term.texts()[0] == HALL and theme.T_NO_STAFF not in term.texts()
    peer.send({"t": "duty", "st": "off", "win": "3"})
    wait(shows(term, theme.T_NO_STAFF))
    assert "张伟" not in term.texts() and term.texts()[0] == HALL
