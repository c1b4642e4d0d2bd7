"""Terminal time: monotonic always, wall time once the hub sent `time`.

Every journal event carries `mt` (ms since this boot) and `bt` (the boot
counter, kept on flash and incremented at every start, so (bt, mt) orders
events across reboots), and `dt` (epoch ms) only when the hub has told us
the time during this boot: a terminal without a battery-backed clock must
not invent a date.
"""

from firmware.app import flashfile

FILE = "/boot.cnt"


def next_boot_count(fs_root):
    """Read, increment and persist the boot counter; -> this boot's number.
    Written by rename (flashfile): a cut while saving keeps the old count,
    it never empties the file and so never starts the count again at 1."""
    path = fs_root + FILE
    n = 0
    for text in flashfile.texts(path):
        try:
            n = int(text.strip() or "x")
            break
        except ValueError:
            continue
    n += 1
    flashfile.write(path, str(n))
    return n


class Clock:
    def __init__(self, ticks_ms, boot_count):
        self._ticks = ticks_ms
        self._t0 = ticks_ms()
        self.bt = boot_count
        self._wall_offset = None    # epoch ms minus mt, once synced

    def mt(self):
        return self._ticks() - self._t0

    def sync(self, epoch_ms):
        self._wall_offset = epoch_ms - self.mt()

    @property
    def synced(self):
        return self._wall_offset is not None

    def wall(self):
        """Epoch ms now, or None if never synced this boot."""
        if self._wall_offset is None:
            return None
        return self._wall_offset + self.mt()

    def stamp(self, msg):
        """Add mt, bt and (when known) dt to an event message."""
        msg["mt"] = self.mt()
        msg["bt"] = self.bt
        w = self.wall()
        if w is not None:
            msg["dt"] = w
        return msg
