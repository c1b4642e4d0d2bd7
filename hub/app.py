"""A running hub, assembled from the config: store, ingest, transports, API.

    hub = Hub(cfg)
    hub.start()      # store open and migrated, ingest and transports running
    hub.serve()      # the API under uvicorn until SIGTERM / SIGINT, then stop()

Order matters for "nothing lost": the database is opened (and migrated)
before anything can receive a rating; the ingest's writer starts before a
transport can hand it packets; on shutdown the transports stop first (no
new packets), then the ingest drains and commits what it holds, then the
database closes. Acks only ever follow commits, so a kill -9 at any point
loses nothing that was acknowledged; a clean stop just loses less work.

The upstream relay (when [upstream] names an adapter) reads the outbox with
its own connection; it starts last and stops with the transports. So does
the webhook delivery thread ([webhooks]; hub/webhooks/dispatcher.py).

The MQTT broker is optional at run time: when it cannot be reached the hub
keeps serving serial terminals and the API, retries every broker.retry_s
seconds, and says so in the log and at GET /api/v1/health (part "mqtt").
"""

import logging
import signal
import threading
import time

log = logging.getLogger("pingjia.hub")

# Libraries that log every request or packet at INFO: at the hub's `info` they
# buried its own lines (257 of a demo log's 289 were httpx's "HTTP Request: ...").
# They speak at WARNING and above unless the hub's log_level is debug.
CHATTY_LOGGERS = ("httpx", "httpcore", "uvicorn.access", "paho")
LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def configure_logging(level):
    """The hub's log on stderr at `level` ([hub] log_level), libraries quieted."""
    import sys
    logging.basicConfig(level=level.upper(), stream=sys.stderr, format=LOG_FORMAT)
    quiet = logging.NOTSET if level == "debug" else max(logging.WARNING,
                                                         logging.getLevelName(level.upper()))
    for name in CHATTY_LOGGERS:
        logging.getLogger(name).setLevel(quiet)


class Hub:
    def __init__(self, cfg):
        from hub.api.context import HubContext
        self.cfg = cfg
        self.ctx = HubContext(cfg)
        self.ingest = None
        self.serial = None
        self.mqtt = None
        self.upstream = None
        self.webhooks = None
        self._stop = threading.Event()
        self._threads = []
        self._server = None

    # -- start -----------------------------------------------------------------

    def start(self):
        from hub.config import ensure_data_dir
        ensure_data_dir(self.cfg)
        self._open_store()
        self._start_ingest()
        self._start_serial()
        self._start_mqtt()
        self._start_upstream()
        self._start_webhooks()
        return self

    def _open_store(self):
        from hub.store import open_db
        part = self.ctx.component("database")
        db = open_db(self.cfg.db_path)       # migrations run here, once, before anything else
        db.close()
        part.set("ok", "SQLite %s (WAL, synchronous=FULL)" % self.cfg.db_path)
        log.info("database %s ready", self.cfg.db_path)

    def _start_ingest(self):
        from hub.app_parts import start_ingest
        self.ingest = start_ingest(self.cfg, self.ctx)

    def _start_serial(self):
        from hub.app_parts import start_serial
        self.serial = start_serial(self.cfg, self.ctx, self.ingest)

    def _start_mqtt(self):
        from hub.app_parts import start_mqtt
        self.mqtt = start_mqtt(self.cfg, self.ctx, self.ingest)

    def _start_upstream(self):
        from hub.app_parts import start_upstream
        self.upstream = start_upstream(self.cfg, self.ctx)

    def _start_webhooks(self):
        from hub.app_parts import start_webhooks
        self.webhooks = start_webhooks(self.cfg, self.ctx)

    # -- serve -----------------------------------------------------------------

    def serve(self):
        """Serve the API (if enabled) until SIGTERM/SIGINT, then stop everything."""
        self._install_signal_handlers()
        try:
            if self.cfg.api.enabled:
                self._serve_api()
            else:
                self._wait_for_signal()
        finally:
            self.stop()

    def _serve_api(self):
        import uvicorn
        from hub.api import create_app
        app = create_app(self.ctx)
        # log_config=None: uvicorn's lines go through the hub's own logging
        # (configure_logging), in its format and at its level.
        config = uvicorn.Config(app, host=self.cfg.api.host, port=self.cfg.api.port,
                                log_config=None, access_log=False, lifespan="off")
        self._server = uvicorn.Server(config)
        if self._stop.is_set():     # a signal came before there was a server to tell
            return
        self.ctx.component("api").set("ok", "http://%s:%d/api/v1 (docs at /docs%s)"
                                      % (self.cfg.api.host, self.cfg.api.port,
                                         ", console at /console/" if self.cfg.console.enabled
                                         else ""))
        # uvicorn installs its own SIGTERM/SIGINT handlers while it runs, then
        # puts ours back and raises the signal again: ours only sets _stop, so
        # control comes back here and stop() runs (the default SIGTERM action
        # would end the process before the ingest has committed what it holds).
        try:
            self._server.run()
        except SystemExit:      # uvicorn exits when it cannot bind; say why instead
            if self._server.started:
                raise
        if not self._server.started:
            raise OSError("the API could not listen on %s:%d (port in use?); set [api] port "
                          "in the config" % (self.cfg.api.host, self.cfg.api.port))

    def _install_signal_handlers(self):
        if threading.current_thread() is not threading.main_thread():
            return

        def on_signal(signum, frame):
            log.info("%s: stopping", signal.Signals(signum).name)
            self._stop.set()
            if self._server is not None:
                self._server.should_exit = True
        signal.signal(signal.SIGTERM, on_signal)
        signal.signal(signal.SIGINT, on_signal)

    def _wait_for_signal(self):
        # Python runs signal handlers only on the main thread between bytecodes:
        # a bounded wait gets back to the interpreter at least twice a second.
        while not self._stop.wait(0.5):
            pass

    # -- stop ------------------------------------------------------------------

    def stop(self):
        """Transports first, then the ingest (drains its commits), then the database."""
        self._stop.set()
        t0 = time.monotonic()
        for name in ("mqtt", "serial", "upstream", "webhooks"):
            part = getattr(self, name)
            if part is not None:
                try:
                    part.stop()
                except Exception:    # one part failing to stop must not keep the rest running
                    log.exception("stopping %s", name)
                setattr(self, name, None)
        if self.ingest is not None:
            self.ingest.stop()
            self.ingest = None
        self.ctx.close()
        log.info("hub stopped in %.1f s", time.monotonic() - t0)
