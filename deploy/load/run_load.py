"""Runs the load scenario (deploy/load/locustfile.py) against Odoo in multi-worker mode behind
nginx, both configured from deploy/ (tests/deploy_support.py starts them), once per number of
operators, and measures the CPU used meanwhile by Odoo's processes, PostgreSQL's backends of the
database, nginx, Locust itself and the rest of the machine.

    python deploy/load/run_load.py --db DB --fixture FILE --locust PATH [--operators 50,100,200]
        [--department-users 20] [--duration 60] [--workers 4] [--json OUT] [--markdown OUT]

HOTLINE_ODOO_CMD and HOTLINE_PSQL give Odoo's command line and psql's (scripts/load.sh sets them).
"""

import argparse
import csv
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests"))

from deploy_support import Nginx, OdooWorkers, odoo_path, run_psql, stop_pid, websocket_version  # noqa: E402


class CpuMeter:
    """CPU seconds used by groups of processes between start() and stop(), sampled every second
    (processes that appear meanwhile count from zero)."""

    def __init__(self, groups):
        self.groups = groups  # name -> callable returning pids
        self.first = {}
        self.last = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _sample(self, initial=False):
        for name, pids in self.groups.items():
            for pid in pids():
                try:
                    times = psutil.Process(pid).cpu_times()
                except (psutil.NoSuchProcess, psutil.AccessDenied):
                    continue
                used = times.user + times.system
                key = (name, pid)
                self.first.setdefault(key, used if initial else 0.0)
                self.last[key] = used

    def _run(self):
        while not self._stop.wait(1.0):
            self._sample()

    def start(self):
        self.started = time.monotonic()
        self.system_start = psutil.cpu_times()
        self._sample(initial=True)
        self._thread.start()

    def stop(self):
        self._stop.set()
        self._thread.join(5)
        self._sample()
        elapsed = time.monotonic() - self.started
        system = psutil.cpu_times()
        busy = sum(
            getattr(system, field) - getattr(self.system_start, field)
            for field in ("user", "system", "nice", "irq", "softirq", "steal")
            if hasattr(system, field)
        )
        cores = {name: 0.0 for name in self.groups}
        for (name, pid), used in self.last.items():
            cores[name] += max(0.0, used - self.first.get((name, pid), 0.0))
        result = {name: round(seconds / elapsed, 2) for name, seconds in cores.items()}
        result["machine busy"] = round(busy / elapsed, 2)
        result["other processes"] = round(max(0.0, busy / elapsed - sum(cores.values()) / elapsed), 2)
        result["cores"] = psutil.cpu_count()
        return result


def process_tree(pid):
    try:
        process = psutil.Process(pid)
        return [pid, *(child.pid for child in process.children(recursive=True))]
    except psutil.NoSuchProcess:
        return []


