"""A hub `print` message -> ESC/POS bytes for the 58 mm printer.

The QR code is made by the printer itself (GS ( k, model 2), so the terminal
carries no QR encoder and no raster image. Text goes out as UTF-8 with the
printer set to its UTF-8 code page (a setting of current 58 mm models): a
GB18030 table would cost far more flash than this terminal should spend.
"""

ESC_INIT = b"\x1b@"
CENTER = b"\x1ba\x01"
LEFT = b"\x1ba\x00"
BIG = b"\x1d!\x11"
NORMAL = b"\x1d!\x00"
FEED_CUT = b"\n\n\n\x1dV\x42\x00"
QR_MODULE = 6       # dots per module: a 300-character URL still fits 48 mm


def _qr(data):
    n = len(data) + 3
    return (b"\x1d(k\x04\x001A2\x00"                          # model 2
            + b"\x1d(k\x03\x001C" + bytes((QR_MODULE,))       # module size
            + b"\x1d(k\x03\x001E1"                            # error correction M
            + b"\x1d(k" + bytes((n & 0xFF, n >> 8)) + b"1P0" + data   # store
            + b"\x1d(k\x03\x001Q0")                           # print


def receipt(msg):
    out = bytearray(ESC_INIT)
    out += CENTER + BIG + msg["title"].encode() + b"\n" + NORMAL
    lines = msg.get("lines") or ()
    if lines:
        out += LEFT
        for line in lines:
            out += line.encode() + b"\n"
    if msg.get("qr"):
        out += CENTER + _qr(msg["qr"].encode()) + b"\n"
    out += FEED_CUT
    return bytes(out)
