"""The terminal's flash journal: ratings and timeout events kept until the hub acks.

    j = Journal(board.fs_root + "/journal.bin")
    seq = j.next_seq()
    j.append(seq, record.payload(msg, seq))  # durable on return: now say thanks
    ...
    for seq, body in j.pending(limit=8):      # replay after a reboot or reconnect
        send(record.message(body, seq, "replay", mid))
    j.ack(seq)                                # the hub's ack: durable on return

The file is a log (layout in format.py): a header, then append and ack
records, each with a CRC. Appends carry the caller's payload (< 1 KiB; the
terminal's is an event as firmware/app/record.py keeps it) and its sequence
number; an ack is a fixed 11-byte record. Sequence numbers only grow:
append() refuses one below next_seq(), and next_seq() survives reboots and
compaction (the header keeps the floor), so the rating id (device id + seq)
never repeats.

Crash safety. The journal only ever appends to its file, or writes a whole
new file and renames it over the old one. A power cut at any byte leaves:
- a torn or junk tail after the last whole record: dropped at open, where
  the file is rewritten clean (so later appends never follow junk);
- a half-written `<path>.new` from a compaction: the old file is whole and
  wins; the `.new` is removed. If only `<path>.new` is left (a rename that
  removes the target first, as on FAT, was cut), it was complete and wins.
A record whose CRC fails in the middle of the file (flash damage, not a cut)
is skipped by resynchronising on the next record that checks; everything
else in the file is kept. What append()/ack() returned for is never lost.
One thing a cut can undo: an ack record torn before ack() returned leaves
its rating pending, so it is sent again; the hub answers `ack dup=true`,
because it absorbs duplicates by (device, seq). That is safe by design.

Capacity. The file never grows past capacity_bytes (default 2.5 MiB:
10,000 ratings of up to 234 payload bytes; the largest rating with labels
and fraud flags takes about 210 as record.py keeps it). When an append
would pass it, the file is compacted: pending records are copied to a new
file, acked ones and ack records dropped. If pending records alone would leave less than a
sixteenth of the capacity free, append() raises JournalFull and drops
nothing (the reserve keeps compaction from running again every few
appends). An ack never fails for room: with no room for its record the
acked rating is dropped by a compaction instead. A compaction needs free
flash for the new file: as much as the pending records take.

Memory. Nothing of the payloads is held in RAM and there is no per-record
index. The journal keeps: the offset, seq and length of the first pending
record; the pending count and bytes; and the set of seqs acked out of order
(acked while an older record is still pending), at most max_out_of_order
(64) entries: one more triggers a compaction, which drops those records
and empties the set. Records past the first are found by reading forward
from it through one reusable 1 KiB buffer. Acks in order advance the first
offset over a record or two; pending() and an out-of-order ack read
forward from the first pending record. So an open journal holds about
1.5 KiB of heap whether it has 10 or 10,000 ratings (docs/PERFORMANCE.md);
reading leaves ~100 bytes of short-lived garbage per record read (tuples,
memoryview slices) for the GC. pending() with no limit builds the whole
list: replay with a limit (and `after`) on the device.

Durability per filesystem: see osfs.py. In short, on MicroPython's littlefs
f.flush() is an atomic commit; on CPython the journal also fsyncs.
"""

try:
    from random import getrandbits
except ImportError:             # a port without random: the clock must do
    from time import ticks_us

    def getrandbits(bits):
        return ticks_us() & ((1 << bits) - 1)

from .format import (
    ACK, ACK_LEN, APPEND, HEADER_LEN, MAX_PAYLOAD, MAX_SEQ, OVERHEAD,
    build, pack_header, parse_header, seed_for, stamp,
)
from .osfs import OsFS, remove_quiet, replace
from .reader import Reader

DEFAULT_CAPACITY = 2621440
MIN_CAPACITY = 256
RESERVE_DIVISOR = 16


class JournalError(Exception):
    """The journal cannot do what was asked; str() says why and what to do."""

    def __init__(self, message):
        super().__init__(message)


class JournalFull(JournalError):
    """Pending records fill the capacity: nothing was written or dropped."""


class JournalCorrupt(JournalError):
    """The file's header is damaged; the file is left as it is."""


