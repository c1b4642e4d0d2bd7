"""Forwarding to the provincial platform (/console/upstream).

Backlog by state, the oldest row still waiting, dead letters with the
platform's own reason and (administrators) a replay button per letter and
for all; and a reconciliation of a period against what the platform holds
(hub/upstream/reconcile.py), which asks the platform once per case.
"""

import asyncio
import time

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse

from hub import halltime
from hub.console import PREFIX, auth, web
from hub.console.errors import ConsoleError
from hub.services import audit

router = APIRouter()
RECONCILE_MAX_DAYS = 31


def _read(db):
    from hub.upstream import outbox
    return outbox.backlog(db), outbox.dead_letters(db)


@router.get("/upstream")
async def upstream_page(request: Request, done: str | None = None,
                        viewer: auth.Viewer = Depends(auth.current_user)):
    ctx = request.app.state.hub
    backlog, dead = await ctx.run(_read)
    oldest = backlog["oldest_waiting_ms"]
    age_min = None if oldest is None else int((time.time() * 1000 - oldest) // 60000)
    return web.page(request, "upstream.html", viewer, title="省平台转发", active="upstream",
                    backlog=backlog, dead=dead, age_min=age_min, adapter=ctx.cfg.upstream.adapter,
                    done=done if done and done.isdigit() else None, report=None,
                    since="", until="")


def _replay(db, actor, ids):
    from hub.upstream import outbox
    n = outbox.replay(db, int(time.time() * 1000), ids)
    audit.log(db, actor, "upstream.replay", "all" if ids is None else ",".join(map(str, ids)),
              {"replayed": n})
    return n


@router.post("/upstream/replay")
async def replay(request: Request, viewer: auth.Viewer = Depends(auth.require_role("admin"))):
    form = await auth.checked_form(request, viewer)
    which = form.get("id", "")
    if which == "all":
        ids = None
    elif which.isascii() and which.isdigit() and len(which) < 16:
        ids = [int(which)]
    else:
        raise ConsoleError(422, "请选择要重发的死信。")
    ctx = request.app.state.hub
    n = await ctx.write(_replay, viewer.actor, ids)
    ctx.notify()
    return RedirectResponse("%s/upstream?done=%d" % (PREFIX, n), status_code=303)


def _run_reconcile(cfg, since, until):
    from hub.store import open_db
    from hub.upstream import make_adapter
    from hub.upstream.reconcile import reconcile
    from hub.upstream.settings import adapter_settings
    db = open_db(cfg.db_path)
    try:
        return reconcile(db, make_adapter(adapter_settings(cfg)), since, until)
    finally:
        db.close()


@router.get("/upstream/reconcile")
async def reconcile_page(request: Request, since: str = "", until: str = "",
                         viewer: auth.Viewer = Depends(auth.current_user)):
    from hub.errors import HubError
    ctx = request.app.state.hub
    cfg = ctx.cfg
    if cfg.upstream.adapter == "none":
        raise ConsoleError(409, "未配置省平台（[upstream] adapter = \"none\"），无可对账。")
    tz = halltime.zone(cfg)
    try:
        a = halltime.parse_cli(since, "since", tz)
        b = halltime.parse_cli(until, "until", tz)
    except (HubError, ValueError):
        raise ConsoleError(422, "请按 2026-11-01 的格式填写起止日期。") from None
    if not 0 < b - a <= RECONCILE_MAX_DAYS * 86400 * 1000:
        raise ConsoleError(422, "结束日期须晚于开始日期，且区间不超过 %d 天。" % RECONCILE_MAX_DAYS)
    # Calls the platform once per case: its own thread and connection, off the API's.
    report = await asyncio.to_thread(_run_reconcile, cfg, a, b)
    backlog, dead = await ctx.run(_read)
    return web.page(request, "upstream.html", viewer, title="省平台转发", active="upstream",
                    backlog=backlog, dead=dead, age_min=None, adapter=cfg.upstream.adapter,
                    done=None, report=report, since=since, until=until)
