"""Fault drills of a centre (docs/FAULTS.md), each stopping itself and everything it started.

    scripts/drills/run.sh worker-kill|pg-restart|bridge-kill|spool-full|all

``worker-kill``  Odoo with 2 HTTP workers; a request is held mid-transaction (a row lock taken
                 by the drill), the worker serving it is SIGKILLed: the user's request fails, the
                 other worker answers meanwhile, the master starts a new worker, the retry works.
``pg-restart``   a throwaway PostgreSQL cluster (never the shared one) holding a restored copy
                 of the demo database; Odoo (2 workers) serves readers while the bridge delivers
                 an AMI stream of many calls; PostgreSQL is restarted in the middle: Odoo
                 reconnects, the bridge spools and replays, every call arrives once.
``bridge-kill``  Odoo unreachable, the spool fills with a stream of calls, the bridge is
                 SIGKILLed (twice: with items spooled, then in the middle of the redelivery) and
                 restarted on the same spool (what systemd's Restart=on-failure does): every
                 spooled item reaches Odoo, none twice.
``spool-full``   the spool on a 1 MiB tmpfs (root only; a small filesystem of its own), Odoo
                 unreachable: the disk fills, /health says so, the oldest items stay; the disk
                 grows again, Odoo comes back: what was spooled is delivered.

The database: a copy of ``HOTLINE_DRILL_SOURCE_DB`` (default: make test's ``hotline_test``, else
``hotline``) made with scripts/backup.sh and scripts/restore.sh, named ``HOTLINE_DRILL_DB``
(t_bak_drill); without such a database the hotline addons are installed with demo data.
"""

import argparse
import contextlib
import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
for folder in ("tests", "bench", "pbx/bridge/src", "pbx/bridge/tests"):
    sys.path.insert(0, str(ROOT / folder))

from e2e_support import BridgeProcess, FlakyProxy, LoopThread, free_port, wait_for  # noqa: E402
from telephony_ami import AmiStreamServer, call_template, make_call, paced_timeline, run_epoch  # noqa: E402

FAULTS = ROOT / "docs" / "FAULTS.md"
DRILL_DB = os.environ.get("HOTLINE_DRILL_DB", "t_bak_drill")
PBX = {}  # the demo PBX's token, read from the drill's database
DEMO_PBX_QUERY = "SELECT res_id FROM ir_model_data WHERE module = 'hotline_telephony' AND name = 'hotline_pbx_demo'"
PORTS = {"worker-kill": 8280, "pg-restart": 8282, "bridge-kill": 8284, "spool-full": 8285}


def log(message):
    print(f"[drill {datetime.now(UTC):%H:%M:%S}] {message}", flush=True)


def odoo_cmd():
    return shlex.split(os.environ["HOTLINE_ODOO_CMD"])


# -- PostgreSQL ------------------------------------------------------------------


class Postgres:
    """psql on a server: the shared one (HOTLINE_PSQL) or a throwaway one (``env`` PGHOST...)."""

    def __init__(self, env=None):
        self.env = env

    def psql(self):
        if self.env:
            return ["psql"]
        return shlex.split(os.environ.get("HOTLINE_PSQL", "psql"))

    def sql(self, query, db=DRILL_DB, timeout=60):
        command = [*self.psql(), "-X", "-d", db, "-AtF", "\t", "-v", "ON_ERROR_STOP=1", "-c", query]
        env = dict(os.environ, **self.env) if self.env else None
        done = subprocess.run(command, check=False, capture_output=True, text=True, timeout=timeout, env=env)
        if done.returncode:
            raise RuntimeError(f"psql failed: {done.stderr.strip()[:500]}\n{query[:300]}")
        output = done.stdout
        return [line.split("\t") for line in output.splitlines() if line]

    def value(self, query, db=DRILL_DB):
        rows = self.sql(query, db)
        return rows[0][0] if rows else None

    def exists(self, db):
        return bool(self.sql(f"SELECT 1 FROM pg_database WHERE datname = '{db}'", "postgres"))

    def odoo_args(self):
        if not self.env:
            return []
        return [f"--db_host={self.env['PGHOST']}", f"--db_port={self.env['PGPORT']}", f"--db_user={self.env['PGUSER']}"]


BASE_DB = DRILL_DB + "_base"
_BASE = {}


def source_database(pg):
    names = [os.environ.get("HOTLINE_DRILL_SOURCE_DB"), os.environ.get("HOTLINE_TEST_DB"), "hotline_test", "hotline"]
    return next((name for name in filter(None, names) if pg.exists(name)), None)


