"""Schemas of rectification items (差评整改)."""

from typing import Literal

from pydantic import Field

from hub.api.schemas.common import Page, Request, Response
from hub.api.schemas.ratings import LabelOut
from hub.services import rectification as rect

State = Literal[rect.STATES]


class StepOut(Response):
    at: str
    by: str = Field(description="who moved it: a console user, an API client, a CLI user")
    from_state: str | None = None
    to_state: str
    reason: str | None = None
    note: str | None = None


class RectificationOut(Response):
    id: int
    rating_id: str = Field(description="the bad review (GET /api/v1/ratings/{id}); never changed")
    state: State = Field(description="pending_check 待核实, contacted 已联系, rectifying 整改中, "
                                     "closed 已办结, invalid 无效差评")
    state_name: str
    window: str | None = None
    staff_id: str | None = None
    staff_name: str | None = None
    matter_code: str | None = None
    matter_name: str | None = None
    case_serial: str | None = None
    level: int
    level_name: str
    labels: list[LabelOut] = []
    other: bool = False
    opened_at: str
    contact_due: str | None = Field(None, description="contact the citizen before this time "
                                    "([rectification] contact_days working days)")
    close_due: str | None = Field(None, description="close before this time (close_days)")
    deadline_estimated: bool = Field(False, description="the holiday calendar does not know "
                                     "the year yet: Monday to Friday were counted")
    overdue: bool
    overdue_contact: bool
    overdue_close: bool
    contacted_at: str | None = None
    closed_at: str | None = None
    closed_on_time: bool | None = None
    invalid_reason: str | None = Field(None, description="mistaken 误评 or malicious 恶意评价")
    invalid_reason_name: str | None = None
    evidence: str | None = Field(None, description="the evidence (invalid) or what was done (closed)")
    updated_at: str
    updated_by: str
    history: list[StepOut] | None = Field(None, description="every move, oldest first (one item only)")


class Counts(Response):
    open: int
    overdue: int
    overdue_contact: int
    overdue_close: int
    pending_check: int
    contacted: int
    rectifying: int
    closed: int
    invalid: int


class RectificationPage(Page):
    items: list[RectificationOut]
    counts: Counts = Field(description="over the window, staff and period filters (not state, "
                                       "overdue)")


class TransitionIn(Request):
    to: State = Field(description="the next state")
    reason: Literal[tuple(rect.REASONS)] | None = Field(
        None, description="with to=invalid: mistaken (误评) or malicious (恶意评价)")
    note: str | None = Field(None, max_length=rect.NOTE_MAX, description=(
        "the evidence (required for invalid), what was rectified (required for closed); "
        "never a phone or ID number"))
    by: str | None = Field(None, min_length=1, max_length=32, description=(
        "the person at the client system who made the move; recorded as api:CLIENT/BY"))

    model_config = {"json_schema_extra": {"examples": [
        {"to": "contacted", "note": "已电话回访", "by": "李明"},
        {"to": "invalid", "reason": "mistaken", "note": "办事人确认误按", "by": "李明"}]}}
