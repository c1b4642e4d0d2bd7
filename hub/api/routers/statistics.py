"""GET /api/v1/statistics: the hall's statistics as JSON, CSV or XLSX."""

import datetime
from typing import Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from hub import halltime
from hub.api.errors import responses
from hub.api.schemas.common import TEXT_MAX
from hub.api.schemas.statistics import StatisticsOut
from hub.api import fresh
from hub.services import statistics, statistics_export

router = APIRouter(prefix="/statistics", tags=["statistics"])
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@router.get("", response_model=StatisticsOut, responses={
    200: {"content": {"text/csv": {}, XLSX: {}},
          "description": "JSON, or with format=csv / xlsx a spreadsheet file"},
    **responses(422)}, summary="Statistics per window, staff, matter, department or period")
async def get_statistics(
        request: Request,
        by: Literal[statistics.BYS] = Query("window", description="group by"),
        since: str | None = Query(None, alias="from", max_length=halltime.TEXT_MAX, description=(
            "start (inclusive): 2026-03-01, 2026-03-01T08:00:00+08:00 or epoch ms; default today")),
        until: str | None = Query(None, alias="to", max_length=halltime.TEXT_MAX,
                                  description="end (exclusive); default: a day after from"),
        window: str | None = Query(None, min_length=1, max_length=TEXT_MAX,
                                   description="only this window"),
        format: Literal["json", "csv", "xlsx"] = Query("json")):
    """Counts, average level, score under `[statistics] score_preset`,
    bad-review rate, active-rating rate (rated ÷ finished cases), channel
    mix and the rectification rate, per group and in total; docs/HUB.md
    ("Statistics") defines each. The period is at most a year. Examples:
    this month by window: `?by=window&from=2026-03-01&to=2026-04-01`; a
    year by month as XLSX: `?by=month&from=2026-01-01&to=2027-01-01&format=xlsx`.
    Names and codes in CSV and XLSX are never formulas (docs/HUB.md, "CSV files")."""
    ctx = request.app.state.hub
    tz = halltime.zone(ctx.cfg)
    a, b = statistics.period(halltime.parse(since, "from", tz), halltime.parse(until, "to", tz), tz)
    await fresh.deadlines(ctx)
    if window is None:          # settled days go into the per-day cache
        await fresh.statistics_days(ctx, by, a, b)
    result = await ctx.run(statistics.for_config, ctx.cfg, by, a, b, window)
    name = "statistics-%s-%s" % (by, datetime.datetime.fromtimestamp(a / 1000, tz).date())
    if format == "csv":
        return Response(statistics_export.csv_bytes(result), media_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition": 'attachment; filename="%s.csv"' % name})
    if format == "xlsx":
        return Response(statistics_export.xlsx_bytes(result), media_type=XLSX,
                        headers={"Content-Disposition": 'attachment; filename="%s.xlsx"' % name})
    return dict(result, since=halltime.iso(a, tz), until=halltime.iso(b, tz),
                score_preset=ctx.cfg.statistics.score_preset)