def hotline_addons(pg, db):
    return ",".join(
        row[0]
        for row in pg.sql(
            "SELECT name FROM ir_module_module WHERE state = 'installed' AND name LIKE 'hotline\\_%' ORDER BY name", db
        )
    )


def prepare_base(workdir):
    """BASE_DB on the shared cluster, once per run: a restored copy of the source database upgraded
    to this checkout's code (or, without a source, a fresh install with demo data); and its backup."""
    if _BASE:
        return
    shared = Postgres()
    drop_database(shared, BASE_DB)
    source = source_database(shared)
    if source:
        log(f"backing up {source} and restoring it as {BASE_DB}")
        output = run_checked(
            [
                "bash",
                str(ROOT / "scripts" / "backup.sh"),
                "-d",
                source,
                "-o",
                str(workdir / "backup"),
                "--no-recordings",
            ]
        )
        run_checked(["bash", str(ROOT / "scripts" / "restore.sh"), output.strip().splitlines()[-1], "-d", BASE_DB])
        log(f"upgrading {BASE_DB} to this checkout's addons")
        run_checked(
            [
                *odoo_cmd(),
                "-d",
                BASE_DB,
                "-u",
                hotline_addons(shared, BASE_DB),
                "--stop-after-init",
                "--max-cron-threads=0",
                "--http-port=8285",
            ]
        )
    else:
        log(f"installing the hotline addons with demo data into {BASE_DB}")
        addons = ",".join(sorted(path.parent.name for path in (ROOT / "addons").glob("hotline_*/__manifest__.py")))
        run_checked(
            [*odoo_cmd(), "-d", BASE_DB, "-i", addons, "--stop-after-init", "--max-cron-threads=0", "--http-port=8285"]
        )
    output = run_checked(
        ["bash", str(ROOT / "scripts" / "backup.sh"), "-d", BASE_DB, "-o", str(workdir / "base"), "--no-recordings"]
    )
    _BASE["backup"] = output.strip().splitlines()[-1]


def drop_database(pg, db):
    with contextlib.suppress(RuntimeError):
        pg.sql(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)', "postgres")
    shutil.rmtree(filestore_of(db), ignore_errors=True)


def prepare_database(pg, workdir):
    """A fresh DRILL_DB on ``pg``'s server with the demo PBX as the only active one; its id."""
    prepare_base(workdir)
    drop_database(pg, DRILL_DB)
    if pg.env:
        run_checked(
            ["bash", str(ROOT / "scripts" / "restore.sh"), _BASE["backup"], "-d", DRILL_DB],
            env=dict(os.environ, **pg.env),
        )
    else:
        pg.sql(f'CREATE DATABASE "{DRILL_DB}" TEMPLATE "{BASE_DB}"', "postgres")
        if filestore_of(BASE_DB).is_dir():
            shutil.copytree(filestore_of(BASE_DB), filestore_of(DRILL_DB), copy_function=os.link)
    pbx_id = int(pg.value(DEMO_PBX_QUERY))
    pg.sql(f"UPDATE hotline_pbx SET active = false WHERE id <> {pbx_id}")
    pg.sql(f"UPDATE hotline_pbx SET active = true, bridge_url = 'http://127.0.0.1:9' WHERE id = {pbx_id}")
    PBX["token"] = pg.value(f"SELECT token FROM hotline_pbx WHERE id = {pbx_id}")
    return pbx_id


def run_checked(command, env=None, timeout=900):
    done = subprocess.run(command, capture_output=True, text=True, check=False, env=env, timeout=timeout)
    if done.returncode:
        raise RuntimeError(f"{' '.join(command[:3])} failed:\n{done.stderr[-1500:]}")
    return done.stdout


def filestore_of(db):
    base = os.environ.get("XDG_DATA_HOME") or os.path.expanduser("~/.local/share")
    return Path(base) / "Odoo" / "filestore" / db


# -- Odoo ------------------------------------------------------------------------


