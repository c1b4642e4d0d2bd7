"""Checked records out of an open journal file, through one reusable buffer.

The journal keeps no index: whatever it needs past the first pending record
it finds by reading forward with scan(). Every record read is checked (CRC
under the file's seed), and anything that does not check is stepped over a
byte at a time until a record checks again: junk after a torn write, or a
damaged record in the middle, costs only the bytes it spans.
"""

from .format import APPEND, HEAD_LEN, CRC_LEN, MAX_RECORD, OVERHEAD, crc_ok, parse_head


class Reader:
    def __init__(self):
        self.buf = bytearray(MAX_RECORD)
        self.mv = memoryview(self.buf)
        self._head = self.mv[:HEAD_LEN]     # made once: every slice is heap
        self.seed = 0
        self.f = None
        self._pos = -1              # where f stands, to skip needless seeks

    def attach(self, f):
        self.f = f
        self._pos = -1

    def moved(self):
        """Someone else moved the file position (a write)."""
        self._pos = -1

    def read_at(self, off, mv):
        if self._pos != off:
            self.f.seek(off)
        n = self.f.readinto(mv) or 0
        self._pos = off + n
        return n

    def record_at(self, off, end):
        """-> (kind, seq, length) of the whole, checked record at OFF, else
        None; the record is then at the start of self.buf."""
        if off + OVERHEAD > end or self.read_at(off, self._head) != HEAD_LEN:
            return None
        head = parse_head(self.buf)
        if head is None or off + head[2] > end:
            return None
        rlen = head[2]
        record = self.mv[:rlen]
        if self.read_at(off + HEAD_LEN, record[HEAD_LEN:]) != rlen - HEAD_LEN:
            return None
        return head if crc_ok(record, self.seed) else None

    def scan(self, start, end, last):
        """Yield (offset, kind, seq, length) of each valid record in [START, END).

        Appends must have seqs above LAST, growing: a record that checks but
        breaks that order is a stale copy in junk, skipped like junk."""
        off = start
        while off + OVERHEAD <= end:
            rec = self.record_at(off, end)
            if rec is None or (rec[0] == APPEND and rec[1] <= last):
                off += 1
                continue
            if rec[0] == APPEND:
                last = rec[1]
            yield off, rec[0], rec[1], rec[2]
            off += rec[2]

    def payload(self, rlen):
        """The payload of the record just read or yielded, as bytes."""
        return bytes(self.mv[HEAD_LEN:rlen - CRC_LEN])
