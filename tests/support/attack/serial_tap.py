"""A wiretap on a terminal's serial cable: the attacker in the middle.

    tap = SerialTap(terminal.port)    # opens the terminal's end of the line
    tap.port                          # the end the hub opens instead
    tap.flip_every = 4000             # one bit flipped per ~4000 bytes, both ways
    tap.garbage(64)                   # a burst of line noise towards the hub
    tap.replay(3)                     # three frames the terminal sent, sent again
    tap.close()

Bytes are copied both ways between the terminal's pty and a new pty whose
slave the hub reads, as a cable with a probe clipped on. What the terminal
sends is cut into frames at the 0x00 delimiter (protocol/framing.py: COBS,
so no frame holds a zero byte) and the last CAPTURE kept, for replay.
Counters: `bytes`, `flipped`, `garbage_bytes`, `replayed`.
"""

import collections
import os
import random
import selectors
import threading
import tty

CAPTURE = 200


class SerialTap:
    def __init__(self, terminal_port, seed=None):
        self._rnd = random.Random(seed)
        self._term = os.open(terminal_port, os.O_RDWR | os.O_NOCTTY | os.O_NONBLOCK)
        tty.setraw(self._term)
        self._master, self._slave = os.openpty()
        tty.setraw(self._master)
        tty.setraw(self._slave)
        os.set_blocking(self._master, False)
        self.port = os.ttyname(self._slave)
        self.flip_every = 0             # 0: a clean line
        self.frames = collections.deque(maxlen=CAPTURE)
        self._partial = bytearray()
        self.counts = collections.Counter()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True, name="tap")
        self._thread.start()

    def _noisy(self, data):
        if not self.flip_every:
            return data
        out = bytearray(data)
        for i in range(len(out)):
            if self._rnd.randrange(self.flip_every) == 0:
                out[i] ^= 1 << self._rnd.randrange(8)
                self.counts["flipped"] += 1
        return bytes(out)

    def _capture(self, data):
        self._partial += data
        while True:
            end = self._partial.find(b"\x00")
            if end < 0:
                break
            frame = bytes(self._partial[:end + 1])
            del self._partial[:end + 1]
            if len(frame) > 1:
                self.frames.append(frame)
        if len(self._partial) > 8192:       # no delimiter for that long: noise
            del self._partial[:]

    def _write(self, fd, data):
        with self._lock:
            try:
                os.write(fd, data)
            except (BlockingIOError, OSError):
                pass                        # the line is full: bytes lost, as on a wire

    def _run(self):
        sel = selectors.DefaultSelector()
        sel.register(self._term, selectors.EVENT_READ, "up")
        sel.register(self._master, selectors.EVENT_READ, "down")
        while not self._stop.is_set():
            for key, _ in sel.select(0.05):
                src, dst = (self._term, self._master) if key.data == "up" else (self._master, self._term)
                try:
                    data = os.read(src, 4096)
                except (BlockingIOError, OSError):
                    continue
                if not data:
                    continue
                self.counts["bytes"] += len(data)
                if key.data == "up":
                    self._capture(data)
                self._write(dst, self._noisy(data))

    def garbage(self, n):
        """N random bytes towards the hub, with a delimiter now and then."""
        data = bytes(self._rnd.choice((0, self._rnd.randrange(1, 256))) for _ in range(n))
        self._write(self._master, data)
        self.counts["garbage_bytes"] += n

    def replay(self, n):
        """Send N captured frames of the terminal again, oldest of the last N first."""
        frames = list(self.frames)[-n:]
        for f in frames:
            self._write(self._master, f)
        self.counts["replayed"] += len(frames)
        return len(frames)

    def close(self):
        self._stop.set()
        self._thread.join(2)
        for fd in (self._term, self._master, self._slave):
            os.close(fd)
