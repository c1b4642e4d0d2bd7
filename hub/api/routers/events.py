"""GET /api/v1/events: the event log as server-sent events (EventSource)."""

import asyncio
import json
import time
from typing import Literal

from fastapi import APIRouter, Header, Query, Request
from fastapi.responses import StreamingResponse

from hub import halltime
from hub.api.errors import responses
from hub.api.schemas.common import ROW_ID_MAX, TEXT_MAX
from hub.errors import HubError
from hub.services import events
from hub.webhooks import payload

router = APIRouter(tags=["events"])

KEEPALIVE_S = 15.0     # a comment line this often keeps proxies from closing a quiet stream
POLL_S = 0.5           # how often the log is read for new events
BATCH = 200


def _resume_point(last_event_id, since):
    if last_event_id is not None and last_event_id.strip():
        text = last_event_id.strip()
        value = int(text) if text.isascii() and text.isdigit() and len(text) < 20 else -1
        if not 0 <= value <= ROW_ID_MAX:
            raise HubError("bad_request", "Last-Event-ID must be the `id:` of an event this "
                           "stream sent (a whole number), got %r" % (last_event_id[:40],), 422,
                           field="Last-Event-ID")
        return value
    return since


def _frame(body):
    return "id: %d\nevent: %s\ndata: %s\n\n" % (body["id"], body["type"], json.dumps(
        body, ensure_ascii=False, separators=(",", ":")))


@router.get("/events", response_class=StreamingResponse,
            responses={200: {"content": {"text/event-stream": {}},
                             "description": "An endless stream of events"},
                       **responses(422)},
            summary="Every invitation change as server-sent events, resumable")
async def stream_events(
        request: Request,
        since: int | None = Query(None, ge=0, le=ROW_ID_MAX, description="resume after this event id "
                                  "(for clients that cannot send Last-Event-ID); 0: every "
                                  "event still stored"),
        types: str | None = Query(None, max_length=TEXT_MAX * 4, description="comma-separated event types, e.g. "
                                  "`rated,timed_out` or `invitation.rated`"),
        window: str | None = Query(None, min_length=1, max_length=TEXT_MAX,
                                   description="only this window's invitations"),
        scope: Literal["all", "own"] = Query("all", description="`own`: only invitations "
                                             "this client created"),
        last_event_id: str | None = Header(None, alias="Last-Event-ID")):
    """The browser's EventSource format (`text/event-stream`). Each event:

        id: 42
        event: invitation.rated
        data: {"id":42,"type":"invitation.rated","at":"2024-06-11T10:15:00.123+08:00","invitation":{…}}

    `data` is the same JSON as a webhook body (docs/HUB.md, "Push: webhooks
    and events"); `invitation` is as `GET /api/v1/invitations/{id}` showed it
    right after that change. Types: `invitation.created`, `invitation.<state>`
    for every later state, `rating.rejected` (the provincial platform refused
    a rating; `reason` says why).

    Reconnecting: EventSource sends `Last-Event-ID` by itself and the stream
    resumes after that event, from the hub's durable log (kept 7 days); other
    clients may pass `?since=ID`. Without either, the stream starts with the
    next event. A comment line `: keep-alive` comes every 15 s when nothing
    happens.

    Example: `GET /api/v1/events?types=rated,timed_out&window=12`.
    """
    ctx = request.app.state.hub
    start = _resume_point(last_event_id, since)
    wanted = events.parse_types(types, "types")
    client = request.state.client if scope == "own" else None
    tz = halltime.zone(ctx.cfg)
    if start is None:
        start = await ctx.run(events.last_id)

    def read(db, after):
        top = events.last_id(db)
        rows = [r for r in events.after(db, after, wanted, window, client, BATCH) if r["id"] <= top]
        # Past the events nobody wants too, so a filtered stream does not re-read them.
        seen = rows[-1]["id"] if len(rows) == BATCH else top
        return seen, [payload.event_body(db, r, tz) for r in rows]

    async def stream():
        after, quiet = start, time.monotonic()
        yield "retry: 3000\n\n"
        while not await request.is_disconnected():
            after, bodies = await ctx.run(read, after)
            for body in bodies:
                yield _frame(body)
            if bodies:
                quiet = time.monotonic()
                continue
            if time.monotonic() - quiet >= KEEPALIVE_S:
                yield ": keep-alive\n\n"
                quiet = time.monotonic()
            await asyncio.sleep(POLL_S)

    return StreamingResponse(stream(), media_type="text/event-stream",
                             headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})
