"""Terminals (/console/terminals, /console/terminals/{device}): state and actions.

A terminal's page shows what the hub holds about it: firmware, board, last
seen, free heap, journal depth, link quality and signal, printer, config
version, uptime, error counters and its last problem (hub/services/problems.py
keeps one per device id, the newest). Administrators get the device actions as buttons:
each is an entry of ACTIONS (label, handler), posted to
/console/terminals/{device}/{action} with the CSRF token, and written to the
audit log with the administrator's name. A fleet action added later is one
more entry and one more handler.
"""

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse

from hub import halltime
from hub.console import PREFIX, auth, web
from hub.console.errors import ConsoleError
from hub.errors import HubError
from hub.services import audit, terminals, timesync

router = APIRouter()


@router.get("/terminals")
async def terminal_list(request: Request, viewer: auth.Viewer = Depends(auth.current_user)):
    rows = await request.app.state.hub.run(terminals.list_all)
    return web.page(request, "terminals.html", viewer, title="终端", active="terminals",
                    terminals=rows)


def _terminal(db, device_id):
    try:
        return terminals.require(db, device_id)
    except HubError:
        return None


@router.get("/terminals/{device_id}")
async def terminal_page(device_id: str, request: Request, done: str | None = None,
                        viewer: auth.Viewer = Depends(auth.current_user)):
    t = await request.app.state.hub.run(_terminal, device_id)
    if t is None:
        raise ConsoleError(404, "没有登记这台终端（%s）。" % device_id[:64])
    return web.page(request, "terminal.html", viewer, title="终端 " + t["device_id"],
                    active="terminals", t=t, actions=ACTIONS,
                    done=DONE.get(done))


# -- actions ---------------------------------------------------------------------

async def _timesync(request, viewer, device_id, form):
    """Send the hub's time to the terminal now (it also gets it at every handshake)."""
    ctx = request.app.state.hub
    ingest = getattr(ctx.ingest, "ingest", None)
    conn = ingest.connection(device_id) if ingest is not None else None
    if conn is None:
        raise ConsoleError(409, "终端 %s 不在线，无法同步时间；它上线握手时会自动同步。" % device_id)
    msg = timesync.time_message(None, halltime.offset_minutes(ctx.cfg))
    if not conn.send_msg(msg):
        raise ConsoleError(409, "终端 %s 的会话刚刚结束，未能发送；它重新上线时会自动同步。"
                           % device_id)
    await ctx.write(audit.log, viewer.actor, "terminal.timesync", device_id, {"now": msg["now"]})
    return "timesync"


async def _assign(request, viewer, device_id, form):
    """Move the terminal to another window (as `pingjia terminals assign`)."""
    window = form.get("window", "").strip()
    try:
        await request.app.state.hub.write(terminals.assign, device_id, window, actor=viewer.actor)
    except HubError as e:
        raise ConsoleError(422, "无法调整窗口：%s" % e.message) from None
    request.app.state.hub.notify(device_id)
    return "assign"


# name -> (button label, handler, needs the terminal online, form fields)
ACTIONS = {
    "timesync": ("同步时间", _timesync, True, ()),
    "assign": ("调整窗口", _assign, False, ("window",)),
}
DONE = {"timesync": "已向终端发送当前时间。", "assign": "窗口已调整。"}


@router.post("/terminals/{device_id}/{action}")
async def terminal_action(device_id: str, action: str, request: Request,
                          viewer: auth.Viewer = Depends(auth.require_role("admin"))):
    form = await auth.checked_form(request, viewer)
    if action not in ACTIONS:
        raise ConsoleError(404, "没有这个操作。")
    if await request.app.state.hub.run(_terminal, device_id) is None:
        raise ConsoleError(404, "没有登记这台终端（%s）。" % device_id[:64])
    done = await ACTIONS[action][1](request, viewer, device_id, form)
    return RedirectResponse("%s/terminals/%s?done=%s" % (PREFIX, device_id, done), status_code=303)
