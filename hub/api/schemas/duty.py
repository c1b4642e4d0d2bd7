"""Schemas of staff duty at a window (签到 / 签退)."""

from pydantic import Field

from hub.api.schemas.common import Request, Response, StaffId, StaffName


class SignInIn(Request):
    staff_id: StaffId = Field(description="工号")
    staff_name: StaffName = Field(description="name shown on the terminal")

    model_config = {"json_schema_extra": {"examples": [{"staff_id": "A0317", "staff_name": "李明"}]}}


class DutyOut(Response):
    window: str
    state: str = Field(description="on (staff signed in) or off")
    staff_id: str | None = None
    staff_name: str | None = None
    since: str | None = None
    warning: str | None = None
