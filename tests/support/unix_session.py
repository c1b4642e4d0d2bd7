"""A whole terminal session on the Unix port against the real hub, over the serial cable.

    with real_hub(tmp, lambda key: UnixTerminal("T1", key, flash, heap=CAP, tree=mpy)) as hall:
        whole_session(hall)

Invitation and a good rating; a bad rating with a reason label; an
invitation left to time out; one cancelled by the hub; a rating owed when
the terminal loses power (the hub stored it, its ack never came back),
replayed after the reboot and stored once. Config push and OTA are not in
it: the firmware has neither yet (issue 14, items 2 and 3).
mqtt_session: the same over Wi-Fi, the firmware's own MQTT client through a
real mosquitto (with tests/support/fw.real_hub_mqtt). Used by
tests/firmware/test_unix_port_session.py, test_unix_port_mqtt.py and
bench/unix_port_heap.py
(which runs it at ever smaller heap caps): any failure raises.
"""

from hub.services import invitations
from tests.support.fw import invite, invite_and_press, query, shows
from tests.support.poll import wait

IDLE_ONLINE = "评价系统连接正常"


def _counts(hall):
    """{case serial: how many ratings the hub stored for it}."""
    import sqlite3
    conn = sqlite3.connect(hall.db_path)
    try:
        return dict(conn.execute("SELECT case_serial, COUNT(*) FROM ratings GROUP BY case_serial"))
    finally:
        conn.close()


def whole_session(hall):
    term = hall.term
    wait(shows(term, IDLE_ONLINE), what="the terminal online")

    invite_and_press(hall, "S1", 0)                         # 非常满意
    wait(lambda: query(hall.db_path, "SELECT COUNT(*) FROM ratings WHERE level = 5") == 1,
         what="the good rating stored")
    wait(lambda: term.journal_depth() == 0, what="the good rating acked")

    term.advance(4000)
    invite_and_press(hall, "S2", 4)                         # 非常不满意
    wait(shows(term, "请选择非常不满意的原因"), what="the reason labels")
    term.advance(300)
    term.press(2)
    wait(shows(term, "已选 1 项"), what="one label chosen")
    term.advance(300)
    term.press(3)                                           # 完成
    wait(lambda: query(hall.db_path, "SELECT COUNT(*) FROM ratings WHERE level = 1 "
                               "AND labels = '[108]'") == 1,
         what="the bad rating stored with its label")

    term.advance(4000)
    invite(hall, "S3")
    inv = invitations.query(hall.db, case_serial="S3")[0]
    wait(lambda: "S3" in term.texts(), what="invitation S3 shown")
    term.advance(invitations.DEFAULT_TIMEOUT_S * 1000 + 1000)
    wait(lambda: query(hall.db_path, "SELECT COUNT(*) FROM timeouts WHERE case_serial = 'S3'") == 1,
         what="the timeout reported")
    wait(lambda: invitations.get(hall.db, inv["eid"])["state"] == "timed_out",
         what="S3 timed out at the hub")

    term.advance(4000)
    invite(hall, "S4")
    inv = invitations.query(hall.db, case_serial="S4")[0]
    wait(lambda: "S4" in term.texts(), what="invitation S4 shown")
    invitations.cancel(hall.db, inv["eid"], why="办事人离开")
    hall.notify()
    wait(lambda: "S4" not in term.texts() and IDLE_ONLINE in term.texts(),
         what="the cancelled invitation gone")

    term.advance(4000)
    invite(hall, "S5")
    wait(lambda: "S5" in term.texts(), what="invitation S5 shown")
    term.cable.cut("down")                                  # the hub's acks are lost
    term.advance(2000)
    term.press(1)                                           # 满意
    wait(shows(term, "谢谢您的评价"), what="thanks for S5")
    wait(lambda: _counts(hall).get("S5") == 1, what="S5 stored by the hub")
    assert term.journal_depth() == 1, "S5 must stay owed: its ack was cut"
    term.reboot()                                           # power cut, the rating owed
    st = term.state()
    assert st["boot"] == 2 and st["depth"] == 1, st
    term.plug()
    wait(lambda: term.journal_depth() == 0, what="S5 replayed and acked", timeout=30)
    term.reboot()                                           # and again: nothing left to send
    wait(shows(term, IDLE_ONLINE), what="online after the second reboot")
    assert term.journal_depth() == 0
    counts = _counts(hall)
    assert counts == {"S1": 1, "S2": 1, "S5": 1}, counts
    assert query(hall.db_path, "SELECT COUNT(*) FROM timeouts") == 1
    assert term.crashed is None, term.crashed


def mqtt_session(hall):
    """Good and bad (labelled) ratings over MQTT; the broker goes away, a rating is
    journaled, the power is cut; broker and terminal come back, the rating is
    replayed and stored once."""
    term = hall.term
    wait(shows(term, IDLE_ONLINE), what="the terminal online over MQTT")
    invite_and_press(hall, "M1", 1)
    wait(lambda: query(hall.db_path, "SELECT COUNT(*) FROM ratings") == 1, what="M1 stored")
    wait(lambda: term.journal_depth() == 0, what="M1 acked")

    term.advance(4000)
    invite_and_press(hall, "M2", 4)
    wait(shows(term, "请选择非常不满意的原因"), what="the reason labels")
    term.advance(300)
    term.press(2)
    term.advance(300)
    term.press(3)
    wait(lambda: query(hall.db_path, "SELECT COUNT(*) FROM ratings WHERE level = 1 "
                                     "AND labels = '[108]'") == 1, what="M2 stored with its label")

    term.advance(4000)
    invite(hall, "M3")
    wait(lambda: "M3" in term.texts(), what="M3 shown")
    hall.broker.stop()                                      # the broker goes away
    wait(shows(term, "离线"), what="the terminal offline")
    term.advance(2000)
    term.press(0)
    wait(shows(term, "谢谢您的评价"), what="thanks for M3")
    assert term.journal_depth() == 1
    term.kill()                                             # power cut, the rating owed
    hall.broker.start()
    term.start()                                            # same flash: replays its journal
    wait(lambda: term.journal_depth() == 0, what="M3 replayed and acked", timeout=30)
    counts = _counts(hall)
    assert counts == {"M1": 1, "M2": 1, "M3": 1}, counts
    assert term.crashed is None, term.crashed
