"""From the 1-bit screen to the RGB565 panel: the display memory strategy.

The reference board is an ESP32-S3 without PSRAM whose application heap
budget is 64 KiB. A full 320x240 RGB565 framebuffer would be 153,600 bytes:
it does not fit, and half of it would not either. So:

1. Screens are drawn into a 1-bit MONO_HLSB framebuffer of 320x240:
   9,600 bytes (firmware/ui/canvas.py).
2. Colour comes from a colour pair per screen (foreground for set pixels,
   background for clear ones) plus a few rectangular regions with their own
   pair (title bar, the five level tiles, the cursor row, the offline badge).
   Region x and width are multiples of 8, so a region is a view on whole bytes
   of the framebuffer.
3. `push` expands the screen to RGB565 one strip of rows at a time (default
   8 rows: a 5,120-byte strip buffer) and hands each strip to the driver's
   write function, which sends it over SPI to the panel's window. The
   expansion is framebuf.blit with a 2-colour palette, done in C on the
   device: no per-pixel Python loop.

Peak display memory: 9,600 (screen) + 5,120 (strip) + a few small objects.
Panels (ILI9341, ST7789) take RGB565 big-endian while framebuf writes the
host's little-endian order, so by default colours are byte-swapped in the
palette and the strip bytes go to SPI as they are.
"""

import framebuf


def rgb565(r, g, b):
    """RGB565 value of an 8-bit-per-channel colour."""
    return ((r & 0xF8) << 8) | ((g & 0xFC) << 3) | (b >> 3)


def swap16(c):
    return ((c & 0xFF) << 8) | ((c >> 8) & 0xFF)


def strip_buffer(width=320, rows=8):
    """A buffer for `push`: 2 bytes per pixel, ROWS rows."""
    return bytearray(2 * width * rows)


def push(canvas, write, strip=None, rows=8, big_endian=True):
    """Expand CANVAS to RGB565 strip by strip; call write(y, n, data) per strip.

    data is a memoryview of n rows (n <= ROWS; the last strip may be shorter)
    of 2-byte pixels, valid only during the call: the driver sets the panel
    window to rows y..y+n-1 and writes the bytes. STRIP is the reusable buffer
    (from strip_buffer); big_endian swaps bytes for SPI panels.
    """
    width, height = canvas.width, canvas.height
    row_bytes = width >> 3
    if strip is None:
        strip = strip_buffer(width, rows)
    rows = len(strip) // (2 * width)
    if rows < 1:
        raise ValueError("strip buffer holds less than one row of %d pixels" % width)
    out = framebuf.FrameBuffer(strip, width, rows, framebuf.RGB565)
    pal_buf = bytearray(4)
    pal = framebuf.FrameBuffer(pal_buf, 2, 1, framebuf.RGB565)
    mono = memoryview(canvas.buf)
    view = memoryview(strip)
    for y in range(0, height, rows):
        n = min(rows, height - y)
        _palette(pal, canvas.fg, canvas.bg, big_endian)
        out.blit(framebuf.FrameBuffer(mono[y * row_bytes:], width, n, framebuf.MONO_HLSB),
                 0, 0, -1, pal)
        for rx, ry, rw, rh, fg, bg in canvas.regions:
            top = max(ry, y)
            bottom = min(ry + rh, y + n)
            if top < bottom:
                _palette(pal, fg, bg, big_endian)
                src = framebuf.FrameBuffer(mono[top * row_bytes + (rx >> 3):], rw, bottom - top,
                                           framebuf.MONO_HLSB, width)
                out.blit(src, rx, top - y, -1, pal)
        write(y, n, view if n == rows else view[:2 * width * n])


def _palette(pal, fg, bg, big_endian):
    if big_endian:
        fg, bg = swap16(fg), swap16(bg)
    pal.pixel(0, 0, bg)
    pal.pixel(1, 0, fg)
