"""Screen-pop latency: AgentCalled written to the bridge's AMI socket -> caller card committed in Odoo.

    python bench/bench_telephony_screen_pop.py [--calls 200] [--interval 1,0.5] [--isolated 30]
        [--db hotline_bench] [--odoo-cmd "<odoo-bin command line>"]

Runs the real Odoo (a child process serving ``--db``, which needs hotline_telephony with its
demo data: the PBX, operators with extensions 1001 / 1002) and the bridge (a child process,
``python -m hotline_pbx_bridge``) with the token of the database's first PBX. The calls are
the real ``01_answered`` recording rewritten per call (see ``telephony_ami.py``): call k
starts on average ``--interval`` seconds after the previous one, each keeps the recorded pace (AgentCalled
0.5 s after the call starts, answered at 1.5 s, hung up at 5 s), agents 1001 and 1002
alternately, one call in three from a known caller with cases (13800138000), the others
from unknown numbers.

The clock starts when the AMI server writes a call's ``AgentCalled`` to the socket and stops
when PostgreSQL delivers the ``NOTIFY imbus`` Odoo sends after committing the bus
notification (``LISTEN imbus`` on the ``postgres`` database, as Odoo's own bus does); the
notification is then read from ``bus_bus`` to know its call (``hotline/screen_pop``, state
``ringing``) and that it went to the right operator's partner. All times are
``time.perf_counter()`` of this one process.

The load runs' calls arrive at random (Poisson, mean gap ``--interval``, fixed seed): 1 and 2
calls per second by default, i.e. 3,600 and 7,200 calls an hour, a very busy hotline.
``--isolated N`` adds a run of N calls exactly 2 s apart: nothing else goes through the bridge
and Odoo within 0.5 s of a ring (the floor without queueing). ``--bridge-only N``: N calls
into the bridge with a fake Odoo (the bridge's share of the latency). The first ``--warmup``
calls of each run are not counted. Also reports Odoo's own time for ``POST
/hotline/pbx/event`` (from its request log). Writes ``var/bench/telephony_screen_pop.json``.

Odoo serves as in production (``--workers 2``: HTTP worker processes and the gevent websocket
process, as scripts/run.sh). The baseline, measured in the same run on the same server: a
one-record committing RPC (the web client's ``/web/dataset/call_kw`` creating a
``res.partner.category`` as ``admin``), ``--rpc`` times one after the other right before each
load run ("alone") and one every 0.5 s during it ("during"); the records are deleted at the end.
Each run reports its screen-pop p95 as a multiple of the RPC's p95 (target: at most 3x at 2 calls/s).
"""

import argparse
import asyncio
import contextlib
import json
import os
import re
import select
import shlex
import sys
import tempfile
import threading
import time
from pathlib import Path

import psycopg2

sys.path.insert(0, str(Path(__file__).resolve().parent))

from benchlib import machine_facts  # noqa: E402
from telephony_ami import AmiStreamServer, call_template, make_call, paced_timeline, run_epoch  # noqa: E402
from telephony_support import (  # noqa: E402
    FakeOdoo,
    OdooRpc,
    http_json,
    load_average,
    start_bridge,
    start_odoo,
    summary_ms,
    write_result,
)

KNOWN_CALLER = "13800138000"
RPC_MODEL = "res.partner.category"
RPC_PREFIX = "bench-rpc-"
# werkzeug's request line as Odoo logs it: ... "POST /hotline/pbx/event HTTP/1.1" 200 - <queries> <sql s> <other s>
REQUEST_RE = re.compile(r'"POST (/hotline/pbx/(?:event|cdr)) HTTP/1\.\d" (\d{3}) - (\d+) ([\d.]+) ([\d.]+)')


def pg_dsn(odoo_cmd, dbname):
    """Connection parameters from the odoo-bin command line (--db_host, --db_port, ...), else libpq's env."""
    params = {"dbname": dbname}
    names = {"--db_host": "host", "--db_port": "port", "--db_user": "user", "--db_password": "password"}
    words = shlex.split(odoo_cmd)
    for i, word in enumerate(words):
        key, sep, value = word.partition("=")
        if key in names:
            if not sep and i + 1 < len(words):
                value = words[i + 1]
            params[names[key]] = value
    return params