class Odoo:
    def __init__(self, workdir, port, workers=0, pg=None):
        self.port = port
        self.workers = workers
        self.pg = pg or Postgres()
        self.log_path = Path(workdir) / f"odoo-{port}.log"
        self.process = None
        self.url = f"http://127.0.0.1:{port}"
        self.uid = None

    def start(self):
        command = [
            *odoo_cmd(),
            *self.pg.odoo_args(),
            "-d",
            DRILL_DB,
            f"--db-filter=^{DRILL_DB}$",
            f"--http-port={self.port}",
            f"--workers={self.workers}",
            "--max-cron-threads=0",
        ]
        if self.workers:
            command.append(f"--gevent-port={free_port()}")
        with open(self.log_path, "ab") as out:
            self.process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT)
        wait_for(self.healthy, timeout=180, interval=0.5, what=f"Odoo on port {self.port} ({self.log_path})")
        self.uid = self.rpc("common", "login", DRILL_DB, "admin", "admin")
        return self

    def healthy(self):
        if self.process.poll() is not None:
            raise AssertionError(f"Odoo exited: {self.log_path}")
        try:
            with urllib.request.urlopen(f"{self.url}/web/health", timeout=3) as response:
                return response.status == 200
        except OSError:
            return False

    def rpc(self, service, method, *args, timeout=60):
        body = {"jsonrpc": "2.0", "method": "call", "params": {"service": service, "method": method, "args": args}}
        request = urllib.request.Request(
            f"{self.url}/jsonrpc", json.dumps(body).encode(), {"Content-Type": "application/json"}
        )
        with urllib.request.urlopen(request, timeout=timeout) as response:
            payload = json.load(response)
        if payload.get("error"):
            raise RuntimeError(payload["error"]["data"]["message"])
        return payload["result"]

    def call(self, model, method, *args, **kwargs):
        return self.rpc("object", "execute_kw", DRILL_DB, self.uid, "admin", model, method, list(args), kwargs)

    def http_workers(self):
        """The PIDs of the master's HTTP workers (its forked children; not the gevent process)."""
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children").read_text().split()
        pids = []
        for pid in children:
            with contextlib.suppress(OSError):
                cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
                if b"gevent" not in cmdline:
                    pids.append(int(pid))
        return pids

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)


def socket_owner(local_port, pids):
    """Which of ``pids`` has the TCP socket bound to 127.0.0.1:``local_port``."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with contextlib.suppress(OSError):
            for line in Path(table).read_text().splitlines()[1:]:
                fields = line.split()
                if int(fields[1].rsplit(":", 1)[1], 16) == local_port:
                    inodes.add(fields[9])
    for pid in pids:
        with contextlib.suppress(OSError):
            for fd in Path(f"/proc/{pid}/fd").iterdir():
                with contextlib.suppress(OSError):
                    if os.readlink(fd).removeprefix("socket:[").rstrip("]") in inodes:
                        return pid
    raise AssertionError(f"no process of {pids} owns the connection from port {local_port}")


class Readers:
    """Threads reading cases over JSON-RPC in a loop: the operators' load; (time, ok, error)."""

    def __init__(self, odoo, threads=3):
        self.odoo = odoo
        self.results = []
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._run, daemon=True) for _ in range(threads)]

    def _run(self):
        while not self._stop.is_set():
            started = time.monotonic()
            try:
                self.odoo.call("hotline.case", "search_read", [], fields=["name", "state"], limit=20)
                self.results.append((started, time.monotonic() - started, ""))
            except Exception as exc:  # noqa: BLE001 - every failure is counted, that is the point
                self.results.append((started, time.monotonic() - started, f"{type(exc).__name__}: {exc}"[:160]))
                time.sleep(0.1)

    def __enter__(self):
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        for thread in self._threads:
            thread.join(70)

    def failures(self):
        return [result for result in self.results if result[2]]


# -- the bridge and its AMI stream ---------------------------------------------


class Stream:
    """``count`` distinct answered calls (the real 01_answered recording rewritten per call)."""

    def __init__(self, loop_thread, count, interval, speed=4.0):
        template = call_template()
        epoch = run_epoch()
        self.calls = [
            make_call(template, k, epoch, extension="1001" if k % 2 == 0 else "1002", caller=f"139{k:08d}")
            for k in range(count)
        ]
        self.timeline = paced_timeline(self.calls, interval, speed)
        self.loop_thread = loop_thread
        self.server = AmiStreamServer(template, self.timeline)
        self.port = loop_thread.run(self.server.start())

    @property
    def linkedids(self):
        return [call.linkedid for call in self.calls]

    def sent_all(self):
        return self.server.position >= len(self.timeline)

    def stop(self):
        self.loop_thread.run(self.server.stop(), 10)


def start_bridge(workdir, name, ami_port, odoo_url, spool):
    bridge = BridgeProcess(
        workdir,
        ami_port=ami_port,
        odoo_url=odoo_url,
        odoo_token=PBX["token"],
        spool=spool,
        name=name,
        log={"level": "INFO"},
    )
    return bridge.start(timeout=30)


def bridge_health(bridge):
    request = urllib.request.Request(
        f"http://127.0.0.1:{bridge.http_port}/health", headers={"Authorization": f"Bearer {bridge.http_token}"}
    )
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return json.load(response)
    except (OSError, ValueError):
        return None


