"""The parts hub/app.py starts, each reporting its health (hub/health.py).

Each start_* returns an object with stop() (or None when the part is off)
and keeps ctx.component(NAME) up to date: "ok", "starting", "degraded",
"down" or "disabled", with a sentence a hall IT person can act on.
"""

import logging
import socket
import time

from hub.health import WriterHealth
from hub.periodic import Periodic

log = logging.getLogger("pingjia.hub")


# -- ingest ----------------------------------------------------------------------

class IngestPart:
    """The ingest plus a watch that notices writes made by other processes
    (the hall-IT CLI creating or cancelling an invitation) and has the
    ingest deliver them at once, as it does for the API's own writes; the
    same watch keeps the `ingest` health up to date (hub.health.WriterHealth)."""

    def __init__(self, ingest, db_path, period=1.0, part=None):
        self.ingest = ingest
        self.writer = ingest.writer
        self.part = part
        self.health = WriterHealth(ingest.writer, db_path)
        self._db_path = db_path
        self._last = None
        self._db = None
        self._watch = Periodic("hub-change-watch", period, self._check, log=log).start()

    def _check(self):
        if self.part is not None:
            self.part.set(*self.health.check(time.monotonic()))
        from hub.store import open_db
        if self._db is None:
            self._db = open_db(self._db_path)
        # Every write by the CLI or the API leaves an audit row: a new one means
        # there may be something to deliver.
        last = self._db.execute("SELECT MAX(id) FROM audit").fetchone()[0]
        if self._last is not None and last != self._last:
            self.ingest.notify()
        self._last = last

    def notify(self):
        self.ingest.notify()

    def deliver_pending(self, device_id):
        self.ingest.deliver_pending(device_id)

    def stop(self):
        self._watch.stop()
        self.ingest.stop()
        if self._db is not None:
            self._db.close()


def start_ingest(cfg, ctx):
    from hub import halltime
    from hub.ingest import Ingest
    part = ctx.component("ingest")
    from hub.services.config import hall_shown
    ingest = Ingest(cfg.db_path, hall_shown(cfg.hall), tz_minutes=halltime.offset_minutes(cfg))
    ingest.start()
    wrapped = IngestPart(ingest, cfg.db_path, part=part)
    ctx.ingest = wrapped
    part.set("ok", "group-commit writer running")
    return wrapped


# -- MQTT ------------------------------------------------------------------------

def probe(host, port, timeout=1.0):
    """None if a TCP connection to host:port opens, else the reason in words."""
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return None
    except OSError as e:
        return e.strerror or str(e)


class MqttPart:
    # Before the first attempt has failed, "not connected" only means "not yet":
    # the hub warned that the broker was unreachable and said connected 4 ms
    # later. A broker that neither answers nor refuses is reported after this.
    GRACE_S = 5.0

    def __init__(self, cfg, ctx, ingest):
        from hub.services import broker_users
        from hub.transports.mqtt_link import MqttLink
        b = cfg.broker
        self.cfg = cfg
        self.ingest = ingest.ingest
        self.part = ctx.component("mqtt")
        if broker_users.ensure_hub_user(cfg):       # its own user, in the broker's files
            log.info("MQTT: the hub's broker user %s written; %s", b.username,
                     broker_users.reload(cfg)[1])
        username, password = broker_users.hub_login(cfg)
        self.link = MqttLink(ingest.ingest, cfg.hall.code, host=b.host, port=b.port,
                             client_id=broker_users.client_id(cfg), username=username,
                             password=password, keepalive=b.keepalive_s, retry_s=b.retry_s)
        self._was = None
        self._started = time.monotonic()
        self.link.start()
        self._check()
        self._watch = Periodic("hub-mqtt-watch", 1.0, self._check, log=log).start()

    def _check(self):
        b = self.cfg.broker
        where = "broker %s:%d" % (b.host, b.port)
        if self.link.connected:
            # Terminals in an authenticated session: any client on the broker
            # can publish on a made-up device's topic, which proves nothing.
            n = sum(1 for c in self.ingest.connections() if c.transport == "mqtt")
            self.part.set("ok", "%s connected; %d terminal%s online over MQTT"
                          % (where, n, "" if n == 1 else "s"))
            if self._was is not True:
                log.info("MQTT: %s connected", where)
            self._was = True
            return
        if not self.link.failed.is_set() and time.monotonic() - self._started < self.GRACE_S:
            self.part.set("starting", "%s: connecting" % where)
            return
        reason = probe(b.host, b.port) or self.link.last_error or "not connected yet"
        self.part.set("down", "%s unreachable (%s); retrying every %d s — serial terminals and "
                      "the API keep working; start the broker (mosquitto -c "
                      "hub/data/mosquitto.conf) or fix [broker] in the config"
                      % (where, reason, b.retry_s))
        if self._was is not False:
            log.warning("MQTT: %s unreachable (%s); retrying every %d s", where, reason, b.retry_s)
        self._was = False

    def stop(self):
        self._watch.stop()
        self.link.stop()


