"""Why is it offline? The last problem of every device id, known or not, in
`pingjia terminals show`, `pingjia terminals problems` and the API.

Real parts: a pty opened by the hub's serial transport with a protocol peer
on it (tests/support/hub_peer.py), the ingest and its SQLite file, the API
in-process, the CLI as a subprocess."""

import logging
import os

import pytest

from hub.ingest import Ingest
from hub.ingest.problems import LOG_BURST, MAX_PENDING
from hub.services import problems, terminals
from hub.transports.serial_manager import SerialManager
from protocol.errors import ProtocolError
from tests.hub.test_serial import Line, serial_terminal
from tests.support.api import Api, make_config, pingjia
from tests.support.hub_peer import Terminal, committed
from tests.support.poll import wait

pytestmark = pytest.mark.anyio


@pytest.fixture
def hub(tmp_path):
    cfg = make_config(tmp_path, '[broker]\nenabled = false\n')
    ingest = Ingest(cfg.db_path, hall="问题大厅")
    ingest.start()
    api = Api(cfg, ingest=ingest)
    api.db_call(terminals.provision, "T1", "1")
    api.conf = str(tmp_path / "hub.toml")
    yield api, ingest
    ingest.stop()


def cli(api, *args):
    r = pingjia(*args, "--config", api.conf)
    assert r.returncode == 0, r.stderr
    return r.stdout


async def test_a_wrong_key_is_named_after_one_hello(hub, tmp_path, caplog):
    caplog.set_level(logging.WARNING, "hub.ingest")
    api, ingest = hub
    line = Line(str(tmp_path), "ttyUSB0")
    mgr = SerialManager(ingest, ports=[line.path], rescan_s=60, backoff_min=0.05).start()
    bad = serial_terminal(line, "T1", os.urandom(32))      # not the key the hub holds
    try:
        with pytest.raises(ProtocolError):                  # it cannot verify the hub's proof
            bad.handshake(timeout=10)                        # and stays silent, as firmware does
        hello_at = ingest.now_ms()
        got = wait(lambda: api.db_call(terminals.get, "T1")["problem"], 10, "a problem")
        assert got["code"] == "auth_failed" and got["at"] >= hello_at - 1000
        assert "pingjia terminals rekey T1" in got["detail"]

        r = await api.client.get("/api/v1/terminals/T1")
        p = r.json()["problem"]
        assert p["code"] == "auth_failed" and p["at"] and "wrong key" in p["message"]
        listed = (await api.client.get("/api/v1/terminals")).json()["items"]
        assert listed[0]["problem"]["code"] == "auth_failed"

        out = cli(api, "terminals", "show", "T1")
        assert "auth_failed 密钥不符" in out and "problem_at" in out and "rekey T1" in out
        assert "auth_failed=1" in out                        # and its error counter
        assert "auth_failed" in cli(api, "terminals")

        for _ in range(3):                                   # it keeps trying: logged once a minute
            with pytest.raises(ProtocolError):
                bad.handshake(timeout=10)
        wait(lambda: api.db_call(terminals.get, "T1")["problem"]["count"] >= 2, 15, "counted")
        said = [r for r in caplog.records if "auth_failed" in r.getMessage()]
        assert len(said) == 1 and said[0].levelno == logging.WARNING
        assert "T1" in said[0].getMessage() and "serial:" in said[0].getMessage()
    finally:
        bad.link.stop()
        mgr.stop()


async def test_an_impostor_skipping_the_proof_is_auth_failed_at_once(hub):
    api, ingest = hub
    t = Terminal.direct(ingest, "T1", os.urandom(32))
    assert t.forged_handshake()["code"] == "auth_failed"
    wait(lambda: api.db_call(terminals.get, "T1")["problem"], 5, "a problem")
    assert "auth does not verify" in api.db_call(terminals.get, "T1")["problem"]["detail"]


