"""What the API needs from the running hub, gathered in one object.

`HubContext` holds the config, the token store, the database access,
when the hub runs its terminals the ingest (to push an invitation at once),
and the hub's health (hub/health.py: the parts report into it, GET
/api/v1/health renders it).

Database access. Reads: `await ctx.run(fn, *args)` calls `fn(db, *args)` on
one worker thread that owns the API's connection (sqlite3 connections belong
to one thread), so route handlers stay async and never block the loop.
Writes: `await ctx.write(fn, *args)` goes through the ingest's group-commit
writer when the hub runs one (the store's rule: one writer; and an API write
then shares the fsync of whatever batch of ratings is being committed), else
through the same worker thread (API-only use, tests).
"""

import asyncio
import threading
from concurrent.futures import ThreadPoolExecutor

from hub.health import Health
from hub.services.tokens import TokenStore


class HubContext:
    def __init__(self, cfg, db_path=None, tokens=None, ingest=None, open_db=None):
        self.cfg = cfg
        self.db_path = db_path or cfg.db_path
        self.tokens = tokens or TokenStore(cfg.tokens_path)
        self.ingest = ingest
        self._open_db = open_db
        self._local = threading.local()
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="api-db")
        self.health = Health()
        self._closed = False

    def component(self, name):
        """The health entry the part `name` reports into (hub/health.py)."""
        return self.health.component(name)

    # -- database -------------------------------------------------------------

    def _db(self):
        db = getattr(self._local, "db", None)
        if db is None:
            opener = self._open_db
            if opener is None:
                from hub.store import open_db as opener
            db = opener(self.db_path)
            self._local.db = db
        return db

    def call(self, fn, *args, **kwargs):
        """Run fn(db, ...) on the database thread and wait (for sync callers)."""
        return self._pool.submit(lambda: fn(self._db(), *args, **kwargs)).result()

    async def run(self, fn, *args, **kwargs):
        """Run fn(db, ...) on the database thread without blocking the event loop."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._pool, lambda: fn(self._db(), *args, **kwargs))

    async def write(self, fn, *args, **kwargs):
        """Run fn(db, ...) as one atomic write and wait for its durable commit."""
        if self.ingest is None:
            from hub.store import tx

            def job(db):
                with tx(db):
                    return fn(db, *args, **kwargs)
            return await self.run(job)
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(
            None, lambda: self.ingest.writer.call(lambda db: fn(db, *args, **kwargs)))

    def notify(self, device_id=None):
        """Tell the ingest that something waits for a terminal (no-op without one)."""
        if self.ingest is None:
            return
        if device_id:
            self.ingest.deliver_pending(device_id)
        else:
            self.ingest.notify()

    def close(self):
        if self._closed:
            return
        self._closed = True

        def _close():
            db = getattr(self._local, "db", None)
            if db is not None:
                db.close()
                self._local.db = None
        try:
            self._pool.submit(_close).result(timeout=5)
        finally:
            self._pool.shutdown(wait=True)
