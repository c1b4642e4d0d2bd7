"""Replay drawing operations on framebuf and print each buffer's sha256.

Runs unchanged on MicroPython (the real framebuf) and on CPython (the shim in
simulator/shims), so tests/simulator/test_framebuf_shim.py can require identical bytes.
Usage: mp_framebuf.py OPS_JSON_PATH
The JSON is a list of cases: {"fmt": format name, "w", "h", "ops": [[name,
arg, ...], ...]}; "blit" ops name a source case by index (drawn earlier) and
may give a palette as [colour0, colour1] in the destination's format.
"""

import hashlib
import json
import sys

import framebuf

FORMATS = {"MONO_HLSB": framebuf.MONO_HLSB, "MONO_HMSB": framebuf.MONO_HMSB,
           "MONO_VLSB": framebuf.MONO_VLSB, "RGB565": framebuf.RGB565, "GS8": framebuf.GS8}


def size(fmt, w, h):
    if fmt in ("MONO_HLSB", "MONO_HMSB"):
        return ((w + 7) // 8) * h
    if fmt == "MONO_VLSB":
        return w * ((h + 7) // 8)
    return w * h * (2 if fmt == "RGB565" else 1)


def run(cases):
    made = []
    out = []
    for case in cases:
        buf = bytearray(size(case["fmt"], case["w"], case["h"]))
        fb = framebuf.FrameBuffer(buf, case["w"], case["h"], FORMATS[case["fmt"]])
        for op in case["ops"]:
            name, args = op[0], op[1:]
            if name == "blit":
                src, x, y, key, pal = args
                palette = None
                if pal is not None:
                    pfmt = framebuf.RGB565 if case["fmt"] == "RGB565" else framebuf.MONO_HLSB
                    pbuf = bytearray(4)
                    palette = framebuf.FrameBuffer(pbuf, 2, 1, pfmt)
                    palette.pixel(0, 0, pal[0])
                    palette.pixel(1, 0, pal[1])
                fb.blit(made[src][0], x, y, key, palette)
            else:
                getattr(fb, name)(*args)
        made.append((fb, buf))
        out.append("".join("%02x" % b for b in hashlib.sha256(buf).digest()))
    return out


if __name__ == "__main__":
    with open(sys.argv[1]) as f:
        print(json.dumps(run(json.load(f))))
