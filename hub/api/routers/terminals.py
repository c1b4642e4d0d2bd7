"""The terminal registry, for hall IT: which terminals exist and which are online."""

from fastapi import APIRouter, Query, Request

from hub import halltime
from hub.api import convert
from hub.api.errors import responses
from hub.api.schemas.common import TEXT_MAX
from hub.api.schemas.terminals import TerminalList, TerminalOut

router = APIRouter(prefix="/terminals", tags=["terminals"])


@router.get("", response_model=TerminalList, responses=responses(422),
            summary="List terminals and their state")
async def list_terminals(request: Request,
                         window: str | None = Query(None, min_length=1, max_length=TEXT_MAX,
                                                    description="only this window's terminals"),
                         online: bool | None = Query(None, description="true: online only; "
                                                                       "false: offline only")):
    """Every provisioned terminal with its window, online state, firmware,
    last contact, journal depth (ratings on the device not yet acknowledged),
    free heap, link quality, printer state, and its last `problem` (code,
    time, a sentence saying what to do): why it is offline — a wrong key
    (`auth_failed`), silence (`no_heartbeat`), clock skew, link errors, the
    printer. A terminal is offline once it has sent nothing for two and a
    half heartbeat periods, whatever its serial line or MQTT state says.

    Example: `GET /api/v1/terminals?online=false` lists the terminals hall IT
    should go and look at.
    """
    from hub.services import terminals
    ctx = request.app.state.hub
    rows = await ctx.run(terminals.list_all, window, online)
    tz = halltime.zone(ctx.cfg)
    items = [convert.terminal(t, tz) for t in rows]
    return {"items": items, "online": sum(1 for t in items if t["online"]), "total": len(items)}


@router.get("/{device_id}", response_model=TerminalOut, responses=responses(404),
            summary="One terminal's state")
async def get_terminal(device_id: str, request: Request):
    """Example: `GET /api/v1/terminals/T-0012`, with its last `problem`. 404
    `unknown_terminal` if not provisioned (device ids that are not: `pingjia
    terminals problems`)."""
    from hub.services import terminals
    ctx = request.app.state.hub
    t = await ctx.run(terminals.require, device_id)
    return convert.terminal(t, halltime.zone(ctx.cfg))
