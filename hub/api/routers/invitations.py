"""Evaluation invitations: created when a window finishes a case (办结)."""

import contextlib

from fastapi import APIRouter, Header, Query, Request
from fastapi.responses import JSONResponse

from hub import halltime
from hub.api import convert
from hub.api.errors import responses
from hub.api.schemas.common import TEXT_MAX
from hub.api.schemas.invitations import (CancelIn, InvitationIn, InvitationList, InvitationOut,
                                         InvitationState)
from hub.errors import HubError
from hub.services import applicant_kinds, idempotency, ratings

router = APIRouter(prefix="/invitations", tags=["invitations"])


def _ctx(request):
    return request.app.state.hub


@contextlib.contextmanager
def _path_names():
    """The services name an invitation `eid`; this API calls it `invitation_id`
    in the path (and `id` in answers): errors name the input as the caller sent it."""
    try:
        yield
    except HubError as e:
        if e.field == "eid":
            e.field = "invitation_id"
        raise


async def _out(ctx, inv):
    tz = halltime.zone(ctx.cfg)
    rating = await ctx.run(ratings.of_invitation, inv) if inv.get("rating_id") else None
    return convert.invitation(inv, tz, ratings.view(rating, tz) if rating else None)


@router.post("", response_model=InvitationOut, status_code=201,
             responses={202: {"description": "Accepted, but the terminal cannot show it now "
                                             "(offline, or none assigned): see `warning`",
                              "model": InvitationOut},
                        **responses(404, 409, 422)},
             summary="Invite the citizen to rate a finished case")
async def create_invitation(body: InvitationIn, request: Request,
                            idempotency_key: str | None = Header(
                                None, alias=idempotency.HEADER,
                                description="1 to 64 printable ASCII characters: a retry with "
                                            "the same key and body gets the first answer")):
    """Call this when a case is finished (办结) at a window. The window's
    terminal shows the matter name, case serial and staff, and asks the
    citizen to press one of five levels. If nobody presses within
    `timeout_s` (default: the hub's config) the invitation is closed as
    `timed_out`, without a rating; if a newer invitation of the same window
    replaces it on the terminal first, as `superseded`.

    Example request:

        POST /api/v1/invitations
        {"window": "12", "case_serial": "SZ20240611000123", "visit": 1,
         "matter_code": "11440300MB2C92102X4442111003000",
         "matter_name": "个体工商户设立登记",
         "staff_id": "A0317", "staff_name": "李明", "applicant_kind": "person"}

    Answer: **201** with the invitation (`id`, `state: "queued"`), or **202**
    with the same body and a `warning` when the window's terminal is offline
    or not installed yet: the invitation is kept and shown when the terminal
    comes back, or becomes `expired` after `[rating] invitation_expiry_s`.

    `staff_id`/`staff_name` may be left out: the staff signed in at the
    window (`POST /api/v1/windows/{window}/sign-in`) are used.

    `contact` (optional phone or e-mail, for a reminder to rate later) is
    stored encrypted, never logged and never returned: `has_contact` says
    there is one.

    `upstream_case` (optional) is what the provincial platform needs of the
    case: `applicant` {name, kind (userProp 1-9), id_type, id_number,
    mobile} and the case's codes (task_type, accept_time, promise_time,
    area_code, org_code, ...). Which are required depends on the province;
    a missing or refused one is a 422 naming it, e.g.
    `upstream_case.applicant.mobile`. The applicant is sealed, sent only to
    the platform, never returned, exported or shown on a terminal, and
    deleted once the platform holds the case and its rating
    (`[privacy] applicant_retention_days`). Example:

        "upstream_case": {"applicant": {"name": "张三", "kind": 1, "id_type": "111",
                          "id_number": "110101199003071234", "mobile": "13800000000"},
                          "task_type": "01", "accept_time": 1765000000,
                          "org_code": "11370800MB2847061X"}

    Errors:
    - 404 `unknown_window`: the hub has no such window; check the number.
    - 409 `duplicate_visit`: this case serial and visit already have an
      invitation (一次一评: one rating per visit). Cancel it if it was a
      mistake, or send the next `visit` number for a new visit.
    - 409 `not_on_duty`: no staff given and nobody signed in at the window.
    - 422 `bad_request`: a field is missing or invalid; `field` names it.
      With a provincial platform configured, this includes a `case_serial`,
      `matter_code` or `matter_name` that the platform would refuse.
    - 422 `idempotency_key_reused`: this `Idempotency-Key` came before with
      another body.

    **Retries.** Send an `Idempotency-Key` header (1 to 64 printable ASCII
    characters, e.g. a UUID) and retry with the same key and body after a
    lost answer: you get the first answer again (same status, same body,
    same `id`) and nothing new is created. Keys are kept 24 hours.
    """
    from hub.services import invitations
    from hub.upstream.settings import case_check
    ctx = _ctx(request)
    cfg = ctx.cfg
    if (body.staff_id is None) != (body.staff_name is None):
        from hub.errors import HubError
        missing = "staff_name" if body.staff_name is None else "staff_id"
        raise HubError("bad_request", "give staff_id and staff_name together, or neither (then "
                       "the staff signed in at the window are used); %s is missing" % missing,
                       422, field=missing)
    key, client = idempotency.check_key(idempotency_key), request.state.client
    digest = idempotency.digest(body.model_dump(mode="json"))

    def create(db):     # one transaction: the key is stored with what it created
        first = key and idempotency.recall(db, client, key, digest)
        if first:
            return first + (None,)
        inv = invitations.create(
            db, body.window, body.case_serial, body.matter_code, body.matter_name,
            staff_id=body.staff_id, staff_name=body.staff_name,
            applicant_kind=(applicant_kinds.CODES[body.applicant_kind]
                            if "applicant_kind" in body.model_fields_set else None),
            visit=body.visit,
            contact=body.contact, timeout_s=body.timeout_s or cfg.rating.invitation_timeout_s,
            expire_s=cfg.rating.invitation_expiry_s, client=client, upstream=case_check(cfg),
            upstream_case=body.upstream_case.model_dump(exclude_none=True) if body.upstream_case else None,
            keep_applicant=cfg.upstream.adapter != "none")
        out = InvitationOut(**convert.invitation(inv, halltime.zone(cfg))).model_dump(mode="json")
        status = 202 if out["warning"] else 201
        if key:
            idempotency.remember(db, client, key, digest, status, out)
        return status, out, inv.get("terminal")
    status, out, terminal = await ctx.write(create)
    if terminal:
        ctx.notify(terminal)
    return JSONResponse(out, status_code=status)