class BusListener(threading.Thread):
    """LISTEN imbus; on each NOTIFY for our database, read the new bus_bus rows and keep, per
    linkedid, the time of the first ``ringing`` screen pop (and the channel it went to)."""

    def __init__(self, dsn):
        super().__init__(name="imbus-listener", daemon=True)
        self.dbname = dsn["dbname"]
        self.listen = psycopg2.connect(**dict(dsn, dbname="postgres"))
        self.listen.autocommit = True
        self.reader = psycopg2.connect(**dsn)
        self.reader.autocommit = True
        with self.reader.cursor() as cr:
            cr.execute("SELECT COALESCE(MAX(id), 0) FROM bus_bus")
            self.last_id = cr.fetchone()[0]
        with self.listen.cursor() as cr:
            cr.execute("LISTEN imbus")
        self.pops = {}  # linkedid -> (perf_counter of the NOTIFY, channel)
        self.notifies = 0
        self.stopping = threading.Event()

    def run(self):
        while not self.stopping.is_set():
            if not select.select([self.listen], [], [], 0.2)[0]:
                continue
            self.listen.poll()
            ours = False
            while self.listen.notifies:
                notify = self.listen.notifies.pop(0)
                ours = ours or f'"{self.dbname}"' in notify.payload
            if ours:
                stamp = time.perf_counter()
                self.notifies += 1
                self._read(stamp)

    def _read(self, stamp):
        with self.reader.cursor() as cr:
            cr.execute("SELECT id, channel, message FROM bus_bus WHERE id > %s ORDER BY id", (self.last_id,))
            rows = cr.fetchall()
        for bus_id, channel, message in rows:
            self.last_id = max(self.last_id, bus_id)
            message = json.loads(message)
            payload = message.get("payload") or {}
            if message.get("type") == "hotline/screen_pop" and payload.get("state") == "ringing":
                self.pops.setdefault(payload.get("linkedid"), (stamp, json.loads(channel)))

    def close(self):
        self.stopping.set()
        self.join(5)
        self.listen.close()
        self.reader.close()


def database_facts(dsn):
    with psycopg2.connect(**dsn) as conn, conn.cursor() as cr:
        cr.execute("SELECT token, name FROM hotline_pbx WHERE active ORDER BY sequence, id LIMIT 1")
        row = cr.fetchone()
        if not row or not row[0]:
            raise SystemExit(f"{dsn['dbname']}: no active PBX with a token (install hotline_telephony with demo data)")
        token = row[0]
        cr.execute(
            "SELECT hotline_extension, partner_id FROM res_users WHERE hotline_extension IN ('1001', '1002') "
            "AND active AND NOT share"
        )
        partners = dict(cr.fetchall())
        cr.execute("SELECT count(*) FROM hotline_call")
        calls = cr.fetchone()[0]
        cr.execute("SELECT count(*) FROM hotline_case")
        cases = cr.fetchone()[0]
    if set(partners) != {"1001", "1002"}:
        raise SystemExit(f"{dsn['dbname']}: operators with extensions 1001 and 1002 are missing")
    return token, partners, {"calls_before": calls, "cases": cases}


class RpcProbe:
    """The baseline: a one-record committing RPC (``create`` through ``/web/dataset/call_kw``), timed."""

    def __init__(self, url, database, login="admin", password="admin"):
        self.rpc = OdooRpc(url, database, login, password)
        self.count = 0

    def once(self):
        self.count += 1
        started = time.perf_counter()
        self.rpc.create(RPC_MODEL, {"name": f"{RPC_PREFIX}{os.getpid()}-{self.count}"})
        return time.perf_counter() - started

    def alone(self, samples):
        """``samples`` RPCs one after the other, after as many to warm every worker up (dropped)."""
        for _warm in range(samples):
            self.once()
        return [self.once() for _sample in range(samples)]

    async def during(self, stop, every=0.5):
        """One RPC every ``every`` seconds until ``stop`` is set, alongside the calls."""
        seconds = []
        while not stop.is_set():
            seconds.append(await asyncio.to_thread(self.once))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), every)
        return seconds


def delete_rpc_records(dsn):
    with psycopg2.connect(**dsn) as conn, conn.cursor() as cr:
        cr.execute("DELETE FROM res_partner_category WHERE name->>'en_US' LIKE %s", (RPC_PREFIX + "%",))


def ratio(latency, baseline):
    if not latency or not baseline:
        return None
    return round(latency["p95_ms"] / baseline["p95_ms"], 1)


def make_calls(count, warmup):
    template = call_template()
    epoch = run_epoch()
    calls = []
    for k in range(count + warmup):
        caller = KNOWN_CALLER if k % 3 == 0 else f"139{epoch % 10000:04d}{k:04d}"
        calls.append(make_call(template, k, epoch, extension="1001" if k % 2 == 0 else "1002", caller=caller))
    return template, calls


