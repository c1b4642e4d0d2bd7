"""A small hub side for simulated terminals over a real serial port.

HubCore (terminal_hubcore.py: the protocol package's link and handshake,
events stored once per seq) driven by a background thread that reads and
writes the port with pyserial - the pty a SimTerminal offers, or a real one.
It is the peer the firmware tests talk to before and besides the real hub
(hub.ingest); developers can use it to poke a terminal by hand:

    peer = HubPeer(term.port, {"T1": key})
    peer.invite("e1", cs="2024-0001", mn="个体工商户登记", to=30)
    peer.wait(lambda: peer.events)

One device per port (a serial line is point to point). Every public method
is thread-safe; HubCore's attributes (events, deliveries, heartbeats, acks,
nacks, hellos, sessions, online, auto_ack) read through.
"""

import os
import threading
import time

import serial

from simulator.terminal_hubcore import HubCore


def _now():
    return int(time.monotonic() * 1000)


class HubPeer:
    def __init__(self, port, keys, auto_ack=True, baud=115200):
        self._lock = threading.RLock()
        self.core = HubCore(keys, os.urandom, _now(), auto_ack)
        self._stop = False
        self._ser = serial.Serial(port, baudrate=baud, timeout=0)
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._thread.start()

    def __getattr__(self, name):
        return getattr(self.__dict__["core"], name)

    @property
    def auto_ack(self):
        return self.core.auto_ack

    @auto_ack.setter
    def auto_ack(self, value):
        self.core.auto_ack = value

    def _locked(self, fn, *args, **kw):
        with self._lock:
            return fn(*args, **kw)

    def send(self, msg):
        return self._locked(self.core.send, msg)

    def seal(self, msg):
        return self._locked(self.core.seal, msg)

    def send_packet(self, packet):
        return self._locked(self.core.send_packet, packet)

    def invite(self, eid, **kw):
        return self._locked(self.core.invite, eid, **kw)

    def ack_all(self):
        return self._locked(self.core.ack_all)

    def lose_session(self):
        return self._locked(self.core.lose_session)

    def restart(self):
        return self._locked(self.core.restart, _now())

    def wait(self, predicate, timeout=10.0):
        """Poll PREDICATE until true; -> its value; raises TimeoutError."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            v = self._locked(predicate)
            if v:
                return v
            time.sleep(0.01)
        raise TimeoutError("condition not met within %.1f s" % timeout)

    def close(self):
        self._stop = True
        self._thread.join(2)
        self._ser.close()

    def _loop(self):
        while not self._stop:
            try:
                data = self._ser.read(4096)
            except (serial.SerialException, OSError):
                data = b""
            with self._lock:
                self.core.feed(data, _now())
                out = self.core.outgoing()
            if out:
                try:
                    self._ser.write(out)
                except (serial.SerialException, OSError):
                    pass
            if not data:
                time.sleep(0.003)
