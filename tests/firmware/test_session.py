"""The firmware on the simulated board (CPython), over a real pty, against a hub
side built from the protocol package (simulator/terminal_hubpeer.py).

What is checked is what a citizen sees (the strings on screen) and what the
hub receives (ratings, timeouts, each stored once, in order). The terminal
and its hub side are the `rig` fixture (tests/firmware/conftest.py)."""

from tests.support.fw import shows
from tests.support.poll import wait


def presses(term, *buttons, gap=300):
    """Buttons pressed one after another, GAP ms of terminal time apart."""
    for b in buttons:
        term.advance(gap)
        term.press(b)


def test_scripted_session_invite_press_journal_ack(rig, tmp_path):
    term, peer = rig
    wait(shows(term, "评价系统连接正常"))
    peer.auto_ack = False
    peer.invite("e1", cs="2024-000123", mn="个体工商户设立登记")
    wait(shows(term, "请您对本次服务进行评价", "个体工商户设立登记", "2024-000123", "王芳"))
    term.png(str(tmp_path / "invitation.png"))
    term.advance(3000)                       # the citizen reads for 3 s
    term.press(1)                            # 满意
    wait(shows(term, "谢谢您的评价", "您的评价：满意"))
    ev = peer.wait(lambda: peer.events.get(1))
    assert ev["t"] == "rating" and ev["lv"] == 4 and ev["eid"] == "e1" and ev["org"] == "live"
    assert ev["dp"] >= 3000 and "ff" not in ev and ev["bt"] == 1
    assert term.journal_depth() == 1         # kept until the hub's ack
    peer.ack_all()
    wait(lambda: term.journal_depth() == 0)
    assert (tmp_path / "invitation.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    term.advance(3000)
    wait(shows(term, "暂无当班人员"))
    assert peer.deliveries == [(1, "live")]


def test_bad_rating_with_label_selection(rig):
    term, peer = rig
    peer.invite("e2")
    wait(shows(term, "请您对本次服务进行评价"))
    term.advance(2000)
    term.press(3)                            # 不满意
    wait(shows(term, "请选择不满意的原因", "没有提供材料样本"))
    presses(term, 3, 1, 2)                   # done with nothing chosen (stays), down, toggle 208
    wait(shows(term, "已选 1 项"))
    presses(term, 3)                         # done
    wait(shows(term, "谢谢您的评价"))
    ev = peer.wait(lambda: peer.events.get(1))
    assert ev["lv"] == 2 and ev["lb"] == [208] and "oth" not in ev
    wait(lambda: term.journal_depth() == 0)


def test_fast_press_is_flagged_and_delivered(rig):
    term, peer = rig
    peer.invite("e3")
    wait(shows(term, "请您对本次服务进行评价"))
    term.press(0)
    ev = peer.wait(lambda: peer.events.get(1))
    assert ev["ff"] == ["fast"] and ev["lv"] == 5


def test_no_press_reports_timeout(rig):
    term, peer = rig
    peer.invite("e4", to=10)
    wait(shows(term, "10秒"))
    term.advance(10500)
    ev = peer.wait(lambda: peer.events.get(1))
    assert ev["t"] == "timeout" and ev["eid"] == "e4"
    wait(shows(term, "暂无当班人员"))
    term.press(0)                            # nothing to rate now: ignored, counted
    wait(lambda: term.terminal.guard.ignored == 1)
    term.advance(31000)                      # next heartbeat
    hb = peer.wait(lambda: peer.heartbeats and peer.heartbeats[-1].get("ign") and peer.heartbeats[-1])
    assert hb["ign"] == 1 and hb["jd"] == 0 and hb["pr"] == "ok" and hb["scr"] == "idle"


def test_cancel_from_the_hub(rig):
    term, peer = rig
    peer.invite("e5")
    wait(shows(term, "请您对本次服务进行评价"))
    term.advance(1000)
    term.press(4)
    wait(shows(term, "请选择非常不满意的原因"))
    mid = peer.send({"t": "cancel", "eid": "e5"})
    wait(shows(term, "暂无当班人员"))
    peer.wait(lambda: mid in peer.acks)
    term.press(3)
    term.advance(100000)
    term.press(0)
    import time
    time.sleep(0.3)
    assert peer.events == {}


def three_unacked_ratings(term, peer, prefix, buttons):
    """Three invitations rated with BUTTONS while the hub answers nothing:
    three records wait in the journal."""
    peer.auto_ack = False
    for i, button in enumerate(buttons):
        peer.invite("%s%d" % (prefix, i))
        wait(shows(term, "请您对本次服务进行评价"))
        term.advance(1000)
        term.press(button)
        wait(shows(term, "谢谢您的评价"))
        term.advance(4000)
        wait(shows(term, "暂无当班人员"))
    peer.wait(lambda: len(peer.events) == 3)
    assert term.journal_depth() == 3


def test_reboot_with_unacknowledged_ratings_delivers_each_once(rig):
    term, peer = rig
    three_unacked_ratings(term, peer, "r", buttons=(2, 2, 2))
    term.reboot()                            # power cut: nothing acked yet
    peer.auto_ack = True
    wait(lambda: term.terminal.boot == 2 and term.journal_depth() == 0)
    assert sorted(peer.events) == [1, 2, 3]
    replays = [d for d in peer.deliveries if d[1] == "replay"]
    assert replays == [(1, "replay"), (2, "replay"), (3, "replay")]
    assert [e["bt"] for e in peer.events.values()] == [1, 1, 1]


def test_one_ack_naming_several_records_empties_the_journal(rig):
    """The hub answers a group commit with one ack per terminal: seq plus
    `more`. Every record it names leaves the journal, and none is sent again."""
    term, peer = rig
    three_unacked_ratings(term, peer, "m", buttons=(0, 1, 2))   # 非常满意, 满意, 基本满意
    assert peer.ack_all() == 1               # {"t":"ack","seq":1,"more":[2,3]}
    wait(lambda: term.journal_depth() == 0)
    term.advance(120000)                     # long past any resend timeout
    term.advance(1000)
    assert peer.deliveries == [(1, "live"), (2, "live"), (3, "live")]


def test_link_drop_and_hub_restart_lose_nothing_and_double_nothing(rig):
    term, peer = rig
    peer.invite("d1")
    wait(shows(term, "请您对本次服务进行评价"))
    term.unplug()                            # cable out while the citizen presses
    term.advance(1000)
    term.press(0)
    wait(shows(term, "谢谢您的评价"))
    assert term.journal_depth() == 1
    import time
    time.sleep(0.5)
    term.plug()
    peer.wait(lambda: 1 in peer.events)
    wait(lambda: term.journal_depth() == 0)
    peer.auto_ack = False
    peer.invite("d2")
    wait(shows(term, "请您对本次服务进行评价"))
    term.advance(1000)
    term.press(4)
    wait(shows(term, "请选择非常不满意的原因"))
    term.advance(500)
    term.press(4)                            # other
    peer.wait(lambda: 2 in peer.events)
    peer.restart()                           # hub killed before its commit
    peer.auto_ack = True
    wait(lambda: term.journal_depth() == 0)
    assert sorted(peer.events) == [1, 2]
    assert peer.events[2]["oth"] is True
    seqs = [s for s, _ in peer.deliveries]
    assert seqs.count(1) == 1 and seqs.count(2) == 2   # resent once after the restart


def test_config_and_time_from_the_hub_persist_and_apply(rig):
    term, peer = rig
    labels = {"v": 7, "l": [[207, "没有提供材料样本"], [213, "窗口人员业务不熟练"]]}
    mid = peer.send({"t": "cfg", "ver": 3, "hall": "高新区政务服务中心", "win": "B12", "ls": labels,
                     "tmo": {"thanks": 5}, "bri": 40})
    peer.wait(lambda: mid in peer.acks)
    wait(shows(term, "高新区政务服务中心", "B12号窗口"))
    assert term.board.display.brightness == 40
    peer.send({"t": "time", "now": 1763890000000})
    peer.invite("c1")
    wait(shows(term, "请您对本次服务进行评价"))
    term.advance(1500)
    term.press(3)
    wait(shows(term, "窗口人员业务不熟练"))
    presses(term, 1, 2, 3)                   # down to 213, toggle, done
    ev = peer.wait(lambda: peer.events.get(1))
    assert ev["lb"] == [213] and ev["lsv"] == 7
    assert 1763890000000 < ev["dt"] < 1763890000000 + 60000
    term.reboot()                            # config is kept on flash; time is not
    peer.wait(lambda: len(peer.hellos) == 2)
    assert peer.hellos[1]["cv"] == 3
    wait(shows(term, "高新区政务服务中心"))


def test_watchdog_is_fed_only_while_the_tasks_run(rig):
    term, _peer = rig
    wdt = term.board.wdt
    n = wdt.feeds
    wait(lambda: wdt.feeds > n + 3)
    assert not wdt.expired()
    term.stop()                              # power the tasks off, then run them by hand
    t = term.terminal
    now = term.board.ticks_ms() + 3000
    t.link_step(now)
    n = wdt.feeds
    t.house_step(now)                        # the ui task is 3 s late: no feed
    assert wdt.feeds == n
    t.ui_step(now)
    t.house_step(now)                        # both ran: fed
    assert wdt.feeds == n + 1
    term.board.advance(9000)                 # and nobody feeds it any more
    assert wdt.expired()


def rate_one(term, peer, eid, button=0):
    peer.invite(eid)
    wait(shows(term, "请您对本次服务进行评价"))
    presses(term, button, gap=1000)
    wait(shows(term, "谢谢您的评价"))


def test_nacks_from_the_hub(rig):
    term, peer = rig
    peer.auto_ack = False
    rate_one(term, peer, "n1")
    peer.wait(lambda: 1 in peer.events)
    peer.send({"t": "nack", "seq": 1, "code": "busy"})          # try again later: kept
    peer.wait(lambda: [s for s, _ in peer.deliveries].count(1) == 2, 15)
    assert term.journal_depth() == 1
    peer.send({"t": "nack", "seq": 1, "code": "not_invited", "perm": True})   # refused for good
    wait(lambda: term.journal_depth() == 0)
    assert term.terminal.link.stats["refused"] == 1
    sessions = peer.sessions
    peer.lose_session()                      # the hub forgot us: the next packet is refused
    term.advance(31000)                      # the heartbeat is that packet
    peer.wait(lambda: peer.sessions == sessions + 1)
    peer.auto_ack = True
    rate_one(term, peer, "n2")               # and the new session carries ratings
    wait(lambda: term.journal_depth() == 0)
    assert 2 in peer.events


def test_duty_print_and_reboot_from_the_hub(rig):
    term, peer = rig
    mid = peer.send({"t": "duty", "st": "on", "win": "A01", "stf": "1001", "stn": "王芳"})
    wait(shows(term, "当班工作人员", "王芳", "工号 1001"))
    peer.send({"t": "duty", "st": "pause"})
    wait(shows(term, "窗口暂停服务"))
    peer.wait(lambda: mid in peer.acks)
    mid = peer.send({"t": "print", "title": "评价二维码", "lines": ["办件流水号 CS-1"],
                     "qr": "https://pj.example.cn/r/abc"})
    peer.wait(lambda: mid in peer.acks)
    data = bytes(term.board.printer.data)
    assert "评价二维码".encode() in data and b"https://pj.example.cn/r/abc" in data
    assert b"\x1d(k" in data and data.endswith(b"\x1dV\x42\x00")
    term.board.printer.status = "paper_out"
    mid = peer.send({"t": "print", "title": "评价二维码"})
    peer.wait(lambda: any(n.get("re") == mid and n["code"] == "paper_out"
                          for n in peer.nacks if isinstance(n, dict)))
    mid = peer.send({"t": "reboot", "why": "update"})
    peer.wait(lambda: mid in peer.acks)
    wait(lambda: term.boots == 2 and term.terminal.boot == 2)
    peer.wait(lambda: len(peer.hellos) == 2)
