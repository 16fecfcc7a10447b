"""Shared by the telephony benchmarks: the bridge and Odoo as child processes, a fake Odoo
receiver, memory sampling, percentiles and the JSON result files.

Everything listens on 127.0.0.1; every child process is stopped by the benchmark that
started it (by its own pid).
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
import time
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

from aiohttp import web

ROOT = Path(__file__).resolve().parent.parent
BRIDGE_SRC = ROOT / "pbx" / "bridge" / "src"
RESULTS_DIR = Path(os.environ.get("BENCH_RESULTS_DIR", ROOT / "var" / "bench"))


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def percentile(values, pct):
    """Nearest-rank percentile (``pct`` in 0..100) of a non-empty list."""
    ordered = sorted(values)
    rank = max(1, min(len(ordered), -(-len(ordered) * pct // 100)))
    return ordered[int(rank) - 1]


def summary_ms(seconds):
    """p50 / p95 / p99 / max / mean of durations given in seconds, in milliseconds."""
    if not seconds:
        return {}
    return {
        "count": len(seconds),
        "p50_ms": round(percentile(seconds, 50) * 1000, 1),
        "p95_ms": round(percentile(seconds, 95) * 1000, 1),
        "p99_ms": round(percentile(seconds, 99) * 1000, 1),
        "max_ms": round(max(seconds) * 1000, 1),
        "mean_ms": round(sum(seconds) / len(seconds) * 1000, 1),
    }


def rss_mib(pid):
    """Resident memory of a process (VmRSS), MiB."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    return None


