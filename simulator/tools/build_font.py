"""Build the terminal's bitmap font from GNU Unifont (reproducible).

    python -m simulator.tools.build_font [--hex /usr/share/unifont/unifont.hex]
                                         [--out firmware/fonts/unifont16.bin]

Input: GNU Unifont's .hex file (Debian package `unifont`; GPL-2+ with the
font embedding exception). Output: the subset the terminal needs — every
character of GB2312 (all that Python's 'gb2312' codec decodes), printable
ASCII and the few extra symbols the screens draw (EXTRA) — in the format
firmware/ui/font.py reads glyph by glyph from flash:

    header (64 bytes, little-endian)
      0  b"PJF1"        magic and format version
      4  u8  height     16 (pixels; every glyph is this tall)
      5  u8  block      index entries per block of the sparse key table (64)
      6  u16 count      number of glyphs
      8  u32 keys_off   sparse keys: u16 first codepoint of each index block
     12  u32 index_off  index: count x (u16 codepoint, u16 slot), sorted
     16  u32 bits_off   glyph bitmaps
     20  32 bytes       sha256 of the unifont.hex the font was built from
     52  12 bytes       zero
    slot: bit 15 set = 16 px wide (32 bytes), clear = 8 px wide (16 bytes);
          bits 0-14 = offset of the bitmap from bits_off, in 16-byte units.
    bitmap rows are top to bottom, MSB = leftmost pixel: exactly the
    MONO_HLSB layout of a framebuf of the glyph's width, so a glyph blits as is.

The output depends only on the input bytes (sorted order, no timestamps), so
the same unifont.hex always gives the same file; tests/firmware/test_font.py checks
that the committed font equals a fresh build. The input's version and sha256
go to firmware/fonts/SOURCE.txt as well.
"""

import argparse
import hashlib
import os
import struct
import subprocess
import sys

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DEFAULT_HEX = "/usr/share/unifont/unifont.hex"
DEFAULT_OUT = os.path.join(REPO_ROOT, "firmware", "fonts", "unifont16.bin")
MAGIC = b"PJF1"
HEIGHT = 16
BLOCK = 64
HEADER_SIZE = 64
WIDE = 0x8000
# Symbols the screens use beyond GB2312: check marks, ballot boxes, arrow-
# heads pointing at the buttons, the interpunct and the replacement glyph
# drawn for characters the font lacks.
EXTRA = "\u2713\u2714\u2715\u2610\u2611\u25bc\u25b2\u00b7\ufffd"
# Full-width punctuation that Simplified Chinese sets at the left of its
# square, against the character before it (GB/T 15834).
# Unifont centres these (the Taiwan and Japan placement), which on screen
# reads as a gap before the mark: "后，请" looked like "后 ，请". Their ink is
# moved left to LEFT_INK_COLUMN, where Unifont already draws 、 and 。; the
# advance stays 16 px, so wrapping and widths do not change.
LEFT_SET = "\uff0c\uff0e\uff1a\uff1b\uff01\uff1f"      # ，．：；！？
LEFT_INK_COLUMN = 3


def wanted_codepoints():
    """GB2312 (every 2-byte code the 'gb2312' codec decodes), ASCII and EXTRA."""
    cps = set(range(0x20, 0x7F))
    for hi in range(0xA1, 0xF8):
        for lo in range(0xA1, 0xFF):
            try:
                ch = bytes((hi, lo)).decode("gb2312")
            except UnicodeDecodeError:
                continue
            cps.add(ord(ch))
    cps.update(ord(c) for c in EXTRA)
    return cps


def read_hex(path, wanted):
    """{codepoint: bitmap bytes} for the wanted codepoints found in PATH."""
    glyphs = {}
    with open(path, "r", encoding="ascii") as f:
        for lineno, line in enumerate(f, 1):
            line = line.strip()
            if not line:
                continue
            cp_text, _, bits = line.partition(":")
            cp = int(cp_text, 16)
            if cp not in wanted:
                continue
            if len(bits) not in (32, 64):
                raise ValueError("%s:%d: U+%04X has %d hex digits, want 32 or 64"
                                 % (path, lineno, cp, len(bits)))
            glyphs[cp] = bytes.fromhex(bits)
    return glyphs