@router.get("/{invitation_id}", response_model=InvitationOut, responses=responses(404),
            summary="Read an invitation's state and its rating")
async def get_invitation(invitation_id: str, request: Request):
    """`state` is one of:
    - `queued`: not yet on a screen: the terminal is offline or not
      assigned, or the invitation is on its way to it;
    - `shown`: on the terminal's screen, waiting for the citizen's press;
    - `rated`: the citizen rated it; `rating` holds the level and reasons;
    - `timed_out`: on the screen until its time ran out (`timeout_s`, or the
      reasons screen's timeout after a bad level) and nobody finished a
      rating; the visit stays taken (一次一评);
    - `superseded`: a newer invitation of the same window replaced it before
      anyone rated it: shown briefly (`shown_at` set), or closed by the hub
      before the terminal acknowledged it, because a newer one was queued
      (`shown_at` empty); the visit may be invited again;
    - `cancelled`: withdrawn by a business system or hall IT; the visit may
      be invited again;
    - `expired`: the terminal did not take it before `expires_at` (e.g. it
      stayed offline); the visit may be invited again.

    A rating that comes after `timed_out`, `superseded`, `cancelled` or
    `expired` still closes it as `rated`, flagged `late`.

    Example: `GET /api/v1/invitations/e3f9a0c1d2b4e5f60718` →
    `{"id": "e3f9…", "state": "rated", "rating": {"level": 5, "level_name": "非常满意", …}, …}`
    """
    from hub.services import invitations
    from hub.upstream.settings import case_check
    ctx = _ctx(request)
    with _path_names():
        inv = await ctx.run(invitations.require, invitation_id)
    return await _out(ctx, inv)


@router.get("", response_model=InvitationList, responses=responses(422),
            summary="List recent invitations")
async def list_invitations(request: Request,
                           window: str | None = Query(None, min_length=1, max_length=TEXT_MAX),
                           state: InvitationState | None = None,
                           case_serial: str | None = Query(None, min_length=1, max_length=TEXT_MAX),
                           limit: int = Query(100, ge=1, le=1000)):
    """Newest first. Example: `GET /api/v1/invitations?window=12&state=queued`."""
    from hub.services import invitations
    from hub.upstream.settings import case_check
    ctx = _ctx(request)
    rows = await ctx.run(invitations.query, window, state, case_serial, limit)
    return {"items": [await _out(ctx, inv) for inv in rows]}


async def _cancel(ctx, invitation_id, reason, client):
    from hub.services import invitations
    with _path_names():
        inv = await ctx.write(invitations.cancel, invitation_id, reason or "",
                              actor="api:" + client)
    if inv.get("device_id"):
        ctx.notify(inv["device_id"])
    return await _out(ctx, inv)


@router.delete("/{invitation_id}", response_model=InvitationOut, responses=responses(404, 409),
               summary="Cancel an invitation")
async def cancel_invitation(invitation_id: str, request: Request,
                            reason: str | None = Query(None, max_length=64)):
    """Cancels a `queued` or `shown` invitation: the terminal drops it from
    its screen. The case serial and visit become free again, so a mistaken
    invitation can be sent again corrected.

    Example: `DELETE /api/v1/invitations/e3f9a0c1d2b4e5f60718?reason=wrong%20case`

    Errors: 404 `unknown_invitation`; 409 `invitation_closed` when it is
    already rated, timed out, superseded, cancelled or expired.
    """
    return await _cancel(_ctx(request), invitation_id, reason, request.state.client)


@router.post("/{invitation_id}/cancel", response_model=InvitationOut,
             responses=responses(404, 409), summary="Cancel an invitation (POST form)")
async def cancel_invitation_post(invitation_id: str, request: Request, body: CancelIn | None = None):
    """The same as `DELETE /api/v1/invitations/{id}`, for clients that cannot
    send DELETE. Body (optional): `{"reason": "wrong case"}`."""
    return await _cancel(_ctx(request), invitation_id, body.reason if body else None,
                         request.state.client)