def read_stats(prefix):
    rows = []
    with open(f"{prefix}_stats.csv", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            rows.append(
                {
                    "type": row["Type"],
                    "name": row["Name"],
                    "requests": int(row["Request Count"]),
                    "failures": int(row["Failure Count"]),
                    "rps": float(row["Requests/s"]),
                    "p50": float(row["50%"] or 0),
                    "p95": float(row["95%"] or 0),
                    "p99": float(row["99%"] or 0),
                }
            )
    return rows


def log_everybody_in(nginx, fixture_path, db, workdir, threads=4):
    """Sessions for every operator and department user, made before the runs as at the start of a
    shift; returns the path of the fixture with the sessions and the logins' latencies (ms)."""
    import concurrent.futures  # noqa: PLC0415

    import requests  # noqa: PLC0415

    fixture = json.loads(Path(fixture_path).read_text(encoding="utf-8"))

    def login(name):
        session = requests.Session()
        session.trust_env = False
        started = time.perf_counter()
        response = session.post(
            f"{nginx.url}/web/session/authenticate",
            json={"jsonrpc": "2.0", "method": "call", "params": {"db": db, "login": name, "password": name}},
            verify=nginx.cert,
            timeout=120,
        )
        elapsed = (time.perf_counter() - started) * 1000
        if not response.json().get("result", {}).get("uid"):
            raise SystemExit(f"cannot log in as {name}: {response.text[:300]}")
        return session.cookies.get("session_id"), elapsed

    names = [account["login"] for account in fixture["operators"]] + fixture["department_users"]
    with concurrent.futures.ThreadPoolExecutor(threads) as pool:
        results = dict(zip(names, pool.map(login, names), strict=True))
    for account in fixture["operators"]:
        account["session"] = results[account["login"]][0]
    fixture["department_users"] = [{"login": name, "session": results[name][0]} for name in fixture["department_users"]]
    path = workdir / "fixture-sessions.json"
    path.write_text(json.dumps(fixture, ensure_ascii=False), encoding="utf-8")
    return path, sorted(elapsed for _session, elapsed in results.values())


def percentile(values, share):
    return values[min(len(values) - 1, int(round(share * (len(values) - 1))))] if values else 0.0


def run_once(args, nginx, odoo, operators, fixture, workdir):
    users = operators + args.department_users
    prefix = str(workdir / f"locust-{operators}")
    env = dict(
        os.environ,
        HOTLINE_LOAD_FIXTURE=str(fixture),
        HOTLINE_LOAD_DB=args.db,
        HOTLINE_LOAD_DEPARTMENT_USERS=str(args.department_users),
        HOTLINE_LOAD_WS_VERSION=websocket_version(odoo_path(os.environ["HOTLINE_ODOO_CMD"])),
        HOTLINE_LOAD_CA=nginx.cert,
    )
    command = [
        args.locust,
        "-f",
        str(ROOT / "deploy" / "load" / "locustfile.py"),
        "--headless",
        "-u",
        str(users),
        "-r",
        str(max(5, users // 10)),
        "-t",
        f"{args.duration}s",
        "--host",
        nginx.url,
        "--csv",
        prefix,
        "--only-summary",
        "--stop-timeout",
        "5",
        "--loglevel",
        "WARNING",
    ]
    holder = {}

    def pg_pids():
        rows = run_psql(
            os.environ["HOTLINE_PSQL"], "postgres", f"SELECT pid FROM pg_stat_activity WHERE datname = '{args.db}'"
        )
        return [int(row[0]) for row in rows]

    meter = CpuMeter(
        {
            "odoo": lambda: process_tree(odoo.process.pid),
            "postgresql": pg_pids,
            "nginx": lambda: process_tree(nginx.process.pid),
            "locust": lambda: process_tree(holder["locust"].pid) if "locust" in holder else [],
        }
    )
    with open(workdir / f"locust-{operators}.log", "wb") as log:
        holder["locust"] = subprocess.Popen(
            command, stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True
        )
        meter.start()
        try:
            holder["locust"].wait(args.duration + 120)
        except subprocess.TimeoutExpired:
            stop_pid(holder["locust"])
    cpu = meter.stop()
    stats = read_stats(prefix)
    return {"operators": operators, "department_users": args.department_users, "cpu": cpu, "stats": stats}


def markdown(results, args):
    lines = []
    for result in results:
        total = next((row for row in result["stats"] if row["name"] == "Aggregated"), None)
        cpu = result["cpu"]
        lines.append(
            f"#### {result['operators']} operators + {result['department_users']} department staff, "
            f"{args.duration} s, {args.workers} HTTP workers"
        )
        lines.append("")
        if total:
            lines.append(
                f"Total {total['rps']:.1f} requests/s, {total['failures']} failures of {total['requests']}. "
                f"CPU (cores of {cpu['cores']}): Odoo {cpu['odoo']}, PostgreSQL {cpu['postgresql']}, "
                f"nginx {cpu['nginx']}, Locust {cpu['locust']}, other processes {cpu['other processes']} "
                f"(machine busy {cpu['machine busy']})."
            )
            lines.append("")
        lines.append("| action | requests | failures | req/s | p50 ms | p95 ms | p99 ms |")
        lines.append("|---|---:|---:|---:|---:|---:|---:|")
        for row in result["stats"]:
            label = "**all**" if row["name"] == "Aggregated" else f"{row['type']} {row['name']}"
            lines.append(
                f"| {label} | {row['requests']} | {row['failures']} | {row['rps']:.2f} | "
                f"{row['p50']:.0f} | {row['p95']:.0f} | {row['p99']:.0f} |"
            )
        lines.append("")
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", required=True)
    parser.add_argument("--fixture", required=True)
    parser.add_argument("--locust", required=True)
    parser.add_argument("--operators", default="50,100,200")
    parser.add_argument("--department-users", type=int, default=20)
    parser.add_argument("--duration", type=int, default=60)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--json")
    parser.add_argument("--markdown")
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="hotline-load-"))
    odoo = OdooWorkers(
        workdir / "odoo",
        os.environ["HOTLINE_ODOO_CMD"],
        args.db,
        workers=args.workers,
        # the load would hit the shared cluster's 100 connections with the production pool sizes
        extra={"db_maxconn": 8, "db_maxconn_gevent": 40, "log_level": "warn"},
    )
    nginx = None
    results = []
    try:
        odoo.start()
        nginx = Nginx(odoo)
        nginx.start()
        fixture, logins = log_everybody_in(nginx, args.fixture, args.db, workdir)
        login_stats = {
            "count": len(logins),
            "p50": percentile(logins, 0.5),
            "p95": percentile(logins, 0.95),
            "p99": percentile(logins, 0.99),
        }
        print(f"[load] logins (4 at a time, before the runs): {login_stats}", flush=True)
        for operators in (int(value) for value in args.operators.split(",")):
            print(
                f"[load] {operators} operators + {args.department_users} department staff, {args.duration} s",
                flush=True,
            )
            result = run_once(args, nginx, odoo, operators, fixture, workdir)
            results.append(result)
            total = next((row for row in result["stats"] if row["name"] == "Aggregated"), {})
            print(
                f"[load]   {total.get('rps', 0):.1f} req/s, p95 {total.get('p95', 0):.0f} ms, CPU {result['cpu']}",
                flush=True,
            )
    finally:
        if nginx is not None:
            nginx.stop()
        odoo.stop()
    report = markdown(results, args)
    if results:
        report = (
            f"Logins before the runs (4 at a time, {login_stats['count']} users): "
            f"p50 {login_stats['p50']:.0f} ms, p95 {login_stats['p95']:.0f} ms, p99 {login_stats['p99']:.0f} ms.\n\n"
            + report
        )
        results.append({"logins": login_stats})
    print(report)
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1), encoding="utf-8")
    if args.markdown:
        Path(args.markdown).write_text(report, encoding="utf-8")
    print(f"[load] logs in {workdir}")


if __name__ == "__main__":
    main()
