"""Durable on-disk queue (SQLite, WAL) of what Odoo has not acknowledged yet.

Two tables:

``outbox``       items waiting for delivery, in arrival order (``seq``);
``dead_letter``  items Odoo refused as malformed (HTTP 400): kept for an
                 administrator, never silently dropped.

:class:`Spool` is the blocking store (each call is one short transaction);
its ``a*`` methods run it in a worker thread.  :class:`Outbox` is what the AMI
handlers write to: ``put()`` never blocks the loop, a single writer task stores
the items in order and wakes the delivery task.
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
    last_error TEXT
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

    # -- blocking API -------------------------------------------------------

    def append(self, items):
        """Store ``[(kind, payload), ...]`` at the end of the queue."""
        now = time.time()
        rows = [
            (
                kind,
                str(payload.get("id", "")),
                json.dumps(payload, ensure_ascii=False),
                now,
            )
            for kind, payload in items
        ]
        with self._lock, self._db:
            self._db.executemany(
                "INSERT INTO outbox (kind, item_id, payload, created) VALUES (?, ?, ?, ?)",
                rows,
            )

    def head(self, limit):
        """The oldest ``limit`` items, oldest first."""
        with self._lock:
            rows = self._db.execute(
                "SELECT seq, kind, item_id, payload FROM outbox ORDER BY seq LIMIT ?",
                (limit,),
            ).fetchall()
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

    async def ahead(self, limit):
        return await asyncio.to_thread(self.head, limit)

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
    """In-order, non-blocking entry to the spool for the event handlers."""

    def __init__(self, spool):
        self.spool = spool
        self.stored = asyncio.Event()  # set whenever new items reached the spool
        self._pending = []
        self._wake = asyncio.Event()
        self._idle = asyncio.Event()
        self._idle.set()
        self._running = False

    def put(self, kind, payload):
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
            self.stored.set()
        self._idle.set()

    async def flush(self):
        """Wait until everything put so far is in the spool (used at shutdown)."""
        if not self._running:
            await self._write()
        await self._idle.wait()
