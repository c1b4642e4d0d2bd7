"""Schemas of evaluation invitations (评价邀请)."""

from typing import Annotated, Literal

from pydantic import Field, StringConstraints, model_validator

from hub.api.schemas.common import (WINDOW_DESCRIPTION, Request, Response, StaffId, StaffName,
                                    Token, WindowNo)
from hub.api.schemas.ratings import RatingOut
from hub.services import invitation_states as states
from protocol.catalogue import field_spec

InvitationState = Literal[states.ALL]
# Bounds of the `inv` fields that carry these to the terminal.
_, _NAME_MIN, _NAME_MAX = field_spec("inv", "mn")
_, _VISIT_MIN, _VISIT_MAX = field_spec("inv", "vis")
_, _TIMEOUT_MIN, _TIMEOUT_MAX = field_spec("inv", "to")

EXAMPLE = {
    "window": "12",
    "case_serial": "SZ20240611000123",
    "visit": 1,
    "matter_code": "11440300MB2C92102X4442111003000",
    "matter_name": "个体工商户设立登记",
    "staff_id": "A0317",
    "staff_name": "李明",
    "applicant_kind": "person",
}


# The case's upstream identity (docs/UPSTREAM.md, "The applicant's identity"):
# forms every platform shares; the configured dialect adds what it requires.
def _text(lo, hi, pattern=None):
    return Annotated[str, StringConstraints(strip_whitespace=True, min_length=lo, max_length=hi,
                                            pattern=pattern)]


_CODE = _text(1, 64, r"^[A-Za-z0-9_.-]+$")
_SHORT_CODE = _text(1, 8, r"^[A-Za-z0-9]+$")
# Epoch seconds from 2000-01-01 to 2100-01-01: a millisecond value is refused.
_EPOCH_MIN, _EPOCH_MAX = 946_684_800, 4_102_444_800
TASK_TYPES = ("01", "05", "07", "08", "09", "10", "20", "99")


class ApplicantIn(Request):
    """Personal data: sealed at rest, sent only to the platform, never shown."""
    name: _text(1, 100) = Field(description="userName: the person's or organisation's name")
    kind: int = Field(ge=1, le=9, description=(
        "userProp: 1 自然人, 2 企业法人, 3 事业法人, 4 社会组织法人, 5 非法人企业, 6 行政机关, "
        "9 其他组织"))
    id_type: _SHORT_CODE | None = Field(None, description="userPageType: the ID document's code")
    id_number: _text(1, 32, r"^[A-Za-z0-9]+$") | None = Field(None, description=(
        "certKey (a person's ID number) or certKeyGOV (an organisation's credit code)"))
    mobile: _text(5, 20, r"^\+?[0-9][0-9-]*$") | None = Field(None, description="mobile phone number")


class UpstreamCaseIn(Request):
    """What the provincial platform needs of the case; which fields it
    requires depends on the province (the hub's configured dialect)."""
    applicant: ApplicantIn | None = None
    task_type: Literal[TASK_TYPES] | None = Field(None, description=(
        "taskType: 01 行政许可, 05 行政确认, 07 行政奖励, 08 行政裁决, 09 行政给付, 10 其他行政权力, "
        "20 公共服务, 99 其他"))
    accept_time: int | None = Field(None, ge=_EPOCH_MIN, le=_EPOCH_MAX, description=(
        "acceptDate: when the case was accepted, epoch seconds (sent never later than the "
        "case's finish, nor ahead of the hub's clock)"))
    promise_days: int | None = Field(None, ge=0, le=3650, description="promiseDay: days promised")
    promise_time: int | None = Field(None, ge=_EPOCH_MIN, le=_EPOCH_MAX, description=(
        "promiseTime: the promised finish, epoch seconds"))
    area_code: _text(6, 12, r"^([0-9]{6}|[0-9]{12})$") | None = Field(None, description=(
        "areaCode of this case (行政区划代码), 6 or 12 digits; default: the hub's"))
    area_name: _text(1, 100) | None = Field(None, description="areaName")
    org_code: _text(18, 18, r"^[0-9A-HJ-NPQRTUWXY]{18}$") | None = Field(None, description=(
        "the handling department's 18-character unified social credit code"))
    org_name: _text(1, 200) | None = Field(None, description="orgName: the handling department")
    handle_item: _CODE | None = Field(None, description="taskHandleItem: the matter's handling-item code")
    sub_matter: _text(1, 200) | None = Field(None, description="subMatter")
    pro_depart_code: _CODE | None = Field(None, description="proDepartCode")
    pro_depart: _text(1, 200) | None = Field(None, description="proDepart")
    manager: _text(1, 64) | None = Field(None, description="proManager: who handled it upstream's way")
    project_type: _SHORT_CODE | None = Field(None, description="projectType")
    app_status: _SHORT_CODE | None = Field(None, description="appStatus")

    @model_validator(mode="after")
    def _promise_after_accept(self):
        if self.accept_time is not None and self.promise_time is not None \
                and self.promise_time < self.accept_time:
            raise ValueError("promise_time is before accept_time; send the promised finish, "
                             "which comes after the acceptance")
        return self


