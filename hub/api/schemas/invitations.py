"""Schemas of evaluation invitations (评价邀请)."""

from typing import Literal

from pydantic import Field

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
