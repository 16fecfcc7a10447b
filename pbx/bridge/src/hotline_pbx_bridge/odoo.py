"""Delivery of spooled items to Odoo.

``POST {odoo.url}/hotline/pbx/event``  body ``{"events": [event, ...]}``
``POST {odoo.url}/hotline/pbx/cdr``    body ``{"cdrs": [cdr, ...]}``

with ``Authorization: Bearer <odoo.token>``.  Odoo acknowledges with HTTP 200
and a JSON object whose ``ok`` is true; then the items leave the spool.
A 400 means Odoo found the batch malformed: the items are retried one by one
and the ones refused alone go to the dead-letter table.  A server error (500,
501, 505..599: Odoo failed on these items) is retried with the backoff below;
after ``max_attempts`` failed attempts the items are tried one by one once
more and those still failing go to the dead-letter table, so one poisonous
item never blocks its lane.  Anything else (refused connection, timeout,
401/403/404, 502/503/504 from a proxy while Odoo restarts, 200 without ok)
means Odoo is unavailable, not that the items are bad: they stay in the spool,
however long it takes.  The next attempt waits ``retry_min`` doubling up to
``retry_max`` seconds.

Two delivery lanes share one persistent HTTP session (keep-alive):

* the **urgent** lane sends ``ringing`` / ``answered`` events (the screen
  pop) ahead of any backlog, as soon as they are put, while they are being
  stored (``Outbox.fresh``): once stored they are only acknowledged in the
  spool.  An item Odoo took before it was stored is safe (Odoo has it); one
  stored and not yet acknowledged when the bridge stops is sent again
  (Odoo is idempotent on ``id``).  When such an early POST fails, the lane
  goes back to the spool: its stored items first, with the backoff;
* the **ordinary** lane sends everything else in spool order, but only items
  older than every urgent item still queued: a call's ``hangup`` never
  reaches Odoo before its own ``ringing`` / ``answered``.

Each lane has one POST in flight at a time and its own retry backoff.
"""

import asyncio
import collections
import json
import logging
import time

import aiohttp

from .spool import ORDINARY, URGENT

_logger = logging.getLogger(__name__)

ENDPOINTS = {
    "event": ("/hotline/pbx/event", "events"),
    "cdr": ("/hotline/pbx/cdr", "cdrs"),
}

OK, RETRY, REJECT, FAILED = "ok", "retry", "reject", "failed"
UNAVAILABLE_STATUSES = (502, 503, 504)  # a proxy in front of a restarting Odoo
FRESH_LIMIT = 1000  # urgent items kept in memory for an early POST while Odoo refuses them


class OdooClient:
    """One POST to Odoo, classified as ok / retry / reject."""

    def __init__(self, config):
        self.config = config
        self._session = None

    async def _get_session(self):
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                timeout=aiohttp.ClientTimeout(total=self.config.timeout),
                headers={"Authorization": f"Bearer {self.config.token}"},
                connector=aiohttp.TCPConnector(limit=8, keepalive_timeout=60),
            )
        return self._session

    async def post(self, kind, payloads):
        """Deliver a batch of one kind; returns ``(outcome, detail)``."""
        path, key = ENDPOINTS[kind]
        session = await self._get_session()
        try:
            async with session.post(self.config.url + path, json={key: payloads}) as resp:
                text = await resp.text()
                return _classify(resp.status, text, resp.content_type)
        except asyncio.CancelledError:
            raise
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            return RETRY, f"{exc.__class__.__name__}: {exc}".rstrip(": ")

    async def close(self):
        if self._session is not None:
            await self._session.close()


def _classify(status, text, content_type):
    if status == 400:
        return REJECT, f"HTTP 400: {text[:500]}"
    if status >= 500 and status not in UNAVAILABLE_STATUSES:
        return FAILED, f"HTTP {status}: {text[:200]}"
    if status != 200:
        return RETRY, f"HTTP {status}: {text[:200]}"
    try:
        body = json.loads(text)
    except ValueError:
        return RETRY, f"HTTP 200 but not JSON ({content_type})"
    if isinstance(body, dict) and body.get("ok") is True:
        return OK, ""
    return RETRY, f"HTTP 200 without ok=true: {text[:200]}"


