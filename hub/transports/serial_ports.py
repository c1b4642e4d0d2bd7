"""The serial transport as hub/app.py starts it from the configuration.

    part = start_for_config(cfg, ingest, component)   # -> object with stop()

cfg.serial: ports (listed paths), discover (globs, e.g. /dev/ttyUSB*),
baudrate, rescan_s. `component` (the API's health entry for "serial") is
kept up to date: how many ports are served, and which are retrying.
"""

import logging

from hub.periodic import Periodic
from hub.transports.serial_manager import SerialManager

log = logging.getLogger("hub.serial")

STATUS_PERIOD_S = 2.0


class SerialPart:
    def __init__(self, manager, component):
        self.manager = manager
        self.component = component
        self._watch = Periodic("hub-serial-health", STATUS_PERIOD_S, self.report, first=True,
                               log=log).start()

    def report(self):
        status = self.manager.status()
        if self.component is None:
            return status
        if not status:
            self.component.set("ok", "no serial ports found (listed or matching %s)"
                               % ", ".join(self.manager.discover or ["-"]))
            return status
        bad = sorted(p for p, s in status.items() if s["state"] != "open")
        if bad:
            self.component.set("degraded", "%d of %d serial ports not open: %s (%s)" % (
                len(bad), len(status), ", ".join(bad), status[bad[0]]["last_error"]))
        else:
            self.component.set("ok", "%d serial ports open: %s%s" % (
                len(status), ", ".join(sorted(status)), _link_errors(status)))
        return status

    def stop(self):
        self._watch.stop(5)
        self.manager.stop()


def _link_errors(status):
    """'; link errors since start: /dev/ttyUSB0 bad_crc=3 ...' for lines that had any."""
    noisy = ["%s bad_crc=%d bad_frames=%d retransmits=%d" % (p, s["bad_crc"], s["bad_frames"],
                                                            s["retransmits"])
             for p, s in sorted(status.items())
             if s.get("bad_crc") or s.get("bad_frames") or s.get("retransmits")]
    return "; link errors since start: " + ", ".join(noisy) if noisy else ""


def start_for_config(cfg, ingest, component=None):
    s = cfg.serial
    manager = SerialManager(ingest, ports=s.ports, discover=s.discover, baudrate=s.baudrate,
                            rescan_s=s.rescan_s).start()
    return SerialPart(manager, component)
