"""Webhooks: the signature a receiver checks, the delivery thread against a
real HTTP receiver on 127.0.0.1 (2xx delivers; 5xx, 4xx and timeouts are
retried; a delivery that kept failing is parked and can be replayed), the
receiver's address rule, and the hall-IT commands."""

import hashlib
import hmac
import re
import time

import pytest

from hub import halltime
from hub.errors import HubError
from hub.services import invitations, terminals, webhooks
from hub.services.tokens import TokenStore
from hub.store import open_db
from hub.webhooks import signing
from hub.webhooks.dispatcher import Dispatcher
from tests.support.api import make_config, pingjia
from tests.support.poll import wait
from tests.support.webhook_receiver import Receiver

ALLOW = ["127.0.0.0/8"]


# -- the signature -------------------------------------------------------------------

def test_signature_is_hmac_sha256_over_timestamp_dot_body_as_documented():
    body = '{"id":1,"type":"invitation.rated"}'.encode()
    sig = signing.signature("whsec_k", 1718072100, body)
    # What docs/HUB.md tells a receiver to compute, written out by hand:
    expected = hmac.new(b"whsec_k", b"1718072100." + body, hashlib.sha256).hexdigest()
    assert sig == "v1=" + expected
    assert signing.verify("whsec_k", "1718072100", body, sig)
    assert not signing.verify("whsec_other", "1718072100", body, sig)
    assert not signing.verify("whsec_k", "1718072101", body, sig)        # timestamp is signed
    assert not signing.verify("whsec_k", "1718072100", body + b" ", sig)
    assert not signing.verify("whsec_k", "1718072100", body, sig, now=1718072100 + 301)
    assert not signing.verify("whsec_k", "x", body, sig)


# -- the receiver's address ------------------------------------------------------------

@pytest.mark.parametrize("url, words", [
    ("ftp://127.0.0.1/x", "http://"), ("127.0.0.1:8080", "http://"),
    ("http://user:pw@127.0.0.1/", "no user"), ("http://203.0.113.7/hook", "not on a network"),
    ("http://127.0.0.1:99999/", "port")])
def test_a_url_outside_the_rule_is_refused_naming_url(url, words):
    with pytest.raises(HubError) as e:
        webhooks.check_url(url, ALLOW)
    assert e.value.field == "url" and words in e.value.message


def test_loopback_by_address_and_by_name_is_allowed():
    assert webhooks.check_url("http://127.0.0.1:8080/hook", ALLOW)
    assert webhooks.check_url("https://localhost/hook", ["127.0.0.0/8", "::1"])


# -- the delivery thread -------------------------------------------------------------

@pytest.fixture
def setup(tmp_path):
    db = open_db(str(tmp_path / "hub.sqlite3"))
    terminals.provision(db, "T1", "1")
    yield db, str(tmp_path / "hub.sqlite3")
    db.close()


def create(db, n, client="queue-system", start=0):
    return [invitations.create(db, "1", "C%d" % i, "M", "事项", staff_id="S", staff_name="张",
                               client=client)["eid"] for i in range(start, start + n)]


def dispatcher(path, **kw):
    kw.setdefault("poll_s", 0.05)
    kw.setdefault("base_s", 0.05)
    kw.setdefault("cap_s", 0.2)
    return Dispatcher(path, halltime.zone_of(480), ALLOW, timeout_s=kw.pop("timeout_s", 2), **kw)


def test_delivered_signed_once_each_and_only_events_after_the_subscription(setup):
    db, path = setup
    create(db, 1, start=100)                              # before the webhook: not sent
    rx = Receiver()
    _sub, rx.secret = webhooks.set_subscription(db, "queue-system", rx.url)
    eids = create(db, 3)
    create(db, 1, client="other-system", start=200)       # scope own: not sent
    d = dispatcher(path).start()
    try:
        wait(lambda: len(rx.delivered()) == 3, 10, "three deliveries")
        time.sleep(0.3)
        got = rx.delivered()
        assert len(got) == 3 and all(g["verified"] for g in got)
        assert [g["body"]["invitation"]["id"] for g in got] == eids
        for g in got:
            h = g["headers"]
            assert h[signing.EVENT_ID] == str(g["body"]["id"])
            assert h[signing.EVENT_TYPE] == g["body"]["type"] == "invitation.created"
            assert abs(int(h[signing.TIMESTAMP]) - time.time()) < 30
        assert {r["state"] for r in webhooks.deliveries(db)} == {"delivered"}
    finally:
        d.stop()
        rx.close()


@pytest.mark.parametrize("answer", [500, 404, "slow"])
def test_failures_are_retried_until_2xx(setup, answer):
    db, path = setup
    tries = []

    def fail(req):
        tries.append(req)
        if len(tries) <= 2:
            if answer == "slow":
                time.sleep(1.5)          # longer than the dispatcher's timeout
                return None
            return answer
        return None
    rx = Receiver(fail=fail)
    _s, rx.secret = webhooks.set_subscription(db, "queue-system", rx.url)
    eid, = create(db, 1)
    d = dispatcher(path, timeout_s=0.5).start()
    try:
        wait(lambda: any(r["state"] == "delivered" for r in webhooks.deliveries(db)), 15,
             "delivered after retries")
        row, = webhooks.deliveries(db)
        assert row["attempts"] == 3 and row["last_status"] == 200
        ids = {t["headers"][signing.EVENT_ID] for t in tries}
        assert len(ids) == 1                         # the same event each time
        assert all(t["body"]["invitation"]["id"] == eid for t in tries)
    finally:
        d.stop()
        rx.close()