def placed(cp, bits):
    """BITS of CP as the terminal draws them: Unifont's, except LEFT_SET moved left."""
    if len(bits) != 32 or chr(cp) not in LEFT_SET:
        return bits
    rows = [bits[2 * r] << 8 | bits[2 * r + 1] for r in range(16)]
    ink = 0
    for row in rows:
        ink |= row
    shift = (16 - ink.bit_length()) - LEFT_INK_COLUMN   # leftmost ink column - target
    if not ink or shift <= 0:
        return bits
    return b"".join(struct.pack(">H", (row << shift) & 0xFFFF) for row in rows)


def build(hex_bytes_path):
    """The font file's bytes and the list of wanted codepoints missing from the input."""
    with open(hex_bytes_path, "rb") as f:
        digest = hashlib.sha256(f.read()).digest()
    wanted = wanted_codepoints()
    glyphs = read_hex(hex_bytes_path, wanted)
    missing = sorted(wanted - set(glyphs))
    cps = sorted(glyphs)
    if cps[-1] > 0xFFFF:
        raise ValueError("codepoint above the BMP: the index holds 16-bit codepoints")
    count = len(cps)
    nblocks = (count + BLOCK - 1) // BLOCK
    keys_off = HEADER_SIZE
    index_off = keys_off + 2 * nblocks
    bits_off = index_off + 4 * count
    index = bytearray()
    bits = bytearray()
    for cp in cps:
        data = placed(cp, glyphs[cp])
        unit = len(bits) // 16
        if unit >= WIDE:
            raise ValueError("bitmaps exceed the 15-bit slot range")
        index += struct.pack("<HH", cp, unit | (WIDE if len(data) == 32 else 0))
        bits += data
    keys = b"".join(struct.pack("<H", cps[i]) for i in range(0, count, BLOCK))
    header = MAGIC + struct.pack("<BBHIII", HEIGHT, BLOCK, count, keys_off, index_off, bits_off)
    header += digest
    header += bytes(HEADER_SIZE - len(header))
    return header + keys + bytes(index) + bytes(bits), missing


def unifont_version():
    """The Debian package version of unifont, or 'unknown' off Debian."""
    try:
        out = subprocess.run(["dpkg-query", "-W", "-f=${Version}", "unifont"],
                             capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return out or "unknown"


def write_source_note(out_path, hex_path, data, missing):
    with open(hex_path, "rb") as f:
        digest = hashlib.sha256(f.read()).hexdigest()
    note = os.path.join(os.path.dirname(out_path), "SOURCE.txt")
    with open(note, "w", encoding="utf-8") as f:
        f.write("%s was built by simulator/tools/build_font.py from:\n" % os.path.basename(out_path))
        f.write("  file:    %s\n" % hex_path)
        f.write("  package: Debian unifont %s (GNU Unifont)\n" % unifont_version())
        f.write("  sha256:  %s\n" % digest)
        f.write("output: %d bytes, %d glyphs, sha256 %s\n"
                % (len(data), struct.unpack_from("<H", data, 6)[0], hashlib.sha256(data).hexdigest()))
        f.write("wanted but not in the input: %s\n"
                % (" ".join("U+%04X" % cp for cp in missing) or "none"))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--hex", default=DEFAULT_HEX, help="GNU Unifont .hex file (default %(default)s)")
    ap.add_argument("--out", default=DEFAULT_OUT, help="font file to write (default %(default)s)")
    args = ap.parse_args(argv)
    if not os.path.isfile(args.hex):
        print("build_font: %s not found: install the Debian package unifont "
              "(apt-get install unifont) or pass --hex" % args.hex, file=sys.stderr)
        return 2
    data, missing = build(args.hex)
    with open(args.out, "wb") as f:
        f.write(data)
    write_source_note(args.out, args.hex, data, missing)
    print("build_font: wrote %s (%d bytes, %d glyphs; %d wanted glyphs missing)"
          % (args.out, len(data), struct.unpack_from("<H", data, 6)[0], len(missing)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
