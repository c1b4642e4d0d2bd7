"""Terminals on serial lines (UART, RS-485 point to point, USB serial).

One SerialPort per line, each with its own thread: it opens the port with
pyserial, runs a protocol.arq.Link over it (framing, acks, retransmission)
and hands every delivered message to its ingest connection
(`ingest.attach("serial", path, send)`). A terminal that misbehaves stalls
only its own thread; storage is shared through the ingest's writer.

A port that vanishes (USB unplugged, read error) is closed, its connection
closed (the terminal shows offline), and opened again with exponential
backoff (backoff_min .. backoff_max seconds) for as long as the hub runs;
when it returns, the terminal's link and handshake start over.

Link settings (PROTOCOL.md §6.4): every open takes a new incarnation from
the line's boot counter in the database (serial_boot.py), so neither a
reopen nor a hub restart repeats the last one on that line; the
retransmission timeout is rto_for(baudrate, window) unless rto_ms is given,
so a window of 2 KB frames at the line's speed is not resent before its ack
can have come back. The link speaks version 2 (a random boot nonce per
open) and meets a terminal that speaks only version 1 on version 1.

Link errors are counted per line in `stats` (bad_crc, bad_frames: COBS,
header and oversize faults; retransmits) across opens, and every
link_report_s a line that had LINK_BAD_MIN bad frames, or retransmitted a
tenth of what it sent, is noted as the `link_errors` problem of its device
(of "serial:<path>" before one said hello) with the figures.

send() is called from other threads (the writer's ack callbacks): packets
wait in a bounded queue and a pipe wakes the port's thread. If that queue
overflows (a terminal that stopped reading), the oldest packet is dropped
and counted; the terminal's journal and the hub's downlink resend.
"""

import collections
import logging
import os
import selectors
import threading
import time

import serial

from hub.services.problems import LINK_ERRORS
from hub.transports.serial_boot import incarnation_for
from protocol.arq import Link
from protocol.linkparams import boot_nonce, rto_for

log = logging.getLogger("hub.serial")

MAX_PENDING = 1024
READ_CHUNK = 4096
LINK_REPORT_S = 60.0
LINK_BAD_MIN = 3          # bad frames in one report period worth telling hall IT
RETRANSMIT_MIN = 10       # and retransmits, when they are a tenth of what was sent
_BAD_FRAMES = ("bad_cobs", "bad_header", "oversize")