class Journal:
    def __init__(self, path, capacity_bytes=DEFAULT_CAPACITY, fs=None, max_out_of_order=64):
        if capacity_bytes < MIN_CAPACITY:
            raise ValueError("capacity_bytes %d is below the minimum %d"
                             % (capacity_bytes, MIN_CAPACITY))
        self._path = path
        self._tmp = path + ".new"
        self._fs = fs if fs is not None else OsFS()
        self._capacity = capacity_bytes
        self._max_ahead = max_out_of_order
        self._rd = Reader()
        self._f = None
        self._compactions = 0
        self._recovered = 0
        self._open()

    # ---- public API -----------------------------------------------------

    def next_seq(self):
        """The sequence number for the next append; never one used before."""
        return self._next_seq

    def depth(self):
        """How many records wait for the hub's ack."""
        return self._count

    def append(self, seq, payload):
        """Add record SEQ with PAYLOAD (bytes); durable when this returns.

        SEQ must be at least next_seq(). Raises JournalFull (nothing written)
        when pending records fill the capacity, ValueError on a bad argument.
        """
        if not isinstance(seq, int) or seq < self._next_seq or seq > MAX_SEQ:
            raise ValueError("seq %r: must be an int from next_seq() (%d) to %d; "
                             "a used seq would repeat a rating id"
                             % (seq, self._next_seq, MAX_SEQ))
        n = len(payload)
        if n > MAX_PAYLOAD:
            raise ValueError("payload of %d bytes: the journal takes at most %d"
                             % (n, MAX_PAYLOAD))
        need = OVERHEAD + n
        if self._size + need > self._capacity:
            self._make_room(need)
        off = self._size
        self._write_record(APPEND, seq, payload)
        self._next_seq = seq + 1
        self._count += 1
        self._live += need
        if self._first_off is None:
            self._set_first(off, seq, need)

    def ack(self, seq):
        """Mark record SEQ acknowledged; durable when this returns.

        -> True if SEQ was pending, False if it was not (already acked, never
        appended): then nothing is written, so the hub's duplicate acks are
        harmless.
        """
        rlen = self._pending_len(seq, self._size)
        if not rlen:
            return False
        if self._size + ACK_LEN > self._capacity:
            # No room for the ack record: the compaction that drops the
            # record is the durable ack.
            self._mark_acked(seq, rlen, self._size)
            self._rewrite_or_reload()
            return True
        self._write_record(ACK, seq, b"")
        self._mark_acked(seq, rlen, self._size)
        if len(self._ahead) > self._max_ahead:
            try:
                self._rewrite_or_reload()
            except OSError:
                pass    # the ack is on flash already; the next out-of-order ack retries
        return True

    def pending(self, limit=None, after=0):
        """-> [(seq, payload), ...] not acked, in append order; at most LIMIT,
        only seqs above AFTER (for replaying in windows)."""
        out = []
        if self._first_off is None:
            return out
        for _, kind, seq, rlen in self._from_first():
            if kind != APPEND or seq <= after or seq in self._ahead:
                continue
            out.append((seq, self._rd.payload(rlen)))
            if limit is not None and len(out) >= limit:
                break
        return out

    def compact(self):
        """Rewrite the file with only the pending records (crash-safe)."""
        self._rewrite_or_reload()

    def stats(self):
        return {
            "depth": self._count, "next_seq": self._next_seq,
            "first_seq": self._first_seq if self._first_off is not None else None,
            "file_bytes": self._size, "live_bytes": self._live,
            "capacity": self._capacity, "generation": self._gen,
            "acked_out_of_order": len(self._ahead), "compactions": self._compactions,
            "recovered_bytes": self._recovered,
        }

    def close(self):
        if self._f is not None:
            self._f.close()
            self._f = None

    # ---- opening ----------------------------------------------------------

    def _open(self):
        fs = self._fs
        if fs.size(self._tmp) is not None:
            if fs.size(self._path) is None and self._header_of(self._tmp) is not None:
                fs.rename(self._tmp, self._path)    # a cut replace: the new file is whole
                fs.sync_dir(self._path)
            else:
                fs.remove(self._tmp)                # a cut compaction: the old file wins
        if fs.size(self._path) is None:
            self._create()
        self._attach(fs.size(self._path))
        header = self._header_of(None)
        if header is None:
            self.close()
            raise JournalCorrupt("journal %s: the file header is damaged, so its records "
                                 "cannot be checked; the file was left untouched: copy it "
                                 "off for recovery before removing it" % self._path)
        self._scan_all(header)

    def _create(self):
        self._gen = 0
        f = self._fs.open(self._tmp, "wb")
        try:
            f.write(pack_header(self._new_generation(), 1))
            self._fs.sync(f)
        finally:
            f.close()
        replace(self._fs, self._tmp, self._path)

    def _new_generation(self):
        # Random, not a counter: a rewrite cut short and redone must not
        # share its seed with the file that replaces it (FAT may show the
        # first one's records as junk past the end of the second).
        gen = self._gen
        while gen == self._gen:
            gen = getrandbits(32) or 1
        return gen

    def _attach(self, size):
        self._f = self._fs.open(self._path, "r+b")
        self._rd.attach(self._f)
        self._size = size

    def _header_of(self, path):
        mv = self._rd.mv[:HEADER_LEN]
        if path is None:
            return parse_header(mv) if self._rd.read_at(0, mv) == HEADER_LEN else None
        f = self._fs.open(path, "rb")
        try:
            n = f.readinto(mv)
        finally:
            f.close()
        return parse_header(mv) if n == HEADER_LEN else None

    def _scan_all(self, header):
        self._gen, base = header
        self._rd.seed = seed_for(self._gen)
        self._next_seq = max(base, 1)
        self._count = self._live = 0
        self._clear_first()
        pos = HEADER_LEN
        skipped = 0
        for off, kind, seq, rlen in self._rd.scan(HEADER_LEN, self._size, 0):
            skipped += off - pos
            pos = off + rlen
            if kind == APPEND:
                if seq >= self._next_seq:
                    self._next_seq = seq + 1
                self._count += 1
                self._live += rlen
                if self._first_off is None:
                    self._set_first(off, seq, rlen)
            else:
                done = self._pending_len(seq, off)
                if done:
                    self._mark_acked(seq, done, off)
        skipped += self._size - pos
        self._size = pos            # later writes overwrite any junk tail
        if skipped:
            self._recovered += skipped
            try:
                self._rewrite()     # leave a clean file, so appends never follow junk
            except OSError:
                if self._f is None:
                    raise           # the rename failed: the next open sorts the files out
                # No room for the clean copy: carry on with this file; appends
                # overwrite the junk tail and the scan steps over junk inside.

    # ---- acks -------------------------------------------------------------

    def _set_first(self, off, seq, rlen):
        self._first_off, self._first_seq, self._first_len = off, seq, rlen

    def _clear_first(self):
        self._first_off = None
        self._first_seq = self._first_len = 0
        self._ahead = set()

    def _from_first(self):
        return self._rd.scan(self._first_off, self._size, self._first_seq - 1)

    def _after_first(self, end):
        return self._rd.scan(self._first_off + self._first_len, end, self._first_seq)

    def _pending_len(self, seq, end):
        """Length of pending record SEQ (looking before END), 0 if not pending."""
        if self._first_off is None or seq < self._first_seq or seq in self._ahead:
            return 0
        if seq == self._first_seq:
            return self._first_len
        for _, kind, s, rlen in self._after_first(end):
            if kind == APPEND and s >= seq:
                return rlen if s == seq else 0      # seqs grow through the file
        return 0

    def _mark_acked(self, seq, rlen, end):
        self._count -= 1
        self._live -= rlen
        if seq != self._first_seq:
            self._ahead.add(seq)
            return
        for off, kind, s, n in self._after_first(end):
            if kind != APPEND:
                continue
            if s in self._ahead:
                self._ahead.discard(s)
                continue
            self._set_first(off, s, n)
            return
        self._clear_first()

    # ---- writing ----------------------------------------------------------

    def _write_record(self, kind, seq, payload):
        mv = self._rd.mv
        rlen = build(mv, kind, seq, payload, self._rd.seed)
        self._f.seek(self._size)
        self._rd.moved()
        self._f.write(mv[:rlen])
        self._fs.sync(self._f)
        self._size += rlen

    def _make_room(self, need):
        usable = self._capacity - self._capacity // RESERVE_DIVISOR
        if HEADER_LEN + self._live + need > usable:
            raise JournalFull("journal full: %d records (%d bytes) wait for the hub's ack "
                              "and leave no room for %d more bytes within %d; nothing was "
                              "dropped: restore the link to the hub"
                              % (self._count, self._live, need, self._capacity))
        self._rewrite_or_reload()

    def _rewrite_or_reload(self):
        try:
            self._rewrite()
        except BaseException:
            self._reload()          # the state in RAM follows what is on flash
            raise

    def _reload(self):
        self.close()
        self._open()

    def _rewrite(self):
        """Compaction: pending records into <path>.new, then rename it over."""
        fs = self._fs
        gen = self._new_generation()
        seed = seed_for(gen)
        remove_quiet(fs, self._tmp)
        out = fs.open(self._tmp, "wb")
        try:
            out.write(pack_header(gen, self._next_seq))
            pos = HEADER_LEN
            count = live = 0
            first = None
            if self._first_off is not None:
                for _, kind, seq, rlen in self._from_first():
                    if kind != APPEND or seq in self._ahead:
                        continue
                    out.write(self._rd.mv[:stamp(self._rd.mv, rlen, seed)])
                    if first is None:
                        first = (pos, seq, rlen)
                    pos += rlen
                    count += 1
                    live += rlen
            fs.sync(out)
        except BaseException:
            out.close()
            remove_quiet(fs, self._tmp)
            raise
        out.close()
        self.close()
        replace(fs, self._tmp, self._path)
        self._attach(pos)
        self._gen, self._rd.seed = gen, seed
        self._count, self._live = count, live
        self._clear_first()
        if first is not None:
            self._set_first(*first)
        self._compactions += 1
