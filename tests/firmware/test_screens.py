"""Every terminal screen, read back as text and pixels, on CPython and real MicroPython."""

import importlib.util
import json
import os
import struct
import zlib

import pytest
from hypothesis import given, settings, strategies as st

from simulator.mpy import REPO_ROOT, protocol_mounts
from simulator.shims import install

install()

from firmware.ui import screens, theme  # noqa: E402
from firmware.ui.canvas import Canvas, ELLIPSIS  # noqa: E402
from firmware.ui.font import Font  # noqa: E402
from firmware.ui.panel import push, rgb565  # noqa: E402
from protocol.domain import LEVELS, LEVEL_NAMES  # noqa: E402
from simulator.screenshot import screenshot_png  # noqa: E402
from simulator.tools import render_screens  # noqa: E402
from simulator.tools.screen_samples import SAMPLES, level_labels  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
FONT_PATH = os.path.join(REPO_ROOT, "firmware", "fonts", "unifont16.bin")
W, H = 320, 240
BADGE_X = W - theme.BADGE_W


def _load(name):
    spec = importlib.util.spec_from_file_location(name, os.path.join(HERE, name + ".py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture(scope="module")
def cv():
    return Canvas(Font(FONT_PATH))


def sample(name):
    return next(s for s in SAMPLES if s[0] == name)


def draw(cv, name, data=None, online=True):
    screens.show(cv, name, data or {}, online)
    return cv


def at(cv, text):
    """The (x, y, w, h) of the drawn string TEXT (exactly one)."""
    hits = [d for d in cv.drawn if d[2] == text]
    assert len(hits) == 1, "%r drawn %d times: %r" % (text, len(hits), cv.texts())
    x, y, _, w, h = hits[0]
    return x, y, w, h


def overlap(a, b):
    return a[0] < b[0] + b[3] and b[0] < a[0] + a[3] and a[1] < b[1] + b[4] and b[1] < a[1] + a[4]


def check_layout(cv):
    """Every string on screen, none overlapping another, the badge corner kept free."""
    for d in cv.drawn:
        x, y, text, w, h = d
        assert 0 <= x and x + w <= W and 0 <= y and y + h <= H, "off screen: %r" % (d,)
        if text != theme.T_OFFLINE:
            assert not (x + w > BADGE_X and y < theme.BAR_H), "in the badge corner: %r" % (d,)
    for i, a in enumerate(cv.drawn):
        for b in cv.drawn[i + 1:]:
            assert not overlap(a, b), "overlap: %r and %r" % (a, b)


@pytest.mark.parametrize("name", [s[0] for s in SAMPLES])
def test_every_sample_screen_fits_without_overlap(cv, name):
    _, screen, data, online = sample(name)
    draw(cv, screen, data, online)
    check_layout(cv)
    assert (theme.T_OFFLINE in cv.texts()) == (not online)
    for x, y, w, h, fg, bg in cv.regions:
        assert x % 8 == 0 and w % 8 == 0 and x + w <= W and y + h <= H


def test_idle_shows_hall_window_staff_and_link(cv):
    data = {"hall": "福田区政务服务中心", "window": 12, "staff_id": "A1024",
            "staff_name": "王晓明", "online": True}
    texts = draw(cv, "idle", data).texts()
    assert texts[:2] == ["福田区政务服务中心", "12号窗口"]
    assert "王晓明" in texts and "工号 A1024" in texts and theme.T_LINK_UP in texts
    assert at(cv, "王晓明")[3] == 32  # the name is drawn large
    texts = draw(cv, "idle", dict(data, online=False, staff_name=None, staff_id=None),
                 online=False).texts()
    assert theme.T_LINK_DOWN in texts and theme.T_NO_STAFF in texts and "离线" in texts


def test_invitation_shows_the_case_and_five_levels_over_their_buttons(cv):
    _, _, data, _ = sample("invitation")
    draw(cv, "invitation", data)
    texts = cv.texts()
    for want in (theme.T_INVITE, "30秒", "企业投资项目备案（基本建设类）",
                 "44030420241123000157", "A1024", "王晓明"):
        assert want in texts
    # Each 64-px tile, left to right, carries one level name (maybe on two lines).
    for i, level in enumerate(LEVELS):
        parts = sorted((d for d in cv.drawn if d[1] >= 124 and i * 64 <= d[0] < (i + 1) * 64),
                       key=lambda d: d[1])
        assert "".join(d[2] for d in parts) == LEVEL_NAMES[level]
        for d in parts:
            assert i * 64 + 2 <= d[0] and d[0] + d[3] <= (i + 1) * 64 - 2
    assert [LEVEL_NAMES[lv] for lv in LEVELS] == ["非常满意", "满意", "基本满意", "不满意", "非常不满意"]
    check_layout(cv)


def test_invitation_countdown_changes_only_the_countdown(cv):
    _, _, data, _ = sample("invitation")
    first = list(draw(cv, "invitation", dict(data, seconds=30)).drawn)
    second = list(draw(cv, "invitation", dict(data, seconds=5)).drawn)
    changed = [(a, b) for a, b in zip(first, second) if a != b]
    assert [(a[2], b[2]) for a, b in changed] == [("30秒", "5秒")]


def _matter_lines(cv):
    """The matter name's lines: beside its label, above the serial's."""
    serial_y = next(d[1] for d in cv.drawn if d[2] == theme.T_SERIAL and d[0] == theme.MARGIN)
    return [d for d in cv.drawn if d[0] == 64 and theme.BAR_H < d[1] < serial_y]


def test_long_matter_name_wraps_to_two_lines_with_an_ellipsis(cv):
    _, _, data, _ = sample("invitation_long_name")
    draw(cv, "invitation", data, online=False)
    lines = _matter_lines(cv)
    assert len(lines) == 2 and lines[1][1] - lines[0][1] >= 16
    assert lines[1][2].endswith(ELLIPSIS)
    shown = lines[0][2] + lines[1][2][:-1]
    assert data["matter"].startswith(shown)
    # The serial is whole, on two lines broken where its parts meet.
    assert at(cv, "SZ-FT-2024-11-23-000157-0001-") and at(cv, "0002")
    check_layout(cv)


TEXT = st.text(alphabet=st.one_of(
    st.characters(min_codepoint=0x4E00, max_codepoint=0x9FA5),
    st.characters(min_codepoint=0x20, max_codepoint=0x7E),
    st.sampled_from("，。、（）《》：；！？“”…·"),
    st.characters(blacklist_categories=("Cs",))), max_size=80)


@settings(max_examples=60, deadline=None)
@given(matter=TEXT, serial=TEXT, name=TEXT, seconds=st.integers(0, 999))
def test_any_invitation_text_stays_inside_its_place(matter, serial, name, seconds):
    cv = Canvas(Font(FONT_PATH))
    screens.show(cv, "invitation", {"matter": matter, "serial": serial, "staff_id": serial,
                                    "staff_name": name, "seconds": seconds}, online=False)
    check_layout(cv)
    for x, y, text, w, h in _matter_lines(cv):
        assert x + w <= W - theme.MARGIN
    assert len(_matter_lines(cv)) <= 3


@settings(max_examples=150, deadline=None)
@given(text=TEXT, width=st.integers(16, 320), scale=st.sampled_from([1, 2]))
def test_wrap_breaks_by_pixel_width_and_loses_nothing(text, width, scale):
    cv = Canvas(Font(FONT_PATH))
    width = max(width, 16 * scale)
    text = text.replace("\n", " ")
    lines = cv.wrap(text, width, scale)
    assert all(cv.width_of(line, scale) <= width for line in lines)
    assert "".join(lines).replace(" ", "") == text.replace(" ", "")
    for i, line in enumerate(lines[1:]):
        # closing punctuation never starts a line unless the previous line was full
        if line[:1] in "，。、）》：；！？”":
            assert cv.width_of(lines[i] + line[0], scale) > width


def test_wrap_keeps_ascii_words_whole_and_honours_newlines(cv):
    assert cv.wrap("serial number ABC123", 120) == ["serial number", "ABC123"]
    assert cv.wrap("一二\n三", 300) == ["一二", "三"]
    assert cv.wrap("一二三，四", 48) == ["一二", "三，四"]
    with pytest.raises(ValueError, match="at least one Chinese character"):
        cv.wrap("一", 15)


def test_labels_screen_pages_marks_and_roles(cv):
    labels = level_labels(2)
    data = {"level": 2, "labels": labels, "cursor": 1, "checked": [208, 213]}
    draw(cv, "labels", data)
    texts = cv.texts()
    assert texts[0] == "请选择不满意的原因" and texts[1] == "1/2"
    assert texts[-5:] == ["上移", "下移", "选择", "完成", "其他"]
    xs = [at(cv, r)[0] for r in ("上移", "下移", "选择", "完成", "其他")]
    assert xs == sorted(xs) and all(i * 64 <= x < (i + 1) * 64 for i, x in enumerate(xs))
    rows = [(d[1], d[2]) for d in cv.drawn if d[0] == 12]
    names = {y: t for x, y, t, w, h in cv.drawn if x == 36}
    marks = {names[y]: mark for y, mark in rows}
    assert marks["没有提供材料清单"] == "☑" and marks["没有提供材料样本"] == "☐"
    assert "已选 2 项" in texts
    # The cursor row has its own colour region.
    y = at(cv, "没有提供材料清单")[1]
    assert any(r[0] == 0 and r[1] <= y < r[1] + r[3] and r[5] == theme.NAVY for r in cv.regions
               if r[1] > theme.BAR_H and r[1] < 200)
    # Every label is on exactly one page; the cursor picks the page.
    seen, boxes = [], 0
    pages = screens.label_pages(cv, labels)
    for n, page in enumerate(pages):
        draw(cv, "labels", dict(data, cursor=page[0]))
        assert cv.texts()[1] == "%d/%d" % (n + 1, len(pages))
        seen += [t for x, y, t, w, h in cv.drawn if x == 36]  # a long label: two lines
        boxes += len([t for x, y, t, w, h in cv.drawn if x == 12])
        check_layout(cv)
    assert "".join(seen) == "".join(t for _, t in labels) and boxes == len(labels)
    assert "在线预约办理后到实体大厅重复取号排队" not in seen  # it did wrap


def test_labels_status_line_and_other(cv):
    data = {"level": 1, "labels": level_labels(1), "cursor": 0, "checked": []}
    assert theme.T_REASON_HINT in draw(cv, "labels", data).texts()
    assert "已选 0 项，含其他原因" in draw(cv, "labels", dict(data, other=True)).texts()
    assert draw(cv, "labels", {"level": 1, "labels": [], "cursor": 0}).texts()[0] == \
        "请选择非常不满意的原因"


def test_thanks_paused_error_texts(cv):
    assert draw(cv, "thanks", {"level": 5}).texts() == ["谢谢您的评价", "您的评价：非常满意"]
    assert draw(cv, "thanks", {}).texts() == ["谢谢您的评价"]
    assert at(cv, "谢谢您的评价")[3] == 32
    texts = draw(cv, "paused", {"window": "3", "until": "14:00"}).texts()
    assert texts == ["3号窗口", "窗口暂停服务", "请到其他窗口办理，谢谢", "预计 14:00 恢复服务"]
    texts = draw(cv, "error", {"message": "打印机缺纸", "code": "E-PRN-02"}).texts()
    assert texts == ["设备故障", "打印机缺纸", "故障代码：E-PRN-02", "请联系大厅工作人员处理"]
    long_message = "打印机通信超时，已重试三次仍无响应，请检查打印机电源与串口连接线" * 2
    draw(cv, "error", {"message": long_message, "code": 7}, online=False)
    check_layout(cv)
    assert "故障代码：7" in cv.texts()


def test_offline_marker_on_every_screen(cv):
    for name in screens.SCREENS:
        draw(cv, name, {}, online=False)
        x, y, w, h = at(cv, "离线")
        assert x >= BADGE_X and y + h <= theme.BAR_H
        assert (BADGE_X, 0, theme.BADGE_W, theme.BAR_H, theme.WHITE, theme.BADGE) == cv.regions[-1]
        check_layout(cv)
    with pytest.raises(ValueError, match="unknown screen 'nope'"):
        screens.show(cv, "nope", {})


def test_push_expands_to_big_endian_rgb565_with_region_colours(cv):
    draw(cv, "thanks", {"level": 4}, online=False)
    strips = []
    push(cv, lambda y, n, data: strips.append((y, n, bytes(data))), rows=8)
    assert [(y, n) for y, n, _ in strips] == [(y, 8) for y in range(0, 240, 8)]
    frame = b"".join(d for _, _, d in strips)

    def colour(x, y):
        i = 2 * (y * W + x)
        return (frame[i] << 8) | frame[i + 1]

    assert colour(5, 235) == theme.GREEN          # screen background
    assert colour(160, 84) == theme.WHITE         # inside the check circle (pixel set)
    assert colour(BADGE_X + 1, 1) == theme.BADGE  # the offline badge region
    odd = []
    push(cv, lambda y, n, data: odd.append(n), strip=bytearray(2 * W * 7))
    assert sum(odd) == 240 and odd[-1] == 240 % 7
    assert rgb565(255, 255, 255) == 0xFFFF and rgb565(255, 0, 0) == 0xF800


def _png_pixels(png):
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    w, h = struct.unpack(">II", png[16:24])
    idat = png.index(b"IDAT")
    size = struct.unpack(">I", png[idat - 4:idat])[0]
    raw = zlib.decompress(png[idat + 4:idat + 4 + size])
    return w, h, raw


def test_screenshot_is_a_png_of_the_panel_colours(cv):
    draw(cv, "thanks", {})
    w, h, raw = _png_pixels(screenshot_png(cv))
    assert (w, h) == (W, H) and len(raw) == H * (1 + 3 * W)
    g = theme.GREEN  # widened from RGB565 to 8 bits a channel, rounded
    want = (round((g >> 11) * 255 / 31), round(((g >> 5) & 63) * 255 / 63), round((g & 31) * 255 / 31))
    assert raw[1:4] == bytes(want)
    w2, h2, _ = _png_pixels(screenshot_png(cv, scale=2))
    assert (w2, h2) == (2 * W, 2 * H)


def test_committed_snapshots_are_current(tmp_path):
    for path in render_screens.render(str(tmp_path)):
        name = os.path.basename(path)
        committed = os.path.join(REPO_ROOT, "docs", "screens", name)
        with open(path, "rb") as a, open(committed, "rb") as b:
            assert a.read() == b.read(), "docs/screens/%s is stale: run .venv/bin/python " \
                "-m simulator.tools.render_screens and commit the PNGs" % name


def mp_mounts():
    return protocol_mounts() + [(os.path.join(REPO_ROOT, "firmware"), "/lib/firmware"),
                                (os.path.join(REPO_ROOT, "simulator", "tools"), "/lib/pjtools")]


def test_micropython_draws_the_same_bytes_and_fits_the_heap(micropython):
    out = micropython(os.path.join(HERE, "mp_ui.py"), mounts=mp_mounts(),
                      args=["/lib/firmware/fonts/unifont16.bin"])
    lines = [json.loads(line) for line in out.splitlines()]
    heap = lines.pop()["heap"]
    cpython = _load("mp_ui_render").render_samples(FONT_PATH)
    assert [d["name"] for d in lines] == [s[0] for s in SAMPLES]
    for mp, cp in zip(lines, cpython):
        assert mp["drawn"] == cp["drawn"], mp["name"]
        assert mp["mono"] == cp["mono"], "framebuffer differs on %s" % mp["name"]
        assert mp["panel"] == cp["panel"], "panel bytes differ on %s" % mp["name"]
    # Display memory on the device (see docs/PERFORMANCE.md, Display): font,
    # canvas and strip stay small; drawing and pushing a screen allocates a
    # bounded amount of garbage and keeps almost nothing.
    assert heap["resident"] <= 24 * 1024, heap
    assert heap["invitation_alloc"] <= 24 * 1024, heap
    assert heap["retained"] <= 6 * 1024, heap


@settings(max_examples=40, deadline=None)
@given(texts=st.lists(TEXT, max_size=12), cursor=st.integers(-1, 13), level=st.sampled_from([1, 2]),
       data=st.data())
def test_any_label_set_stays_on_screen(texts, cursor, level, data):
    labels = [(level * 100 + i, t) for i, t in enumerate(texts)]
    checked = data.draw(st.lists(st.sampled_from([c for c, _ in labels] or [0])))
    cv = Canvas(Font(FONT_PATH))
    screens.show(cv, "labels", {"level": level, "labels": labels, "cursor": cursor,
                                "checked": checked}, online=data.draw(st.booleans()))
    check_layout(cv)
    marks = [d[2] for d in cv.drawn if d[0] == 12]
    assert all(m in ("☑", "☐") for m in marks)
    rows = [d for d in cv.drawn if d[0] in (12, 36)]
    assert all(theme.BAR_H <= d[1] and d[1] + d[4] <= 190 for d in rows)


def _pixels(cv, x, y, w, h):
    return [[cv.fb.pixel(x + i, y + j) for i in range(w)] for j in range(h)]


def test_scale_two_doubles_every_pixel_and_inverse_text_clears(cv):
    cv.clear(0, 0xFFFF)
    cv.text("评A", 0, 0)
    cv.text("评A", 0, 40, scale=2)
    small, big = _pixels(cv, 0, 0, 24, 16), _pixels(cv, 0, 40, 48, 32)
    assert big == [[small[j // 2][i // 2] for i in range(48)] for j in range(32)]
    assert cv.drawn[-1] == (0, 40, "评A", 48, 32)
    cv.fb.fill_rect(100, 0, 24, 16, 1)
    cv.text("评A", 100, 0, c=0)
    inverse = _pixels(cv, 100, 0, 24, 16)
    assert inverse == [[1 - p for p in row] for row in small]
    with pytest.raises(ValueError, match="scale must be 1 or 2"):
        cv.text("评", 0, 0, scale=3)
    with pytest.raises(ValueError, match="multiples of 8"):
        cv.region(4, 0, 8, 8, 0, 0)


def test_control_characters_in_data_do_not_break_lines(cv):
    draw(cv, "invitation", {"matter": "甲\n乙", "serial": "A\tB", "staff_name": "张\r三"})
    texts = cv.texts()
    assert "甲 乙" in texts and "A B" in texts and "张 三" in texts