def spool_rows(path):
    """(seq, kind, item_id) of the spool's outbox, oldest first (read-only, while the bridge may run)."""
    import sqlite3  # noqa: PLC0415

    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=10)
    try:
        return db.execute("SELECT seq, kind, item_id FROM outbox ORDER BY seq").fetchall()
    finally:
        db.close()


def delivered(pg, pbx_id, linkedids):
    """What Odoo holds of the stream's calls: calls (ended), events (and duplicates), CDRs."""
    ids = ",".join(f"'{linkedid}'" for linkedid in linkedids)
    calls = pg.sql(f"SELECT id, state FROM hotline_call WHERE pbx_id = {pbx_id} AND linkedid IN ({ids})")
    call_ids = ",".join(row[0] for row in calls) or "0"
    events = int(pg.value(f"SELECT count(*) FROM hotline_call_event WHERE call_id IN ({call_ids})"))
    distinct = int(pg.value(f"SELECT count(DISTINCT event_id) FROM hotline_call_event WHERE call_id IN ({call_ids})"))
    cdrs = int(pg.value(f"SELECT count(*) FROM hotline_call_cdr WHERE call_id IN ({call_ids})"))
    return {
        "calls": len(calls),
        "ended": sum(1 for row in calls if row[1] == "ended"),
        "events": events,
        "duplicate_events": events - distinct,
        "cdrs": cdrs,
    }


def complete(pg, pbx_id, stream):
    got = delivered(pg, pbx_id, stream.linkedids)
    count = len(stream.calls)
    return got if got["ended"] == count and got["events"] >= 3 * count and got["cdrs"] >= 3 * count else None


# -- the drills ------------------------------------------------------------------


def drill_worker_kill(workdir):
    pg = Postgres()
    prepare_database(pg, workdir)
    odoo = Odoo(workdir, PORTS["worker-kill"], workers=2).start()
    try:
        workers_before = odoo.http_workers()
        case_id = int(pg.value("SELECT min(id) FROM hotline_case"))
        # the drill holds the case's row: the user's write waits in the middle of its transaction
        locker = subprocess.Popen(
            [*pg.psql(), "-X", "-q", "-d", DRILL_DB], stdin=subprocess.PIPE, text=True, stdout=subprocess.DEVNULL
        )
        locker.stdin.write(f"BEGIN; SELECT id FROM hotline_case WHERE id = {case_id} FOR UPDATE;\n")
        locker.stdin.flush()
        time.sleep(1)
        user_request = {}

        def user_writes():
            try:
                odoo.call("hotline.case", "write", [case_id], {"address": "演练：写入中途进程被终止"})
                user_request["result"] = "saved"
            except Exception as exc:  # noqa: BLE001 - what the user's browser sees
                user_request["result"] = f"{type(exc).__name__}: {exc}"[:200]

        writer = threading.Thread(target=user_writes)
        writer.start()

        def blocked_backend():
            rows = pg.sql(f"""SELECT client_port FROM pg_stat_activity WHERE datname = '{DRILL_DB}'
                               AND wait_event_type = 'Lock' AND application_name LIKE 'odoo-%'""")
            return rows[0][0] if rows else None

        try:
            application = wait_for(blocked_backend, timeout=30, what="the user's request to wait on the row")
        except AssertionError as exc:
            activity = pg.sql(
                f"SELECT application_name, state, wait_event_type, left(query, 80) FROM pg_stat_activity "
                f"WHERE datname = '{DRILL_DB}'"
            )
            raise AssertionError(f"{exc}; the user's request: {user_request}; sessions: {activity}") from None
        # the worker whose database connection waits: application_name is the master's (the
        # registry's connection settings are made before the fork), the socket is the worker's
        victim = socket_owner(int(application), workers_before)
        assert victim in workers_before, f"{victim} is not an HTTP worker of {workers_before}"
        with Readers(odoo, threads=2) as readers:
            time.sleep(1)
            killed_at = time.monotonic()
            os.kill(victim, signal.SIGKILL)  # a worker of the Odoo this drill started
            log(f"SIGKILL to the worker {victim} serving the user's write")
            writer.join(30)
            time.sleep(3)
        locker.stdin.write("ROLLBACK;\n")
        locker.stdin.close()
        locker.wait(10)

        def replaced():
            pids = odoo.http_workers()
            return pids if len(pids) == 2 and victim not in pids else None

        workers_after = wait_for(replaced, timeout=30, what="the master to start a new worker")
        respawn = time.monotonic() - killed_at
        retry_started = time.monotonic()
        odoo.call("hotline.case", "write", [case_id], {"address": "演练：重试后已保存"})
        retry = time.monotonic() - retry_started
        saved = pg.value(f"SELECT address FROM hotline_case WHERE id = {case_id}")
        reads_after_kill = [r for r in readers.results if r[0] >= killed_at]
        result = {
            "workers_before": workers_before,
            "killed": victim,
            "workers_after": workers_after,
            "user_request": user_request.get("result"),
            "reads": len(readers.results),
            "read_errors": sorted({r[2] for r in readers.results if r[2]})[:3],
            "reads_during": len(reads_after_kill),
            "reads_failed": len([r for r in reads_after_kill if r[2]]),
            "respawn_seconds": round(respawn, 1),
            "retry_seconds": round(retry, 2),
            "saved": saved,
        }
        log(json.dumps(result, ensure_ascii=False))
        ok = (
            result["user_request"] != "saved"
            and result["reads_during"] > 0
            and result["reads_failed"] == 0
            and saved == "演练：重试后已保存"
        )
        return ok, result
    finally:
        odoo.stop()