async def bridge_only_run(count, interval, warmup, workdir):
    """The same calls into the bridge with a fake Odoo: AgentCalled written -> ringing event POSTed."""
    template, calls = make_calls(count, warmup)
    fake = await FakeOdoo("bench-fake-token").start()
    server = AmiStreamServer(template, paced_timeline(calls, interval, poisson_seed=12319), burst=0.001)
    port = await server.start()
    bridge, _http_port = await asyncio.to_thread(start_bridge, workdir / "bridge_only", port, fake.url, fake.token)
    try:
        await asyncio.wait_for(server.done.wait(), count * interval + 120)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and len(fake.hangups) < len(calls):
            await asyncio.sleep(0.2)
    finally:
        await asyncio.to_thread(bridge.stop)
        await server.stop()
        await fake.stop()
    latencies = [
        fake.ringing[call.linkedid] - call.sent[call.ringing_index]
        for call in calls[warmup:]
        if call.linkedid in fake.ringing
    ]
    return {
        "label": "bridge only",
        "calls": count,
        "interval_s": interval,
        "latency_to_post": summary_ms(latencies),
        "missing": count - len(latencies),
    }


async def one_run(label, count, interval, warmup, odoo_url, token, partners, listener, workdir, poisson, probe, rpcs):
    rpc_alone = await asyncio.to_thread(probe.alone, rpcs)
    template, calls = make_calls(count, warmup)
    timeline = paced_timeline(calls, interval, poisson_seed=12319 if poisson else None)
    server = AmiStreamServer(template, timeline, burst=0.001)
    port = await server.start()
    folder = workdir / re.sub(r"\W+", "_", label)
    bridge, http_port = await asyncio.to_thread(start_bridge, folder, port, odoo_url, token)
    depths = []
    watcher = asyncio.create_task(watch_spool(http_port, depths))
    stop_rpcs = asyncio.Event()
    rpc_during = asyncio.create_task(probe.during(stop_rpcs))
    try:
        await asyncio.wait_for(server.done.wait(), count * interval + 120)
        stop_rpcs.set()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not all(call.linkedid in listener.pops for call in calls):
            await asyncio.sleep(0.2)
    finally:
        stop_rpcs.set()
        watcher.cancel()
        await asyncio.to_thread(bridge.stop)
        await server.stop()
    rpc_alone, rpc_during = summary_ms(rpc_alone), summary_ms(await rpc_during)
    latencies, missing, misrouted = [], [], 0
    for call in calls[warmup:]:
        pop = listener.pops.get(call.linkedid)
        if pop is None:
            missing.append(call.linkedid)
            continue
        stamp, channel = pop
        if channel[-1] != partners[call.extension]:
            misrouted += 1
        latencies.append(stamp - call.sent[call.ringing_index])
    result = {
        "label": label,
        "calls": count,
        "warmup_calls": warmup,
        "interval_s": interval,
        "arrivals": "random (Poisson)" if poisson else "regular",
        "calls_per_s": round(1 / interval, 2),
        "concurrent_calls": round(5.0 / interval, 1),
        "ami_events_per_s": round(len(template.messages) / interval),
        "latency": summary_ms(latencies),
        "rpc_alone": rpc_alone,
        "rpc_during": rpc_during,
        "missing": len(missing),
        "misrouted": misrouted,
        "spool_depth_max": max(depths, default=None),
        "spool_depth_mean": round(sum(depths) / len(depths), 1) if depths else None,
    }
    result["p95_to_rpc_alone"] = ratio(result["latency"], rpc_alone)
    result["p95_to_rpc_during"] = ratio(result["latency"], rpc_during)
    return result


async def watch_spool(http_port, depths):
    """The bridge's spool depth (items not yet acknowledged by Odoo), twice a second."""
    url = f"http://127.0.0.1:{http_port}/health"
    while True:
        try:
            health = await asyncio.to_thread(http_json, url, 2)
            depths.append(health.get("spool_depth") or 0)
        except (OSError, ValueError):
            pass
        await asyncio.sleep(0.5)


