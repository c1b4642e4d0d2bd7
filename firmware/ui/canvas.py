"""Drawing text and shapes into the terminal's 1-bit framebuffer.

A Canvas owns the screen's MONO_HLSB framebuffer (320x240 -> 9,600 bytes; see
firmware/ui/panel.py for why 1 bit per pixel), the font, and two things the
panel driver and the tests read back:

- `drawn`: one (x, y, text, width, height) tuple per string drawn, in drawing
  order, so a test can read the screen as text and check where it is;
- `fg`, `bg` and `regions`: the screen's colour pair and colour overrides
  (x, y, w, h, fg, bg) for areas such as a title bar; pixels set to 1 show in
  the foreground colour of the area, 0 in its background colour.

Text is drawn with the bitmap font (16 px; scale 2 doubles every pixel, for
headings). `wrap` breaks mixed Chinese/ASCII text by pixel width: between any
two Chinese characters, at spaces between ASCII words, inside an ASCII word
only when the word alone is wider than the line, and never with closing
punctuation at the start of a line. `text_box` draws wrapped text in a box
and ends the last line with an ellipsis when the text does not fit, so no
string ever leaves its box or the screen. Breaking works on character
offsets (firmware/ui/wrap.py), so measuring and drawing wrapped text makes
no garbage beyond the strings drawn.
"""

import framebuf

from firmware.ui.utf8 import Codepoints
from firmware.ui.wrap import LineBreaker

LEFT = 0
CENTER = 1
RIGHT = 2
ELLIPSIS = "\u2026"
# Nibble -> byte with every bit doubled: expands a glyph row for scale 2.
_DOUBLE = bytes((0x00, 0x03, 0x0C, 0x0F, 0x30, 0x33, 0x3C, 0x3F,
                 0xC0, 0xC3, 0xCC, 0xCF, 0xF0, 0xF3, 0xFC, 0xFF))


