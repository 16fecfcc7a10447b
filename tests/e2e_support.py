"""Helpers of the end-to-end tests, imported by conftest.py and the test modules.

``sql()``, ``wait_for()``, ``free_port()``; the PBX bridge as its own process; the AMI replay
server and a flaky proxy in front of Odoo, both on an asyncio loop running in a background
thread (the tests themselves are plain functions).

Everything listens on 127.0.0.1 only and every wait is bounded.
"""

import asyncio
import contextlib
import json
import os
import shlex
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BRIDGE_SRC = ROOT / "pbx" / "bridge" / "src"
BRIDGE_TESTS = ROOT / "pbx" / "bridge" / "tests"
FIXTURES = BRIDGE_TESTS / "fixtures"
if str(BRIDGE_TESTS) not in sys.path:
    sys.path.insert(0, str(BRIDGE_TESTS))

from ami_replay import AmiReplayServer  # noqa: E402


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(predicate, timeout=30.0, interval=0.2, what="condition"):
    deadline = time.monotonic() + timeout
    while True:
        result = predicate()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(interval)


def sql_literal(value):
    """``value`` as an SQL literal (None, bool, int, float, str)."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, (int, float)):
        return repr(value)
    return "'" + str(value).replace("'", "''") + "'"


def sql(query, *params):
    """Run one query on the test database with psql; rows as lists of strings.

    ``%s`` placeholders are replaced by ``params`` as SQL literals (only when params are given).
    """
    if params:
        query = query % tuple(sql_literal(param) for param in params)
    psql = shlex.split(os.environ.get("HOTLINE_PSQL", "psql"))
    command = [*psql, "-d", os.environ.get("HOTLINE_TEST_DB", ""), "-AtF", "\t", "-v", "ON_ERROR_STOP=1", "-c", query]
    output = subprocess.run(command, check=True, capture_output=True, text=True, timeout=30).stdout
    return [line.split("\t") for line in output.splitlines() if line]


class LoopThread:
    """An asyncio event loop in a daemon thread; ``run(coro)`` from synchronous code."""

    def __init__(self):
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, name="e2e-asyncio", daemon=True)
        self._thread.start()

    def run(self, coro, timeout=30.0):
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def close(self):
        if self.loop.is_closed():
            return
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(5)
        if not self._thread.is_alive():
            self.loop.close()


class ReplayServer:
    """:class:`AmiReplayServer` (pbx/bridge/tests/ami_replay.py) driven from synchronous code."""

    def __init__(self, loop_thread, scenario, **options):
        self.loop_thread = loop_thread
        self.path = FIXTURES / f"{scenario}.events.raw"
        self.options = options
        self.server = None
        self.port = None

    def start(self):
        async def start():
            self.server = AmiReplayServer(self.path, **self.options)
            return await self.server.start()

        self.port = self.loop_thread.run(start())
        return self.port

    def wait_done(self, timeout=20.0):
        self.loop_thread.run(self.server.wait_done(timeout), timeout + 5)

    @property
    def done(self):
        return self.server is not None and self.server.done.is_set()

    def stop(self):
        if self.server is not None:
            self.loop_thread.run(self.server.stop(), 10)
            self.server = None


def _toml_value(value):
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_toml_value(item) for item in value) + "]"
    return json.dumps(str(value))  # a TOML basic string for the plain values used here


def write_toml(path, sections):
    lines = []
    for section, values in sections.items():
        lines.append(f"[{section}]")
        lines.extend(f"{key} = {_toml_value(value)}" for key, value in values.items())
        lines.append("")
    Path(path).write_text("\n".join(lines), encoding="utf-8")
    return path


class BridgeProcess:
    """``python -m hotline_pbx_bridge --config FILE`` with a config written in ``workdir``."""

    def __init__(self, workdir, *, ami_port, odoo_url, odoo_token, spool=None, name="bridge", **overrides):
        self.workdir = Path(workdir)
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.name = name
        self.http_port = free_port()
        self.http_token = "e2e-bridge-http-token"
        self.spool_path = Path(spool) if spool else self.workdir / "spool.sqlite3"
        sections = {
            "ami": {
                "host": "127.0.0.1",
                "port": ami_port,
                "username": "hotline",
                "secret": "hotline",
                "connect_timeout": 3,
                "reconnect_min": 0.2,
                "reconnect_max": 1,
            },
            "odoo": {"url": odoo_url, "token": odoo_token, "timeout": 15, "retry_min": 0.2, "retry_max": 1},
            "http": {"host": "127.0.0.1", "port": self.http_port, "token": self.http_token},
            "spool": {"path": str(self.spool_path)},
            "log": {"level": "DEBUG"},
        }
        for section, values in overrides.items():
            sections.setdefault(section, {}).update(values)
        self.config_path = write_toml(self.workdir / f"{name}.toml", sections)
        self.log_path = self.workdir / f"{name}.log"
        self.process = None

    def start(self, timeout=20.0):
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(BRIDGE_SRC), env.get("PYTHONPATH")]))
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "hotline_pbx_bridge", "--config", str(self.config_path)],
                stdout=log,
                stderr=subprocess.STDOUT,
                env=env,
                cwd=self.workdir,
            )

        def answering():
            if self.process.poll() is not None:
                raise AssertionError(f"the bridge exited with {self.process.returncode}:\n{self.log_tail()}")
            return self.health(quiet=True)

        wait_for(answering, timeout=timeout, interval=0.1, what=f"the bridge's /health ({self.log_path})")
        return self

    def health(self, quiet=False):
        try:
            request = urllib.request.Request(
                f"http://127.0.0.1:{self.http_port}/health",
                headers={"Authorization": f"Bearer {self.http_token}"},  # the details need the token
            )
            with urllib.request.urlopen(request, timeout=3) as response:
                return json.load(response)
        except (OSError, ValueError):
            if quiet:
                return None
            raise

    @property
    def pid(self):
        return self.process.pid if self.process else None

    def running(self):
        return self.process is not None and self.process.poll() is None

    def stop(self, timeout=15.0):
        """SIGTERM (graceful: the spool is kept), SIGKILL if it does not exit in time; the exit status."""
        if self.process is None:
            return None
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        return self.process.returncode

    def log_text(self):
        try:
            return self.log_path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""

    def log_tail(self, lines=40):
        return "\n".join(self.log_text().splitlines()[-lines:])


class FlakyProxy:
    """A TCP proxy on 127.0.0.1 in front of Odoo whose behaviour the test switches.

    ``closed``: nothing listens (connection refused); ``error``: every HTTP request gets a
    503; ``forward``: bytes go both ways to the upstream port unchanged; ``swallow``: the
    request reaches Odoo, which stores it and answers, but the answer is lost (the connection is
    cut as soon as it starts), ``limit`` times, then ``forward``.
    """

    def __init__(self, loop_thread, upstream_port, port=None):
        self.loop_thread = loop_thread
        self.upstream_port = upstream_port
        self.port = port or free_port()
        self.mode = "closed"
        self.limit = None
        self.counts = {"error": 0, "forward": 0, "swallow": 0}
        self._server = None
        self._tasks = set()

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}"

    def set_mode(self, mode, limit=None):
        assert mode in ("closed", "error", "forward", "swallow")
        self.loop_thread.run(self._set_mode(mode, limit))

    async def _set_mode(self, mode, limit=None):
        self.mode, self.limit = mode, limit
        if mode == "closed":
            await self._close()
        elif self._server is None:
            self._server = await asyncio.start_server(self._handle, "127.0.0.1", self.port)

    async def _close(self):
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None
        for task in list(self._tasks):
            task.cancel()

    def stop(self):
        self.loop_thread.run(self._close())

    async def _handle(self, reader, writer):
        task = asyncio.current_task()
        self._tasks.add(task)
        try:
            if self.mode == "error":
                await self._refuse(reader, writer)
            elif self.mode == "swallow":
                await self._swallow(reader, writer)
            else:
                await self._forward(reader, writer)
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.CancelledError):
            pass
        finally:
            self._tasks.discard(task)
            writer.close()

    async def _refuse(self, reader, writer):
        head = await reader.readuntil(b"\r\n\r\n")
        length = 0
        for line in head.decode("latin-1").split("\r\n"):
            name, _sep, value = line.partition(":")
            if name.strip().lower() == "content-length":
                length = int(value.strip() or 0)
        if length:
            await reader.readexactly(length)
        self.counts["error"] += 1
        body = b'{"ok": false, "error": "proxy: Odoo is down"}'
        writer.write(
            b"HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\n"
            + f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode()
            + body
        )
        await writer.drain()

    async def _swallow(self, reader, writer):
        up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.upstream_port)
        upload = asyncio.ensure_future(_pipe(reader, up_writer))
        try:
            await up_reader.read(1)  # Odoo answers once its transaction is committed
        finally:
            upload.cancel()
            writer.transport.abort()
            up_writer.transport.abort()
        self.counts["swallow"] += 1
        if self.limit is not None and self.counts["swallow"] >= self.limit:
            self.mode = "forward"

    async def _forward(self, reader, writer):
        self.counts["forward"] += 1
        up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.upstream_port)
        try:
            await asyncio.gather(_pipe(reader, up_writer), _pipe(up_reader, writer))
        finally:
            up_writer.close()


async def _pipe(reader, writer):
    with contextlib.suppress(ConnectionError, asyncio.IncompleteReadError):
        while True:
            data = await reader.read(65536)
            if not data:
                break
            writer.write(data)
            await writer.drain()
    with contextlib.suppress(OSError, RuntimeError):
        if writer.can_write_eof():
            writer.write_eof()


def http_get_json(url, timeout=5):
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return json.load(response)
    except urllib.error.HTTPError as exc:
        return json.load(exc)
