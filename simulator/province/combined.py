"""The platform's checks of a record that carries a case and its rating
together (Zhejiang offlinereport, Fujian getSaveEvaluation), all values text.

Written from the dialects' public descriptions, independent of the hub:
codes are parsed strictly (digits only, in the table), times are
yyyy-MM-dd HH:mm:ss Beijing time and never ahead of the platform's clock,
the rating never before the case's acceptDate, a label of the rating's
level, credit codes checked by their check character, and no field the
interface does not have.
"""

import re

from simulator.province.codes import credit_code_ok
from simulator.province.rules import AREA, BAD_FIELD, CODE, Rejected, text, when

ID_CARD = re.compile(r"^\d{17}[\dX]$")


def number(d, key, allowed, required=True):
    v = d.get(key, "")
    if v == "" and not required:
        return None
    if not (isinstance(v, str) and v.isdigit() and int(v) in allowed):
        raise Rejected(BAD_FIELD, "%s 取值不在代码表 %s 中: %r" % (key, sorted(allowed), v))
    return int(v)


def optional(d, key, max_len=200):
    v = d.get(key, "")
    if not isinstance(v, str) or len(v) > max_len:
        raise Rejected(BAD_FIELD, "%s 必须是不超过 %d 个字符的文本" % (key, max_len))
    return v


def check(p, d, spec):
    """-> (project_no, accept_s, rating dict for Rules.rating) or raise Rejected.

    spec: fields (all the interface has), user_props, data_source, real_name."""
    unknown = sorted(set(d) - spec["fields"])
    if unknown:
        raise Rejected(BAD_FIELD, "接口没有字段 %s" % ", ".join(unknown))
    area = text(d, "areaCode", AREA)
    if area[:2] != p.rules.area_code[:2]:
        raise Rejected(BAD_FIELD, "areaCode %s 不属于本省 (%s)" % (area, p.rules.area_code[:2]))
    dept = text(d, "deptCode")
    if not credit_code_ok(dept):
        raise Rejected(BAD_FIELD, "deptCode 必须是18位统一社会信用代码且校验位正确: %r" % dept)
    text(d, "taskCode", CODE)
    text(d, "taskName")
    project = text(d, "projectNo", CODE)
    number(d, "proStatus", {1, 2, 3})
    if d.get("dataSource") != spec["data_source"]:
        raise Rejected(BAD_FIELD, "dataSource 必须是本省三位代码 %s: %r" % (spec["data_source"], d.get("dataSource")))
    for key in spec["required_text"]:
        text(d, key)
    for key in spec["optional_text"]:
        optional(d, key)
    prop = number(d, "userProp", spec["user_props"])
    name, cert = optional(d, "userName"), optional(d, spec["cert_field"], 64)
    if spec["real_name"] or cert:
        if not name.strip():
            raise Rejected(BAD_FIELD, "userName 必填 (实名评价)")
        if not (ID_CARD.match(cert) if prop == 1 else credit_code_ok(cert)):
            raise Rejected(BAD_FIELD, "%s 必须是身份证号 (个人) 或统一社会信用代码 (法人)" % spec["cert_field"])
    accept = when(d, "acceptDate")
    at = when(d, "assessTime")
    now = p.clock()
    for key, t in (("acceptDate", accept), ("assessTime", at)):
        if t > now:
            raise Rejected(BAD_FIELD, "%s 晚于平台当前时间" % key)
    if at < accept:
        raise Rejected(BAD_FIELD, "assessTime 早于收件时间 acceptDate")
    rating = {"projectNo": project, "assessTime": d["assessTime"], "userProp": 1 if prop == 1 else 2,
              "evalDetail": d.get("evalDetail", ""), "writingEvaluation": optional(d, "writingEvaluation", 500),
              "assessNumber": number(d, "assessNumber", {1, 2}), "satisfaction": number(d, "satisfaction",
                                                                                      {1, 2, 3, 4, 5}),
              "pf": number(d, "pf", spec["channels"])}
    return project, accept, rating


def take(p, d, spec, extra=None):
    """Validate and hold one combined record -> (result dict {code, msg[, id, created]})."""
    reason = p.faults.take_reject()
    if reason is not None:
        return {"code": "1009", "msg": reason}
    try:
        project, accept, rating = check(p, d, spec)
        case = p.ledger.case(project)
        first = None
        if case is not None:
            first = next((r for r in p.ledger.ratings_of(project) if r["assessNumber"] == 1), None)
        r = p.rules.rating(rating, {"service_time": accept}, first)
    except Rejected as e:
        return {"code": e.code, "msg": e.msg}
    fields = dict(d, **(extra or {}))
    p.ledger.register_case(project, int(d["proStatus"]), fields, accept)
    rid, created = p.ledger.add_rating(r["project_no"], r["number"], r["satisfaction"], r["labels"],
                                       r["assess_time"], r["pf"], fields)
    return {"code": "0", "id": rid, "created": created}
