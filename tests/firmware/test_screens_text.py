"""What the citizen reads, read back from the drawn text and pixels: the case
serial whole (its tail tells cases apart), full-width punctuation set against
the character before it, the idle screen's hall name and staff on duty."""

import os

from hypothesis import given, settings, strategies as st

from protocol.catalogue import field_spec
from protocol.fields import TOKEN_CHARS
from simulator.mpy import REPO_ROOT
from simulator.shims import install

install()

from firmware.ui import screens, theme  # noqa: E402
from firmware.ui.canvas import Canvas, ELLIPSIS  # noqa: E402
from firmware.ui.font import Font  # noqa: E402
from simulator.tools.screen_samples import LONGEST_SERIAL  # noqa: E402
from tests.firmware.test_screens import check_layout  # noqa: E402

FONT_PATH = os.path.join(REPO_ROOT, "firmware", "fonts", "unifont16.bin")
_, SERIAL_MIN, SERIAL_MAX = field_spec("inv", "cs")
LONG_MATTER = "建设工程消防验收备案及抽查（含特殊建设工程消防设计审查、消防验收合并办理）"
_FONT = Font(FONT_PATH)


def canvas():
    return Canvas(_FONT)


def invitation(cv, serial, matter="个体工商户设立登记", **kw):
    data = {"matter": matter, "serial": serial, "staff_id": "A0101", "staff_name": "王芳",
            "seconds": 30}
    online = kw.pop("online", True)
    data.update(kw)
    screens.show(cv, "invitation", data, online)
    return cv


def label_y(cv, label):
    return next(y for x, y, text, w, h in cv.drawn if text == label and x == theme.MARGIN)


def serial_lines(cv):
    """The strings drawn as the serial: after its label, before the staff row."""
    top, bottom = label_y(cv, theme.T_SERIAL), label_y(cv, theme.T_STAFF_ID)
    return [d for d in cv.drawn if top <= d[1] < bottom and d[2] != theme.T_SERIAL]


def matter_lines(cv):
    top, bottom = label_y(cv, theme.T_MATTER), label_y(cv, theme.T_SERIAL)
    return [d for d in cv.drawn if top <= d[1] < bottom and d[2] != theme.T_MATTER]


def test_the_longest_serial_the_protocol_allows_is_drawn_whole():
    assert len(LONGEST_SERIAL) == SERIAL_MAX == 64
    cv = invitation(canvas(), LONGEST_SERIAL, LONG_MATTER, online=False)
    lines = serial_lines(cv)
    assert "".join(d[2] for d in lines) == LONGEST_SERIAL and len(lines) == 2
    assert not any(ELLIPSIS in d[2] for d in lines)
    check_layout(cv)
    # The matter name still gets two lines beside it, then its ellipsis.
    matter = matter_lines(cv)
    assert len(matter) == 2 and matter[1][2].endswith(ELLIPSIS)
    assert LONG_MATTER.startswith(matter[0][2] + matter[1][2][:-1])


def test_the_issue_serial_keeps_its_tail():
    serial = "11330100MB1234567X2026120400010000"      # cut after ...0001 before the fix
    lines = serial_lines(invitation(canvas(), serial))
    assert "".join(d[2] for d in lines) == serial and len(lines) == 2


def test_a_serial_that_fits_stays_on_its_line_and_the_matter_may_take_three():
    cv = invitation(canvas(), "44030420241123000157", LONG_MATTER)
    assert [d[2] for d in serial_lines(cv)] == ["44030420241123000157"]
    matter = matter_lines(cv)
    assert len(matter) == 3 and "".join(d[2] for d in matter) == LONG_MATTER   # whole, no ellipsis
    check_layout(cv)


def test_a_long_serial_breaks_where_its_parts_meet():
    lines = serial_lines(invitation(canvas(), "SZ-FT-2024-11-23-000157-0001-0002"))
    assert [d[2] for d in lines] == ["SZ-FT-2024-11-23-000157-0001-", "0002"]
    # The second part sits under the first when it fits there.
    assert lines[0][0] == lines[1][0]


@settings(max_examples=80, deadline=None)
# Lengths drawn evenly: left to itself hypothesis keeps texts short.
@given(serial=st.integers(SERIAL_MIN, SERIAL_MAX).flatmap(
           lambda n: st.text(alphabet=TOKEN_CHARS, min_size=n, max_size=n)),
       matter=st.text(alphabet=st.characters(min_codepoint=0x4E00, max_codepoint=0x9FA5),
                      min_size=1, max_size=120))
def test_every_serial_the_protocol_allows_is_drawn_whole(serial, matter):
    cv = invitation(canvas(), serial, matter, online=False)
    assert "".join(d[2] for d in serial_lines(cv)) == serial
    check_layout(cv)


def _ink_columns(cv, x, y, w):
    return [i for i in range(w) if any(cv.fb.pixel(x + i, y + j) for j in range(16))]


def test_full_width_comma_follows_the_character_without_a_gap():
    cv = canvas()
    cv.clear(0, 0xFFFF)
    cv.text("后，请", 0, 0)
    ink = _ink_columns(cv, 0, 0, 48)
    hou = [c for c in ink if c < 16]
    comma = [c for c in ink if 16 <= c < 32]
    # Before the fix the comma's ink began 8 px after 后's ("后 ，请"); now 5,
    # as 、 and 。 follow a character in Unifont.
    assert comma[0] - hou[-1] <= 5
    assert comma[-1] < 24                        # in the left half of its square


def test_idle_shows_the_hall_name_and_the_staff_on_duty():
    cv = canvas()
    data = {"hall": "演示政务服务大厅", "window": "3", "staff_id": "A0103", "staff_name": "张伟",
            "online": True}
    screens.show(cv, "idle", data)
    texts = cv.texts()
    assert texts[0] == "演示政务服务大厅"
    assert "3号窗口" in texts and theme.T_ON_DUTY in texts
    assert "张伟" in texts and "工号 A0103" in texts and theme.T_NO_STAFF not in texts
    screens.show(cv, "idle", {"hall": "演示政务服务大厅", "window": "3", "online": True})
    texts = cv.texts()
    assert texts[0] == "演示政务服务大厅" and theme.T_NO_STAFF in texts
    assert theme.T_ON_DUTY not in texts and not any(t.startswith(theme.T_STAFF_ID) for t in texts)

