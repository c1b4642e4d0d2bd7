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
        self._stop = threading.Event()
        self._thread = None

    def start(self):
        self.scan()
        self._thread = threading.Thread(target=self._rescan, name="hub-serial-scan", daemon=True)
        self._thread.start()
        return self

    def scan(self):
        """Start a port for every listed or discovered path not served yet -> new paths."""
        found = set(self.listed)
        for pattern in self.discover:
            found.update(glob.glob(pattern))
        new = []
        with self._lock:
            if self._stop.is_set():
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

    def _rescan(self):
        while not self._stop.wait(self.rescan_s):
            try:
                self.scan()
            except Exception:
                log.exception("serial rescan failed")

    def stop(self):
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5)
        with self._lock:
            ports = list(self.ports.values())
        for p in ports:
            p.stop()