def drill_pg_restart(workdir):
    cluster = Path(tempfile.mkdtemp(prefix="hotline-drill-pg-"))
    port = str(free_port())
    throwaway = str(ROOT / "scripts" / "drills" / "pg_throwaway.sh")
    subprocess.run(["bash", throwaway, "start", str(cluster), port], check=True, timeout=120)
    pg = Postgres({"PGHOST": "127.0.0.1", "PGPORT": port, "PGUSER": os.environ.get("HOTLINE_PG_USER", "hotline")})
    loop_thread = LoopThread()
    odoo = bridge = stream = None
    try:
        pbx_id = prepare_database(pg, workdir)
        odoo = Odoo(workdir, PORTS["pg-restart"], workers=2, pg=pg).start()
        stream = Stream(loop_thread, count=40, interval=0.25, speed=4.0)
        bridge = start_bridge(
            workdir / "pg-bridge", "bridge", stream.port, odoo.url, workdir / "pg-bridge" / "spool.sqlite3"
        )
        depths = []
        with Readers(odoo, threads=3) as readers:
            third = len(stream.timeline) // 3
            wait_for(lambda: stream.server.position > third, timeout=60, what="a third of the stream")
            restart_started = time.monotonic()
            subprocess.run(["bash", throwaway, "restart", str(cluster)], check=True, timeout=120)
            restart = time.monotonic() - restart_started
            log(f"PostgreSQL restarted in {restart:.1f} s")
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline and not (stream.sent_all() and complete(pg, pbx_id, stream)):
                health = bridge_health(bridge)
                if health:
                    depths.append(health["spool_depth"] or 0)
                time.sleep(0.3)
            time.sleep(2)
        got = delivered(pg, pbx_id, stream.linkedids)
        wait_for(lambda: (bridge_health(bridge) or {}).get("spool_depth") == 0, timeout=60, what="an empty spool")
        failures = [r for r in readers.results if r[2] and r[0] >= restart_started - 1]
        odoo_log = odoo.log_path.read_text(errors="replace")
        last_failure = max((r[0] + r[1] for r in failures), default=restart_started)
        ok_after = [r for r in readers.results if r[0] >= last_failure and not r[2]]
        result = {
            "calls": len(stream.calls),
            "delivered": got,
            "restart_seconds": round(restart, 1),
            "reads": len(readers.results),
            "reads_failed": len(failures),
            "read_errors": sorted({r[2].split("\n")[0].removeprefix("RuntimeError: ")[:90] for r in failures})[:3],
            "bridge_delivery_failures": bridge.log_text().count("Odoo unavailable"),
            "odoo_log_connection_errors": odoo_log.count("server closed the connection"),
            "last_failed_read_after_seconds": round(last_failure - restart_started, 1),
            "reads_ok_after_it": len(ok_after),
            "max_spool_depth": max(depths, default=0),
        }
        log(json.dumps(result, ensure_ascii=False))
        count = len(stream.calls)
        ok = (
            got["ended"] == count
            and got["events"] == 3 * count
            and got["duplicate_events"] == 0
            and got["cdrs"] == 3 * count
            and len(ok_after) > 0
        )
        return ok, result
    finally:
        for thing in (bridge, odoo):
            if thing:
                thing.stop()
        if stream:
            stream.stop()
        loop_thread.close()
        subprocess.run(["bash", throwaway, "stop", str(cluster)], timeout=120, check=False)
        shutil.rmtree(cluster, ignore_errors=True)
        shutil.rmtree(filestore_of(DRILL_DB), ignore_errors=True)