class SerialPort:
    def __init__(self, ingest, path, baudrate=115200, backoff_min=0.2, backoff_max=5.0,
                 window=8, rto_ms=None, link_report_s=LINK_REPORT_S):
        self.ingest = ingest
        self.path = path
        self.baudrate = baudrate
        self.backoff_min = backoff_min
        self.backoff_max = backoff_max
        self.window = window
        self.rto_ms = rto_for(baudrate, window) if rto_ms is None else rto_ms
        self.state = "closed"
        self.last_error = None
        self.link_report_s = link_report_s
        self.stats = {"opens": 0, "open_failures": 0, "vanished": 0, "bytes_in": 0,
                      "bytes_out": 0, "dropped_out": 0, "bad_crc": 0, "bad_frames": 0,
                      "retransmits": 0}
        self._pending = collections.deque()
        self._pending_lock = threading.Lock()
        self._stop = threading.Event()
        self._wake_r, self._wake_w = os.pipe()
        os.set_blocking(self._wake_w, False)
        self._thread = None
        self.conn = None

    def __repr__(self):
        return "SerialPort(%s, %s)" % (self.path, self.state)

    def start(self):
        self._thread = threading.Thread(target=self._run, name="hub-serial:%s" % self.path,
                                        daemon=True)
        self._thread.start()
        return self

    def stop(self, timeout=5):
        self._stop.set()
        self._wake()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None
        for fd in (self._wake_r, self._wake_w):
            try:
                os.close(fd)
            except OSError:
                pass

    # -- called by the ingest (any thread) --------------------------------

    def _send(self, packet):
        with self._pending_lock:
            if len(self._pending) >= MAX_PENDING:
                self._pending.popleft()
                self.stats["dropped_out"] += 1
            self._pending.append(bytes(packet))
        self._wake()

    def _wake(self):
        try:
            os.write(self._wake_w, b"\0")
        except OSError:   # pipe full (a wake is pending anyway) or closed at stop
            pass

    # -- the port's thread ------------------------------------------------

    def _run(self):
        delay = self.backoff_min
        while not self._stop.is_set():
            try:
                port = serial.Serial(self.path, self.baudrate, timeout=0, write_timeout=2)
            except (serial.SerialException, OSError, ValueError) as e:
                self.stats["open_failures"] += 1
                self._failed("cannot open: %s" % e)
                self._stop.wait(delay)
                delay = min(delay * 2, self.backoff_max)
                continue
            delay = self.backoff_min
            self.stats["opens"] += 1
            self.state = "open"
            log.info("serial %s open at %d baud", self.path, self.baudrate)
            why = "the hub stops serving serial %s" % self.path
            try:
                self._serve(port)
            except (serial.SerialException, OSError) as e:
                self.stats["vanished"] += 1
                self._failed("lost: %s" % e)
                why = "its serial line %s was lost (%s)" % (self.path, e)
            finally:
                if self.conn is not None:
                    self.conn.close(why, logging.INFO if self._stop.is_set() else logging.WARNING)
                    self.conn = None
                try:
                    port.close()
                except (serial.SerialException, OSError):
                    pass
            if not self._stop.is_set():
                self._stop.wait(delay)
        self.state = "stopped"

    def _failed(self, why):
        if why != self.last_error:
            log.warning("serial %s %s; retrying with backoff", self.path, why)
        self.last_error = why
        self.state = "retrying"

    def _serve(self, port):
        link = Link(incarnation_for(self.ingest, self.path), window=self.window,
                    rto_ms=self.rto_ms, max_queue=256, nonce=boot_nonce(os.urandom(4)))
        now = _ms()
        with self._pending_lock:
            self._pending.clear()     # packets of a former session are void
        self.conn = self.ingest.attach("serial", self.path, self._send)
        link.start(now)
        sel = selectors.DefaultSelector()
        sel.register(port.fileno(), selectors.EVENT_READ, "line")
        sel.register(self._wake_r, selectors.EVENT_READ, "wake")
        seen = {}                          # link stats at the last report
        report_at = time.monotonic() + self.link_report_s
        try:
            while not self._stop.is_set():
                if time.monotonic() >= report_at:
                    report_at = time.monotonic() + self.link_report_s
                    self._link_errors(link, seen, report=True)
                self._feed(link)
                out = link.outgoing()
                if out:
                    self._write(port, out)
                wait = link.next_timeout(_ms())
                for key, _ in sel.select(1.0 if wait is None else wait / 1000):
                    if key.data == "wake":
                        os.read(self._wake_r, 4096)
                        continue
                    data = port.read(READ_CHUNK)
                    self.stats["bytes_in"] += len(data)
                    link.receive(data, _ms())
                link.poll(_ms())
                for packet in link.take_delivered():
                    self.conn.receive(packet)
                link.take_events()   # a peer reset is followed by a new hello
        finally:
            self._link_errors(link, seen, report=False)
            sel.close()

    def _link_errors(self, link, seen, report):
        """Add the link's errors since SEEN to the line's counters; REPORT them
        as a problem when there were enough to matter."""
        st = link.stats
        now = {"bad_crc": st["bad_crc"], "bad_frames": sum(st[k] for k in _BAD_FRAMES),
               "retransmits": st["retransmits"], "sent": st["sent"]}
        d = {k: v - seen.get(k, 0) for k, v in now.items()}
        seen.update(now)
        for k in ("bad_crc", "bad_frames", "retransmits"):
            self.stats[k] += d[k]
        bad = d["bad_crc"] + d["bad_frames"]
        noisy = d["retransmits"] >= RETRANSMIT_MIN and d["retransmits"] * 10 >= d["sent"]
        if report and (bad >= LINK_BAD_MIN or noisy):
            conn = self.conn
            who = conn.device_id if conn is not None and conn.device_id else "serial:" + self.path
            self.ingest.problem(who, LINK_ERRORS, "serial line %s, last %d s: %d frames with a "
                                "bad CRC, %d unreadable, %d of %d frames sent again. Check the "
                                "cable (length, shielding, ground), the connectors, and that both "
                                "ends run at %d baud" % (self.path, self.link_report_s,
                                                         d["bad_crc"], d["bad_frames"],
                                                         d["retransmits"], d["sent"],
                                                         self.baudrate), "serial:" + self.path)

    def _feed(self, link):
        with self._pending_lock:
            while self._pending:
                if not link.send(self._pending[0]):
                    break   # link queue full: the rest waits for acks
                self._pending.popleft()

    def _write(self, port, data):
        try:
            port.write(data)
            self.stats["bytes_out"] += len(data)
        except serial.SerialTimeoutException:
            # The line did not drain: frames are lost, the link retransmits.
            self.stats["dropped_out"] += 1


def _ms():
    return int(time.monotonic() * 1000)
