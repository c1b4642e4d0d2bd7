"""The terminal's bitmap font: reproducible build, correct glyphs, lookup from flash."""

import hashlib
import os

import pytest
from hypothesis import given, settings, strategies as st

from simulator.mpy import REPO_ROOT
from simulator.shims import install

install()

from firmware.ui.font import Font, FontError, default_path  # noqa: E402
from simulator.tools import build_font  # noqa: E402

UNIFONT_HEX = build_font.DEFAULT_HEX
FONT_PATH = os.path.join(REPO_ROOT, "firmware", "fonts", "unifont16.bin")


def unifont():
    if not os.path.isfile(UNIFONT_HEX):
        pytest.fail("%s is missing: the Debian package unifont is part of the test setup "
                    "(./pingjia installs it; or apt-get install unifont)" % UNIFONT_HEX,
                    pytrace=False)
    return UNIFONT_HEX


@pytest.fixture(scope="module")
def hex_glyphs():
    glyphs = {}
    with open(unifont(), encoding="ascii") as f:
        for line in f:
            cp, _, bits = line.strip().partition(":")
            # As the build places them: Unifont's bits, LEFT_SET moved left.
            glyphs[int(cp, 16)] = build_font.placed(int(cp, 16), bytes.fromhex(bits))
    return glyphs


@pytest.fixture(scope="module")
def font():
    f = Font(FONT_PATH)
    yield f
    f.close()


GB2312 = sorted(build_font.wanted_codepoints() - set(range(0x20, 0x7F)))


def test_committed_font_is_a_fresh_build():
    data, missing = build_font.build(unifont())
    with open(FONT_PATH, "rb") as f:
        committed = f.read()
    assert missing == []
    assert hashlib.sha256(committed).hexdigest() == hashlib.sha256(data).hexdigest(), \
        "firmware/fonts/unifont16.bin differs from a fresh build: run " \
        ".venv/bin/python -m simulator.tools.build_font and commit the result"
    assert len(committed) < 300 * 1024


def test_font_records_its_source(font):
    with open(unifont(), "rb") as f:
        assert font.source_sha256 == hashlib.sha256(f.read()).digest()
    with open(os.path.join(REPO_ROOT, "firmware", "fonts", "SOURCE.txt"), encoding="utf-8") as f:
        note = f.read()
    assert font.source_sha256.hex() in note and "unifont" in note
    assert os.path.isfile(os.path.join(REPO_ROOT, "firmware", "fonts", "README.md"))


def test_covers_gb2312_ascii_and_screen_symbols(font):
    assert font.count == len(build_font.wanted_codepoints()) >= 7445 + 95
    for ch in "啊齄评价满意非常不基本谢您的窗口暂停服务（）：，。…·✓☑☐▼AZaz09~ ":
        assert font.has(ch), ch
    assert default_path() == FONT_PATH


@pytest.mark.parametrize("ch", list("A g~评价满意齄啊（：…●○✓☑"))
def test_glyph_bits_equal_unifont(font, hex_glyphs, ch):
    assert font.bitmap(ch) == (len(hex_glyphs[ord(ch)]) // 2, hex_glyphs[ord(ch)])


@settings(max_examples=150, deadline=None)
@given(st.lists(st.sampled_from(GB2312 + list(range(0x20, 0x7F))), min_size=1, max_size=60))
def test_any_sequence_of_lookups_returns_unifont_bits(hex_glyphs, cps):
    # A tiny cache forces evictions: a slot must never serve the wrong glyph.
    f = Font(FONT_PATH, cache_size=3)
    try:
        for cp in cps:
            assert f.bitmap(cp) == (len(hex_glyphs[cp]) // 2, hex_glyphs[cp])
    finally:
        f.close()


def test_a_character_the_font_lacks_draws_as_the_replacement(font):
    for ch in ("丂", "😀", "\x07", "\u0301"):
        assert not font.has(ch)
        assert font.bitmap(ch) == font.bitmap("\ufffd")


def test_widths(font):
    assert font.text_width("") == 0
    assert font.text_width("A") == 8
    assert font.text_width("评价") == 32
    assert font.text_width("工号A1024") == 16 * 2 + 8 * 5
    assert font.text_width("满意", scale=2) == 64


def test_cache_stays_bounded_and_reads_only_on_misses():
    f = Font(FONT_PATH, cache_size=4)
    try:
        f.text_width("评价评价评价")
        assert f.misses == 2
        f.text_width("一二三四五六七八")
        assert len(f._slots) == 4 and f.misses == 10
        assert len(f._keys) < 300  # only the sparse key table stays in RAM
    finally:
        f.close()


def test_bad_font_files_are_refused_clearly(tmp_path):
    with pytest.raises(FontError, match="cannot be opened"):
        Font(str(tmp_path / "none.bin"))
    bad = tmp_path / "bad.bin"
    bad.write_bytes(b"not a font" * 10)
    with pytest.raises(FontError, match="not a PJF1 font"):
        Font(str(bad))


def test_build_refuses_a_broken_hex_file(tmp_path):
    hexfile = tmp_path / "u.hex"
    hexfile.write_text("0041:00\n")
    with pytest.raises(ValueError, match="U\\+0041 has 2 hex digits"):
        build_font.build(str(hexfile))
    assert build_font.main(["--hex", str(tmp_path / "missing.hex"),
                            "--out", str(tmp_path / "x.bin")]) == 2


def _ink_columns(font, ch):
    """Columns (0..15) of CH's 16-px cell that have ink."""
    width, bits = font.bitmap(ch)
    rows = [bits[2 * r] << 8 | bits[2 * r + 1] for r in range(16)]
    return [c for c in range(16) if any(row & (0x8000 >> c) for row in rows)]


@pytest.mark.parametrize("ch", list(build_font.LEFT_SET))
def test_full_width_punctuation_sits_left_as_simplified_chinese_sets_it(font, ch):
    # Unifont centres ，：；！？ in the square, which reads as a gap before the
    # mark ("后 ，请"); the build moves the ink to the left, where 、 and 。 are.
    # (？ is drawn across the square already and stays as it is.)
    assert font.bitmap(ch)[0] == 16
    assert _ink_columns(font, ch)[0] <= _ink_columns(font, "。")[0] == build_font.LEFT_INK_COLUMN
