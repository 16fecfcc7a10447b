"""Durable on-disk queue (SQLite, WAL) of what Odoo has not acknowledged yet.

Two tables:

``outbox``       items waiting for delivery, in arrival order (``seq``), each
                 in a ``lane``: 1 (urgent) for ``ringing`` / ``answered``
                 events, what the operator's screen pop waits for; 0 for
                 the rest (hangups, agent states, CDRs);
``dead_letter``  items Odoo refused as malformed (HTTP 400) or kept failing
                 with a server error (HTTP 500) ``max_attempts`` times: kept
                 on disk for an administrator, never silently dropped
                 (``hotline-pbx-bridge --requeue-dead-letters`` puts them
                 back), counted on ``/health`` and ``/metrics``.

:class:`Spool` is the blocking store (each call is one short transaction,
``synchronous=FULL``: a stored item survives a power loss; acknowledgements are
not synced on their own, see ``_unsynced``).  Its ``a*``
methods run it in the spool's own worker threads (one writing: items stored,
acknowledged, buried; one reading), so the event loop (AMI reading, the HTTP
API) never waits for the disk.  :class:`Outbox` is what the AMI handlers write
to: items are queued in memory and stored in arrival order, in batches, by one
writer task; a stored urgent item wakes the urgent delivery lane.
"""

import asyncio
import collections
import concurrent.futures
import contextlib
import json
import logging
import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path

_logger = logging.getLogger(__name__)

SCHEMA = """
CREATE TABLE IF NOT EXISTS outbox (
    seq       INTEGER PRIMARY KEY AUTOINCREMENT,
    kind      TEXT    NOT NULL,
    item_id   TEXT    NOT NULL,
    payload   TEXT    NOT NULL,
    created   REAL    NOT NULL,
    attempts  INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    lane      INTEGER NOT NULL DEFAULT 0,
    server_errors INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS dead_letter (
    seq       INTEGER PRIMARY KEY,
    kind      TEXT    NOT NULL,
    item_id   TEXT    NOT NULL,
    payload   TEXT    NOT NULL,
    created   REAL    NOT NULL,
    failed    REAL    NOT NULL,
    reason    TEXT
);
"""
INDEX = "CREATE INDEX IF NOT EXISTS outbox_lane_seq ON outbox (lane, seq)"

ORDINARY, URGENT = 0, 1
URGENT_EVENT_KINDS = frozenset({"ringing", "answered"})


def lane_of(kind, payload):
    """The delivery lane of an item: ringing / answered events are urgent."""
    if kind == "event" and payload.get("kind") in URGENT_EVENT_KINDS:
        return URGENT
    return ORDINARY


@dataclass(frozen=True)
class SpoolItem:
    seq: int
    kind: str
    item_id: str
    payload: dict