async def test_an_unknown_device_is_listed_in_terminals_problems(hub):
    api, ingest = hub
    t = Terminal.direct(ingest, "T-NEW-7", os.urandom(32))
    assert t.handshake()["code"] == "unknown_device"
    wait(lambda: api.db_call(problems.last, "T-NEW-7"), 5, "the problem stored")
    out = cli(api, "terminals", "problems")
    row = [line for line in out.splitlines() if "T-NEW-7" in line]
    assert row and "unknown_device" in row[0] and "否 no" in row[0], out
    assert "pingjia terminals provision T-NEW-7" in row[0]
    r = await api.client.get("/api/v1/terminals/T-NEW-7")
    assert r.status_code == 404                               # not a terminal of this hub


async def test_a_flood_of_made_up_ids_stays_bounded(hub, caplog):
    caplog.set_level(logging.WARNING, "hub.ingest")
    api, ingest = hub
    for i in range(10000):
        Terminal.direct(ingest, "FAKE-%05d" % i, bytes(32)).out(_hello("FAKE-%05d" % i))
        assert len(ingest.problems._pending) <= MAX_PENDING
    ingest._flush_counters()
    ingest.writer.call(lambda db: None)                       # the flush is committed
    rows = committed(ingest.db_path, "SELECT COUNT(*) FROM device_problems")[0][0]
    assert rows <= problems.MAX_UNKNOWN
    assert api.db_call(problems.recent, 1)[0]["code"] == "unknown_device"
    assert len(ingest.unknown_devices) <= 257
    said = [r for r in caplog.records if "unknown_device" in r.getMessage()]
    assert len(said) <= LOG_BURST + 1, len(said)
    # A real terminal's problem still gets through after the flood.
    t = Terminal.direct(ingest, "T1", os.urandom(32))
    t.forged_handshake()
    wait(lambda: (api.db_call(terminals.get, "T1")["problem"] or {}).get("code") == "auth_failed",
         5, "T1's problem after the flood")


def _hello(dev):
    from protocol.session import TerminalHandshake
    return TerminalHandshake(dev, bytes(32), os.urandom(8), {"fw": "1", "board": "x", "jd": 0,
                                                              "caps": []}).hello(1)


async def test_a_noisy_serial_line_is_a_link_errors_problem(hub, tmp_path):
    api, ingest = hub
    line = Line(str(tmp_path), "ttyUSB0")
    mgr = SerialManager(ingest, ports=[line.path], rescan_s=60, backoff_min=0.05,
                        link_report_s=0.3).start()
    try:
        wait(lambda: mgr.status().get(line.path, {}).get("state") == "open", 10, "port open")
        for _ in range(5):                                  # noise: frames that are no frames
            os.write(line.master, b"\x05\xff\xfe\xfd\xfc\x00")
        got = wait(lambda: api.db_call(problems.last, "serial:" + line.path), 10, "link_errors")
        assert got["code"] == "link_errors" and "cable" in got["detail"]
        assert mgr.status()[line.path]["bad_frames"] + mgr.status()[line.path]["bad_crc"] >= 5
    finally:
        mgr.stop()


async def test_printer_out_of_paper_and_a_skewed_clock_are_problems(hub):
    api, ingest = hub
    key = api.db_call(terminals.rekey, "T1")
    t = Terminal.direct(ingest, "T1", key)
    assert t.handshake()["t"] == "ack"
    t.send({"t": "hb", "up": 5, "heap": 40000, "jd": 0, "pr": "paper_out"})
    got = wait(lambda: api.db_call(terminals.get, "T1")["problem"], 5, "printer_fault")
    assert got["code"] == "printer_fault" and "paper" in got["detail"]
    t.rating("e-none", "CS-1", dt=ingest.now_ms() + 3600 * 1000)   # an hour ahead
    wait(lambda: api.db_call(terminals.get, "T1")["problem"]["code"] == "clock_skew", 5,
         "clock_skew")
    assert "60 min ahead" in api.db_call(terminals.get, "T1")["problem"]["detail"]
