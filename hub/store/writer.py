"""The group-commit writer: one thread, one SQLite connection, durable batches.

Jobs are functions of the Database. The thread takes whatever jobs queued up
while its previous commit ran (up to max_batch), runs each in its own
savepoint inside one BEGIN IMMEDIATE transaction, commits (synchronous=FULL:
one fsync of the WAL for the whole batch), and only then calls each job's
`done(result, error)`. The ingest sends a rating's ack from `done`, so an ack
never goes out before the rating is durable, and a burst of N ratings costs
one fsync instead of N (docs/PERFORMANCE.md, "Ceilings": ~6,000 single-row commits/s against
~190,000 rows/s in batches of 100).

A job that raises is rolled back alone and gets the error; the batch still
commits. A refusal (a service's HubError with a 4xx status) is logged at INFO
and not counted as a failure: it is the answer to its caller. Jobs only touch the database (their effects outside it belong in
`done`), so the writer runs a batch optimistically first, without a
savepoint per job: a savepoint makes SQLite copy every page a job touches
into its statement journal, about a fifth of a stored rating's cost. If a
job raises, that whole pass is rolled back and the batch runs again with one
savepoint per job, so the failing job alone is undone. Either way each job
is all-or-nothing, and the writer's connection carries `db.job_is_atomic` so
that services called from a job (hub.services.journal) need no savepoint of
their own. If the commit itself fails, every job of the batch gets the error
and nothing of it is acked: terminals send it again.

The writer's connection never checkpoints the WAL inside a commit; a
Checkpointer thread beside it does (hub/store/checkpoint.py says why).
"""

import collections
import logging
import threading
import time

from hub import metrics
from hub.errors import HubError
from hub.store import open_db
from hub.store.checkpoint import PERIOD_S, Checkpointer

log = logging.getLogger("hub.store.writer")


class WriterStopped(RuntimeError):
    pass


def refusal(error):
    """A service's HubError with a 4xx status: the caller asked for something the
    hall's rules forbid. Not a failure of the writer nor of storage: /health
    must not tell hall IT to check the disk because a client sent a duplicate."""
    return isinstance(error, HubError) and 400 <= error.status < 500


