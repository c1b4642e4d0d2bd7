"""Shandong's case fields: the service records of a case's steps, and the
rules an invitation must meet for the platform to take its case.

The platform holds a case as service records, one per step, each sent
once (docs/UPSTREAM.md, Shandong): serviceNumber 1 提交申请信息, 2 待受理,
3 出证办结, with proStatus = serviceNumber. It is real-name: a record
without the applicant's name, certificate number and mobile is refused,
so the business system must send them with the invitation
(upstream_case.applicant); the API answers 422 naming the field when they
are missing (ShandongAdapter.case_refusal, with the rules here).
"""

import re

STEPS = ((1, "提交申请信息"), (2, "待受理"), (3, "出证办结"))
RATED_STEP = 3                       # the window rating is of the finished service
TASK_TYPES = ("01", "05", "07", "08", "09", "10", "20", "99")
USER_PROPS = (1, 2, 3, 4, 5, 6, 9)   # 自然人 企业法人 事业法人 社会组织法人 非法人企业 行政机关 其他组织
SELF_BUILT = "00000000"              # a matter code with eight zeros is the hall's own (自建事项)
MATTER_CODE_LEN, TASK_CODE_LEN = 33, 31
# What the public client sends when a legacy case has no identity (userName
# 无, certKey/mobile 0, userPageType 111 = 居民身份证); used only with
# [upstream.options] applicant_placeholders = true.
PLACEHOLDERS = {"name": "无", "id_number": "0", "mobile": "0", "id_type": "111"}

CREDIT_CODE = re.compile(r"^[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}$")
AREA = re.compile(r"^\d{6}(\d{6})?$")
MOBILE = re.compile(r"^1\d{10}$")
ID_TYPE = re.compile(r"^\d{2,3}$")


def area12(code):
    """A 6- or 12-digit area code -> 12 digits (the platform's form)."""
    return code + "000000" if len(code) == 6 else code


def split_matter(code, handle_item=None):
    """The hall's matter code -> (taskCode, taskHandleItem): a 33-character
    code is a 业务办理项 whose first 31 characters are the matter."""
    if len(code) == MATTER_CODE_LEN:
        return code[:TASK_CODE_LEN], code
    return code, handle_item or None


def self_built(task_code):
    return SELF_BUILT in task_code


def _text(value, max_len=100):
    return isinstance(value, str) and 0 < len(value.strip()) and len(value) <= max_len


# (field as the API shows it, path in upstream_case, required?, (test, what it takes))
UPSTREAM_RULES = (
    ("upstream_case.applicant.name", ("applicant", "name"), True,
     (_text, "the applicant's name (userName), 1 to 100 characters")),
    ("upstream_case.applicant.id_number", ("applicant", "id_number"), True,
     (lambda v: _text(v, 64), "the applicant's certificate number (certKey, or the credit code for an "
                              "organisation), 1 to 64 characters")),
    ("upstream_case.applicant.mobile", ("applicant", "mobile"), True,
     (lambda v: isinstance(v, str) and bool(MOBILE.match(v)), "an 11-digit mobile number starting with 1")),
    ("upstream_case.applicant.id_type", ("applicant", "id_type"), False,
     (lambda v: isinstance(v, str) and bool(ID_TYPE.match(v)), "a certificate type code (userPageType), "
                                                                "e.g. 111 居民身份证")),
    ("upstream_case.applicant.kind", ("applicant", "kind"), False,
     (lambda v: v in USER_PROPS and not isinstance(v, bool), "userProp 1 自然人, 2 企业法人, 3 事业法人, "
                                                            "4 社会组织法人, 5 非法人企业, 6 行政机关, 9 其他组织")),
    ("upstream_case.org_code", ("org_code",), False,
     (lambda v: isinstance(v, str) and bool(CREDIT_CODE.match(v)), "the handling department's 18-character "
                                                                   "unified social credit code")),
    ("upstream_case.area_code", ("area_code",), False,
     (lambda v: isinstance(v, str) and bool(AREA.match(v)), "6 or 12 digits")),
    ("upstream_case.task_type", ("task_type",), False,
     (lambda v: v in TASK_TYPES, "one of %s" % " ".join(TASK_TYPES))),
)


def handle_item_refusal(matter_code, handle_item):
    """The platform takes a taskHandleItem only as 33 characters whose first
    31 are taskCode; a 33-character matter code is its own handling item (it
    is sent, and another upstream_case.handle_item would be dropped). ->
    None or (field, why), so the API refuses what the platform would
    dead-letter."""
    if not handle_item:
        return None
    code = matter_code if isinstance(matter_code, str) else ""
    task, item = split_matter(code, handle_item)
    if item == handle_item and len(item) == MATTER_CODE_LEN and len(task) == TASK_CODE_LEN and item.startswith(task):
        return None
    if len(code) == MATTER_CODE_LEN:
        takes = "nothing but the matter code itself, which already is the handling item (or leave it out)"
    else:
        takes = ("33 characters whose first 31 are the matter code (taskCode), so only with a 31-character "
                 "matter_code (this one has %d); or leave it out" % len(code))
    return "upstream_case.handle_item", ("upstream_case.handle_item %r is refused by the Shandong platform "
                                         "(taskHandleItem): it takes %s" % (handle_item, takes))


def upstream_refusal(up, matter_code=None):
    """upstream_case (a dict) and the invitation's matter code -> None or (field, why)."""
    if not isinstance(up, dict):
        return "upstream_case", "upstream_case must be an object with the applicant and the case's codes"
    for field, path, required, (test, takes) in UPSTREAM_RULES:
        value = up
        for key in path:
            value = value.get(key) if isinstance(value, dict) else None
        if value is None and not required:
            continue
        if value is None:
            return field, ("%s is required by the Shandong platform (real-name service records): it takes %s"
                           % (field, takes))
        if not test(value):
            # Personal data never goes into a message: only the codes are echoed.
            shown = "" if path[0] == "applicant" else " %r" % (value,)
            return field, "%s%s is refused by the Shandong platform: it takes %s" % (field, shown, takes)
    return handle_item_refusal(matter_code, up.get("handle_item"))
