"""The platform's code tables, from the public national rules (GB/T 39046-2020
and the national 好差评 label set), kept apart from the hub's: the platform
judges the hub's pushes by its own reading of the standard.

Satisfaction on the platform's default scale: 5 非常满意, 4 满意, 3 基本满意,
2 不满意, 1 非常不满意 (GB/T numbers the same levels the other way round).
A label code is three digits whose first digit is the satisfaction it
belongs to.
"""

BAD_SATISFACTION = frozenset((2, 1))   # 差评: needs a reason (labels or text)

LABEL_CODES = frozenset(
    list(range(510, 518))      # 非常满意: 一窗受理一次办结 … 服务热情效率高
    + list(range(406, 414))    # 满意: 填写一张表单就可完成申报 … 服务态度较好
    + list(range(307, 315))    # 基本满意: 一次性告知需要补正的材料 … 服务态度一般
    + list(range(207, 215))    # 不满意: 没有提供材料样本 … 服务态度生硬
    + list(range(108, 116))    # 非常不满意: 在办事指南之外增加新的审批条件 … 服务态度差效率低
)


def label_satisfaction(code):
    return code // 100


# The unified social credit code (GB 32100-2015): 18 characters of this
# alphabet, the last one a check character over the first 17.
CREDIT_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
CREDIT_WEIGHTS = [pow(3, i, 31) for i in range(17)]


def credit_code_ok(code):
    if not isinstance(code, str) or len(code) != 18 or not set(code) <= set(CREDIT_ALPHABET):
        return False
    s = sum(CREDIT_ALPHABET.index(c) * w for c, w in zip(code, CREDIT_WEIGHTS))
    return CREDIT_ALPHABET[-s % 31] == code[17]