def odoo_request_times(log_path, start_offset):
    """Odoo's own handling time of the bridge's POSTs (its werkzeug log lines), by path."""
    by_path = {}
    with open(log_path, encoding="utf-8", errors="replace") as log:
        log.seek(start_offset)
        for line in log:
            match = REQUEST_RE.search(line)
            if match:
                path, _status, queries, sql_s, other_s = match.groups()
                by_path.setdefault(path, []).append((int(queries), float(sql_s), float(other_s)))
    out = {}
    for path, rows in by_path.items():
        total = [sql_s + other_s for _q, sql_s, other_s in rows]
        out[path] = dict(
            summary_ms(total),
            queries_mean=round(sum(q for q, _s, _o in rows) / len(rows), 1),
            sql_share=round(sum(s for _q, s, _o in rows) / max(sum(total), 1e-9), 2),
        )
    return out


async def main_async(args):
    dsn = pg_dsn(args.odoo_cmd, args.db)
    token, partners, facts = database_facts(dsn)
    facts["load_before"] = load_average()
    workdir = Path(tempfile.mkdtemp(prefix="bench-screen-pop-"))
    log_path = workdir / "odoo.log"
    odoo, odoo_url = await asyncio.to_thread(
        start_odoo, args.odoo_cmd, args.db, log_path, ["--log-level=info"], args.workers
    )
    listener = BusListener(dsn)
    listener.start()
    runs = []
    try:
        probe = await asyncio.to_thread(RpcProbe, odoo_url, args.db)
        gaps = [float(gap) for gap in str(args.interval).split(",") if gap.strip()]
        plan = [(f"load {1 / gap:g} call/s", args.calls, gap, True) for gap in gaps]
        if args.isolated:
            plan.append(("one at a time", args.isolated, 2.0, False))
        for label, count, interval, poisson in plan:
            offset = log_path.stat().st_size
            run = await one_run(
                label,
                count,
                interval,
                args.warmup,
                odoo_url,
                token,
                partners,
                listener,
                workdir,
                poisson,
                probe,
                args.rpc,
            )
            run["odoo_request"] = odoo_request_times(log_path, offset)
            runs.append(run)
            latency = run["latency"]
            print(
                f"[{label}] {count} calls, one every {interval} s: p50 {latency.get('p50_ms')} ms, "
                f"p95 {latency.get('p95_ms')} ms, p99 {latency.get('p99_ms')} ms, max {latency.get('max_ms')} ms; "
                f"missing {run['missing']}, misrouted {run['misrouted']}; Odoo /event: {run['odoo_request']}; "
                f"RPC alone {run['rpc_alone']}, during {run['rpc_during']}: p95 = {run['p95_to_rpc_alone']}x the RPC "
                f"alone, {run['p95_to_rpc_during']}x during"
            )
    finally:
        listener.close()
        await asyncio.to_thread(odoo.stop)
        await asyncio.to_thread(delete_rpc_records, dsn)
    if args.bridge_only:
        fastest = min(float(gap) for gap in str(args.interval).split(",") if gap.strip())
        run = await bridge_only_run(args.bridge_only, fastest, args.warmup, workdir)
        runs.append(run)
        print(f"[bridge only] {run['calls']} calls, AgentCalled -> ringing at a fake Odoo: {run['latency_to_post']}")
    return {
        "db": args.db,
        "database": facts,
        "runs": runs,
        "workers": args.workers,
        "target_p95_to_rpc": 3,
        "machine": dict(machine_facts(), load_after=load_average()),
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument(
        "--interval",
        default="0.5",
        help="mean seconds between call starts (random arrivals), one load run per value (default 0.5: 2 calls/s)",
    )
    parser.add_argument("--isolated", type=int, default=30, help="calls of the one-at-a-time run, 2 s apart (0: none)")
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument(
        "--bridge-only", type=int, default=60, help="calls of a run with a fake Odoo: the bridge's share (0: none)"
    )
    parser.add_argument("--workers", type=int, default=2, help="Odoo's HTTP workers (0: threaded); default 2")
    # 100: the p95 of 40 samples hangs on their two slowest, a shared machine's noise
    parser.add_argument("--rpc", type=int, default=100, help="baseline RPCs timed alone before each run")
    parser.add_argument("--db", default=os.environ.get("BENCH_DB", "hotline_bench"))
    parser.add_argument("--odoo-cmd", default=os.environ.get("HOTLINE_ODOO_CMD"))
    args = parser.parse_args(argv)
    if not args.odoo_cmd:
        parser.error("--odoo-cmd (or HOTLINE_ODOO_CMD) is required: the odoo-bin command line of scripts/lib.sh")
    result = asyncio.run(main_async(args))
    path = write_result("screen_pop", result)
    print(f"results: {path}")
    return 1 if any(run["missing"] or run.get("misrouted") for run in result["runs"]) else 0


if __name__ == "__main__":
    sys.exit(main())
