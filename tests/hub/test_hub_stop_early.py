"""A SIGTERM or Ctrl-C that reaches the hub while it is still starting stops it:
the signal handler is in place before the API server exists, and a stop asked
for then must not be forgotten once uvicorn runs (the demo stops its hub that
way when it is itself stopped right after start)."""

import signal
import threading
import time

from hub.app import Hub
from simulator.ports import free_port
from tests.support.api import make_config


def test_a_stop_asked_for_before_the_server_runs_is_kept(tmp_path):
    cfg = make_config(tmp_path, '[broker]\nenabled = false\n[serial]\ndiscover = []\n'
                                '[api]\nport = %d\n' % free_port())
    saved = {s: signal.getsignal(s) for s in (signal.SIGTERM, signal.SIGINT)}
    hub = Hub(cfg).start()
    try:
        hub._stop.set()         # what the hub's handler does on SIGTERM / SIGINT
        # Without the fix uvicorn would serve until a second signal: end it
        # after a while so that the failing test does not hang.
        rescue = threading.Timer(10, lambda: setattr(hub._server, "should_exit", True))
        rescue.start()
        t0 = time.monotonic()
        hub.serve()
        took = time.monotonic() - t0
        rescue.cancel()
        assert took < 3, "the hub served for %.1f s after it was told to stop" % took
    finally:
        hub.stop()
        for s, handler in saved.items():
            signal.signal(s, handler)