def test_a_receiver_that_keeps_failing_is_parked_then_replayed(setup):
    db, path = setup
    broken = [True]
    rx = Receiver(fail=lambda req: 503 if broken[0] else None)
    _s, rx.secret = webhooks.set_subscription(db, "queue-system", rx.url)
    create(db, 2)
    d = dispatcher(path, give_up_s=0.5).start()
    try:
        wait(lambda: [r["state"] for r in webhooks.deliveries(db)] == ["failed", "failed"], 15,
             "parked as failed")
        assert d.failing["queue-system"][1] == "HTTP 503"
        first, second = sorted(webhooks.deliveries(db), key=lambda r: r["id"])
        assert first["last_error"] == "HTTP 503"
        # Tried too, or held back behind the first: either way it says why.
        assert second["last_error"] in ("HTTP 503", "not sent: the receiver was failing on "
                                                    "earlier deliveries")
        broken[0] = False
        assert webhooks.replay(db) == 2
        wait(lambda: [r["state"] for r in webhooks.deliveries(db)] == ["delivered"] * 2, 15,
             "delivered after replay")
        assert len(rx.delivered()) == 2 and "queue-system" not in d.failing
    finally:
        d.stop()
        rx.close()


def test_a_delivery_cut_off_in_flight_is_sent_again(setup):
    db, path = setup
    rx = Receiver()
    _s, rx.secret = webhooks.set_subscription(db, "queue-system", rx.url)
    create(db, 1)
    webhooks.fan_out(db)
    row, = webhooks.due(db)
    webhooks.mark_sending(db, [row["id"]])         # the hub died during the call
    d = dispatcher(path).start()
    try:
        wait(lambda: len(rx.delivered()) == 1, 10, "sent again")
        assert webhooks.deliveries(db)[0]["attempts"] == 2
    finally:
        d.stop()
        rx.close()


# -- the commands ---------------------------------------------------------------------

def test_webhooks_commands(tmp_path):
    cfg = make_config(tmp_path)
    conf = ["--config", str(tmp_path / "hub.toml")]
    r = pingjia("webhooks", "set", "queue-system", "http://127.0.0.1:9/x", *conf)
    assert r.returncode == 3 and "pingjia token create queue-system" in r.stderr
    TokenStore(cfg.tokens_path).create("queue-system")
    r = pingjia("webhooks", "set", "queue-system", "http://203.0.113.7/x", *conf)
    assert r.returncode == 2 and "[webhooks] allow" in r.stderr
    r = pingjia("webhooks", "set", "queue-system", "http://127.0.0.1:9/x", "--events", "boom", *conf)
    assert r.returncode == 2 and "--events" in r.stderr
    r = pingjia("webhooks", "set", "queue-system", "http://127.0.0.1:9/x", "--events",
                "rated,timed_out", *conf)
    assert r.returncode == 0, r.stderr
    secret = r.stdout.strip()
    assert re.fullmatch(r"whsec_[A-Za-z0-9_-]{40,}", secret) and "not shown again" in r.stderr
    r = pingjia("webhooks", "set", "queue-system", "http://127.0.0.1:10/y", *conf)
    assert r.returncode == 0 and secret not in r.stdout and "secret unchanged" in r.stdout
    r = pingjia("webhooks", "list", *conf)
    assert r.returncode == 0 and "http://127.0.0.1:10/y" in r.stdout and secret not in r.stdout
    db = open_db(cfg.db_path)
    try:
        terminals.provision(db, "T1", "1")
        create(db, 2)
        webhooks.fan_out(db)
        first = webhooks.due(db)[0]["id"]
        webhooks.give_up(db, -1)                     # as if a day had passed
    finally:
        db.close()
    r = pingjia("webhooks", "deliveries", "--failed", *conf)
    assert r.returncode == 0 and r.stdout.count("failed") == 2, r.stdout
    r = pingjia("webhooks", "replay", str(first), *conf)
    assert r.returncode == 0 and "1 deliveries queued again" in r.stdout
    r = pingjia("webhooks", "replay", "--failed", *conf)
    assert r.returncode == 0 and "1 deliveries queued again" in r.stdout
    r = pingjia("webhooks", "replay", *conf)
    assert r.returncode == 2
    r = pingjia("webhooks", "remove", "queue-system", *conf)
    assert r.returncode == 0 and "2 undelivered deliveries dropped" in r.stdout
    r = pingjia("webhooks", "remove", "queue-system", *conf)
    assert r.returncode == 3


# -- the hub's part and its health ---------------------------------------------------

def test_health_says_when_a_receiver_fails_and_when_webhooks_are_off(tmp_path):
    from hub.api.context import HubContext
    from hub.app_parts import start_webhooks
    cfg = make_config(tmp_path, "[webhooks]\nretry_cap_s = 1\n")
    db = open_db(cfg.db_path)
    terminals.provision(db, "T1", "1")
    rx = Receiver(fail=lambda req: 500)
    webhooks.set_subscription(db, "queue-system", rx.url)
    ctx = HubContext(cfg)
    part = start_webhooks(cfg, ctx)
    try:
        health = ctx.component("webhooks")
        assert health.state == "ok"
        create(db, 1)
        wait(lambda: health.state == "degraded", 10, "webhooks degraded")
        assert "queue-system (HTTP 500)" in health.detail
        assert "pingjia webhooks deliveries" in health.detail
    finally:
        part.stop()
        rx.close()
        db.close()
    (tmp_path / "off").mkdir()
    off = make_config(tmp_path / "off", "[webhooks]\nenabled = false\n")
    ctx = HubContext(off)
    assert start_webhooks(off, ctx) is None
    assert ctx.component("webhooks").state == "disabled"