def drill_bridge_kill(workdir):
    pg = Postgres()
    pbx_id = prepare_database(pg, workdir)
    loop_thread = LoopThread()
    odoo = Odoo(workdir, PORTS["bridge-kill"]).start()
    proxy = FlakyProxy(loop_thread, upstream_port=PORTS["bridge-kill"])  # closed: Odoo unreachable
    stream = Stream(loop_thread, count=30, interval=0.1, speed=8.0)
    spool = workdir / "kill-bridge" / "spool.sqlite3"
    bridges = []
    try:
        bridges.append(start_bridge(workdir / "kill-bridge", "bridge", stream.port, proxy.url, spool))
        wait_for(stream.sent_all, timeout=90, what="the whole stream sent")

        def settled():
            health = bridge_health(bridges[-1])
            return health and not health["calls_in_progress"] and health["spool_depth"] and health

        wait_for(settled, timeout=30, what="every call's items in the spool")
        before_kill = spool_rows(spool)
        bridges[-1].process.kill()  # SIGKILL: no goodbye, no flush
        bridges[-1].process.wait(10)
        after_kill = spool_rows(spool)
        log(f"bridge SIGKILLed with {len(after_kill)} item(s) spooled")

        # restarted (as systemd would) while Odoo answers again; killed again in the middle
        proxy.set_mode("forward")
        bridges.append(start_bridge(workdir / "kill-bridge", "bridge-2", stream.port, proxy.url, spool))
        wait_for(lambda: len(spool_rows(spool)) < len(after_kill), timeout=60, what="the redelivery to start")
        bridges[-1].process.kill()
        bridges[-1].process.wait(10)
        left_second = len(spool_rows(spool))
        log(f"bridge SIGKILLed again during the redelivery, {left_second} item(s) left")
        bridges.append(start_bridge(workdir / "kill-bridge", "bridge-3", stream.port, proxy.url, spool))
        got = wait_for(lambda: complete(pg, pbx_id, stream), timeout=120, what="every call in Odoo")
        wait_for(lambda: not spool_rows(spool), timeout=60, what="an empty spool")
        event_ids = [row[2] for row in after_kill if row[1] == "event"]
        quoted = ",".join(f"'{event_id}'" for event_id in event_ids) or "''"
        found = int(
            pg.value(
                f"SELECT count(DISTINCT event_id) FROM hotline_call_event WHERE pbx_id = {pbx_id} "
                f"AND event_id IN ({quoted})"
            )
        )
        result = {
            "calls": len(stream.calls),
            "spooled_at_kill": len(after_kill),
            "lost_by_kill": len(set(before_kill) - set(after_kill)),
            "left_at_second_kill": left_second,
            "spooled_events": len(event_ids),
            "spooled_events_in_odoo": found,
            "delivered": got,
        }
        log(json.dumps(result, ensure_ascii=False))
        count = len(stream.calls)
        ok = (
            result["lost_by_kill"] == 0
            and found == len(event_ids)
            and got["duplicate_events"] == 0
            and got["ended"] == count
            and got["cdrs"] == 3 * count
        )
        return ok, result
    finally:
        for bridge in bridges:
            bridge.stop()
        proxy.stop()
        stream.stop()
        odoo.stop()
        loop_thread.close()


