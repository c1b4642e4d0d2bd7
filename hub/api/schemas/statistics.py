"""Schemas of the statistics (统计)."""

from pydantic import Field

from hub.api.schemas.common import Response


class Channels(Response):
    buttons: int = Field(description="the hall terminal's buttons (channel 5)")
    qr: int = Field(description="QR code (channel 3)")
    follow_up: int = Field(description="follow-up ratings (追加评价, assess_number 2)")
    other: int


class RectificationStats(Response):
    opened: int = Field(description="items opened in the period (one per bad review)")
    closed: int = Field(description="of those, closed by now (已办结 or 无效差评)")
    on_time: int = Field(description="of those closed, before their close deadline")
    overdue: int = Field(description="of those still open, past a deadline now")
    rate: float | None = Field(None, description="closed ÷ opened")
    on_time_rate: float | None = Field(None, description="on_time ÷ closed")


class Group(Response):
    key: str | None = Field(None, description="window, staff id, matter code, department code, "
                            "or the day / Monday of the week / month (hall time); null in total")
    name: str | None = Field(None, description="window, staff or matter name when known")
    ratings: int = Field(description="accepted ratings received in the period")
    levels: dict[str, int] = Field(description="ratings per level, \"5\" 非常满意 .. \"1\" 非常不满意")
    average_level: float | None = None
    score: float | None = Field(None, description="mean points under the score preset")
    bad: int
    bad_rate: float | None = None
    finished_cases: int = Field(description="cases finished in the period whose invitation "
                                "closed (rated, timed out, superseded, expired), each case once")
    rated_cases: int
    active_rate: float | None = Field(None, description="rated_cases ÷ finished_cases (主动评价率)")
    channels: Channels
    rectification: RectificationStats


class StatisticsOut(Response):
    by: str
    since: str = Field(description="start of the period (inclusive)")
    until: str = Field(description="end of the period (exclusive)")
    score_preset: str | list[float]
    scores: list[float] = Field(description="points of levels 5 to 1")
    rows: list[Group]
    total: Group
