"""Consistent Overhead Byte Stuffing (COBS), the byte stuffing of the serial link.

A serial line carries frames as

    0x00? COBS(frame) 0x00

COBS removes every 0x00 from a frame, so 0x00 can only be a delimiter: a
receiver that joins the line at any point, or loses bytes to noise, is back
in step at the next 0x00. A sender MAY emit a 0x00 before a frame to cut off
line noise that arrived since the last delimiter; a receiver ignores the
empty frames this makes between two delimiters.

Encoding (Cheshire and Baker, 1999; the variant shown on Wikipedia): the
frame is cut into groups, each written as one code byte followed by
code - 1 data bytes:

    code 0x01..0xFE  code - 1 data bytes, then the group stands for those
                     bytes followed by one 0x00 (except after the last group
                     of the frame, which has no 0x00 after it)
    code 0xFF        254 data bytes, with no 0x00 after them

So every 0x00 of the frame becomes the end of a group, and a run of 254
non-zero bytes is cut without one. A frame that ends in exactly 254 non-zero
bytes ends with that 0xFF group, no trailing 0x01 (decoders here accept both
forms). Overhead: at most 1 byte per 254 bytes, plus 1; COBS(b"") is b"\x01".
"""

# Longest run of data bytes in one group.
_RUN = 254


def max_encoded_len(n):
    """Largest COBS encoding of n bytes, without the delimiter."""
    return n + n // _RUN + 1


def encode(data):
    """-> COBS encoding of data (bytes-like): bytes with no 0x00 in them."""
    data = bytes(data)
    out = bytearray()
    n = len(data)
    i = 0
    while True:
        # One segment: the bytes up to the next 0x00, or to the end.
        j = data.find(b"\x00", i)
        last = j < 0
        end = n if last else j
        cut = False
        while end - i >= _RUN:
            out.append(0xFF)
            out += data[i:i + _RUN]
            i += _RUN
            cut = True
        # A segment that ended exactly on a 0xFF group needs no closing group,
        # unless a 0x00 follows it (that 0x00 is the closing group's job).
        if not last or i < end or not cut:
            out.append(end - i + 1)
            out += data[i:end]
        if last:
            return bytes(out)
        i = end + 1


def decode(data):
    """-> the bytes that data (a COBS encoding without delimiter) stands for.

    Raises ValueError, naming the offset, on input no encoder makes: empty
    input, a 0x00 anywhere, or a group that runs past the end.
    """
    data = bytes(data)
    n = len(data)
    if n == 0:
        raise ValueError("cobs: empty input (the encoding of b'' is 01)")
    out = bytearray()
    i = 0
    while i < n:
        code = data[i]
        if code == 0:
            raise ValueError("cobs: zero code byte at offset %d" % i)
        end = i + code
        if end > n:
            raise ValueError("cobs: group at offset %d needs %d bytes, %d left"
                             % (i, code - 1, n - i - 1))
        block = data[i + 1:end]
        if block.find(b"\x00") >= 0:
            raise ValueError("cobs: zero byte at offset %d" % (i + 1 + block.find(b"\x00")))
        out += block
        i = end
        if code != 0xFF and i < n:
            out.append(0)
    return bytes(out)