def drill_spool_full(workdir):
    if os.geteuid() != 0:
        return None, {"skipped": "needs root to mount a 1 MiB tmpfs for the spool"}
    pg = Postgres()
    pbx_id = prepare_database(pg, workdir)
    disk = workdir / "small-disk"
    disk.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m,mode=0700", "hotline-drill", str(disk)], check=True)
    loop_thread = LoopThread()
    odoo = Odoo(workdir, PORTS["spool-full"]).start()
    proxy = FlakyProxy(loop_thread, upstream_port=PORTS["spool-full"])
    stream = Stream(loop_thread, count=60, interval=0.05, speed=10.0)  # ~480 items: 1 MiB holds ~60
    spool = disk / "spool.sqlite3"
    bridge = None
    try:
        bridge = start_bridge(workdir / "full-bridge", "bridge", stream.port, proxy.url, spool)
        first_rows = None
        health_full = None
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            rows = spool_rows(spool)
            if first_rows is None and len(rows) >= 10:
                first_rows = rows[:10]
            health = bridge_health(bridge)
            if health and health.get("spool_error"):
                health_full = health
                break
            if stream.sent_all() and health and not health["calls_in_progress"]:
                break
            time.sleep(0.3)
        wait_for(stream.sent_all, timeout=120, what="the whole stream sent")
        time.sleep(2)
        alive_when_full = bridge.running()
        rows_full = spool_rows(spool)
        oldest_kept = first_rows is not None and rows_full[:10] == first_rows
        usage = shutil.disk_usage(disk)
        log(f"spool full: {len(rows_full)} item(s), health: {json.dumps(health_full, ensure_ascii=False)}")

        subprocess.run(["mount", "-o", "remount,size=64m", str(disk)], check=True)  # the admin frees space
        proxy.set_mode("forward")
        freed = time.monotonic()
        with contextlib.suppress(AssertionError):
            wait_for(
                lambda: not spool_rows(spool) and complete(pg, pbx_id, stream),
                timeout=180,
                what="the spool emptied into Odoo",
            )
        drained = not spool_rows(spool) and bool(complete(pg, pbx_id, stream))
        health_after = bridge_health(bridge)
        got = delivered(pg, pbx_id, stream.linkedids)
        spooled_events = [row[2] for row in rows_full if row[1] == "event"]
        quoted = ",".join(f"'{event_id}'" for event_id in spooled_events) or "''"
        found = int(
            pg.value(
                f"SELECT count(DISTINCT event_id) FROM hotline_call_event WHERE pbx_id = {pbx_id} "
                f"AND event_id IN ({quoted})"
            )
        )
        result = {
            "calls": len(stream.calls),
            "disk_bytes": usage.total,
            "spooled_when_full": len(rows_full),
            "spool_depth_when_full": (health_full or {}).get("spool_depth"),
            "health_when_full": {key: (health_full or {}).get(key) for key in ("healthy", "alerts", "spool_error")},
            "bridge_alive_when_full": alive_when_full,
            "oldest_kept": oldest_kept,
            "space_freed_spool_drained": drained,
            "drained_after_seconds": round(time.monotonic() - freed, 1) if drained else None,
            "spooled_events_in_odoo": f"{found}/{len(spooled_events)}",
            "delivered": got,
            "health_after": {
                key: (health_after or {}).get(key)
                for key in ("healthy", "alerts", "spool_error", "spool_depth", "odoo_error")
            },
        }
        if not drained:
            result["bridge_log_tail"] = [
                line[:200] for line in bridge.log_text().splitlines() if " DEBUG " not in line
            ][-8:]
        log(json.dumps(result, ensure_ascii=False))
        ok = bool(health_full) and alive_when_full and oldest_kept and drained and found == len(spooled_events)
        return ok, result
    finally:
        if bridge:
            bridge.stop()
        proxy.stop()
        stream.stop()
        odoo.stop()
        loop_thread.close()
        subprocess.run(["umount", str(disk)], check=False)


DRILLS = {
    "worker-kill": ("An Odoo worker killed mid-request", drill_worker_kill),
    "pg-restart": ("PostgreSQL restarted under load", drill_pg_restart),
    "bridge-kill": ("The bridge killed with events in flight", drill_bridge_kill),
    "spool-full": ("The spool's disk full", drill_spool_full),
}


def summary_worker_kill(r):
    return (
        f"Odoo with the HTTP workers {r['workers_before']}: the worker {r['killed']} serving a user's write "
        f"(held mid-transaction on a row lock) was SIGKILLed. The user's request got `{r['user_request']}`; "
        f"the other worker answered {r['reads_during']} reads meanwhile ({r['reads_failed']} failed); the master "
        f"started a new worker within {r['respawn_seconds']} s ({r['workers_after']}); the user's retry was "
        f"saved in {r['retry_seconds']} s. The killed transaction was rolled back by PostgreSQL: nothing half-written."
    )


def summary_pg_restart(r):
    got = r["delivered"]
    return (
        f"{r['calls']} calls streamed through the bridge while 3 readers loaded Odoo (2 workers); PostgreSQL "
        f"was restarted (fast shutdown, {r['restart_seconds']} s) a third into the stream. {r['reads_failed']} of "
        f"{r['reads']} reads failed ({'; '.join(r['read_errors']) or 'none'}), the last one "
        f"{r['last_failed_read_after_seconds']} s after the restart began; the {r['reads_ok_after_it']} reads "
        f"after it all succeeded (Odoo drops the broken connections and opens new ones; it logged "
        f"{r['odoo_log_connection_errors']} 'server closed the connection'). The bridge's deliveries failed "
        f"{r['bridge_delivery_failures']} time(s) and were replayed from its spool (deepest {r['max_spool_depth']} "
        f"items): {got['ended']}/{r['calls']} calls ended in Odoo with {got['events']} events "
        f"({got['duplicate_events']} duplicates) and {got['cdrs']} CDRs."
    )


def summary_bridge_kill(r):
    got = r["delivered"]
    return (
        f"Odoo unreachable, {r['calls']} calls spooled ({r['spooled_at_kill']} items); the bridge was SIGKILLed: "
        f"{r['lost_by_kill']} items lost. Restarted on the same spool with Odoo back, killed again in the middle of "
        f"the redelivery ({r['left_at_second_kill']} items still to go), restarted again: "
        f"{r['spooled_events_in_odoo']}/{r['spooled_events']} spooled events in Odoo, {got['duplicate_events']} "
        f"duplicates, {got['ended']}/{r['calls']} calls ended, {got['cdrs']} CDRs."
    )