class Spool:
    """The SQLite file; safe to use from one thread at a time (locked)."""

    def __init__(self, path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(self.path, timeout=5.0, isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        # FULL: WAL is synced at every commit; NORMAL could lose the last items on a power loss
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.executescript(SCHEMA)
        columns = {row[1] for row in self._db.execute("PRAGMA table_info(outbox)")}
        if "lane" not in columns:  # a spool written by an older bridge
            self._db.execute("ALTER TABLE outbox ADD COLUMN lane INTEGER NOT NULL DEFAULT 0")
        if "server_errors" not in columns:
            self._db.execute("ALTER TABLE outbox ADD COLUMN server_errors INTEGER NOT NULL DEFAULT 0")
        self._db.execute(INDEX)
        # Reads on their own connection and thread: a delivery's look at the queue never waits for the
        # fsync of items being stored (WAL readers take no lock).  Every write goes through the one
        # connection above, in its one thread, so no write ever waits for another's lock.
        self._reader_db = sqlite3.connect(self.path, timeout=5.0, isolation_level=None, check_same_thread=False)
        self._reader_lock = threading.Lock()
        # one thread storing, acknowledging and counting attempts; one reading
        self._executor = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="hotline-spool-writer")
        self._reader_executor = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="hotline-spool-reader")

    # -- blocking API -------------------------------------------------------

    def append(self, items):
        """Store ``[(kind, payload), ...]`` at the end of the queue (lane from :func:`lane_of`)."""
        now = time.time()
        rows = [
            (
                kind,
                str(payload.get("id", "")),
                json.dumps(payload, ensure_ascii=False),
                now,
                lane_of(kind, payload),
            )
            for kind, payload in items
        ]
        with self._lock, self._db:
            self._db.executemany(
                "INSERT INTO outbox (kind, item_id, payload, created, lane) VALUES (?, ?, ?, ?, ?)",
                rows,
            )

    def head(self, limit, lane=None):
        """The oldest ``limit`` items, oldest first.

        ``lane=None``: all lanes; ``URGENT``: the urgent ones; ``ORDINARY``:
        the ordinary ones older than every urgent item still queued, so an
        ordinary item (a call's hangup) never overtakes an urgent one (its
        ringing / answered) stored before it.
        """
        if lane is None:
            sql, args = "SELECT seq, kind, item_id, payload FROM outbox ORDER BY seq LIMIT ?", (limit,)
        elif lane == URGENT:
            sql = "SELECT seq, kind, item_id, payload FROM outbox WHERE lane = 1 ORDER BY seq LIMIT ?"
            args = (limit,)
        else:
            sql = (
                "SELECT seq, kind, item_id, payload FROM outbox WHERE lane = 0 "
                "AND seq < COALESCE((SELECT MIN(seq) FROM outbox WHERE lane = 1), 9223372036854775807) "
                "ORDER BY seq LIMIT ?"
            )
            args = (limit,)
        with self._reader_lock:
            rows = self._reader_db.execute(sql, args).fetchall()
        return [SpoolItem(seq, kind, item_id, json.loads(data)) for seq, kind, item_id, data in rows]

    def ack(self, seqs):
        """Odoo has them: remove from the queue (not synced on its own, see :meth:`_unsynced`)."""
        with self._lock, self._unsynced():
            self._db.executemany("DELETE FROM outbox WHERE seq = ?", [(s,) for s in seqs])

    @contextlib.contextmanager
    def _unsynced(self):
        """A transaction committed without an fsync of its own.

        Acknowledgements and attempt counters: lost on a power loss, they only mean an item delivered
        twice, which Odoo ignores (idempotent on the item's id); the next stored item's sync covers them.
        """
        self._db.execute("PRAGMA synchronous=NORMAL")
        try:
            with self._db:
                yield
        finally:
            self._db.execute("PRAGMA synchronous=FULL")

    def failed(self, seqs, error, server_error=False):
        """Count a failed delivery attempt (the items stay queued).

        ``server_error``: Odoo failed on the items (HTTP 500), which counts toward the dead-letter
        limit; Odoo being unavailable does not.  Returns the most server errors among the items.
        """
        bump = 1 if server_error else 0
        with self._lock, self._unsynced():
            self._db.executemany(
                "UPDATE outbox SET attempts = attempts + 1, server_errors = server_errors + ?, last_error = ? "
                "WHERE seq = ?",
                [(bump, error[:500], s) for s in seqs],
            )
            marks = ",".join("?" * len(seqs))
            row = self._db.execute(
                f"SELECT MAX(server_errors) FROM outbox WHERE seq IN ({marks})", list(seqs)
            ).fetchone()
        return row[0] or 0

    def requeue_dead_letters(self):
        """Put every dead letter back at the end of the queue (after a fix in Odoo); how many."""
        now = time.time()
        with self._lock, self._db:
            rows = self._db.execute("SELECT kind, payload FROM dead_letter ORDER BY seq").fetchall()
            self._db.executemany(
                "INSERT INTO outbox (kind, item_id, payload, created, lane) VALUES (?, ?, ?, ?, ?)",
                [
                    (kind, str(json.loads(data).get("id", "")), data, now, lane_of(kind, json.loads(data)))
                    for kind, data in rows
                ],
            )
            self._db.execute("DELETE FROM dead_letter")
        return len(rows)

    def bury(self, seqs, reason):
        """Move items Odoo refused as malformed to the dead-letter table."""
        now = time.time()
        with self._lock, self._db:
            for seq in seqs:
                self._db.execute(
                    "INSERT OR REPLACE INTO dead_letter "
                    "(seq, kind, item_id, payload, created, failed, reason) "
                    "SELECT seq, kind, item_id, payload, created, ?, ? "
                    "FROM outbox WHERE seq = ?",
                    (now, reason[:2000], seq),
                )
                self._db.execute("DELETE FROM outbox WHERE seq = ?", (seq,))

    def depth(self):
        with self._reader_lock:
            return self._reader_db.execute("SELECT COUNT(*) FROM outbox").fetchone()[0]

    def dead_count(self):
        with self._reader_lock:
            return self._reader_db.execute("SELECT COUNT(*) FROM dead_letter").fetchone()[0]

    def dead_letters(self, limit=100):
        with self._reader_lock:
            rows = self._reader_db.execute(
                "SELECT seq, kind, item_id, payload, reason FROM dead_letter ORDER BY seq LIMIT ?",
                (limit,),
            ).fetchall()
        return [{"seq": s, "kind": k, "id": i, "payload": json.loads(p), "reason": r} for s, k, i, p, r in rows]

    def stats(self):
        """``(depth, dead letters, creation time of the oldest queued item or None)``."""
        with self._reader_lock:
            depth, oldest = self._reader_db.execute("SELECT COUNT(*), MIN(created) FROM outbox").fetchone()
            dead = self._reader_db.execute("SELECT COUNT(*) FROM dead_letter").fetchone()[0]
        return depth, dead, oldest

    def close(self):
        self._executor.shutdown(wait=True)
        self._reader_executor.shutdown(wait=True)
        with self._reader_lock:
            self._reader_db.close()
        with self._lock:
            self._db.close()

    # -- async wrappers: the spool's own thread, never the event loop ---------

    def _in_thread(self, method, *args):
        return asyncio.get_running_loop().run_in_executor(self._executor, method, *args)

    def _in_reader(self, method, *args):
        return asyncio.get_running_loop().run_in_executor(self._reader_executor, method, *args)

    async def aappend(self, items):
        await self._in_thread(self.append, items)

    async def ahead(self, limit, lane=None):
        return await self._in_reader(self.head, limit, lane)

    async def aack(self, seqs):
        await self._in_thread(self.ack, seqs)

    async def afailed(self, seqs, error, server_error=False):
        return await self._in_thread(self.failed, seqs, error, server_error)

    async def abury(self, seqs, reason):
        await self._in_thread(self.bury, seqs, reason)

    async def adepth(self):
        return await self._in_reader(self.depth)

    async def adead_count(self):
        return await self._in_reader(self.dead_count)

    async def astats(self):
        return await self._in_reader(self.stats)


