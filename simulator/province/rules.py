"""Field checks of a strict provincial platform, shared by both dialects.

Each check raises Rejected with the platform's code and a message naming
the field, the way a real platform answers a bad push. The platform's
scale is `satisfaction` (5 非常满意) unless configured as GB/T (1 非常满意);
label codes carry their level in the first digit, on our 5-best scale.
"""

import calendar
import re
import time

from simulator.province.codes import BAD_SATISFACTION, LABEL_CODES, label_satisfaction

AREA = re.compile(r"^\d{6}(\d{6})?$")
CODE = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")
TIME = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$")
BEIJING_OFFSET_S = 8 * 3600   # the platforms' times are Beijing time (UTC+8)
FOLLOW_UP_DAYS = 60
BAD_FIELD, UNKNOWN_CASE, LABEL_LEVEL, TOO_LATE = "1001", "1002", "1005", "1004"


class Rejected(Exception):
    def __init__(self, code, msg):
        super().__init__(msg)
        self.code = code
        self.msg = msg


def text(d, key, pattern=None, max_len=200):
    v = d.get(key)
    if not isinstance(v, str) or not v.strip():
        raise Rejected(BAD_FIELD, "%s is required" % key)
    if len(v) > max_len:
        raise Rejected(BAD_FIELD, "%s is longer than %d characters" % (key, max_len))
    if pattern is not None and not pattern.match(v):
        raise Rejected(BAD_FIELD, "%s has a bad format: %r" % (key, v))
    return v


def integer(d, key, allowed):
    v = d.get(key)
    if isinstance(v, bool) or not isinstance(v, int) or v not in allowed:
        raise Rejected(BAD_FIELD, "%s must be one of %s, got %r" % (key, sorted(allowed), v))
    return v


def when(d, key):
    """'yyyy-MM-dd HH:mm:ss' Beijing time -> epoch seconds."""
    v = d.get(key)
    try:
        if not isinstance(v, str) or not TIME.match(v):
            raise ValueError(v)
        return calendar.timegm(time.strptime(v, "%Y-%m-%d %H:%M:%S")) - BEIJING_OFFSET_S
    except ValueError:
        raise Rejected(BAD_FIELD, "%s must be yyyy-MM-dd HH:mm:ss, got %r" % (key, v))


class Rules:
    def __init__(self, area_code, channels, level_scale="satisfaction"):
        self.area_code = area_code
        self.channels = set(channels)
        self.level_scale = level_scale

    def case(self, d):
        area = text(d, "areaCode", AREA)
        if area != self.area_code:
            raise Rejected(BAD_FIELD, "areaCode %s is not this platform's area %s" % (area, self.area_code))
        text(d, "deptCode", CODE)
        text(d, "taskCode", CODE)
        text(d, "taskName", None, 200)
        text(d, "projectNo", CODE)
        integer(d, "userProp", {1, 2})
        return when(d, "serviceTime")

    def rating(self, d, case, first_rating):
        """Checks one rating against its case; `case` from the ledger (None: unknown)."""
        project = text(d, "projectNo", CODE)
        if case is None:
            raise Rejected(UNKNOWN_CASE, "projectNo %s is not registered: register the case first" % project)
        number = integer(d, "assessNumber", {1, 2})
        sat = integer(d, "satisfaction", {1, 2, 3, 4, 5})
        level = 6 - sat if self.level_scale == "gbt" else sat
        integer(d, "pf", self.channels)
        integer(d, "userProp", {1, 2})
        at = when(d, "assessTime")
        if at < case["service_time"]:
            raise Rejected(BAD_FIELD, "assessTime is earlier than the case's serviceTime")
        detail = d.get("evalDetail", "")
        if not isinstance(detail, str):
            raise Rejected(BAD_FIELD, "evalDetail must be comma-separated label codes")
        labels = []
        for part in filter(None, detail.split(",")):
            if not part.isdigit() or int(part) not in LABEL_CODES:
                raise Rejected(BAD_FIELD, "evalDetail has an unknown label code %r" % part)
            if label_satisfaction(int(part)) != level:
                raise Rejected(LABEL_LEVEL, "label %s does not belong to satisfaction %d" % (part, sat))
            labels.append(int(part))
        writing = d.get("writingEvaluation", "")
        if not isinstance(writing, str) or len(writing) > 500:
            raise Rejected(BAD_FIELD, "writingEvaluation must be text of at most 500 characters")
        if level in BAD_SATISFACTION and not labels and not writing.strip():
            raise Rejected(BAD_FIELD, "a bad rating needs evalDetail or writingEvaluation")
        if number == 2:
            if first_rating is None:
                raise Rejected(BAD_FIELD, "a follow-up (assessNumber 2) needs a first rating")
            if at - case["service_time"] > FOLLOW_UP_DAYS * 86400:
                raise Rejected(TOO_LATE, "a follow-up must come within %d days of the service" % FOLLOW_UP_DAYS)
        return {"project_no": project, "number": number, "satisfaction": sat, "labels": labels,
                "assess_time": at, "pf": d["pf"]}
