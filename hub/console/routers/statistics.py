"""The hall's statistics (/console/statistics) and their CSV / XLSX download.

A GET form picks the grouping (hub.services.statistics.BYS) and the period:
two dates of the hall's zone, both days included (people say "1 to 30
November"); the service's period is [since, until), so `until` is the day
after the last one. No dates: today. The table shows what the service returns
(hub/services/statistics.py defines each figure); the chart is an inline SVG
drawn here (the CSP allows no script library and no style attribute, SVG
geometry attributes are not styles). The downloads reuse the API's export
(hub/services/statistics_export.py) behind the console's own sign-in, since
the API wants an API token a manager does not have.
"""

import datetime

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from hub import halltime
from hub.console import auth, web
from hub.console.errors import ConsoleError
from hub.errors import HubError
from hub.api import fresh
from hub.services import statistics, statistics_export
from protocol import domain

router = APIRouter()
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DAY_MS = 86400 * 1000
CHART_ROWS = 40          # more groups than this: the chart shows the first ones, the table all


def _period(cfg, since, until):
    """Form dates -> (since_ms, until_ms, since_text, until_text)."""
    tz = halltime.zone(cfg)
    since, until = since.strip()[:32], until.strip()[:32]
    try:
        a = halltime.parse_cli(since, "since", tz) if since else None
        last = halltime.parse_cli(until, "until", tz) if until else None
    except (HubError, ValueError):
        raise ConsoleError(422, "请按 2026-11-01 的格式填写起止日期。") from None
    a, b = statistics.period(a, None if last is None else last + DAY_MS, tz)
    if b <= a:
        raise ConsoleError(422, "结束日期不能早于开始日期。")
    if b - a > statistics.MAX_PERIOD_MS:
        raise ConsoleError(422, "统计区间最长一年，请分年查询。")
    day = lambda ms: datetime.datetime.fromtimestamp(ms / 1000, tz).strftime("%Y-%m-%d")
    return a, b, day(a), day(b - DAY_MS)


async def _compute(request, by, since, until):
    if by not in statistics.BYS:
        raise ConsoleError(422, "请选择统计方式：%s。"
                           % "、".join(statistics_export.BY_TITLES.values()))
    ctx = request.app.state.hub
    a, b, since_text, until_text = _period(ctx.cfg, since, until)
    # Deadlines of new items first (the rectification rate counts them), through the writer.
    await fresh.deadlines(ctx)
    # Settled days go into the per-day cache (a month or a year stays fast).
    await fresh.statistics_days(ctx, by, a, b)
    try:
        result = await ctx.run(statistics.for_config, ctx.cfg, by, a, b)
    except HubError as e:
        raise ConsoleError(e.status, "无法统计：%s" % e.message) from None
    return result, since_text, until_text


def chart(rows):
    """SVG geometry of a bar per group: ratings, the bad part on its right."""
    rows = rows[:CHART_ROWS]
    top = max([r["ratings"] for r in rows] + [1])
    bars = []
    for i, r in enumerate(rows):
        w = round(500 * r["ratings"] / top, 1)
        bad = round(500 * r["bad"] / top, 1)
        bars.append({"y": 4 + 24 * i, "w": w, "good": round(w - bad, 1), "bad": bad,
                     "label": ("%s %s" % (r["key"] or "—", r["name"] or ""))[:18], "n": r["ratings"]})
    return {"bars": bars, "height": 8 + 24 * len(bars)}


@router.get("/statistics")
async def statistics_page(request: Request, by: str = "window", since: str = "", until: str = "",
                          viewer: auth.Viewer = Depends(auth.current_user)):
    result, since_text, until_text = await _compute(request, by, since, until)
    return web.page(request, "statistics.html", viewer, title="统计", active="statistics",
                    by=by, bys=statistics_export.BY_TITLES, since=since_text, until=until_text,
                    result=result, chart=chart(result["rows"]),
                    preset=request.app.state.hub.cfg.statistics.score_preset,
                    levels=domain.LEVEL_NAMES)


async def _download(request, by, since, until, kind):
    result, since_text, until_text = await _compute(request, by, since, until)
    name = "statistics-%s-%s-%s.%s" % (by, since_text, until_text, kind)
    body, media = ((statistics_export.csv_bytes(result), "text/csv; charset=utf-8") if kind == "csv"
                   else (statistics_export.xlsx_bytes(result), XLSX))
    return Response(body, media_type=media, headers={
        "Content-Disposition": 'attachment; filename="%s"' % name, "Cache-Control": "no-store"})


@router.get("/statistics.csv")
async def statistics_csv(request: Request, by: str = "window", since: str = "", until: str = "",
                         viewer: auth.Viewer = Depends(auth.current_user)):
    return await _download(request, by, since, until, "csv")


@router.get("/statistics.xlsx")
async def statistics_xlsx(request: Request, by: str = "window", since: str = "", until: str = "",
                          viewer: auth.Viewer = Depends(auth.current_user)):
    return await _download(request, by, since, until, "xlsx")
