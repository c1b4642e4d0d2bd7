"""A string's characters as code points, read from its UTF-8 bytes.

Why not `for ch in text`: on MicroPython every character a str iterator (or
text[i], or chr()) hands out is interned as a qstr, and qstrs are never
freed. A terminal shows whatever names the hub sends, so over weeks each
distinct character it ever drew would stay in the heap (~16 bytes each,
measured on the WebAssembly port: 3,000 distinct characters kept 47,728
bytes). Reading the str's own bytes through a memoryview keeps nothing:
MicroPython exposes a str as a buffer; CPython does not, and there the
encoded copy is only garbage.
"""

from array import array

try:
    memoryview("")
    _bytes_of = memoryview          # MicroPython: no copy
except TypeError:
    def _bytes_of(text):            # CPython
        return text.encode("utf-8", "surrogatepass")


class Codepoints:
    """A reusable buffer of code points: load(text) -> n, then cps[0:n].

    The buffer grows to the longest text loaded and is reused after that,
    so loading allocates nothing but a memoryview.
    """

    def __init__(self, size=64):
        self.cps = array("I", [0] * size)

    def load(self, text):
        b = _bytes_of(text)
        nb = len(b)
        cps = self.cps
        if len(cps) < nb:
            cps = self.cps = array("I", [0] * nb)   # at most one code point per byte
        n = i = 0
        while i < nb:
            c = b[i]
            if c < 0x80:
                i += 1
            elif c < 0xE0:
                c = ((c & 0x1F) << 6) | (b[i + 1] & 0x3F)
                i += 2
            elif c < 0xF0:
                c = ((c & 0x0F) << 12) | ((b[i + 1] & 0x3F) << 6) | (b[i + 2] & 0x3F)
                i += 3
            else:
                c = ((c & 0x07) << 18) | ((b[i + 1] & 0x3F) << 12) \
                    | ((b[i + 2] & 0x3F) << 6) | (b[i + 3] & 0x3F)
                i += 4
            cps[n] = c
            n += 1
        return n


def codepoint_tuple(text):
    """TEXT's code points as a tuple (for constant character classes)."""
    c = Codepoints(len(text) * 4 or 1)
    n = c.load(text)
    return tuple(c.cps[k] for k in range(n))
