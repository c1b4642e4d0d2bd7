"""The Shandong platform's checks of one decrypted record, written from the
public facts (docs/UPSTREAM.md, Shandong) and not from the hub's adapter.

Each check raises Refused with the platform's message, naming the field.
"""

import calendar
import re
import time

from simulator.province.codes import BAD_SATISFACTION, LABEL_CODES, label_satisfaction

STEP_NAMES = {1: "提交申请信息", 2: "待受理", 3: "出证办结"}
RATED_STEP = 3
TASK_TYPES = {"01", "05", "07", "08", "09", "10", "20", "99"}
USER_PROPS = {1, 2, 3, 4, 5, 6, 9}
SERVICE_REQUIRED = ("mobile", "serviceTime", "areaCode", "taskCode", "taskName", "projectNo", "proStatus",
                    "orgcode", "orgName", "userProp", "userName", "userPageType", "serviceName",
                    "serviceNumber", "projectType")
RATING_REQUIRED = ("taskType", "projectNo", "satisfaction", "pf", "assessTime", "serviceNumber")
TIME = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$")
CODE = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")
AREA12 = re.compile(r"^\d{12}$")
CREDIT = re.compile(r"^[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}$")
MOBILE = re.compile(r"^(1\d{10}|0)$")     # "0": what the vendor's client sends for an unknown number
BEIJING_S = 8 * 3600
DUPLICATE_SERVICE = "已存在该条服务信息，请勿重复提交"
DUPLICATE_RATING = "评价数据不可重复"
UNKNOWN_SERVICE = "服务信息不存在"


class Refused(Exception):
    def __init__(self, msg):
        super().__init__(msg)
        self.msg = msg


def blank(v):
    return v is None or (isinstance(v, str) and not v.strip())


def number(d, key, allowed):
    v = d.get(key)
    try:
        n = int(v)
    except (TypeError, ValueError):
        n = None
    if isinstance(v, bool) or n not in allowed or str(n) != str(v).strip():
        raise Refused("%s 取值不正确: %r (应为 %s)" % (key, v, "/".join(str(a) for a in sorted(allowed))))
    return n


def when(d, key, now):
    v = d.get(key)
    try:
        if not isinstance(v, str) or not TIME.match(v):
            raise ValueError(v)
        t = calendar.timegm(time.strptime(v, "%Y-%m-%d %H:%M:%S")) - BEIJING_S
    except ValueError:
        raise Refused("%s 格式应为 yyyy-MM-dd HH:mm:ss: %r" % (key, v))
    if t > now:
        raise Refused("%s 晚于平台当前时间" % key)
    return t


