"""Helpers for the bridge tests: a fake Odoo, configs, polling, a bridge runner."""

import asyncio
import contextlib
import socket
import time
from pathlib import Path

from aiohttp import web
from ami_replay import AmiReplayServer

from hotline_pbx_bridge.bridge import Bridge
from hotline_pbx_bridge.config import parse_config

FIXTURES = Path(__file__).resolve().parent / "fixtures"
ODOO_TOKEN = "odoo-secret-token"
HTTP_TOKEN = "bridge-secret-token"


def fixture(name):
    return FIXTURES / name


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def run(coro, timeout=30):
    """Run one test scenario in a fresh event loop, bounded in time."""

    async def bounded():
        return await asyncio.wait_for(coro, timeout)

    return asyncio.run(bounded())


async def wait_until(predicate, timeout=8.0, interval=0.02, what="condition"):
    deadline = time.monotonic() + timeout
    while True:
        result = predicate()
        if asyncio.iscoroutine(result):
            result = await result
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(interval)


class FakeOdoo:
    """Stands in for Odoo's /hotline/pbx/{event,cdr} endpoints."""

    def __init__(self, port=0, status=200, token=ODOO_TOKEN):
        self.port = port
        self.status = status  # int, or callable(path, body) -> int
        self.token = token
        self.requests = []  # (path, body) of every authorised POST, in order
        self.events = []  # acknowledged events, in order
        self.cdrs = []  # acknowledged cdrs, in order
        self.unauthorised = 0
        self._runner = None

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}"

    async def start(self):
        app = web.Application()
        app.router.add_post("/hotline/pbx/event", self._handle)
        app.router.add_post("/hotline/pbx/cdr", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", self.port)
        await site.start()
        self.port = self._runner.addresses[0][1]
        return self

    async def stop(self):
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _handle(self, request):
        if request.headers.get("Authorization") != f"Bearer {self.token}":
            self.unauthorised += 1
            return web.json_response({"ok": False, "error": "token"}, status=401)
        body = await request.json()
        self.requests.append((request.path, body))
        status = self.status(request.path, body) if callable(self.status) else self.status
        if status != 200:
            return web.json_response({"ok": False, "error": "test"}, status=status)
        if request.path.endswith("/event"):
            self.events.extend(body["events"])
        else:
            self.cdrs.extend(body["cdrs"])
        return web.json_response({"ok": True, "received": 1})

    def of_kind(self, kind):
        return [e for e in self.events if e["kind"] == kind]


def make_config(tmp_path, ami_port, odoo_url, **sections):
    """A Config with fast timings for tests; ``sections`` override keys."""
    data = {
        "ami": {
            "host": "127.0.0.1",
            "port": ami_port,
            "username": "hotline",
            "secret": "hotline",
            "ping_interval": 5,
            "connect_timeout": 2,
            "action_timeout": 2,
            "reconnect_min": 0.05,
            "reconnect_max": 0.4,
        },
        "odoo": {
            "url": odoo_url,
            "token": ODOO_TOKEN,
            "timeout": 2,
            "batch_size": 20,
            "retry_min": 0.05,
            "retry_max": 0.3,
        },
        "http": {"host": "127.0.0.1", "port": 0, "token": HTTP_TOKEN},
        "spool": {"path": str(Path(tmp_path) / "spool.sqlite3")},
    }
    for name, values in sections.items():
        data.setdefault(name, {}).update(values)
    return parse_config(data, source="test.toml", base_dir=tmp_path)


@contextlib.asynccontextmanager
async def running_bridge(config):
    bridge = Bridge(config)
    await bridge.start()
    try:
        yield bridge
    finally:
        await bridge.stop()


@contextlib.asynccontextmanager
async def scenario(tmp_path, name, odoo_status=200, server_options=None, **sections):
    """Replay server for ``name`` + fake Odoo + a running bridge."""
    server = AmiReplayServer(fixture(f"{name}.events.raw"), **(server_options or {}))
    port = await server.start()
    odoo = await FakeOdoo(status=odoo_status).start()
    config = make_config(tmp_path, port, odoo.url, **sections)
    try:
        async with running_bridge(config) as bridge:
            yield server, odoo, bridge
    finally:
        await server.stop()
        await odoo.stop()


def hangups(odoo):
    return odoo.of_kind("hangup")


async def delivered_hangup(odoo, count=1, timeout=8.0):
    await wait_until(lambda: len(hangups(odoo)) >= count, timeout, what="hangup delivered")
    return hangups(odoo)
