"""Domain data shared by the hub and the terminals (docs/DOMAIN.md).

Levels here always use the interfaces' direction (`satisfaction`): 5 is
非常满意, 1 is 非常不满意. GB/T 39046-2020 table A.8 numbers them the other
way round; `to_gbt` / `from_gbt` are the only place that conversion lives.
Channel tables are defaults for configuration, not rules.
"""

LEVELS = (5, 4, 3, 2, 1)
LEVEL_NAMES = {
    5: "非常满意",
    4: "满意",
    3: "基本满意",
    2: "不满意",
    1: "非常不满意",
}
# Levels that are 差评: they need a reason label (or explicit "other") and
# start verification and rectification upstream.
BAD_LEVELS = (2, 1)


def is_level(value):
    return type(value) is int and 1 <= value <= 5


def is_bad(level):
    return level in BAD_LEVELS


def to_gbt(level):
    """Interface level (5 best) to GB/T 39046-2020 A.8 code (1 best)."""
    if not is_level(level):
        raise ValueError("level must be an integer 1..5, got %r" % (level,))
    return 6 - level


def from_gbt(code):
    """GB/T 39046-2020 A.8 code (1 best) to interface level (5 best)."""
    if not is_level(code):
        raise ValueError("GB/T level code must be an integer 1..5, got %r" % (code,))
    return 6 - code


# Channel codes (`pf`). The table is per province: these two are the known
# variants; a province's configuration may supply its own.
CHANNELS_NATIONAL = {
    1: "PC端",
    2: "移动端",
    3: "二维码",
    4: "政务大厅平板电脑",
    5: "政务大厅其他终端",
    6: "电话",
    7: "短信",
}
CHANNELS_ZHEJIANG = {
    1: "PC端",
    2: "移动端",
    3: "二维码",
    4: "政务大厅平板电脑",
    5: "政务大厅其他终端",
    6: "短信",
    7: "系统默认评价",
}
# What our button terminal and our QR receipt are, by meaning; adapters map
# these through the province's table.
CHANNEL_TERMINAL = "terminal"
CHANNEL_QR = "qr"

# The national offline (window) reason labels. The first digit of a code is
# the level it belongs to. Version 1 of the label set is this table.
NATIONAL_LABELS = (
    (510, "一窗受理一次办结"),
    (511, "可以先受理后补材料"),
    (512, "不用提交证明"),
    (513, "可以全程网上办理"),
    (514, "可以使用手机办理"),
    (515, "可以就近办理"),
    (516, "无需材料直接办理"),
    (517, "服务热情效率高"),
    (406, "填写一张表单就可完成申报"),
    (407, "在线提交材料窗口核验"),
    (408, "一张清单告知全部申报材料"),
    (409, "用告知承诺减免申报材料"),
    (410, "可以在线预约办理"),
    (411, "跑大厅一次办完"),
    (412, "可以使用自助机办理"),
    (413, "服务态度较好"),
    (307, "一次性告知需要补正的材料"),
    (308, "提供申报材料样本"),
    (309, "在承诺的时间内办结"),
    (310, "办事指南指引准确"),
    (311, "按办事指南要求的材料即可办理"),
    (312, "可以快递送达"),
    (313, "跑动次数与承诺的一致"),
    (314, "服务态度一般"),
    (207, "没有提供材料样本"),
    (208, "没有提供材料清单"),
    (209, "未在承诺时间内办结"),
    (210, "同样内容的证明材料被要求多次提交"),
    (211, "承诺网办但无法在线办理"),
    (212, "在线预约办理后到实体大厅重复取号排队"),
    (213, "窗口人员业务不熟练"),
    (214, "服务态度生硬"),
    (108, "在办事指南之外增加新的审批条件"),
    (109, "需提供办事指南之外的申报材料"),
    (110, "无理由超过法定办理时间"),
    (111, "办事指南提供样本有错"),
    (112, "承诺在线收取申报材料实际无法收取"),
    (113, "多头跑窗口和部门"),
    (114, "跑动次数与承诺的不一致"),
    (115, "服务态度差效率低"),
)
NATIONAL_LABEL_SET_VERSION = 1

# Label codes are three digits whose first digit is the level.
LABEL_CODE_MIN = 100
LABEL_CODE_MAX = 599


def label_level(code):
    """The level a label code belongs to, or None for a code outside 100..599."""
    if type(code) is not int or code < LABEL_CODE_MIN or code > LABEL_CODE_MAX:
        return None
    return code // 100


def labels_for_level(labels, level):
    """The (code, text) pairs of `labels` that belong to `level`, in order."""
    return [pair for pair in labels if label_level(pair[0]) == level]


def national_label_set():
    """The national label set in the wire form of `cfg.ls`."""
    return {"v": NATIONAL_LABEL_SET_VERSION, "l": [[c, t] for c, t in NATIONAL_LABELS]}
