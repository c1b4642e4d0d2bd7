"""Staff duty at a window: sign in (签到), sign out (签退), who is on duty."""

from fastapi import APIRouter, Query, Request

from hub import halltime
from hub.api import convert
from hub.api.errors import responses
from hub.api.schemas.common import TEXT_MAX
from hub.api.schemas.duty import DutyOut, SignInIn

router = APIRouter(prefix="/windows", tags=["windows"])


def _ctx(request):
    return request.app.state.hub


def _actor(request):
    return "api:" + request.state.client


@router.post("/{window}/sign-in", response_model=DutyOut, responses=responses(404, 422),
             summary="Sign staff in at a window")
async def sign_in(window: str, body: SignInIn, request: Request):
    """Staff member `staff_id` starts work at `window`. The window's terminal
    shows the staff name and id from now on (and on every invitation).

    If someone else is signed in at that window they are signed out first
    (a shift change), so the call is safe to repeat.

    Example: `POST /api/v1/windows/12/sign-in` with
    `{"staff_id": "A0317", "staff_name": "李明"}` →
    `{"window": "12", "state": "on", "staff_id": "A0317", "staff_name": "李明",
      "since": "2024-06-11T08:30:00.000+08:00"}`.

    Errors: 404 `unknown_window` when the hub has no such window (hall IT adds
    windows when they provision a terminal for it).
    """
    from hub.services import duty, terminals
    ctx = _ctx(request)
    d = await ctx.write(duty.sign_in, window, body.staff_id, body.staff_name, actor=_actor(request))
    term = await ctx.run(terminals.for_window, window)
    if term:
        ctx.notify(term["device_id"])
    return convert.duty(window, d, halltime.zone(ctx.cfg))


@router.post("/{window}/sign-out", response_model=DutyOut, responses=responses(404, 409),
             summary="Sign staff out at a window")
async def sign_out(window: str, request: Request,
                   staff_id: str | None = Query(None, min_length=1, max_length=TEXT_MAX,
                                                description="only sign out if this staff "
                                                            "member is the one on duty")):
    """Ends the duty of whoever is signed in at `window` (or, with
    `?staff_id=A0317`, only if that person is the one on duty).

    Example: `POST /api/v1/windows/12/sign-out` →
    `{"window": "12", "state": "off", "staff_id": "A0317", ...}`.

    Errors: 404 `unknown_window`; 409 `not_on_duty` when nobody (or someone
    else) is signed in.
    """
    from hub.services import duty, terminals
    ctx = _ctx(request)
    d = await ctx.write(duty.sign_out, window, staff_id, actor=_actor(request))
    term = await ctx.run(terminals.for_window, window)
    if term:
        ctx.notify(term["device_id"])
    return convert.duty(window, d, halltime.zone(ctx.cfg))


@router.get("/{window}/duty", response_model=DutyOut, responses=responses(404),
            summary="Who is on duty at a window")
async def current_duty(window: str, request: Request):
    """`state` is `on` with the staff member's id and name, or `off`.

    Example: `GET /api/v1/windows/12/duty` → `{"window": "12", "state": "off"}`.
    """
    from hub.services import duty, windows
    ctx = _ctx(request)
    await ctx.run(windows.require, window)
    d = await ctx.run(duty.current, window)
    return convert.duty(window, d, halltime.zone(ctx.cfg))
