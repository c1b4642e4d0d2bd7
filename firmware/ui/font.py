"""Glyph lookup in the terminal's bitmap font, read from flash glyph by glyph.

The font file (firmware/fonts/unifont16.bin, made by
simulator/tools/build_font.py, which documents the format) is ~260 KB: far
more than the heap. Only a 64-byte header and a ~240-byte sparse key table
(the first codepoint of every block of 64 index entries) stay in RAM. A
lookup binary-searches the key table in RAM, reads that one block of the
sorted index (256 bytes) with seek/readinto and binary-searches it, then
reads the glyph's 16 or 32 bytes into a slot of a small glyph cache.

The cache is a fixed pool of `cache_size` slots of 32 bytes, each with a
16x16 MONO_HLSB FrameBuffer made once: a glyph is blitted straight from its
slot, so drawing text allocates nothing per character once the glyphs are
cached (a screen repeats characters: 满意 is in four level names). An 8-px
glyph sits in the left half of its slot with the right half clear, which
blits the same as an 8x16 buffer. Slots are reused round-robin.
A character the font lacks is drawn as U+FFFD (a visible box), never raised:
text comes from the hub and must not crash the screen.
"""

import framebuf

from firmware.ui.utf8 import Codepoints

MAGIC = b"PJF1"
REPLACEMENT = 0xFFFD
_HEADER = 64


# Where a device image keeps the font: frozen code (firmware/manifest.py) has
# no folder on the filesystem, its __file__ is its path inside the image
# ("firmware/ui/font.py"), and a /firmware folder would shadow the frozen
# package (the current directory comes first on sys.path); /lib does not.
DEVICE_PATH = "/lib/firmware/fonts/unifont16.bin"


def default_path():
    """firmware/fonts/unifont16.bin next to this package, wherever it is mounted;
    DEVICE_PATH when there is none there (frozen code)."""
    here = __file__.replace("\\", "/")
    near = here.rsplit("/", 2)[0] + "/fonts/unifont16.bin"
    try:
        open(near, "rb").close()
    except OSError:
        return DEVICE_PATH
    return near


def _u16(b, i):
    return b[i] | (b[i + 1] << 8)


def _u32(b, i):
    return b[i] | (b[i + 1] << 8) | (b[i + 2] << 16) | (b[i + 3] << 24)


class FontError(Exception):
    pass


