"""Durable on-disk queue (SQLite, WAL) of what Odoo has not acknowledged yet.

Two tables:

``outbox``       items waiting for delivery, in arrival order (``seq``), each
                 in a ``lane``: 1 (urgent) for ``ringing`` / ``answered``
                 events, what the operator's screen pop waits for; 0 for
                 the rest (hangups, agent states, CDRs);
``dead_letter``  items Odoo refused as malformed (HTTP 400): kept for an
                 administrator, never silently dropped.

:class:`Spool` is the blocking store (each call is one short transaction);
its ``a*`` methods run it in a worker thread.  :class:`Outbox` is what the AMI
handlers write to: an urgent item is inserted at once, synchronously (one tiny
WAL transaction, no thread hop) and wakes the urgent delivery lane; the other
items are queued in memory and stored in order, in batches, by a single
writer task in a worker thread.
"""

import asyncio
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
    lane      INTEGER NOT NULL DEFAULT 0
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
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(SCHEMA)
        columns = {row[1] for row in self._db.execute("PRAGMA table_info(outbox)")}
        if "lane" not in columns:  # a spool written by an older bridge
            self._db.execute("ALTER TABLE outbox ADD COLUMN lane INTEGER NOT NULL DEFAULT 0")
        self._db.execute(INDEX)

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
        with self._lock:
            rows = self._db.execute(sql, args).fetchall()
        return [SpoolItem(seq, kind, item_id, json.loads(data)) for seq, kind, item_id, data in rows]

    def ack(self, seqs):
        """Odoo has them: remove from the queue."""
        with self._lock, self._db:
            self._db.executemany("DELETE FROM outbox WHERE seq = ?", [(s,) for s in seqs])

    def failed(self, seqs, error):
        """Count a failed delivery attempt (the items stay queued)."""
        with self._lock, self._db:
            self._db.executemany(
                "UPDATE outbox SET attempts = attempts + 1, last_error = ? WHERE seq = ?",
                [(error[:500], s) for s in seqs],
            )

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
        with self._lock:
            return self._db.execute("SELECT COUNT(*) FROM outbox").fetchone()[0]

    def dead_count(self):
        with self._lock:
            return self._db.execute("SELECT COUNT(*) FROM dead_letter").fetchone()[0]

    def dead_letters(self, limit=100):
        with self._lock:
            rows = self._db.execute(
                "SELECT seq, kind, item_id, payload, reason FROM dead_letter ORDER BY seq LIMIT ?",
                (limit,),
            ).fetchall()
        return [{"seq": s, "kind": k, "id": i, "payload": json.loads(p), "reason": r} for s, k, i, p, r in rows]

    def close(self):
        with self._lock:
            self._db.close()

    # -- async wrappers -----------------------------------------------------

    async def aappend(self, items):
        await asyncio.to_thread(self.append, items)

    async def ahead(self, limit, lane=None):
        return await asyncio.to_thread(self.head, limit, lane)

    async def aack(self, seqs):
        await asyncio.to_thread(self.ack, seqs)

    async def afailed(self, seqs, error):
        await asyncio.to_thread(self.failed, seqs, error)

    async def abury(self, seqs, reason):
        await asyncio.to_thread(self.bury, seqs, reason)

    async def adepth(self):
        return await asyncio.to_thread(self.depth)

    async def adead_count(self):
        return await asyncio.to_thread(self.dead_count)


class Outbox:
    """In-order, non-blocking entry to the spool for the event handlers.

    Urgent items (:func:`lane_of`) are inserted synchronously and wake
    ``urgent``; the others go through the writer task and wake ``stored``.
    Ordinary items still waiting for the writer when an urgent item is
    inserted get a later ``seq`` than it, so they are delivered after it (a
    delay of one fast POST; a call's ringing -> answered -> hangup order is
    unaffected).
    """

    def __init__(self, spool):
        self.spool = spool
        self.stored = asyncio.Event()  # set whenever new items reached the spool
        self.urgent = asyncio.Event()  # set whenever new urgent items reached the spool
        self._pending = []
        self._pending_urgent = 0  # urgent items waiting in _pending (the direct insert failed)
        self._wake = asyncio.Event()
        self._idle = asyncio.Event()
        self._idle.set()
        self._running = False

    def put(self, kind, payload):
        if not self._pending_urgent and lane_of(kind, payload) == URGENT:
            try:
                self.spool.append([(kind, payload)])
            except Exception:
                _logger.exception("cannot write an urgent item to the spool; queued for the writer")
            else:
                self.urgent.set()
                return
        if lane_of(kind, payload) == URGENT:
            self._pending_urgent += 1  # later urgent items queue behind it: their order is kept
        self._pending.append((kind, payload))
        self._idle.clear()
        self._wake.set()

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
            except Exception:
                _logger.exception("cannot write %d item(s) to the spool; retrying", len(batch))
                self._pending[:0] = batch
                await asyncio.sleep(1.0)
                continue
            urgent = sum(1 for kind, payload in batch if lane_of(kind, payload) == URGENT)
            if urgent:
                self._pending_urgent = max(0, self._pending_urgent - urgent)
                self.urgent.set()
            self.stored.set()
        self._idle.set()

    async def flush(self):
        """Wait until everything put so far is in the spool (used at shutdown)."""
        if not self._running:
            await self._write()
        await self._idle.wait()
