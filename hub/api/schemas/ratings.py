"""Schemas of ratings (评价)."""

from pydantic import Field

from hub.api.schemas.common import Page, Response


class LabelOut(Response):
    code: int = Field(description="national label code; its first digit is the level")
    text: str


class RatingOut(Response):
    id: str = Field(description="rating id: device id + journal sequence, unique")
    invitation_id: str | None = None
    window: str | None = None
    device_id: str | None = None
    case_serial: str | None = None
    visit: int | None = None
    staff_id: str | None = None
    staff_name: str | None = None
    matter_code: str | None = None
    matter_name: str | None = None
    level: int = Field(description="5 非常满意 .. 1 非常不满意")
    level_name: str
    bad: bool = Field(description="true for 不满意 and 非常不满意 (差评): needs follow-up at once")
    labels: list[LabelOut] = []
    other: bool = Field(False, description="the citizen chose \"other\" as the reason")
    channel: int | None = Field(None, description="channel code (pf): 5 = hall terminal")
    status: str = Field("accepted", description="accepted; refused when the visit already had a "
                                                "rating (一次一评) or the terminal was never sent "
                                                "the invitation: kept for review, not forwarded")
    origin: str | None = Field(None, description="live, or replay (sent again from the "
                                                 "terminal's journal after an outage)")
    rated_at: str | None = Field(None, description="when the hub stored it (ISO 8601, with the "
                                                   "hall's offset)")
    device_time: str | None = Field(None, description="the terminal's clock at the press, if synced")
    display_to_press_ms: int | None = None
    fraud_flags: list[str] = Field([], description="signals for review (never used to drop a rating)")


class RatingPage(Page):
    """One page of ratings; `total` counts all that match the filters."""

    items: list[RatingOut]
