"""Wiring: one AMI client, the trackers, the spool, delivery and the HTTP API."""

import asyncio
import contextlib
import logging

from .agents import AgentTracker
from .ami import AmiClient
from .calls import CallTracker, iso
from .handlers import Handlers
from .http import HttpServer
from .odoo import Deliverer, OdooClient
from .spool import Outbox, Spool

_logger = logging.getLogger(__name__)


class Bridge:
    """The whole service for one PBX; ``start()`` then ``stop()``."""

    def __init__(self, config):
        self.config = config
        self.spool = None
        self.outbox = None
        self.calls = CallTracker(config.pbx.extension_patterns)
        self.agents = AgentTracker(config.pbx.extension_patterns)
        self.ami = None
        self.handlers = None
        self.deliverer = None
        self.odoo = None
        self.http = None
        self._tasks = []

    async def start(self):
        """Open the spool, start the HTTP API, AMI and delivery tasks."""
        self.spool = await asyncio.to_thread(Spool, self.config.spool.path)
        depth = await self.spool.adepth()
        if depth:
            _logger.info("spool %s holds %d undelivered item(s)", self.config.spool.path, depth)
        self.outbox = Outbox(self.spool)
        self.handlers = Handlers(self.calls, self.agents, self.outbox)
        self.ami = AmiClient(self.config.ami, on_login=self.handlers.resync)
        self.handlers.register(self.ami)
        self.odoo = OdooClient(self.config.odoo)
        self.deliverer = Deliverer(self.spool, self.odoo, self.config.odoo, self.outbox.stored, self.outbox.urgent)
        self.http = HttpServer(self.config.http, self.config.pbx, self.ami, self.health)
        await self.http.start()
        self._tasks = [
            asyncio.create_task(self.outbox.run(), name="spool-writer"),
            asyncio.create_task(self.deliverer.run(), name="odoo-delivery"),
            asyncio.create_task(self.ami.run(), name="ami"),
        ]
        if depth:
            self.outbox.stored.set()
            self.outbox.urgent.set()
        return self

    async def stop(self):
        """Stop taking work, keep everything received in the spool, close."""
        if self.http is not None:
            await self.http.stop()
        if self.ami is not None:
            await self.ami.stop()
        ami_task = self._tasks[2] if len(self._tasks) > 2 else None
        await _cancel(ami_task)
        if self.outbox is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.outbox.flush(), 10)
        for task in self._tasks[:2]:
            await _cancel(task)
        self._tasks = []
        if self.odoo is not None:
            await self.odoo.close()
        if self.spool is not None:
            left = await self.spool.adepth()
            await asyncio.to_thread(self.spool.close)
            self.spool = None
            _logger.info("bridge stopped; %d item(s) left in the spool", left)

    async def health(self):
        spool_depth = dead = None
        if self.spool is not None:
            spool_depth = await self.spool.adepth() + self.outbox.pending
            dead = await self.spool.adead_count()
        last = self.handlers.last_event_time if self.handlers else None
        return {
            "ok": True,
            "ami_connected": bool(self.ami and self.ami.connected),
            "ami_error": self.ami.last_error if self.ami else "",
            "spool_depth": spool_depth,
            "dead_letters": dead,
            "last_event_time": iso(last) if last else None,
            "calls_in_progress": len(self.calls.calls),
            "odoo_last_delivery": iso(self.deliverer.last_delivery)
            if self.deliverer and self.deliverer.last_delivery
            else None,
            "odoo_error": self.deliverer.last_error if self.deliverer else "",
        }


async def _cancel(task):
    if task is None:
        return
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError, Exception):
        await task