class Canvas:
    """A screen-sized 1-bit framebuffer with a font and a record of drawn text."""

    def __init__(self, font, width=320, height=240):
        if width % 8:
            raise ValueError("canvas width must be a multiple of 8, got %d" % width)
        self.width = width
        self.height = height
        self.font = font
        self.buf = bytearray(width * height // 8)
        self.fb = framebuf.FrameBuffer(self.buf, width, height, framebuf.MONO_HLSB)
        self.fg = 0xFFFF
        self.bg = 0x0000
        self.regions = []
        self.drawn = []
        # Layouts screens computed once and keep for the canvas's life, under
        # keys of their own (the reason-labels pages: screens.label_pages).
        self.memo = {}
        self._chars = Codepoints()   # text as code points (utf8.py says why)
        self._breaker = LineBreaker(font.width, self._chars)
        # A glyph scaled by 2 (32x32), rebuilt for each character drawn at scale 2.
        self._g2 = bytearray(128)
        self._fb2 = framebuf.FrameBuffer(self._g2, 32, 32, framebuf.MONO_HLSB)
        # Palette that swaps 0 and 1: draws text in colour 0 over set pixels.
        self._inverse = framebuf.FrameBuffer(bytearray(b"\x80"), 2, 1, framebuf.MONO_HLSB)

    # ------------------------------------------------------------ screen state
    def clear(self, fg, bg):
        """Blank screen in colour pair (fg, bg) (RGB565); forget drawn text and regions."""
        self.fb.fill(0)
        self.fg = fg
        self.bg = bg
        self.regions = []
        self.drawn = []

    def region(self, x, y, w, h, fg, bg):
        """Colour the area (x, y, w, h) with its own pair; later regions win.

        x and w are multiples of 8 so the panel can expand the area from
        whole bytes of the framebuffer.
        """
        if x % 8 or w % 8 or x < 0 or y < 0 or w <= 0 or h <= 0 \
                or x + w > self.width or y + h > self.height:
            raise ValueError("colour region (%d, %d, %d, %d) must lie on the screen with "
                             "x and w multiples of 8" % (x, y, w, h))
        self.regions.append((x, y, w, h, fg, bg))

    def texts(self):
        """The strings drawn so far, in drawing order."""
        return [d[2] for d in self.drawn]

    # ------------------------------------------------------------ measuring
    def width_of(self, text, scale=1):
        return self.font.text_width(text, scale)

    def line_height(self, scale=1, gap=4):
        return self.font.height * scale + gap

    def fit(self, text, max_w, scale=1):
        """TEXT, or its longest prefix plus an ellipsis that fits in MAX_W pixels."""
        if self.width_of(text, scale) <= max_w:
            return text
        return self._cut(text, max_w // scale)

    def fitting(self, text, max_w, scale=1):
        """How many characters of TEXT, from its start, fit in MAX_W pixels."""
        return self._fitting(text, max_w // scale)

    def _fitting(self, text, limit):
        width = self.font.width
        n = self._chars.load(text)
        cps = self._chars.cps
        w = 0
        for k in range(n):
            w += width(cps[k])
            if w > limit:
                return k
        return n

    def _cut(self, text, limit):
        """Longest prefix of TEXT that, with an ellipsis after it, fits LIMIT px (scale 1)."""
        k = self._fitting(text, limit - self.font.width(0x2026))
        return text[:k] + ELLIPSIS

    def _limit(self, max_w, scale):
        limit = max_w // scale
        if limit < 16:
            raise ValueError("a line must hold at least one Chinese character (%d px at "
                             "scale %d), got %d px" % (16 * scale, scale, max_w))
        return limit

    def wrap(self, text, max_w, scale=1):
        """TEXT broken into lines no wider than MAX_W pixels (see the module docstring)."""
        n = self._breaker.run(text, self._limit(max_w, scale))
        sp = self._breaker.spans
        return [text[sp[2 * k]:sp[2 * k + 1]] for k in range(n)]

    def line_count(self, text, max_w, scale=1):
        """How many lines `wrap` would make of TEXT, without making them."""
        return self._breaker.run(text, self._limit(max_w, scale))

    # ------------------------------------------------------------ drawing
    def text(self, text, x, y, c=1, scale=1):
        """Draw TEXT with its top-left corner at (x, y); return its width in pixels.

        c=1 sets the glyph's pixels, c=0 clears them (text over a filled area).
        Glyph pixels outside the screen are clipped by framebuf.
        """
        width = self._blit(text, x, y, c, scale)
        self.drawn.append((x, y, text, width, self.font.height * scale))
        return width

    def _blit(self, text, x, y, c, scale):
        """TEXT's glyphs into the framebuffer, not recorded in `drawn`; -> width."""
        x0 = x
        font = self.font
        blit = self.fb.blit
        widths, frames = font.widths, font.frames
        n = self._chars.load(text)
        cps = self._chars.cps
        for k in range(n):
            slot = font.slot(cps[k])
            w = widths[slot]
            if scale == 1:
                src = frames[slot]
            elif scale == 2:
                _double(font.pool, 32 * slot, self._g2)
                src = self._fb2
            else:
                raise ValueError("text scale must be 1 or 2, got %r" % (scale,))
            if c:
                blit(src, x, y, 0)
            else:
                blit(src, x, y, 1, self._inverse)
            x += w * scale
        return x - x0

    def text_in(self, text, x, y, w, c=1, scale=1, align=LEFT):
        """One line of TEXT in the box [x, x+w), cut with an ellipsis if too wide."""
        tw = self.width_of(text, scale)
        if tw > w:
            text = self._cut(text, w // scale)
            tw = self.width_of(text, scale)
        if align == CENTER:
            x += (w - tw) // 2
        elif align == RIGHT:
            x += w - tw
        self.text(text, x, y, c, scale)
        return tw

    def text_box(self, text, x, y, w, max_lines, c=1, scale=1, align=LEFT, gap=4):
        """Wrapped TEXT in a box W wide, at most MAX_LINES lines; return the lines used.

        When the text needs more lines, the last line shown ends with an ellipsis.
        """
        n = self._breaker.run(text, self._limit(w, scale))
        shown = min(n, max_lines)
        sp = self._breaker.spans
        step = self.line_height(scale, gap)
        for k in range(shown):
            line = text[sp[2 * k]:sp[2 * k + 1]]
            if k == shown - 1 and n > shown:
                line = self._cut(line, w // scale)
            self.text_in(line, x, y + k * step, w, c, scale, align)
        return shown

    def bold(self, text, x, y, c=1):
        """TEXT drawn twice, one pixel apart: heavier strokes at scale 1. Returns width + 1."""
        w = self._blit(text, x, y, c, 1)
        self._blit(text, x + 1, y, c, 1)
        self.drawn.append((x, y, text, w + 1, self.font.height))  # recorded once
        return w + 1


def _double(pool, base, out):
    """Scale the 16x16 glyph at POOL[BASE:BASE+32] by 2 into OUT (32x32, 128 bytes)."""
    d = _DOUBLE
    o = 0
    for i in range(base, base + 32):
        b = pool[i]
        hi = d[b >> 4]
        lo = d[b & 15]
        out[o] = hi
        out[o + 1] = lo
        out[o + 4] = hi  # the same pixels again, one row down
        out[o + 5] = lo
        o += 6 if i & 1 else 2  # BASE is even: odd i is a row's right byte
