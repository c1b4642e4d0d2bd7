"""Rectification of bad reviews (差评整改): the work items, and their moves."""

from fastapi import APIRouter, Path, Query, Request

from hub import halltime
from hub.api.errors import responses
from hub.api.schemas.common import ROW_ID_MAX, TEXT_MAX
from hub.api.schemas.rectification import (RectificationOut, RectificationPage, State,
                                           TransitionIn)
from hub.api import fresh
from hub.services import rectification as rect

router = APIRouter(prefix="/rectifications", tags=["rectification"])
_TIMES = ("opened_at", "contact_due", "close_due", "contacted_at", "closed_at", "updated_at")


def view(item, tz):
    """An item (epoch ms) as the API shows it (ISO 8601 in the hall's zone)."""
    out = dict(item)
    for k in _TIMES:
        out[k] = halltime.iso(item.get(k), tz)
    if item.get("history") is not None:
        out["history"] = [dict(s, at=halltime.iso(s["at"], tz), by=s["actor"])
                          for s in item["history"]]
    return out


@router.get("", response_model=RectificationPage, responses=responses(422),
            summary="List rectification items of bad reviews")
async def list_items(
        request: Request,
        state: State | None = Query(None, description="only items in this state"),
        overdue: bool | None = Query(None, description="true: only overdue (contact or close "
                                     "deadline passed); false: none overdue"),
        window: str | None = Query(None, min_length=1, max_length=TEXT_MAX),
        staff_id: str | None = Query(None, min_length=1, max_length=TEXT_MAX),
        since: str | None = Query(None, max_length=halltime.TEXT_MAX, description=(
            "opened at or after: 2026-03-01, 2026-03-01T08:00:00+08:00 or epoch ms")),
        until: str | None = Query(None, max_length=halltime.TEXT_MAX,
                                  description="opened before (same forms as since)"),
        page: int = Query(1, ge=1, le=rect.MAX_PAGE),
        size: int = Query(50, ge=1, le=rect.MAX_SIZE)):
    """Every bad review (不满意, 非常不满意) opens an item when it is stored;
    newest first. `counts` says how many are open and overdue. Example:
    overdue items of window 12: `GET /api/v1/rectifications?window=12&overdue=true`."""
    ctx = request.app.state.hub
    tz = halltime.zone(ctx.cfg)
    await fresh.deadlines(ctx)
    out = await ctx.run(rect.query, state, overdue, window, staff_id,
                        halltime.parse(since, "since", tz), halltime.parse(until, "until", tz),
                        page, size, None, rect.rules(ctx.cfg))
    out["items"] = [view(i, tz) for i in out["items"]]
    return out


@router.get("/{item_id}", response_model=RectificationOut, responses=responses(404, 422),
            summary="One rectification item with its history")
async def get_item(request: Request, item_id: int = Path(ge=1, le=ROW_ID_MAX)):
    ctx = request.app.state.hub
    await fresh.deadlines(ctx)
    item = await ctx.run(rect.require, item_id, None, rect.rules(ctx.cfg))
    return view(item, halltime.zone(ctx.cfg))


@router.post("/{item_id}/transition", response_model=RectificationOut,
             responses=responses(404, 409, 413, 422), summary="Move an item to its next state")
async def move_item(body: TransitionIn, request: Request,
                    item_id: int = Path(ge=1, le=ROW_ID_MAX)):
    """pending_check → contacted → rectifying → closed (with `note`: what was
    done), or pending_check / contacted → invalid with `reason` (mistaken,
    malicious) and `note` (the evidence). Recorded with who (`api:CLIENT/BY`)
    and when, in the item's history and the audit log. 409
    `illegal_transition` names the states the item may go to."""
    ctx = request.app.state.hub
    client = getattr(request.state, "client", None) or "-"
    actor = "api:%s" % client + ("/%s" % body.by.strip() if body.by and body.by.strip() else "")
    item = await ctx.write(rect.transition, item_id, body.to, actor, body.note, body.reason,
                           None, rect.rules(ctx.cfg))
    return view(item, halltime.zone(ctx.cfg))