class Font:
    """A font file opened for glyph lookups; keep one open for the terminal's life."""

    def __init__(self, path=None, cache_size=32):
        if cache_size < 1:
            raise ValueError("cache_size must be at least 1, got %r" % (cache_size,))
        self.path = path or default_path()
        try:
            self._f = open(self.path, "rb")
        except OSError:
            raise FontError("font file %s cannot be opened: copy firmware/fonts/ to the "
                            "device" % self.path)
        head = self._f.read(_HEADER)
        if len(head) != _HEADER or head[0:4] != MAGIC:
            self._f.close()
            raise FontError("%s is not a PJF1 font file: rebuild it with "
                            "simulator/tools/build_font.py" % self.path)
        self.height = head[4]
        self._block = head[5]
        self.count = _u16(head, 6)
        self._index_off = _u32(head, 12)
        self._bits_off = _u32(head, 16)
        self.source_sha256 = bytes(head[20:52])
        nblocks = (self.count + self._block - 1) // self._block
        self._f.seek(_u32(head, 8))
        self._keys = self._f.read(2 * nblocks)
        self._nblocks = nblocks
        self._blockbuf = bytearray(4 * self._block)
        self._narrow = bytearray(16)
        self._wide = bytearray(32)
        self.pool = bytearray(32 * cache_size)
        mv = memoryview(self.pool)
        self.frames = [framebuf.FrameBuffer(mv[32 * i:32 * (i + 1)], 16, 16, framebuf.MONO_HLSB)
                       for i in range(cache_size)]
        self._slot_cp = [-1] * cache_size
        self.widths = bytearray(cache_size)
        self._slots = {}  # codepoint -> slot
        self._next = 0
        self.misses = 0  # glyphs read from flash, for tests and benchmarks
        # Text is measured by code point, never by iterating the str (utf8.py says why).
        self.chars = Codepoints()

    def close(self):
        self._f.close()

    def _find(self, cp):
        """Where codepoint CP's bitmap is in the file, or None: its offset times
        two, plus one if it is 16 px wide (one int: no tuple per lookup)."""
        keys = self._keys
        lo, hi = 0, self._nblocks - 1
        if cp < _u16(keys, 0):
            return None
        while lo < hi:  # last block whose first codepoint is <= cp
            mid = (lo + hi + 1) >> 1
            if _u16(keys, 2 * mid) <= cp:
                lo = mid
            else:
                hi = mid - 1
        first = lo * self._block
        n = min(self._block, self.count - first)
        buf = self._blockbuf
        self._f.seek(self._index_off + 4 * first)
        self._f.readinto(buf)
        lo, hi = 0, n - 1
        while lo <= hi:
            mid = (lo + hi) >> 1
            got = _u16(buf, 4 * mid)
            if got == cp:
                slot = _u16(buf, 4 * mid + 2)
                return 2 * (self._bits_off + 16 * (slot & 0x7FFF)) + (slot >> 15)
            if got < cp:
                lo = mid + 1
            else:
                hi = mid - 1
        return None

    def _load(self, cp):
        """Read CP's bitmap from flash into the next slot; return the slot."""
        self.misses += 1
        found = self._find(cp)
        if found is None:
            found = self._find(REPLACEMENT)
        width = 16 if found & 1 else 8
        slot = self._next
        self._next = (slot + 1) % len(self._slot_cp)
        old = self._slot_cp[slot]
        if old >= 0:
            del self._slots[old]
        self._f.seek(found >> 1)
        base = 32 * slot
        pool = self.pool
        # Read into a buffer made once and copy: a memoryview slice of the
        # pool per miss would be garbage, and a screen of reason labels
        # misses the cache some 80 times per draw.
        if width == 16:
            buf = self._wide
            self._f.readinto(buf)
            for r in range(32):
                pool[base + r] = buf[r]
        else:
            buf = self._narrow
            self._f.readinto(buf)
            for r in range(16):
                pool[base + 2 * r] = buf[r]
                pool[base + 2 * r + 1] = 0
        self._slot_cp[slot] = cp
        self.widths[slot] = width
        self._slots[cp] = slot
        return slot

    def slot(self, ch):
        """Cache slot holding character CH (a 1-char str or a codepoint).

        Its bitmap is pool[32 * slot : 32 * slot + 32] (16 rows of 2 bytes)
        until `cache_size` other glyphs have been loaded.
        """
        cp = ch if type(ch) is int else ord(ch)
        slot = self._slots.get(cp)
        if slot is None:
            slot = self._load(cp)
        return slot

    def glyph(self, ch):
        """(width, 16x16 FrameBuffer) of CH, for blitting right away (see `slot`).

        Drawing loops use slot() with `widths` and `frames` instead: no tuple
        is allocated per character.
        """
        slot = self.slot(ch)
        return self.widths[slot], self.frames[slot]

    def bitmap(self, ch):
        """(width, bytes): CH's rows as in the font file (1 byte per row if 8 px wide)."""
        slot = self.slot(ch)
        width = self.widths[slot]
        base = 32 * slot
        if width == 16:
            return width, bytes(self.pool[base:base + 32])
        return width, bytes(self.pool[base + 2 * r] for r in range(16))

    def has(self, ch):
        """True if the font draws CH itself (not as the replacement box)."""
        return self._find(ord(ch)) is not None

    def width(self, cp):
        """Width in pixels of code point CP."""
        if 32 <= cp <= 126:  # ASCII is always 8 px: no flash read to measure it
            return 8
        return self.widths[self.slot(cp)]

    def char_width(self, ch):
        return self.width(ord(ch))

    def text_width(self, text, scale=1):
        chars = self.chars
        n = chars.load(text)
        cps = chars.cps
        w = 0
        for k in range(n):
            w += self.width(cps[k])
        return w * scale
