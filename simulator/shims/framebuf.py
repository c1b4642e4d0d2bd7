"""MicroPython's `framebuf` for CPython: the subset the firmware uses.

Behaves like MicroPython 1.27's extmod/modframebuf.c, pixel for pixel, so a
screen drawn here has the same bytes as on the device (tests/firmware/test_screens.py
compares both interpreters): same clipping, same Bresenham line, same
midpoint ellipse, same blit key/palette order (the palette maps a source
colour first, then the mapped colour is compared with the key).

Formats: MONO_HLSB, MONO_HMSB, MONO_VLSB, RGB565 (little-endian 16-bit, as
on the ESP32 and the WebAssembly port) and GS8. Methods: fill, fill_rect,
pixel, hline, vline, rect, line, ellipse, blit. Not here: text (the firmware
draws with its own font), poly, scroll, the buffer protocol on the object.
"""

MONO_VLSB = 0
MVLSB = 0
RGB565 = 1
GS4_HMSB = 2
MONO_HLSB = 3
MONO_HMSB = 4
GS2_HMSB = 5
GS8 = 6

_SUPPORTED = (MONO_VLSB, RGB565, MONO_HLSB, MONO_HMSB, GS8)
_FILL = 0x10


class FrameBuffer:
    """FrameBuffer(buffer, width, height, format[, stride]) over a writable buffer."""

    def __init__(self, buffer, width, height, format, stride=None):
        if format not in _SUPPORTED:
            raise ValueError("invalid format (the CPython framebuf shim supports "
                             "MONO_VLSB, RGB565, MONO_HLSB, MONO_HMSB, GS8)")
        mv = memoryview(buffer).cast("B")
        if mv.readonly:
            raise TypeError("object with buffer protocol required (writable)")
        self._init(mv, width, height, format, stride)

    def _init(self, mv, width, height, format, stride):
        if width < 1 or height < 1 or width > 0xFFFF or height > 0xFFFF:
            raise ValueError("invalid framebuffer size")
        stride = width if stride is None else stride
        if format in (MONO_HLSB, MONO_HMSB):
            stride = (stride + 7) & ~7
        self.width = width
        self.height = height
        self.format = format
        self.stride = stride
        if format in (MONO_HLSB, MONO_HMSB):
            need = (stride * (height - 1) + width + 7) >> 3
        elif format == MONO_VLSB:
            need = ((height + 7) >> 3) * stride
        elif format == RGB565:
            need = 2 * (stride * (height - 1) + width)
        else:
            need = stride * (height - 1) + width
        if len(mv) < need:
            raise ValueError("buffer too small")
        self._buf = mv

    # ------------------------------------------------------------ pixels
    def _get(self, x, y):
        b, f = self._buf, self.format
        if f == MONO_HLSB or f == MONO_HMSB:
            i = (x + y * self.stride) >> 3
            off = (x & 7) if f == MONO_HMSB else 7 - (x & 7)
            return (b[i] >> off) & 1
        if f == RGB565:
            i = 2 * (x + y * self.stride)
            return b[i] | (b[i + 1] << 8)
        if f == MONO_VLSB:
            return (b[(y >> 3) * self.stride + x] >> (y & 7)) & 1
        return b[x + y * self.stride]

    def _set(self, x, y, col):
        b, f = self._buf, self.format
        if f == MONO_HLSB or f == MONO_HMSB:
            i = (x + y * self.stride) >> 3
            off = (x & 7) if f == MONO_HMSB else 7 - (x & 7)
            b[i] = (b[i] & ~(1 << off) & 0xFF) | ((col != 0) << off)
        elif f == RGB565:
            i = 2 * (x + y * self.stride)
            col &= 0xFFFF
            b[i] = col & 0xFF
            b[i + 1] = col >> 8
        elif f == MONO_VLSB:
            i = (y >> 3) * self.stride + x
            off = y & 7
            b[i] = (b[i] & ~(1 << off) & 0xFF) | ((col != 0) << off)
        else:
            b[x + y * self.stride] = col & 0xFF

    def _set_checked(self, x, y, col, mask):
        if mask and 0 <= x < self.width and 0 <= y < self.height:
            self._set(x, y, col)

    # ------------------------------------------------------------ rectangles
    def _fill_rect(self, x, y, w, h, col):
        """Already clipped; whole rows at once where the format allows it."""
        b, f = self._buf, self.format
        if f == MONO_HLSB and h > 0 and w > 0:
            row = self.stride >> 3
            bit = 1 if col != 0 else 0
            for yy in range(y, y + h):
                base = yy * row
                xx, end = x, x + w
                while xx < end and xx & 7:
                    self._set(xx, yy, bit)
                    xx += 1
                full = (end - xx) >> 3
                if full:
                    b[base + (xx >> 3):base + (xx >> 3) + full] = (b"\xff" if bit else b"\x00") * full
                    xx += full << 3
                while xx < end:
                    self._set(xx, yy, bit)
                    xx += 1
        elif f == RGB565:
            c = col & 0xFFFF
            pat = bytes((c & 0xFF, c >> 8)) * w
            for yy in range(y, y + h):
                i = 2 * (x + yy * self.stride)
                b[i:i + 2 * w] = pat
        else:
            for yy in range(y, y + h):
                for xx in range(x, x + w):
                    self._set(xx, yy, col)

    def _clip_fill(self, x, y, w, h, col):
        if h < 1 or w < 1 or x + w <= 0 or y + h <= 0 or y >= self.height or x >= self.width:
            return
        xend = min(self.width, x + w)
        yend = min(self.height, y + h)
        x = max(x, 0)
        y = max(y, 0)
        self._fill_rect(x, y, xend - x, yend - y, col)

    def fill(self, c):
        self._fill_rect(0, 0, self.width, self.height, c)

    def fill_rect(self, x, y, w, h, c):
        self._clip_fill(x, y, w, h, c)

    def pixel(self, x, y, c=None):
        if 0 <= x < self.width and 0 <= y < self.height:
            if c is None:
                return self._get(x, y)
            self._set(x, y, c)
        return None

    def hline(self, x, y, w, c):
        self._clip_fill(x, y, w, 1, c)

    def vline(self, x, y, h, c):
        self._clip_fill(x, y, 1, h, c)

    def rect(self, x, y, w, h, c, f=False):
        if f:
            self._clip_fill(x, y, w, h, c)
        else:
            self._clip_fill(x, y, w, 1, c)
            self._clip_fill(x, y + h - 1, w, 1, c)
            self._clip_fill(x, y, 1, h, c)
            self._clip_fill(x + w - 1, y, 1, h, c)

    # ------------------------------------------------------------ lines
    def line(self, x1, y1, x2, y2, c):
        dx, sx = (x2 - x1, 1) if x2 - x1 > 0 else (x1 - x2, -1)
        dy, sy = (y2 - y1, 1) if y2 - y1 > 0 else (y1 - y2, -1)
        steep = dy > dx
        if steep:
            x1, y1, dx, dy, sx, sy = y1, x1, dy, dx, sy, sx
        e = 2 * dy - dx
        for _ in range(dx):
            if steep:
                self._set_checked(y1, x1, c, 1)
            else:
                self._set_checked(x1, y1, c, 1)
            while e >= 0:
                y1 += sy
                e -= 2 * dx
            x1 += sx
            e += 2 * dy
        self._set_checked(x2, y2, c, 1)

    def _ellipse_points(self, cx, cy, x, y, col, mask):
        if mask & _FILL:
            if mask & 1:
                self._clip_fill(cx, cy - y, x + 1, 1, col)
            if mask & 2:
                self._clip_fill(cx - x, cy - y, x + 1, 1, col)
            if mask & 4:
                self._clip_fill(cx - x, cy + y, x + 1, 1, col)
            if mask & 8:
                self._clip_fill(cx, cy + y, x + 1, 1, col)
        else:
            self._set_checked(cx + x, cy - y, col, mask & 1)
            self._set_checked(cx - x, cy - y, col, mask & 2)
            self._set_checked(cx - x, cy + y, col, mask & 4)
            self._set_checked(cx + x, cy + y, col, mask & 8)

    def ellipse(self, cx, cy, xr, yr, c, f=False, m=0x0F):
        """Quadrant mask m: bit 0 upper right, 1 upper left, 2 lower left, 3 lower right."""
        mask = (_FILL if f else 0) | (m & 0x0F)
        if xr == 0 and yr == 0:
            self._set_checked(cx, cy, c, mask & 0x0F)
            return
        # MicroPython's midpoint ellipse walks two arcs: the flat one from
        # (xr, 0) and the steep one from (0, yr); the second is the first
        # with the axes swapped.
        self._arc(cx, cy, xr, yr, c, mask, False)
        self._arc(cx, cy, yr, xr, c, mask, True)

    def _arc(self, cx, cy, a, b, c, mask, swapped):
        two_a2, two_b2 = 2 * a * a, 2 * b * b
        u, v = a, 0
        uchange, vchange = b * b * (1 - 2 * a), a * a
        err, stop_u, stop_v = 0, two_b2 * a, 0
        while stop_u >= stop_v:
            if swapped:
                self._ellipse_points(cx, cy, v, u, c, mask)
            else:
                self._ellipse_points(cx, cy, u, v, c, mask)
            v += 1
            stop_v += two_a2
            err += vchange
            vchange += two_a2
            if 2 * err + uchange > 0:
                u -= 1
                stop_u -= two_b2
                err += uchange
                uchange += two_b2

    # ------------------------------------------------------------ blit
    def blit(self, fbuf, x, y, key=-1, palette=None):
        src = _as_framebuffer(fbuf)
        pal = None if palette is None else _as_framebuffer(palette)
        if x >= self.width or y >= self.height or -x >= src.width or -y >= src.height:
            return
        key &= 0xFFFFFFFF
        x0, y0 = max(0, x), max(0, y)
        x1, y1 = max(0, -x), max(0, -y)
        x0end = min(self.width, x + src.width)
        y0end = min(self.height, y + src.height)
        get, sget, sset = (pal._get if pal else None), src._get, self._set
        while y0 < y0end:
            cx1 = x1
            for cx0 in range(x0, x0end):
                col = sget(cx1, y1)
                if get:
                    col = get(col, 0)
                if col != key:
                    sset(cx0, y0, col)
                cx1 += 1
            y0 += 1
            y1 += 1


def _as_framebuffer(obj):
    """A FrameBuffer, or MicroPython's (buffer, width, height, format[, stride]) tuple."""
    if isinstance(obj, FrameBuffer):
        return obj
    if isinstance(obj, (tuple, list)) and 4 <= len(obj) <= 5:
        fb = FrameBuffer.__new__(FrameBuffer)
        fb._init(memoryview(obj[0]).cast("B"), obj[1], obj[2], obj[3],
                 obj[4] if len(obj) == 5 else None)
        return fb
    raise ValueError("blit source must be a FrameBuffer or a (buffer, w, h, format[, stride]) tuple")


def FrameBuffer1(buffer, width, height, format, stride=None):
    """Old alias kept by MicroPython."""
    return FrameBuffer(buffer, width, height, format, stride)
