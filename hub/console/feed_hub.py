"""One reader of the event log for every open live feed.

Twenty browsers on the feed used to be twenty streams each reading the
event log four times a second and building every new rating's item on the
API's one database thread: a burst of bad reviews cost streams x ratings
queries, and the alerts waited behind each other (bench/console_alert_bench.py).
Here one poller, running while at least one stream is open, reads the log
every POLL_S, builds each item once and keeps the newest MAX_BUFFER; every
stream takes what is newer than its cursor from that buffer. A stream
resuming from an event older than the buffer (Last-Event-ID after a long
gap) catches up from the database first, then joins the buffer.
"""

import asyncio
import collections
import contextlib
import logging

from hub.console import feed_data
from hub.services import events

POLL_S = 0.25
log = logging.getLogger("pingjia.console")
MAX_BUFFER = 500


class FeedHub:
    def __init__(self, ctx):
        self.ctx = ctx
        self.items = collections.deque(maxlen=MAX_BUFFER)
        self.floor = None       # every rated event after this id is in `items`, or dropped
        self.seen = None        # the last event id the poller looked at
        self.subscribers = 0
        self._task = None
        self._new = None

    @contextlib.asynccontextmanager
    async def subscription(self):
        if self._new is None:
            self._new = asyncio.Condition()
        self.subscribers += 1
        try:
            if self._task is None or self._task.done():
                if self.seen is None:
                    self.seen = await self.ctx.run(events.last_id)
                    self.floor = self.seen
                self._task = asyncio.get_running_loop().create_task(self._poll())
            yield self
        finally:
            self.subscribers -= 1

    async def _poll(self):
        while self.subscribers > 0:
            try:
                seen, items = await self.ctx.run(feed_data.after, self.seen)
            except Exception:       # the database busy or gone a moment: the next round tries
                log.exception("console feed: reading the event log failed")
                await asyncio.sleep(1.0)
                continue
            if len(items) + len(self.items) > MAX_BUFFER and items:
                # The oldest go; a stream still behind them reads the database.
                drop = len(items) + len(self.items) - MAX_BUFFER
                self.floor = (list(self.items) + items)[drop - 1]["id"]
            self.items.extend(items)
            self.seen = seen
            if items:
                async with self._new:
                    self._new.notify_all()
            await asyncio.sleep(POLL_S)
        # Nobody listens: forget, so the next subscriber starts from the log again.
        self.items.clear()
        self.seen = self.floor = None

    async def after(self, cursor, timeout):
        """-> (new cursor, items with an event id after CURSOR), waiting up to
        TIMEOUT seconds for some when there are none yet."""
        got = await self._take(cursor)
        if got[1]:
            return got
        with contextlib.suppress(asyncio.TimeoutError):
            async with self._new:
                await asyncio.wait_for(self._new.wait(), timeout)
        return await self._take(got[0])

    async def _take(self, cursor):
        # The buffer holds every item after `floor`: a cursor before it (a
        # stream resuming, or the buffer's oldest dropped meanwhile) reads
        # the database. The check and the slice have no await between them.
        if self.floor is None or cursor < self.floor:
            seen, items = await self.ctx.run(feed_data.after, cursor)
            if items or self.floor is None:
                return seen, items
            cursor = max(seen, self.floor)
        items = [i for i in self.items if i["id"] > cursor]
        return (items[-1]["id"] if items else max(cursor, self.seen or cursor)), items


def of(app):
    """The app's FeedHub, made at first use."""
    if getattr(app.state, "console_feed", None) is None:
        app.state.console_feed = FeedHub(app.state.hub)
    return app.state.console_feed
