"""The reason-labels screen as the citizen sees it on the simulated terminal
(CPython, real pty, hub side from the protocol package): the status line,
the 其他 button, paging, and a label set the hub replaces.

What is checked is the text drawn (SimTerminal.texts()) and what the hub
receives."""

from tests.support.fw import shows
from tests.support.poll import wait
from simulator.shims import install

install()

from firmware.app.config import Config  # noqa: E402
from firmware.app.ui import Ui  # noqa: E402
from firmware.boards.sim import SimDisplay  # noqa: E402

UP, DOWN, TOGGLE, DONE, OTHER = range(5)
VERY_BAD = 4                    # the fifth button on the invitation: 非常不满意


def press(term, button, gap=300):
    frames = term.board.display.frames
    term.advance(gap)
    term.press(button)
    wait(lambda: term.board.display.frames != frames)


def to_labels(term, peer, eid):
    peer.invite(eid)
    wait(shows(term, "请您对本次服务进行评价"))
    term.advance(2000)
    term.press(VERY_BAD)
    wait(shows(term, "请选择非常不满意的原因"))


def status(term):
    """The status line under the list (y 193)."""
    return [d[2] for d in term.drawn() if d[1] == 193]


def test_done_without_a_reason_says_so_then_other_finishes_with_the_chosen(rig):
    term, peer = rig
    to_labels(term, peer, "u1")
    assert status(term) == ["可多选，至少选择一项"]
    press(term, DONE)                          # nothing chosen: stays, and says what to do
    assert "请选择非常不满意的原因" in term.texts()
    assert status(term) == ["请至少选择一项原因，或按“其他”"]
    press(term, TOGGLE)                        # the first label
    assert status(term) == ["已选 1 项"]
    press(term, OTHER)                         # 其他: the rating is finished at once
    wait(shows(term, "谢谢您的评价", "您的评价：非常不满意"))
    ev = peer.wait(lambda: peer.events.get(1))
    assert ev["lv"] == 1 and ev["lb"] == [108] and ev["oth"] is True


def test_cursor_pages_through_the_labels(rig):
    term, peer = rig
    to_labels(term, peer, "u2")
    assert "1/2" in term.texts()
    first_page = [d[2] for d in term.drawn() if d[0] == 36]
    for _ in range(8):                         # down past the last row of page 1
        press(term, DOWN)
        if "2/2" in term.texts():
            break
    assert "2/2" in term.texts()
    second_page = [d[2] for d in term.drawn() if d[0] == 36]
    assert second_page and not set(second_page) & set(first_page)
    press(term, UP)                            # and back
    assert "1/2" in term.texts()


def test_a_new_label_set_from_the_hub_is_shown_not_the_cached_pages(rig):
    term, peer = rig
    to_labels(term, peer, "u3")                # the national set's pages are cached
    press(term, TOGGLE)
    press(term, DONE)
    peer.wait(lambda: peer.events.get(1))
    wait(shows(term, "谢谢您的评价"))
    term.advance(4000)
    # Same version number and as many labels (a hub mistake), but three long
    # ones: two lines each, so page 1 holds 3 rows where the national set had 6.
    long = "办事材料已经提交过三次仍被要求重新提交"
    new = [[101 + i, (long if i < 3 else "新原因") + str(i)] for i in range(8)]
    peer.send({"t": "cfg", "ver": 2, "ls": {"v": 1, "l": new}})
    wait(lambda: term.terminal.config.ver == 2)
    to_labels(term, peer, "u4")
    rows = [d[2] for d in term.drawn() if d[0] == 36]
    assert "".join(rows) == "".join(t for _, t in new[:3]) and len(rows) == 6
    assert "1/2" in term.texts()
    press(term, TOGGLE)
    press(term, DONE)
    assert peer.wait(lambda: peer.events.get(2))["lb"] == [101]


def _ui(tmp_path):
    return Ui(SimDisplay(), Config(str(tmp_path)))


def test_ui_adapter_passes_other_and_hints_to_the_screen(tmp_path):
    ui = _ui(tmp_path)
    items = ui.config.labels_for(1)
    args = {"level": 1, "items": items, "cursor": 0, "chosen": [108, 109], "hint": None}
    ui.show("labels", dict(args, other=True), True)
    assert "已选 2 项，含其他原因" in ui.canvas.texts()
    ui.show("labels", args, True)
    assert "已选 2 项" in ui.canvas.texts()
    ui.show("labels", dict(args, chosen=[c for c, _ in items], hint="too_many"), True)
    assert "最多可选 8 项" in ui.canvas.texts()