class Writer:
    def __init__(self, db_path, max_batch=1000, checkpoint_s=PERIOD_S):
        self.db_path = db_path
        self.max_batch = max_batch
        self.checkpoint_s = checkpoint_s
        self._jobs = collections.deque()
        self._cond = threading.Condition()
        self._thread = None
        self._stopping = False
        self._after = None       # during a batch's callbacks: what runs once after them
        self.checkpointer = None
        self.last_error = None   # the last failed job or commit, in words, for /health
        # failed_jobs: jobs that raised for any reason but a refusal (see refusal());
        # refused_jobs: those the hub's rules refused, answered to their caller.
        self.stats = {"batches": 0, "jobs": 0, "max_batch": 0, "failed_jobs": 0,
                      "refused_jobs": 0, "failed_commits": 0, "rerun_batches": 0,
                      "commit_ms_total": 0.0}

    def start(self):
        if self._thread is not None:
            return
        # Open (and migrate) here so that a bad path fails the caller, not the thread.
        db = open_db(self.db_path)
        db.job_is_atomic = True   # every job is all-or-nothing (see _run_batch)
        # Checkpoints run beside the commits, not inside one (hub/store/checkpoint.py).
        db.conn.execute("PRAGMA wal_autocheckpoint=0")
        self.checkpointer = Checkpointer(self.db_path, self.checkpoint_s).start()
        self._stopping = False
        self._thread = threading.Thread(target=self._run, args=(db,), name="hub-writer", daemon=True)
        self._thread.start()

    def stop(self, timeout=10):
        """Finish the queued jobs, commit them, and end the thread."""
        with self._cond:
            self._stopping = True
            self._cond.notify()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None
        if self.checkpointer is not None:
            self.checkpointer.stop(timeout)
            self.checkpointer = None

    @property
    def running(self):
        return self._thread is not None and self._thread.is_alive()

    @property
    def backlog(self):
        return len(self._jobs)

    def submit(self, fn, done=None):
        """Queue fn(db); done(result, error) runs on the writer thread after the commit."""
        with self._cond:
            if self._stopping or self._thread is None:
                err = WriterStopped("the hub's writer is not running")
                if done is not None:
                    done(None, err)
                return
            self._jobs.append((fn, done))
            self._cond.notify()

    def after_batch(self, fn):
        """From a `done` callback: run fn() once after every callback of this
        batch (the ingest sends one ack per terminal per commit this way).
        Anywhere else fn runs at once."""
        if self._after is not None and threading.current_thread() is self._thread:
            self._after.append(fn)
        else:
            fn()

    def call(self, fn, timeout=30):
        """Run fn(db) in the next batch and wait for its commit -> result (or raise)."""
        box = []
        ev = threading.Event()

        def done(result, error):
            box.append((result, error))
            ev.set()

        self.submit(fn, done)
        if not ev.wait(timeout):
            raise TimeoutError("the hub's writer did not commit within %ss" % timeout)
        result, error = box[0]
        if error is not None:
            raise error
        return result

    def _take(self):
        with self._cond:
            while not self._jobs and not self._stopping:
                self._cond.wait()
            n = min(len(self._jobs), self.max_batch)
            return [self._jobs.popleft() for _ in range(n)]

    def _run(self, db):
        try:
            while True:
                batch = self._take()
                if not batch:
                    return   # stopping and drained
                self._commit(db, batch)
        finally:
            db.conn.close()

    def _run_batch(self, db, batch, guarded):
        """BEGIN IMMEDIATE, every job, COMMIT -> [(result, error)] per job.

        Unguarded, the first job that raises rolls the whole pass back and the
        answer is None. Guarded, each job runs in a savepoint under one fixed
        name (it stays in sqlite3's statement cache), and a job that raises is
        undone alone."""
        conn = db.conn
        results = []
        conn.execute("BEGIN IMMEDIATE")
        for fn, _done in batch:
            if guarded:
                conn.execute("SAVEPOINT writer_job")
            try:
                result = fn(db)
            except Exception as e:  # one bad job must not sink the batch
                if not guarded:             # the guarded run logs it
                    if conn.in_transaction:
                        conn.execute("ROLLBACK")
                    return None
                if refusal(e):
                    # The hub's rules said no (a duplicate visit, an unknown window): the
                    # caller gets the answer; the writer and the disk are fine.
                    log.info("refused %s (%s): %s", e.code, e.status, e.message)
                    self.stats["refused_jobs"] += 1
                else:
                    log.warning("writer job failed: %s: %s", type(e).__name__, e)
                    self.last_error = "%s: %s" % (type(e).__name__, e)
                if not conn.in_transaction:
                    # SQLite rolled the whole transaction back itself (disk full,
                    # I/O error): the jobs before this one are undone too, so the
                    # batch fails as a whole and nothing of it is answered as stored.
                    raise
                conn.execute("ROLLBACK TO SAVEPOINT writer_job")
                conn.execute("RELEASE SAVEPOINT writer_job")
                if not refusal(e):
                    self.stats["failed_jobs"] += 1
                results.append((None, e))
                continue
            if guarded:
                conn.execute("RELEASE SAVEPOINT writer_job")
            results.append((result, None))
        conn.execute("COMMIT")
        return results

    def _commit(self, db, batch):
        t0 = time.perf_counter()
        try:
            results = self._run_batch(db, batch, guarded=False)
            if results is None:            # a job raised: run again, one savepoint each
                self.stats["rerun_batches"] += 1
                results = self._run_batch(db, batch, guarded=True)
        except Exception as e:
            self.stats["failed_commits"] += 1
            log.error("group commit of %d jobs failed: %s", len(batch), e)
            self.last_error = "%s: %s" % (type(e).__name__, e)
            if db.conn.in_transaction:
                db.conn.execute("ROLLBACK")
            results = [(None, e)] * len(batch)
        elapsed = time.perf_counter() - t0
        self.stats["commit_ms_total"] += elapsed * 1000
        metrics.observe_commit(elapsed)          # GET /metrics: pingjia_writer_commit_seconds
        self.stats["batches"] += 1
        self.stats["jobs"] += len(batch)
        self.stats["max_batch"] = max(self.stats["max_batch"], len(batch))
        self._after = after = []
        for (_fn, done), (result, error) in zip(batch, results):
            if done is None:
                continue
            try:
                done(result, error)
            except Exception:  # a transport's send failing must not stop the writer
                log.exception("writer callback failed")
        self._after = None
        for fn in after:
            try:
                fn()
            except Exception:
                log.exception("writer after-batch callback failed")
