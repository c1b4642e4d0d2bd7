"""The live feed (/console/feed): ratings as they land, bad reviews alerted.

The page lists today's newest ratings, then feed.js opens the stream
(/console/feed/stream, server-sent events) from the event id the page was
drawn at, so nothing lands unseen between the two. A reconnecting
EventSource sends Last-Event-ID and the stream resumes after it.

Every open stream is served by one reader of the event log (feed_hub.py,
every 0.25 s), so a rating committed by the writer reaches the browsers
within about that plus the network, however many are open. A stream
checks the session every SESSION_CHECK_S: sign-out, a removed account or a
session past its life ends the stream; an open feed counts as
use of the session (a manager's desk monitor stays signed in while it
shows alerts, up to [console] session_max_h).
"""

import asyncio
import json
import time

from fastapi import APIRouter, Depends, Header, Request
from fastapi.responses import StreamingResponse

from hub import halltime
from hub.console import auth, feed_data, feed_hub, overview_data, web
from hub.console.errors import ConsoleError
from hub.services import events

router = APIRouter()

WAIT_S = 1.0           # a stream looks at its connection and session this often
KEEPALIVE_S = 15.0
SESSION_CHECK_S = 30.0


@router.get("/feed")
async def feed_page(request: Request, viewer: auth.Viewer = Depends(auth.current_user)):
    ctx = request.app.state.hub
    since = overview_data.day_start_ms(halltime.zone(ctx.cfg))
    last, items = await ctx.run(feed_data.recent, since)
    return web.page(request, "feed.html", viewer, title="实时评价", active="feed",
                    items=items, last_event=last)


def _frame(item):
    return "id: %d\nevent: rating\ndata: %s\n\n" % (item["id"], json.dumps(
        item, ensure_ascii=False, separators=(",", ":")))


def _start(last_event_id, since):
    for text in (last_event_id, since):
        if text is not None and text.strip():
            text = text.strip()
            if not (text.isascii() and text.isdigit() and len(text) < 17):
                raise ConsoleError(422, "事件编号必须是数字。")
            return int(text)
    return None


@router.get("/feed/stream")
async def feed_stream(request: Request, since: str | None = None,
                      last_event_id: str | None = Header(None, alias="Last-Event-ID"),
                      viewer: auth.Viewer = Depends(auth.current_user)):
    ctx = request.app.state.hub
    tz = halltime.zone(ctx.cfg)
    start = _start(last_event_id, since)
    if start is None:
        start = await ctx.run(events.last_id)

    feed = feed_hub.of(request.app)

    async def stream():
        after, quiet, checked = start, time.monotonic(), time.monotonic()
        yield "retry: 1000\n\n"
        async with feed.subscription():
            while not await request.is_disconnected():
                now = time.monotonic()
                if now - checked >= SESSION_CHECK_S:
                    checked = now
                    if await auth.session_of(request) is None:
                        yield "event: signed_out\ndata: {}\n\n"
                        return
                after, items = await feed.after(after, WAIT_S)
                for item in items:
                    yield _frame(dict(item, at=halltime.show(item["at"], tz)[11:19]))
                if items:
                    quiet = time.monotonic()
                elif time.monotonic() - quiet >= KEEPALIVE_S:
                    yield ": keep-alive\n\n"
                    quiet = time.monotonic()

    return StreamingResponse(stream(), media_type="text/event-stream",
                             headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})
