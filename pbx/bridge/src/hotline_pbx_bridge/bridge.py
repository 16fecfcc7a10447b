"""Wiring: one AMI client, the trackers, the spool, delivery and the HTTP API."""

import asyncio
import contextlib
import logging
import time

from .agents import AgentTracker
from .ami import AmiClient
from .calls import CallTracker, iso
from .handlers import Handlers
from .http import HttpServer
from .metrics import render_metrics
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
        self.outbox = Outbox(self.spool, self.config.spool.max_in_memory)
        self.handlers = Handlers(self.calls, self.agents, self.outbox)
        self.ami = AmiClient(self.config.ami, on_login=self.handlers.resync)
        self.handlers.register(self.ami)
        self.odoo = OdooClient(self.config.odoo)
        self.deliverer = Deliverer(
            self.spool, self.odoo, self.config.odoo, self.outbox.stored, self.outbox.urgent, self.outbox.fresh
        )
        self.http = HttpServer(self.config.http, self.config.pbx, self.ami, self)
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

    # -- what the HTTP API asks ------------------------------------------------

    async def status(self):
        """Everything ``/health`` and ``/metrics`` tell, read once."""
        depth = dead = oldest = None
        if self.spool is not None:
            depth, dead, oldest = await self.spool.astats()
            depth += self.outbox.pending
        now = time.time()
        return {
            "ami_connected": bool(self.ami and self.ami.connected),
            "ami_error": self.ami.last_error if self.ami else "",
            "ami_logins": self.ami.logins if self.ami else 0,
            "events": self.handlers.events_seen if self.handlers else 0,
            "last_event_time": self.handlers.last_event_time if self.handlers else None,
            "spool_depth": depth,
            "spool_error": self.outbox.last_error if self.outbox else "",
            "dropped": self.outbox.dropped if self.outbox else 0,
            "delivery_lag": max(0.0, now - oldest) if oldest else 0.0,
            "dead_letters": dead,
            "dead_letters_buried": self.deliverer.buried if self.deliverer else 0,
            "delivered": self.deliverer.delivered if self.deliverer else 0,
            "odoo_last_delivery": self.deliverer.last_delivery if self.deliverer else None,
            "odoo_error": self.deliverer.last_error if self.deliverer else "",
            "calls_in_progress": len(self.calls.calls),
        }

    async def health(self):
        """The details of ``GET /health`` (with the token): state, counters and alerts."""
        status = await self.status()
        alerts = _alerts(status)
        return {
            "ok": True,
            "healthy": not alerts,
            "alerts": alerts,
            "ami_connected": status["ami_connected"],
            "ami": {"connected": status["ami_connected"]},
            "ami_error": status["ami_error"],
            "spool_depth": status["spool_depth"],
            "spool_error": status["spool_error"],
            "dropped": status["dropped"],
            "delivery_lag_seconds": round(status["delivery_lag"], 3),
            "dead_letters": status["dead_letters"],
            "last_event_time": iso(status["last_event_time"]) if status["last_event_time"] else None,
            "calls_in_progress": status["calls_in_progress"],
            "odoo_last_delivery": iso(status["odoo_last_delivery"]) if status["odoo_last_delivery"] else None,
            "odoo_error": status["odoo_error"],
        }

    async def metrics(self):
        """``GET /metrics``: Prometheus text format."""
        return render_metrics(await self.status())

    def is_agent_channel(self, name):
        """``name`` is a live channel of one of the centre's phones."""
        return any(ch.name == name and ch.extension for ch in self.calls.channels.values())

    def is_known_extension(self, extension):
        """``extension`` is a queue member or a phone on a call, as far as the bridge knows."""
        if any(ch.extension == extension for ch in self.calls.channels.values()):
            return True
        return any(self.agents.extension_of(interface) == extension for _queue, interface in self.agents.members)


def _alerts(status):
    alerts = []
    if not status["ami_connected"]:
        alerts.append(f"AMI not connected: {status['ami_error'] or 'connecting'}")
    if status["dead_letters"]:
        alerts.append(
            f"{status['dead_letters']} item(s) in the dead-letter table: Odoo refused them or kept failing on them; "
            "see the bridge log, fix, then run hotline-pbx-bridge --requeue-dead-letters"
        )
    if status["spool_error"]:
        alerts.append(f"cannot write to the spool: {status['spool_error']}")
    if status["dropped"]:
        alerts.append(
            f"{status['dropped']} newer item(s) dropped: the spool could not be written and memory was full "
            "(the oldest were kept); free the spool's disk"
        )
    if status["spool_depth"] and status["odoo_error"]:
        alerts.append(f"Odoo does not take the items ({status['spool_depth']} waiting): {status['odoo_error']}")
    return alerts


async def _cancel(task):
    if task is None:
        return
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError, Exception):
        await task
