"""Screenshots of the terminal's screen as PNG, without Pillow.

    png = screenshot_png(canvas)            # bytes of a PNG file
    write_png("idle.png", canvas, scale=2)

The pixels are exactly what the panel would get: the canvas is expanded by
firmware/ui/panel.push (the same code the board's display driver runs),
then each RGB565 pixel is widened to 8 bits per channel. The PNG writer is
plain zlib + CRC chunks (truecolour, 8 bits, no interlace).
"""

import struct
import zlib

from simulator.shims import install

install()

from firmware.ui.panel import push  # noqa: E402


def rgb_rows(canvas):
    """The screen as a list of rows of bytes (R, G, B per pixel)."""
    rows = []
    colours = {}

    def widen(c):
        r, g, b = (c >> 11) & 31, (c >> 5) & 63, c & 31
        return bytes(((r * 255 + 15) // 31, (g * 255 + 31) // 63, (b * 255 + 15) // 31))

    def write(y, n, data):
        raw = bytes(data)
        row_len = 2 * canvas.width
        for k in range(n):
            line = raw[k * row_len:(k + 1) * row_len]
            out = bytearray()
            for i in range(0, row_len, 2):
                c = (line[i] << 8) | line[i + 1]  # big-endian, as sent to the panel
                px = colours.get(c)
                if px is None:
                    px = colours[c] = widen(c)
                out += px
            rows.append(bytes(out))

    push(canvas, write, rows=16, big_endian=True)
    return rows


def png_bytes(rows, width, scale=1):
    """PNG file bytes for ROWS (RGB bytes each), each pixel drawn SCALE x SCALE."""
    raw = bytearray()
    for row in rows:
        if scale > 1:
            row = b"".join(row[i:i + 3] * scale for i in range(0, len(row), 3))
        for _ in range(scale):
            raw += b"\x00" + row
    height = len(rows) * scale

    def chunk(kind, data):
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

    header = struct.pack(">IIBBBBB", width * scale, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(bytes(raw), 9)) + chunk(b"IEND", b""))


def screenshot_png(canvas, scale=1):
    return png_bytes(rgb_rows(canvas), canvas.width, scale)


def write_png(path, canvas, scale=1):
    data = screenshot_png(canvas, scale)
    with open(path, "wb") as f:
        f.write(data)
    return len(data)
