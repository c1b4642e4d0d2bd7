"""Colours, layout and fixed texts of the screens, gathered in one place.

Colours are RGB565. Layout is for the 320x240 panel: a 28-px title bar whose
right 64 px are kept free for the offline badge on every screen, a body, and
a bottom row of five 64-px tiles, one over each physical button.
"""

from firmware.ui.panel import rgb565

WIDTH = 320
HEIGHT = 240

WHITE = rgb565(0xFF, 0xFF, 0xFF)
INK = rgb565(0x1E, 0x22, 0x2B)
NAVY = rgb565(0x0B, 0x4A, 0x9C)
SLATE = rgb565(0x4A, 0x53, 0x60)
GREEN = rgb565(0x1E, 0x8A, 0x4C)
RED = rgb565(0xC6, 0x28, 0x28)
BADGE = rgb565(0xE6, 0x5C, 0x00)
# Tile colour per level (5 = 非常满意 ... 1 = 非常不满意): green to red.
LEVEL_COLOURS = {
    5: rgb565(0x1B, 0x7F, 0x3B),
    4: rgb565(0x4C, 0x9A, 0x2A),
    3: rgb565(0xB0, 0x7A, 0x00),
    2: rgb565(0xD9, 0x62, 0x00),
    1: rgb565(0xC6, 0x28, 0x28),
}

BAR_H = 28          # title bar height
BAR_TEXT_Y = 6
MARGIN = 8
BADGE_W = 64        # the offline badge's corner: x from WIDTH - BADGE_W, y < BAR_H
BAR_TEXT_W = WIDTH - BADGE_W - 2 * MARGIN   # title text never reaches the badge
TILE_W = 64         # WIDTH / 5 buttons
TILE_GAP = 2        # white line on each side of a tile

T_OFFLINE = "离线"
T_WINDOW = "%s号窗口"
T_INVITE = "请您对本次服务进行评价"
T_SECONDS = "%d秒"
T_MATTER = "事项"
T_SERIAL = "流水号"
T_STAFF_ID = "工号"
T_STAFF_NAME = "姓名"
T_ON_DUTY = "当班工作人员"
T_NO_STAFF = "暂无当班人员"
T_IDLE_HINT = "办理完毕后，请对我们的服务进行评价"
T_LINK_UP = "评价系统连接正常"
T_LINK_DOWN = "评价系统未连接，评价将暂存本机"
T_REASONS = "请选择%s的原因"
T_REASON_HINT = "可多选，至少选择一项"
T_SELECTED = "已选 %d 项"
T_SELECTED_OTHER = "已选 %d 项，含其他原因"
# Hints the flow raises on the labels screen (flow.py `hint`), shown in the
# status line; %d is the number chosen (for too_many: the most allowed).
LABEL_HINTS = {
    "need_label": "请至少选择一项原因，或按“其他”",
    "too_many": "最多可选 %d 项",
}
LABEL_ROLES = ("上移", "下移", "选择", "完成", "其他")
T_THANKS = "谢谢您的评价"
T_YOUR_RATING = "您的评价：%s"
T_PAUSED = "窗口暂停服务"
T_PAUSED_HINT = "请到其他窗口办理，谢谢"
T_RESUME = "预计 %s 恢复服务"
T_ERROR = "设备故障"
T_ERROR_CODE = "故障代码：%s"
T_ERROR_HINT = "请联系大厅工作人员处理"
