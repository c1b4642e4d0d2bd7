"""The CPython framebuf shim draws the same bytes as MicroPython's framebuf.

Random drawing programs (hypothesis) run through tests/simulator/mp_framebuf.py
on the real MicroPython WebAssembly port and on CPython with simulator/shims;
every buffer's sha256 must match. Plus behaviour checks of the shim alone.
"""

import json
import os

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from simulator.mpy import run_micropython
from simulator.shims import install

install()

import framebuf  # noqa: E402  (the shim, on CPython)

import importlib.util  # noqa: E402

SCRIPT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "mp_framebuf.py")
_spec = importlib.util.spec_from_file_location("mp_ui_framebuf", SCRIPT)
mp_ui_framebuf = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(mp_ui_framebuf)

coord = st.integers(-12, 44)
length = st.integers(-3, 40)
radius = st.integers(0, 18)


def colour(fmt):
    if fmt == "RGB565":
        return st.integers(0, 0xFFFF)
    if fmt == "GS8":
        return st.integers(0, 255)
    return st.integers(0, 3)  # mono: any non-zero is 1


@st.composite
def op(draw, fmt, n_made, made_fmts):
    c = colour(fmt)
    kinds = ["fill", "fill_rect", "pixel", "hline", "vline", "rect", "rect_fill", "line",
             "ellipse"]
    sources = [i for i in range(n_made) if made_fmts[i] in ("MONO_HLSB", "MONO_HMSB", "MONO_VLSB")
               or made_fmts[i] == fmt]
    if sources:
        kinds.append("blit")
    kind = draw(st.sampled_from(kinds))
    if kind == "fill":
        return ["fill", draw(c)]
    if kind in ("fill_rect", "rect"):
        return [kind, draw(coord), draw(coord), draw(length), draw(length), draw(c)]
    if kind == "rect_fill":
        return ["rect", draw(coord), draw(coord), draw(length), draw(length), draw(c), True]
    if kind == "pixel":
        return ["pixel", draw(coord), draw(coord), draw(c)]
    if kind in ("hline", "vline"):
        return [kind, draw(coord), draw(coord), draw(length), draw(c)]
    if kind == "line":
        return ["line", draw(coord), draw(coord), draw(coord), draw(coord), draw(c)]
    if kind == "ellipse":
        return ["ellipse", draw(coord), draw(coord), draw(radius), draw(radius), draw(c),
                draw(st.booleans()), draw(st.integers(0, 15))]
    src = draw(st.sampled_from(sources))
    mono_src = made_fmts[src] != fmt or fmt.startswith("MONO")
    pal = None
    if mono_src and draw(st.booleans()):
        pal = [draw(c), draw(c)]
    key = draw(st.sampled_from([-1, 0, 1]) if fmt.startswith("MONO") else
               st.one_of(st.just(-1), c))
    return ["blit", src, draw(coord), draw(coord), key, pal]


@st.composite
def programs(draw):
    cases, fmts = [], []
    for _ in range(draw(st.integers(2, 6))):
        fmt = draw(st.sampled_from(["MONO_HLSB", "MONO_HMSB", "MONO_VLSB", "RGB565", "GS8"]))
        w, h = draw(st.integers(1, 37)), draw(st.integers(1, 35))
        ops = [draw(op(fmt, len(cases), fmts)) for _ in range(draw(st.integers(1, 12)))]
        cases.append({"fmt": fmt, "w": w, "h": h, "ops": ops})
        fmts.append(fmt)
    return cases


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                HealthCheck.function_scoped_fixture])
@given(programs())
def test_shim_matches_micropython(tmp_path_factory, cases):
    data = tmp_path_factory.mktemp("fbops")
    (data / "ops.json").write_text(json.dumps(cases))
    result = run_micropython(SCRIPT, mounts=[(str(data), "/data")], args=["/data/ops.json"])
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == mp_ui_framebuf.run(cases)


def test_screen_primitives_match_micropython(micropython, tmp_path):
    """Fixed cases for what the screens use: filled ellipses with quadrant masks,
    blits with key and palette from MONO_HLSB into MONO_HLSB and RGB565."""
    cases = [{"fmt": "MONO_HLSB", "w": 16, "h": 16,
              "ops": [["line", 0, 0, 15, 9, 1], ["ellipse", 8, 8, 6, 4, 1, False, 12]]},
             {"fmt": "MONO_HLSB", "w": 40, "h": 30,
              "ops": [["fill", 1], ["ellipse", 20, 15, 14, 14, 0, True, 15],
                      ["ellipse", 20, 15, 9, 5, 1, False, 3], ["blit", 0, 3, 2, 0, None],
                      ["blit", 0, 21, 12, 1, [1, 0]]]},
             {"fmt": "RGB565", "w": 40, "h": 8,
              "ops": [["blit", 1, 0, -4, -1, [0x1234, 0xF81F]],
                      ["blit", 0, 30, 0, -1, [0xFFFF, 0x0000]]]}]
    (tmp_path / "ops.json").write_text(json.dumps(cases))
    out = micropython(SCRIPT, mounts=[(str(tmp_path), "/data")], args=["/data/ops.json"])
    assert json.loads(out) == mp_ui_framebuf.run(cases)


def test_mono_hlsb_layout_and_clipping():
    buf = bytearray(3 * 2)
    fb = framebuf.FrameBuffer(buf, 20, 2, framebuf.MONO_HLSB)
    fb.pixel(0, 0, 1)
    fb.pixel(9, 1, 5)
    fb.fill_rect(18, 0, 10, 1, 1)   # clipped at the right edge
    fb.pixel(25, 0, 1)              # outside: ignored
    assert bytes(buf) == bytes([0x80, 0x00, 0x30, 0x00, 0x40, 0x00])
    assert fb.pixel(9, 1) == 1 and fb.pixel(8, 1) == 0 and fb.pixel(99, 0) is None


def test_rgb565_is_little_endian_and_palette_blit_maps_colours():
    mono = bytearray(1)
    src = framebuf.FrameBuffer(mono, 2, 1, framebuf.MONO_HLSB)
    src.pixel(1, 0, 1)
    pal = framebuf.FrameBuffer(bytearray(4), 2, 1, framebuf.RGB565)
    pal.pixel(0, 0, 0xABCD)
    pal.pixel(1, 0, 0x1234)
    out = bytearray(4)
    framebuf.FrameBuffer(out, 2, 1, framebuf.RGB565).blit(src, 0, 0, -1, pal)
    assert bytes(out) == bytes([0xCD, 0xAB, 0x34, 0x12])


def test_bad_buffers_are_refused_clearly():
    with pytest.raises(ValueError, match="too small"):
        framebuf.FrameBuffer(bytearray(10), 20, 20, framebuf.MONO_HLSB)
    with pytest.raises(TypeError, match="writable"):
        framebuf.FrameBuffer(bytes(60), 20, 20, framebuf.MONO_HLSB)
    with pytest.raises(ValueError, match="format"):
        framebuf.FrameBuffer(bytearray(400), 20, 20, framebuf.GS2_HMSB)