def summary_spool_full(r):
    if "skipped" in r:
        return r["skipped"]
    got = r["delivered"]
    full = r["health_when_full"]
    yes = {True: "yes", False: "no"}
    return (
        f"The spool on a {r['disk_bytes'] // 1024} KiB filesystem, Odoo unreachable, {r['calls']} calls: the disk "
        f"filled at {r['spooled_when_full']} items. `/health` said healthy={full['healthy']}, "
        f'"{(full["alerts"] or ["-"])[0]}"; the bridge stayed up ({yes[r["bridge_alive_when_full"]]}) and held the '
        f"{(r['spool_depth_when_full'] or 0) - r['spooled_when_full']} newer items in memory; the oldest items stayed "
        f"on disk ({yes[r['oldest_kept']]}). Once the filesystem grew and Odoo answered, the spool drained in "
        f"{r['drained_after_seconds']} s: {got['ended']}/{r['calls']} calls, {got['events']} events, "
        f"{got['duplicate_events']} duplicates, {got['cdrs']} CDRs."
    )


SUMMARIES = {
    "worker-kill": summary_worker_kill,
    "pg-restart": summary_pg_restart,
    "bridge-kill": summary_bridge_kill,
    "spool-full": summary_spool_full,
}


def write_result(name, ok, result, seconds):
    """Put the drill's section into docs/FAULTS.md in place of its previous one (read right before)."""
    title, _function = DRILLS[name]
    verdict = "passed" if ok else ("skipped" if ok is None else "FAILED")
    try:
        summary = SUMMARIES[name](result)
    except (KeyError, TypeError):  # a drill that broke: its error is in the JSON below
        summary = ""
    body = [
        f"### {title} (`{name}`)",
        "",
        f"Last run {datetime.now(UTC):%Y-%m-%d %H:%M} UTC: **{verdict}** in {seconds:.0f} s "
        f"(`scripts/drills/run.sh {name}`).",
        "",
        summary,
        "",
        "```json",
        json.dumps(result, ensure_ascii=False, indent=1, default=str),
        "```",
        "",
    ]
    text = FAULTS.read_text(encoding="utf-8") if FAULTS.exists() else "# Faults\n"
    pattern = re.compile(rf"^### [^\n]*\(`{re.escape(name)}`\)\n.*?(?=^### |^## |^<!-- |\Z)", re.S | re.M)
    marker = "<!-- end of the drill results -->"
    section = "\n".join(body) + "\n"
    if pattern.search(text):
        text = pattern.sub(lambda _m: section, text, count=1)
    elif marker in text:
        text = text.replace(marker, section + "\n" + marker, 1)
    else:
        text = text.rstrip("\n") + "\n\n" + section
    FAULTS.write_text(re.sub(r"\n{3,}", "\n\n", text).rstrip("\n") + "\n", encoding="utf-8")


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("drill", choices=[*DRILLS, "all"])
    parser.add_argument("--no-write", action="store_true", help="do not write docs/FAULTS.md")
    args = parser.parse_args(argv)
    names = list(DRILLS) if args.drill == "all" else [args.drill]
    failed = []
    keep = os.environ.get("HOTLINE_DRILL_KEEP")  # keep the logs and spools of the run, for a post-mortem
    with contextlib.ExitStack() as stack:
        tmp = tempfile.mkdtemp(prefix="hotline-drills-")
        if not keep:
            stack.callback(shutil.rmtree, tmp, True)
        workdir = Path(tmp)
        log(f"working folder {workdir}{' (kept)' if keep else ''}")
        os.chmod(workdir, 0o755)
        for name in names:
            log(f"{name}: {DRILLS[name][0]}")
            started = time.monotonic()
            try:
                ok, result = DRILLS[name][1](workdir)
            except Exception as exc:  # noqa: BLE001 - a drill that breaks is a failed drill, with the reason
                ok, result = False, {"error": f"{type(exc).__name__}: {exc}"}
                log(f"{name} broke: {exc}")
            seconds = time.monotonic() - started
            log(f"{name}: {'passed' if ok else 'skipped' if ok is None else 'FAILED'} in {seconds:.0f} s")
            if not args.no_write:
                write_result(name, ok, result, seconds)
            if ok is False:
                failed.append(name)
        for db in (DRILL_DB, BASE_DB):
            drop_database(Postgres(), db)
    if failed:
        raise SystemExit(f"failed drills: {', '.join(failed)}")


if __name__ == "__main__":
    main(sys.argv[1:])