class Outbox:
    """In-order, non-blocking entry to the spool for the event handlers.

    ``put`` only queues in memory; the writer task stores the queue in the
    spool's thread, in arrival order, and then wakes ``urgent`` (when urgent
    items were among them) and ``stored``.  An urgent item is also kept in
    ``fresh`` and wakes ``urgent`` at once: the urgent lane may send it to Odoo
    while it is being stored (see ``odoo.Deliverer``), so the screen pop never
    waits for the disk's sync.
    """

    def __init__(self, spool, max_in_memory=100_000):
        self.spool = spool
        self.max_in_memory = max_in_memory
        self.dropped = 0  # items dropped because the spool could not be written and memory was full
        self.stored = asyncio.Event()  # set whenever new items reached the spool
        self.urgent = asyncio.Event()  # set whenever new urgent items reached the spool
        self._pending = []
        self._wake = asyncio.Event()
        self._idle = asyncio.Event()
        self._idle.set()
        self._running = False
        self.last_error = ""  # why the last write to the spool failed ("" once one succeeds)
        self.fresh = collections.deque()  # urgent (kind, payload) put and maybe not stored yet

    def put(self, kind, payload):
        if self.last_error and len(self._pending) >= self.max_in_memory:
            # The disk is full and memory is too: keep the oldest items (they
            # describe the calls already shown), drop the newest, say so.
            if not self.dropped:
                _logger.error(
                    "spool unwritable and %d items waiting in memory: dropping newer items", self.max_in_memory
                )
            self.dropped += 1
            return
        self._pending.append((kind, payload))
        self._idle.clear()
        self._wake.set()
        if lane_of(kind, payload) == URGENT:
            self.fresh.append((kind, payload))
            self.urgent.set()

    def put_all(self, items):
        for kind, payload in items:
            self.put(kind, payload)

    @property
    def pending(self):
        return len(self._pending)

    async def run(self):
        """The writer task: store pending items in batches, in order."""
        self._running = True
        try:
            while True:
                await self._wake.wait()
                self._wake.clear()
                await self._write()
        finally:
            self._running = False

    async def _write(self):
        while self._pending:
            batch, self._pending = self._pending, []
            try:
                await self.spool.aappend(batch)
            except Exception as exc:
                error = f"{exc.__class__.__name__}: {exc}"
                if error != self.last_error:  # the traceback once, not on every retry
                    _logger.exception("cannot write %d item(s) to the spool; retrying every second", len(batch))
                else:
                    _logger.debug("spool still unwritable (%s); %d item(s) in memory", error, len(batch))
                self.last_error = error
                self._pending[:0] = batch
                await asyncio.sleep(1.0)
                continue
            if self.last_error:
                _logger.info("spool writable again; %d item(s) stored", len(batch))
            self.last_error = ""
            if any(lane_of(kind, payload) == URGENT for kind, payload in batch):
                self.urgent.set()
            self.stored.set()
        self._idle.set()

    async def flush(self):
        """Wait until everything put so far is in the spool (used at shutdown)."""
        if not self._running:
            await self._write()
        await self._idle.wait()