def start_mqtt(cfg, ctx, ingest):
    if not cfg.broker.enabled:
        ctx.component("mqtt").set("disabled", "[broker] enabled = false")
        return None
    return MqttPart(cfg, ctx, ingest)


# -- serial ----------------------------------------------------------------------

def start_serial(cfg, ctx, ingest):
    """The serial transport over the configured and discovered ports."""
    part = ctx.component("serial")
    try:
        from hub.transports import serial_ports
    except ImportError:
        part.set("disabled", "the serial transport is not part of this build")
        return None
    return serial_ports.start_for_config(cfg, ingest.ingest, part)


# -- upstream --------------------------------------------------------------------

class UpstreamPart:
    PURGE_S = 3600.0     # applicants' identities are kept for days: an hourly look is enough

    def __init__(self, cfg, ctx, adapter):
        from hub.upstream.relay import Relay
        self.part = ctx.component("upstream")
        self.where = "%s (%s)" % (cfg.upstream.adapter, cfg.upstream.url)
        self.relay = Relay(cfg.db_path, adapter, in_flight=cfg.upstream.in_flight).start()
        self._check()
        self._watch = Periodic("hub-upstream-watch", 1.0, self._check, log=log).start()
        self._purge = ApplicantPurge(cfg)
        self._purger = Periodic("hub-applicant-purge", self.PURGE_S, self._purge.run, first=True,
                                log=log).start()

    def _check(self):
        b = self.relay.breaker
        if b.state == b.CLOSED:
            self.part.set("ok", "forwarding to %s" % self.where)
        else:
            self.part.set("degraded", "%s not answering (%s); ratings are kept and sent when it "
                          "is back — `pingjia upstream status` shows the backlog"
                          % (self.where, b.last_error or "failures"))

    def stop(self):
        self._watch.stop()
        self._purger.stop()
        self.relay.stop()


class ApplicantPurge:
    """Deletes the sealed applicants whose case the platform holds
    (hub/services/upstream_case.py); logs how many, never who."""

    def __init__(self, cfg, clock=time.time):
        self.cfg = cfg
        self.clock = clock
        self._db = None

    def run(self):
        from hub.services import upstream_case
        from hub.store import open_db
        if self._db is None:
            self._db = open_db(self.cfg.db_path)
        p = self.cfg.privacy
        n = upstream_case.purge_due(self._db, int(self.clock() * 1000), p.applicant_retention_days,
                                    p.applicant_max_days)
        if n:
            log.info("privacy: deleted the applicant identity of %d case%s the platform holds",
                     n, "" if n == 1 else "s")
        return n


def start_upstream(cfg, ctx):
    from hub.upstream import make_adapter
    from hub.upstream.settings import adapter_settings
    settings = adapter_settings(cfg)
    if settings is None:
        ctx.component("upstream").set("disabled", "[upstream] adapter = \"none\": ratings stay "
                                                   "in the hub")
        return None
    return UpstreamPart(cfg, ctx, make_adapter(settings))


# -- webhooks --------------------------------------------------------------------

class WebhooksPart:
    """The webhook delivery thread (hub/webhooks/dispatcher.py) and its health."""

    def __init__(self, cfg, ctx):
        from hub import halltime
        from hub.webhooks.dispatcher import Dispatcher
        w = cfg.webhooks
        self.part = ctx.component("webhooks")
        self.dispatcher = Dispatcher(cfg.db_path, halltime.zone(cfg), w.allow,
                                     timeout_s=w.timeout_s, give_up_s=w.give_up_h * 3600,
                                     cap_s=w.retry_cap_s).start()
        self._check()
        self._watch = Periodic("hub-webhooks-watch", 1.0, self._check, log=log).start()

    def _check(self):
        d = self.dispatcher
        failing = ["%s (%s)" % (c, err) for c, (_until, err) in sorted(dict(d.failing).items())]
        if failing:
            self.part.set("degraded", "receivers not answering 2xx: %s; deliveries are kept and "
                          "retried — `pingjia webhooks deliveries`" % "; ".join(failing))
        elif d.failed:
            self.part.set("degraded", "%d deliveries parked as failed; `pingjia webhooks "
                          "deliveries --failed`, then `pingjia webhooks replay --failed`"
                          % d.failed)
        else:
            self.part.set("ok", "delivering events to the webhook receivers")

    def stop(self):
        self._watch.stop()
        self.dispatcher.stop()


def start_webhooks(cfg, ctx):
    if not cfg.webhooks.enabled:
        ctx.component("webhooks").set("disabled", "[webhooks] enabled = false: events are "
                                                   "kept, none are sent")
        return None
    return WebhooksPart(cfg, ctx)