class Deliverer:
    """The delivery tasks: replay the spool to Odoo, urgent lane first, with backoff."""

    def __init__(self, spool, client, config, stored, urgent=None, fresh=None):
        self.spool = spool
        self.client = client
        self.config = config
        self.stored = stored  # asyncio.Event set by the Outbox on new items (wakes the ordinary lane)
        self.urgent = urgent if urgent is not None else asyncio.Event()  # new urgent items
        self.last_delivery = None
        self.last_error = ""
        self.delivered = 0
        self.buried = 0  # items moved to the dead-letter table by this process
        self.fresh = fresh if fresh is not None else collections.deque()  # Outbox.fresh
        self._early = set()  # ids of urgent items Odoo took before they were stored
        self._settling = None  # the task acknowledging such items in the spool
        self._settled = 0  # how many times such items were acknowledged (a read of the spool started
        # before one may still show them, while they are no longer in _early)
        self._unexpected = ""  # the last unexpected delivery failure, logged with its traceback once

    async def run(self):
        """Both lanes until cancelled."""
        lanes = [
            asyncio.create_task(self._lane(URGENT), name="odoo-delivery-urgent"),
            asyncio.create_task(self._lane(ORDINARY), name="odoo-delivery"),
        ]
        try:
            await asyncio.gather(*lanes)
        finally:
            if self._settling is not None:
                lanes.append(self._settling)
            for task in lanes:
                task.cancel()
            await asyncio.gather(*lanes, return_exceptions=True)

    async def _lane(self, lane):
        wake = self.urgent if lane == URGENT else self.stored
        delay = self.config.retry_min
        while True:
            wake.clear()
            try:
                progressed = await self._deliver_once(lane)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                error = f"{exc.__class__.__name__}: {exc}"
                if error != self._unexpected:  # the traceback once, not on every retry (e.g. a full disk)
                    _logger.exception("delivery to Odoo failed unexpectedly")
                else:
                    _logger.warning("delivery to Odoo still failing: %s", error)
                self._unexpected = error
                progressed = False
            else:
                self._unexpected = ""
            if progressed is None:  # lane empty (or waiting for urgent items): wait for news
                await wake.wait()
                continue
            if progressed:
                delay = self.config.retry_min
                continue
            _logger.warning(
                "Odoo unavailable (%s); %d item(s) kept in the spool, next %s attempt in %.3g s",
                self.last_error,
                await self.spool.adepth(),
                "urgent" if lane == URGENT else "ordinary",
                delay,
            )
            await asyncio.sleep(delay)
            delay = min(delay * 2, self.config.retry_max)

    async def _deliver_once(self, lane=ORDINARY):
        """Send the head of a lane. None: nothing to send; True/False: progress."""
        settled = self._settled
        items = await self.spool.ahead(self.config.batch_size, lane)
        if lane == URGENT:
            if self._settled != settled:  # early items acknowledged during the read: read again
                return True
            items = await self._settle_early(items)
            if not items:
                return await self._deliver_fresh()
        if not items:
            return None
        self._forget_fresh(items)
        batch = list(_leading_run(items))
        outcome, detail = await self.client.post(batch[0].kind, [i.payload for i in batch])
        if outcome == OK:
            await self._acknowledged(lane, batch)
            return True
        if outcome == REJECT:
            return await self._one_by_one(lane, batch, detail)
        attempts = await self._failed(batch, detail, server_error=outcome == FAILED)
        if outcome == FAILED and attempts >= self.config.max_attempts:
            return await self._one_by_one(lane, batch, detail, f" (after {attempts} attempts)")
        return False

    async def _settle_early(self, items):
        """The stored items still to be sent; those Odoo already took are acknowledged in the spool
        meanwhile, by a task of their own: the lane never waits for that write (behind an fsync)."""
        early = [item for item in items if item.item_id in self._early]
        if early and self._settling is None:
            self._settling = asyncio.create_task(self._settle(early))
        return [item for item in items if item.item_id not in self._early]

    async def _settle(self, early):
        try:
            await self.spool.aack([item.seq for item in early])
            self._early.difference_update(item.item_id for item in early)
            self._settled += 1
            self.stored.set()  # ordinary items held behind these may go now
        except Exception:
            _logger.exception("cannot acknowledge %d item(s) in the spool; retrying", len(early))
            await asyncio.sleep(self.config.retry_min)
        finally:
            self._settling = None
            self.urgent.set()  # look again: more may be stored by now

    def _forget_fresh(self, items):
        """Stored items about to be sent from the spool are not sent again from memory."""
        if self.fresh:
            ids = {item.item_id for item in items}
            kept = [entry for entry in self.fresh if str(entry[1].get("id", "")) not in ids]
            self.fresh.clear()
            self.fresh.extend(kept)

    async def _deliver_fresh(self):
        """Send the urgent items put since the last look, before their sync; None when there are none."""
        entries = [self.fresh.popleft() for _ in range(min(len(self.fresh), self.config.batch_size))]
        entries = [(kind, payload) for kind, payload in entries if str(payload.get("id", "")) not in self._early]
        if not entries:
            return None
        outcome, detail = await self.client.post(entries[0][0], [payload for _kind, payload in entries])
        if outcome != OK:
            # stored (or about to be), they go from the spool after the backoff; kept here in order
            # until the spool shows them, unless the backlog grows large (the spool has it all)
            self.fresh.extendleft(reversed(entries))
            if len(self.fresh) > FRESH_LIMIT:
                self.fresh.clear()
            self.last_error = detail
            return False
        self._early.update(str(payload.get("id", "")) for _kind, payload in entries)
        self.delivered += len(entries)
        self.last_delivery = time.time()
        self.last_error = ""
        return True

    async def _one_by_one(self, lane, batch, detail, note=""):
        """Each item alone: the ones Odoo still refuses or fails on go to the dead-letter table."""
        if len(batch) == 1:
            await self._bury(lane, batch[0], detail + note)
            return True
        for item in batch:
            outcome, detail = await self.client.post(item.kind, [item.payload])
            if outcome == OK:
                await self._acknowledged(lane, [item])
            elif outcome in (REJECT, FAILED):
                await self._bury(lane, item, detail + note)
            else:
                await self._failed([item], detail)
                return False
        return True

    async def _acknowledged(self, lane, batch):
        await self.spool.aack([i.seq for i in batch])
        self.delivered += len(batch)
        self.last_delivery = time.time()
        self.last_error = ""
        if lane == URGENT:
            self.stored.set()  # ordinary items held behind these may go now
        _logger.debug("delivered %d %s item(s) to Odoo", len(batch), batch[0].kind)

    async def _failed(self, batch, detail, server_error=False):
        """Count the attempt; the most server errors among the items."""
        self.last_error = detail
        return await self.spool.afailed([i.seq for i in batch], detail, server_error)

    async def _bury(self, lane, item, detail):
        _logger.error(
            "Odoo refused %s %s (%s); moved to the dead-letter table",
            item.kind,
            item.item_id,
            detail,
        )
        await self.spool.abury([item.seq], detail)
        self.buried += 1
        if lane == URGENT:
            self.stored.set()


def _leading_run(items):
    """The first items of the spool that share the first item's kind."""
    kind = items[0].kind
    for item in items:
        if item.kind != kind:
            return
        yield item