class Judge:
    def __init__(self, project_prefix="37", area_prefix="37", data_source="165", channels=range(1, 8)):
        self.project_prefix = project_prefix
        self.area_prefix = area_prefix
        self.data_source = data_source
        self.channels = set(channels)

    def project(self, d):
        no = d.get("projectNo")
        if not isinstance(no, str) or not no.startswith(self.project_prefix) or len(no) <= len(self.project_prefix) \
                or len(no) > 66 or not re.match(r"^[A-Za-z0-9_.-]+$", no):
            raise Refused("projectNo 应以省级前缀 %s 开头: %r" % (self.project_prefix, no))
        return no[len(self.project_prefix):]

    def service(self, d, case, now):
        """One service record; CASE as the ledger holds it (None: new) -> (serial, step, service_time)."""
        for key in SERVICE_REQUIRED:
            if blank(d.get(key)):
                raise Refused("%s 不能为空" % key)
        if blank(d.get("certKey")) and blank(d.get("certKeyGOV")):
            raise Refused("certKey 与 certKeyGOV 不能同时为空")
        serial = self.project(d)
        step = number(d, "serviceNumber", STEP_NAMES)
        if number(d, "proStatus", STEP_NAMES) != step:
            raise Refused("proStatus 应与 serviceNumber 相同")
        if d["serviceName"] != STEP_NAMES[step]:
            raise Refused("serviceName 应为 %s" % STEP_NAMES[step])
        area = d["areaCode"]
        if not AREA12.match(area) or not area.startswith(self.area_prefix):
            raise Refused("areaCode 应为本省 12 位行政区划代码: %r" % area)
        org = d["orgcode"].split("_")
        if len(org) != 2 or org[0] != area or not CREDIT.match(org[1]):
            raise Refused("orgcode 应为 areaCode + '_' + 18 位统一社会信用代码: %r" % d["orgcode"])
        number(d, "userProp", USER_PROPS)
        if not MOBILE.match(str(d["mobile"])):
            raise Refused("mobile 格式不正确")
        if str(d.get("taskType")) not in TASK_TYPES:
            raise Refused("taskType 取值不正确: %r" % d.get("taskType"))
        if str(d.get("dataSource")) != self.data_source:
            raise Refused("dataSource 应为 %s" % self.data_source)
        task = d["taskCode"]
        if "00000000" in task:
            raise Refused("taskCode %s 为自建事项，不在省级事项目录" % task)
        item = d.get("taskHandleItem")
        if item is not None and (len(item) != 33 or len(task) != 31 or not item.startswith(task)):
            raise Refused("taskHandleItem 应为 33 位，其前 31 位为 taskCode")
        if not CODE.match(task) or len(d["taskName"]) > 200 or not d["taskName"].strip():
            raise Refused("taskCode 应为 1 到 64 位字母、数字或 _ . -，taskName 不超过 200 字: %r" % task)
        at = when(d, "serviceTime", now)
        steps = case["steps"] if case else []
        if step in steps:
            raise Refused(DUPLICATE_SERVICE)
        if step > 1 and step - 1 not in steps:
            raise Refused("serviceNumber %d 之前应先提交 serviceNumber %d" % (step, step - 1))
        if case and at < case["service_time"]:
            raise Refused("serviceTime 早于上一环节的服务时间")
        return serial, step, at

    def rating(self, d, case, held, now):
        """One window rating; CASE from the ledger, HELD: its rating already taken -> checked fields."""
        for key in RATING_REQUIRED:
            if blank(d.get(key)):
                raise Refused("%s 不能为空" % key)
        serial = self.project(d)
        step = number(d, "serviceNumber", STEP_NAMES)
        if case is None or step not in case["steps"]:
            raise Refused("%s: projectNo %s serviceNumber %d" % (UNKNOWN_SERVICE, d["projectNo"], step))
        if RATED_STEP not in case["steps"]:
            raise Refused("办件尚未办结（无 serviceNumber 3 出证办结），不能评价")
        if held:                     # a repeat is known before its content is judged again
            raise Refused(DUPLICATE_RATING)
        if str(d["taskType"]) not in TASK_TYPES:
            raise Refused("taskType 取值不正确: %r" % d["taskType"])
        sat = number(d, "satisfaction", {1, 2, 3, 4, 5})
        pf = number(d, "pf", self.channels)
        at = when(d, "assessTime", now)
        if at < case["service_time"]:
            raise Refused("assessTime 早于服务时间 serviceTime")
        detail = d.get("evalDetail") or ""
        labels = []
        for part in filter(None, str(detail).split(",")):
            if not part.isdigit() or int(part) not in LABEL_CODES:
                raise Refused("evalDetail 含未知指标 %r" % part)
            if label_satisfaction(int(part)) != sat:
                raise Refused("evalDetail 指标 %s 不属于满意度 %d" % (part, sat))
            labels.append(int(part))
        writing = d.get("writingEvaluation") or ""
        if not isinstance(writing, str) or len(writing) > 500:
            raise Refused("writingEvaluation 应为不超过 500 字的文字")
        if sat in BAD_SATISFACTION and not labels and not writing.strip():
            raise Refused("差评必须勾选详情或填写文字评价")
        return {"serial": serial, "satisfaction": sat, "labels": labels, "assess_time": at, "pf": pf}
