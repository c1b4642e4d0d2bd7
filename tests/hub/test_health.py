"""The `ingest` part of /api/v1/health follows the group-commit writer: a
write that fails (here SQLite's own "database or disk is full", made real by
capping the file's pages) turns it degraded with the error and what to do,
it recovers once writes succeed again, and a stopped writer is down."""

import time

import pytest

from hub import config
from hub.api.context import HubContext
from hub.app_parts import start_ingest
from hub.services import journal, terminals
from hub.store import open_db


def wait_state(part, state, says="", timeout=10):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if part.state == state and says in part.detail:
            return part.detail
        time.sleep(0.05)
    raise AssertionError("ingest stayed %s (%s), expected %s" % (part.state, part.detail, state))


@pytest.fixture
def hub(tmp_path):
    cfg = config.load(env={}, cwd=str(tmp_path), data_dir=str(tmp_path / "data"))
    config.ensure_data_dir(cfg)
    db = open_db(cfg.db_path)
    terminals.provision(db, "T1", "A01")
    db.conn.close()
    ctx = HubContext(cfg)
    ingest = start_ingest(cfg, ctx)
    ingest.health.hold_s = 1.5
    yield ingest, ctx.component("ingest")
    ingest.stop()


def rating(seq):
    return {"t": "rating", "seq": seq, "eid": "e%d" % seq, "cs": "C%d" % seq, "lv": 5,
            "dp": 3000, "mt": 10000 * seq, "org": "live"}


def fill_the_disk(writer, device):
    """Cap the database at its current size and store ratings until SQLite says full."""
    pages = writer.call(lambda db: db.execute("PRAGMA page_count").fetchone()[0])
    writer.call(lambda db: db.execute("PRAGMA max_page_count = %d" % pages))
    with pytest.raises(Exception, match="full"):
        for seq in range(1, 200):
            writer.call(lambda db, s=seq: journal.record_rating(db, device, rating(s)))


def test_a_full_disk_makes_the_ingest_degraded_and_it_recovers(hub):
    ingest, part = hub
    writer = ingest.writer
    wait_state(part, "ok", "writes committed")
    fill_the_disk(writer, "T1")
    detail = wait_state(part, "degraded")
    assert "database or disk is full" in detail and "disk space" in detail
    writer.call(lambda db: db.execute("PRAGMA max_page_count = 1073741823"))
    writer.call(lambda db: journal.record_rating(db, "T1", rating(500)))
    wait_state(part, "ok", "writes committed")


def test_a_stopped_writer_is_down(hub):
    ingest, part = hub
    wait_state(part, "ok", "writes committed")
    ingest.writer.stop()
    assert "restart the hub" in wait_state(part, "down")
