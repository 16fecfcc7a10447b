"""Delivery of spooled items to Odoo.

``POST {odoo.url}/hotline/pbx/event``  body ``{"events": [event, ...]}``
``POST {odoo.url}/hotline/pbx/cdr``    body ``{"cdrs": [cdr, ...]}``

with ``Authorization: Bearer <odoo.token>``.  Odoo acknowledges with HTTP 200
and a JSON object whose ``ok`` is true; then the items leave the spool.
A 400 means Odoo found the batch malformed: the items are retried one by one
and the ones refused alone go to the dead-letter table.  Anything else
(refused connection, timeout, 401/403/404/5xx, 200 without ok) leaves the
items in the spool and the next attempt waits ``retry_min`` doubling up to
``retry_max`` seconds.

Two delivery lanes share one persistent HTTP session (keep-alive):

* the **urgent** lane sends ``ringing`` / ``answered`` events (the screen
  pop) as soon as they are stored, ahead of any backlog; it reads and acks
  them synchronously (tiny indexed SQLite statements: no thread hop);
* the **ordinary** lane sends everything else in spool order, but only items
  older than every urgent item still queued: a call's ``hangup`` never
  reaches Odoo before its own ``ringing`` / ``answered``.

Each lane has one POST in flight at a time and its own retry backoff.
"""

import asyncio
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

OK, RETRY, REJECT = "ok", "retry", "reject"


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

    def __init__(self, spool, client, config, stored, urgent=None):
        self.spool = spool
        self.client = client
        self.config = config
        self.stored = stored  # asyncio.Event set by the Outbox on new items (wakes the ordinary lane)
        self.urgent = urgent if urgent is not None else asyncio.Event()  # new urgent items
        self.last_delivery = None
        self.last_error = ""
        self.delivered = 0

    async def run(self):
        """Both lanes until cancelled."""
        lanes = [
            asyncio.create_task(self._lane(URGENT), name="odoo-delivery-urgent"),
            asyncio.create_task(self._lane(ORDINARY), name="odoo-delivery"),
        ]
        try:
            await asyncio.gather(*lanes)
        finally:
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
            except Exception:
                _logger.exception("delivery to Odoo failed unexpectedly")
                progressed = False
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

    async def _store(self, lane, method, *args):
        """A spool call: synchronous for the urgent lane (tiny, no thread hop), in a thread otherwise."""
        if lane == URGENT:
            return method(*args)
        return await asyncio.to_thread(method, *args)

    async def _deliver_once(self, lane=ORDINARY):
        """Send the head of a lane. None: nothing to send; True/False: progress."""
        items = await self._store(lane, self.spool.head, self.config.batch_size, lane)
        if not items:
            return None
        batch = list(_leading_run(items))
        outcome, detail = await self.client.post(batch[0].kind, [i.payload for i in batch])
        if outcome == OK:
            await self._acknowledged(lane, batch)
            return True
        if outcome == REJECT:
            return await self._one_by_one(lane, batch, detail)
        await self._failed(lane, batch, detail)
        return False

    async def _one_by_one(self, lane, batch, detail):
        if len(batch) == 1:
            await self._bury(lane, batch[0], detail)
            return True
        for item in batch:
            outcome, detail = await self.client.post(item.kind, [item.payload])
            if outcome == OK:
                await self._acknowledged(lane, [item])
            elif outcome == REJECT:
                await self._bury(lane, item, detail)
            else:
                await self._failed(lane, [item], detail)
                return False
        return True

    async def _acknowledged(self, lane, batch):
        await self._store(lane, self.spool.ack, [i.seq for i in batch])
        self.delivered += len(batch)
        self.last_delivery = time.time()
        self.last_error = ""
        if lane == URGENT:
            self.stored.set()  # ordinary items held behind these may go now
        _logger.debug("delivered %d %s item(s) to Odoo", len(batch), batch[0].kind)

    async def _failed(self, lane, batch, detail):
        self.last_error = detail
        await self._store(lane, self.spool.failed, [i.seq for i in batch], detail)

    async def _bury(self, lane, item, detail):
        _logger.error(
            "Odoo refused %s %s as malformed (%s); moved to the dead-letter table",
            item.kind,
            item.item_id,
            detail,
        )
        await self._store(lane, self.spool.bury, [item.seq], detail)
        if lane == URGENT:
            self.stored.set()


def _leading_run(items):
    """The first items of the spool that share the first item's kind."""
    kind = items[0].kind
    for item in items:
        if item.kind != kind:
            return
        yield item
