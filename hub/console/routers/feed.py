"""The live feed (/console/feed): ratings as they land, bad reviews alerted.

The page lists today's newest ratings, then feed.js opens the stream
(/console/feed/stream, server-sent events) from the event id the page was
drawn at, so nothing lands unseen between the two. A reconnecting
EventSource sends Last-Event-ID and the stream resumes after it.

The stream polls the event log every POLL_S (one indexed query), so a rating
committed by the writer reaches the browser within about POLL_S plus the
network. It checks the session every SESSION_CHECK_S: sign-out, a removed
account or a session past its life ends the stream; an open feed counts as
use of the session (a manager's desk monitor stays signed in while it
shows alerts, up to [console] session_max_h).
"""

import asyncio
import json
import time

from fastapi import APIRouter, Depends, Header, Request
from fastapi.responses import StreamingResponse

from hub import halltime
from hub.console import auth, feed_data, overview_data, web
from hub.console.errors import ConsoleError
from hub.services import events

router = APIRouter()

POLL_S = 0.25
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

    async def stream():
        after, quiet, checked = start, time.monotonic(), time.monotonic()
        yield "retry: 1000\n\n"
        while not await request.is_disconnected():
            now = time.monotonic()
            if now - checked >= SESSION_CHECK_S:
                checked = now
                if await auth.session_of(request) is None:
                    yield "event: signed_out\ndata: {}\n\n"
                    return
            after, items = await ctx.run(feed_data.after, after)
            for item in items:
                item["at"] = halltime.show(item["at"], tz)[11:19]
                yield _frame(item)
            if items:
                quiet = now
                continue
            if now - quiet >= KEEPALIVE_S:
                yield ": keep-alive\n\n"
                quiet = now
            await asyncio.sleep(POLL_S)

    return StreamingResponse(stream(), media_type="text/event-stream",
                             headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})
