"""Rectification of bad reviews, 差评整改 (/console/rectifications).

The list (filters: state, overdue; the counts of open and overdue items) and
one item with its deadlines, its rating (window, staff, matter, level,
labels: never the citizen, the item holds nothing of them) and its history.
Administrators move an item to one of its next states (hub.services.
rectification.NEXT) through the writer, as the API does, with the actor
console:<account>; the service's refusal (an illegal move, a note holding a
phone number) is shown as a page, never a 500.
"""

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse

from hub.console import PREFIX, auth, web
from hub.console.errors import ConsoleError
from hub.errors import HubError
from hub.api import fresh
from hub.services import rectification as rect

router = APIRouter()
PAGE_SIZE = 50
ID_MAX = 2 ** 53
OVERDUE = {"": None, "1": True, "0": False}


def _item_id(text):
    if not (text.isascii() and text.isdigit() and 0 < int(text) < ID_MAX):
        raise ConsoleError(404, "没有这条整改记录。")
    return int(text)


@router.get("/rectifications")
async def list_page(request: Request, state: str = "", overdue: str = "", page: str = "1",
                    viewer: auth.Viewer = Depends(auth.current_user)):
    if state and state not in rect.STATES:
        raise ConsoleError(422, "没有这个整改状态。")
    if overdue not in OVERDUE:
        raise ConsoleError(422, "超期筛选只能是“全部”“超期”或“未超期”。")
    n = int(page) if page.isascii() and page.isdigit() and 0 < len(page) < 10 else 0
    if n < 1:
        raise ConsoleError(422, "页码须为正整数。")
    ctx = request.app.state.hub
    await fresh.deadlines(ctx)
    out = await ctx.run(rect.query, state or None, OVERDUE[overdue], None, None, None, None,
                        n, PAGE_SIZE, None, rect.rules(ctx.cfg))
    pages = max(1, -(-out["total"] // PAGE_SIZE))
    return web.page(request, "rectifications.html", viewer, title="差评整改",
                    active="rectification", out=out, state=state, overdue=overdue,
                    names=rect.NAMES, page_no=n, pages=pages)


@router.get("/rectifications/{item}")
async def item_page(request: Request, item: str, done: str = "",
                    viewer: auth.Viewer = Depends(auth.current_user)):
    ctx = request.app.state.hub
    item_id = _item_id(item)
    await fresh.deadlines(ctx)
    found = await ctx.run(rect.get, item_id, None, rect.rules(ctx.cfg))
    if found is None:
        raise ConsoleError(404, "没有这条整改记录（%d）。" % item_id)
    return web.page(request, "rectification.html", viewer, title="差评整改 %d" % item_id,
                    active="rectification", item=found, names=rect.NAMES,
                    next_states=rect.NEXT[found["state"]], reasons=rect.REASONS,
                    closed=rect.CLOSED, invalid=rect.INVALID,
                    done=done in rect.NAMES and rect.NAMES[done])


@router.post("/rectifications/{item}/move")
async def move(request: Request, item: str,
               viewer: auth.Viewer = Depends(auth.require_role("admin"))):
    form = await auth.checked_form(request, viewer)
    item_id = _item_id(item)
    to = form.get("to", "")
    ctx = request.app.state.hub
    try:
        moved = await ctx.write(rect.transition, item_id, to, viewer.actor,
                                form.get("note") or None, form.get("reason") or None, None,
                                rect.rules(ctx.cfg))
    except HubError as e:
        raise ConsoleError(e.status, "无法变更整改状态：%s" % e.message) from None
    return RedirectResponse("%s/rectifications/%d?done=%s" % (PREFIX, item_id, moved["state"]),
                            status_code=303)
