"""All the hub's serial ports: the configured ones plus what discovery finds.

    mgr = SerialManager(ingest, ports=["/dev/ttyS1"], discover=["/dev/ttyUSB*"],
                        baudrate=115200, rescan_s=5)
    mgr.start(); ...; mgr.stop()

Every rescan_s the discover globs are matched again and a SerialPort thread
is started for each path not seen before. A path that disappears keeps its
thread, which retries with backoff: a USB adapter that is plugged back in
(udev gives it the same name, or a by-id link) is served again.
"""

import glob
import logging
import threading

from hub.periodic import Periodic
from hub.transports.serial_port import SerialPort

log = logging.getLogger("hub.serial")


class SerialManager:
    def __init__(self, ingest, ports=(), discover=(), baudrate=115200, rescan_s=5.0, **port_kw):
        self.ingest = ingest
        self.listed = list(ports)
        self.discover = list(discover)
        self.baudrate = baudrate
        self.rescan_s = rescan_s
        self.port_kw = port_kw
        self.ports = {}
        self._lock = threading.Lock()
        self._stopped = threading.Event()
        self._scanner = None

    def start(self):
        self.scan()
        self._scanner = Periodic("hub-serial-scan", self.rescan_s, self.scan, log=log).start()
        return self

    def scan(self):
        """Start a port for every listed or discovered path not served yet -> new paths."""
        found = set(self.listed)
        for pattern in self.discover:
            found.update(glob.glob(pattern))
        new = []
        with self._lock:
            if self._stopped.is_set():     # a rescan racing stop() starts nothing
                return new
            for path in sorted(found):
                if path not in self.ports:
                    self.ports[path] = SerialPort(self.ingest, path, self.baudrate,
                                                  **self.port_kw).start()
                    new.append(path)
        for path in new:
            log.info("serial port %s found", path)
        return new

    def status(self):
        with self._lock:
            return {p: {"state": s.state, "last_error": s.last_error, **s.stats}
                    for p, s in self.ports.items()}

    def stop(self):
        self._stopped.set()
        if self._scanner is not None:
            self._scanner.stop(5)
        with self._lock:
            ports = list(self.ports.values())
        for p in ports:
            p.stop()