class InvitationIn(Request):
    window: WindowNo = Field(description=WINDOW_DESCRIPTION)
    case_serial: Token = Field(description="办件流水号, the case serial number")
    visit: int = Field(1, ge=_VISIT_MIN, le=_VISIT_MAX, description=(
        "which visit of this case at this window (一次一评: one rating per case serial + visit)"))
    matter_code: Token = Field(description="事项编码")
    matter_name: str = Field(min_length=_NAME_MIN, max_length=_NAME_MAX,
                             description="事项名称, shown on the terminal")
    staff_id: StaffId | None = Field(None, description=(
        "工号 of the staff member who handled the case; default: whoever is signed in "
        "at the window"))
    staff_name: StaffName | None = Field(None, description="staff name, shown on the terminal "
                                                           "(required with staff_id)")
    applicant_kind: Literal["person", "legal_person"] = Field(
        "person", description="person (自然人) or legal_person (法人)")
    contact: str | None = Field(None, max_length=64, description=(
        "optional applicant phone or e-mail for a rating reminder; stored encrypted, "
        "never logged and never returned by the API"))
    timeout_s: int | None = Field(None, ge=_TIMEOUT_MIN, le=_TIMEOUT_MAX, description=(
        "seconds the terminal waits for a press; default from the hub's config"))
    upstream_case: UpstreamCaseIn | None = Field(None, description=(
        "the case's identity for the provincial platform: the applicant (sealed, sent only "
        "upstream, never returned, deleted once the platform holds the case and its rating) "
        "and the case's codes; which fields are required depends on the province"))

    model_config = {"json_schema_extra": {"examples": [EXAMPLE]}}


class InvitationOut(Response):
    id: str = Field(description="invitation id: use it to read or cancel the invitation")
    state: InvitationState = Field(description=(
        "queued (not yet on a screen: terminal offline, or the invitation on its way), "
        "shown (on the terminal's screen, waiting for a press), rated (see `rating`), "
        "timed_out (on the screen until its time ran out, nobody finished a rating), "
        "superseded (a newer invitation of the window replaced it before anyone rated it; "
        "never shown when `shown_at` is empty; the visit may be invited again), "
        "cancelled (withdrawn by a business system or hall IT), "
        "expired (its deadline passed first, e.g. the terminal stayed offline)"))
    window: str
    case_serial: str
    visit: int
    matter_code: str
    matter_name: str
    staff_id: str
    staff_name: str
    applicant_kind: str
    created_at: str | None = None
    expires_at: str | None = Field(None, description=(
        "when the invitation expires if no terminal has shown it by then (the hub's "
        "[rating] invitation_expiry_s after created_at, 30 minutes by default); the "
        "citizen's time to press once it is shown is timeout_s, not this"))
    deadline: str | None = Field(None, deprecated=True, description=(
        "deprecated: the same as expires_at (it never was a deadline to press); read "
        "expires_at, this field stays for clients written against it"))
    shown_at: str | None = None
    closed_at: str | None = None
    device_id: str | None = Field(None, description="the terminal it was delivered to, once sent")
    has_contact: bool = Field(False, description="an applicant contact is stored (never shown)")
    rating: RatingOut | None = Field(None, description="the rating, once the state is rated")
    warning: str | None = Field(None, description="set when the invitation was accepted but cannot "
                                                  "be shown yet, e.g. the terminal is offline")


class InvitationList(Response):
    items: list[InvitationOut]


class CancelIn(Request):
    reason: str | None = Field(None, max_length=64, description="why (kept in the audit log)")
