"""The firmware sends every journal record with a mid; the real hub's answer
names the record by seq and, since it names that one record, by re = its
mid too (PROTOCOL.md §3.1). The firmware matches journal answers by seq:
the re must not confuse it. The firmware on the simulated board against the
real hub over a pty (tests/support/fw.py real_hub), the downlink read as it
leaves the hub."""

import json

from protocol.session import split
from tests.firmware.test_serial_hub import hall  # noqa: F401 - the fixture
from tests.support.fw import invite_and_press, query
from tests.support.poll import wait


def test_an_ack_with_re_and_seq_empties_the_journal(hall):
    term = hall.term
    wait(lambda: "评价系统连接正常" in term.texts())
    conn = wait(lambda: hall.connection("T1"))
    sent, send = [], conn._send

    def spy(packet):              # what the hub writes to the line, unchanged
        sent.append(json.loads(split(packet)[0]))
        send(packet)
    conn._send = spy
    invite_and_press(hall, "C1", 0)
    wait(lambda: query(hall.db_path, "SELECT COUNT(*) FROM ratings") == 1)
    wait(lambda: term.journal_depth() == 0)
    acks = [m for m in sent if m["t"] == "ack" and m.get("seq") == 1]
    assert acks and isinstance(acks[0].get("re"), int), sent
    assert term.terminal.link.stats["acked"] == 1
