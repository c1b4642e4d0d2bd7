"""Helpers shared by the firmware tests (tests/firmware/)."""

import contextlib
import os
import sqlite3

from tests.support.poll import wait


def shows(term, *texts):
    """A condition for wait(): TERM shows every one of TEXTS on its screen."""
    return lambda: all(t in term.texts() for t in texts)


def query(db_path, sql):
    """First column of the first row of SQL on the hub's database."""
    conn = sqlite3.connect(db_path)
    try:
        return conn.execute(sql).fetchone()[0]
    finally:
        conn.close()


@contextlib.contextmanager
def real_hub(tmp_path, make_terminal):
    """The real hub (ingest + serial manager, SQLite) with terminal T1 of window
    A01 provisioned; make_terminal(key) -> a terminal with a `port` (its pty).
    The hub finds the port through a ttyUSB-like link, as udev names a USB
    adapter. Yields the Ingest with .db and .term set."""
    from hub.ingest import Ingest
    from hub.services import terminals
    from hub.store import open_db
    from hub.transports.serial_manager import SerialManager

    path = str(tmp_path / "hub.db")
    db = open_db(path)
    key = bytes.fromhex(terminals.provision(db, "T1", "A01"))
    ingest = Ingest(path, hall="政务服务大厅")
    ingest.start()
    try:
        term = make_terminal(key)
    except BaseException:       # a terminal that failed to boot must not leave the hub running
        ingest.stop()
        db.conn.close()
        raise
    os.symlink(term.port, str(tmp_path / "ttyUSB0"))
    mgr = SerialManager(ingest, discover=[str(tmp_path / "ttyUSB*")], rescan_s=0.2,
                        backoff_min=0.05, backoff_max=0.2).start()
    ingest.db, ingest.term = db, term
    try:
        yield ingest
    finally:
        term.close()
        mgr.stop()
        ingest.stop()
        db.conn.close()


@contextlib.contextmanager
def real_hub_mqtt(tmp_path, broker, make_terminal, hall_name="hall-1"):
    """The real hub on MQTT (ingest + MqttLink, SQLite) through BROKER (a running
    simulator.broker.MosquittoBroker) with T1 of window A01 provisioned;
    make_terminal(key, mqtt) -> a terminal, MQTT being (hall, host, port, user,
    password) with T1's own broker login. Yields the Ingest with .db, .term and
    .broker set."""
    from hub.ingest import Ingest
    from hub.services import terminals
    from hub.store import open_db
    from hub.transports.mqtt_link import MqttLink

    path = str(tmp_path / "hub.db")
    db = open_db(path)
    key = bytes.fromhex(terminals.provision(db, "T1", "A01"))
    ingest = Ingest(path, hall=hall_name)
    ingest.start()
    link = MqttLink(ingest, hall_name, broker.host, broker.port, **broker.hub_login(hall_name),
                    client_id="hub-test", retry_s=0.5)
    link.start()
    try:
        assert link.wait_connected(10), "the hub did not reach the broker"
        term = make_terminal(key, (hall_name, broker.host, broker.port, "T1",
                                   broker.terminal_login(hall_name, "T1")["password"]))
        ingest.db, ingest.term, ingest.broker = db, term, broker
        try:
            yield ingest
        finally:
            term.close()
    finally:
        link.stop()
        ingest.stop()
        db.conn.close()


def invite(hall, cs, matter="社会保障卡补办", staff="王五"):
    from hub.services import invitations
    inv = invitations.create(hall.db, "A01", cs, "M1", matter, staff_id="S1", staff_name=staff)
    hall.notify()
    return inv


def invite_and_press(hall, cs, button, read_ms=2000, **kw):
    """The hub invites case CS; once the terminal shows it, the citizen reads
    for READ_MS and presses BUTTON."""
    invite(hall, cs, **kw)
    wait(lambda: cs in hall.term.texts())
    hall.term.advance(read_ms)
    hall.term.press(button)