def cpu_seconds(pid):
    """User + system CPU time of a process so far (seconds)."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return None


def load_average():
    """The 1-minute load average (the machine is shared: the numbers depend on it)."""
    try:
        with open("/proc/loadavg", encoding="ascii") as loadavg:
            return float(loadavg.read().split()[0])
    except (OSError, ValueError):
        return None


def write_result(name, data):
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    path = RESULTS_DIR / f"telephony_{name}.json"
    data = dict(data, written_at=datetime.now(UTC).isoformat(timespec="seconds"))
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


BRIDGE_HTTP_TOKEN = "bench-http-token"  # the bridge's [http] token: /health details need it


def http_json(url, timeout=3, token=BRIDGE_HTTP_TOKEN):
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"} if token else {})
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return json.load(response)


def wait_until(predicate, timeout, interval=0.1, what="condition"):
    deadline = time.monotonic() + timeout
    while True:
        result = predicate()
        if result:
            return result
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(interval)


async def await_until(predicate, timeout, interval=0.05, what="condition"):
    deadline = time.monotonic() + timeout
    while True:
        result = predicate()
        if result:
            return result
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout:.0f} s waiting for {what}")
        await asyncio.sleep(interval)


# -- child processes -----------------------------------------------------------------------


class Child:
    """A child process with its output in a log file; ``stop()`` sends SIGTERM, then SIGKILL."""

    def __init__(self, command, log_path, env=None, cwd=None):
        self.command = command
        self.log_path = Path(log_path)
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env, cwd=cwd)

    @property
    def pid(self):
        return self.process.pid

    def alive(self):
        return self.process.poll() is None

    def stop(self, timeout=20):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        return self.process.returncode

    def log_tail(self, lines=30):
        with contextlib.suppress(OSError):
            return "\n".join(self.log_path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])
        return ""


def toml_config(sections):
    def render(value):
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, (int, float)):
            return repr(value)
        return json.dumps(str(value))

    lines = []
    for section, values in sections.items():
        lines.append(f"[{section}]")
        lines.extend(f"{key} = {render(value)}" for key, value in values.items())
        lines.append("")
    return "\n".join(lines)


def start_bridge(workdir, ami_port, odoo_url, odoo_token, log_level="INFO", batch_size=50):
    """``python -m hotline_pbx_bridge --config FILE``; returns ``(Child, http_port)`` once /health answers."""
    workdir = Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    http_port = free_port()
    config = workdir / "bridge.toml"
    config.write_text(
        toml_config(
            {
                "ami": {
                    "host": "127.0.0.1",
                    "port": ami_port,
                    "username": "bench",
                    "secret": "bench",
                    "reconnect_min": 0.2,
                    "reconnect_max": 2,
                },
                "odoo": {
                    "url": odoo_url,
                    "token": odoo_token,
                    "timeout": 30,
                    "batch_size": batch_size,
                    "retry_min": 0.2,
                    "retry_max": 2,
                },
                "http": {"host": "127.0.0.1", "port": http_port, "token": BRIDGE_HTTP_TOKEN},
                "spool": {"path": str(workdir / "spool.sqlite3")},
                "log": {"level": log_level},
            }
        ),
        encoding="utf-8",
    )
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(BRIDGE_SRC), env.get("PYTHONPATH")]))
    command = [sys.executable, "-m", "hotline_pbx_bridge", "--config", str(config)]
    if os.environ.get("BENCH_BRIDGE_PROFILE"):  # a cProfile of the bridge, written when it stops
        command[1:1] = ["-m", "cProfile", "-o", os.environ["BENCH_BRIDGE_PROFILE"]]
    child = Child(command, workdir / "bridge.log", env)

    def healthy():
        if not child.alive():
            raise RuntimeError(f"the bridge exited:\n{child.log_tail()}")
        with contextlib.suppress(OSError, ValueError):
            return http_json(f"http://127.0.0.1:{http_port}/health")
        return None

    wait_until(healthy, 20, what="the bridge's /health")
    return child, http_port


def start_odoo(odoo_cmd, database, log_path, extra=(), workers=2):
    """The real Odoo serving ``database`` on free ports, as in production (scripts/run.sh): ``workers``
    HTTP worker processes and the gevent (websocket) process, no cron; ``workers=0``: threaded.
    Returns ``(Child, url)``."""
    port = free_port()
    command = [
        *shlex.split(odoo_cmd),
        "-d",
        database,
        f"--http-port={port}",
        "--http-interface=127.0.0.1",
        f"--workers={workers}",
        "--max-cron-threads=0",
        *extra,
    ]
    if workers:
        command.append(f"--gevent-port={free_port()}")
    child = Child(command, log_path)
    url = f"http://127.0.0.1:{port}"

    def healthy():
        if not child.alive():
            raise RuntimeError(f"Odoo exited:\n{child.log_tail()}")
        with contextlib.suppress(OSError, ValueError):
            with urllib.request.urlopen(f"{url}/web/health", timeout=2) as response:
                return response.status == 200
        return False

    wait_until(healthy, 180, interval=0.5, what="Odoo to serve")
    return child, url


class OdooRpc:
    """JSON-RPC as the web client speaks it (a session cookie, ``/web/dataset/call_kw``)."""

    def __init__(self, url, database, login, password):
        self.url = url
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor())
        self.call("/web/session/authenticate", {"db": database, "login": login, "password": password})

    def call(self, path, params):
        body = json.dumps({"jsonrpc": "2.0", "method": "call", "id": 1, "params": params}).encode()
        request = urllib.request.Request(
            self.url + path, data=body, headers={"Content-Type": "application/json"}, method="POST"
        )
        with self.opener.open(request, timeout=30) as response:
            answer = json.load(response)
        if answer.get("error"):
            raise RuntimeError(f"{path}: {answer['error'].get('data', {}).get('message') or answer['error']}")
        return answer.get("result")

    def create(self, model, values):
        """One record created (the request commits it); returns its id."""
        return self.call(
            f"/web/dataset/call_kw/{model}/create", {"model": model, "method": "create", "args": [values], "kwargs": {}}
        )


# -- a fake Odoo ---------------------------------------------------------------------------


class FakeOdoo:
    """``POST /hotline/pbx/event`` and ``/hotline/pbx/cdr`` acknowledged at once (``{"ok": true}``),
    counting what arrives: events by kind, hangups by linkedid, CDRs, duplicates."""

    def __init__(self, token):
        self.token = token
        self.port = None
        self.requests = 0
        self.items = 0
        self.kinds = {}
        self.hangups = {}  # linkedid -> perf_counter of the acknowledgement
        self.hangup_sources = {}  # linkedid -> raw_event of its hangup (Hangup, or CoreShowChannels: a resync)
        self.ringing = {}  # linkedid -> perf_counter when its first ringing event arrived
        self.answered = set()  # linkedids
        self.cdr_uniqueids = set()
        self.cdrs = 0
        self.duplicates = 0
        self.last_ack = None
        self._seen = set()
        self._runner = None

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}"

    def complete(self, call):
        """Everything of ``call`` arrived: ringing, answered, its real hangup and all its CDRs."""
        return (
            call.linkedid in self.ringing
            and call.linkedid in self.answered
            and self.hangup_sources.get(call.linkedid) == "Hangup"
            and all(uniqueid in self.cdr_uniqueids for uniqueid in call.cdr_uniqueids)
        )

    async def start(self):
        app = web.Application(client_max_size=64 * 1024**2)
        app.router.add_post("/hotline/pbx/event", self._handle)
        app.router.add_post("/hotline/pbx/cdr", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = self._runner.addresses[0][1]
        return self

    async def stop(self):
        if self._runner is not None:
            await self._runner.cleanup()

    async def _handle(self, request):
        if request.headers.get("Authorization") != f"Bearer {self.token}":
            return web.json_response({"ok": False, "error": "token"}, status=401)
        body = await request.json()
        items = body.get("events") or body.get("cdrs") or []
        now = time.perf_counter()
        self.requests += 1
        for item in items:
            item_id = item.get("id")
            if item_id in self._seen:
                self.duplicates += 1
                continue
            self._seen.add(item_id)
            self.items += 1
            if "events" in body:
                kind = item.get("kind")
                self.kinds[kind] = self.kinds.get(kind, 0) + 1
                if kind == "hangup":
                    self.hangups[item.get("linkedid")] = now
                    self.hangup_sources[item.get("linkedid")] = item.get("raw_event")
                elif kind == "ringing":
                    self.ringing.setdefault(item.get("linkedid"), now)
                elif kind == "answered":
                    self.answered.add(item.get("linkedid"))
            else:
                self.cdrs += 1
                self.cdr_uniqueids.add(item.get("uniqueid"))
        self.last_ack = now
        return web.json_response({"ok": True, "processed": len(items)})
