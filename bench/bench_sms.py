"""SMS gateway benchmark: N texts queued in sms.sms and handed to a real Kannel with its fake SMSC.

    python bench/bench_sms.py [--count 10000] [--rate 500] [--json FILE] [--markdown docs/BENCHMARKS.md]
        [--command "..."] -- <odoo-bin options> -d DB

What runs (everything on loopback, started here and stopped by PID at the end):
- Kannel: bearerbox + smsbox + fakesmsc (addons/hotline_notify/tests/kannel_harness.py, the
  harness of the Odoo tests);
- an Odoo HTTP server on the same database (``odoo-bin --workers 0 --max-cron-threads 0``) that
  receives Kannel's delivery reports (/hotline/sms/dlr) for the Odoo runs;
- a minimal HTTP sink (200, empty) for the delivery reports of the baseline runs.

Runs, each with its own numbers and texts so that the fake SMSC's log tells them apart:
1. baseline, unpaced: the same sendsms requests (same parameters, dlr-url to the sink) from a
   plain Python loop with a keep-alive session: what Kannel takes at most;
2. baseline, paced at ``--rate`` by the same pacer as the gateway: what the rate alone costs;
3. Odoo at ``--rate``: N ``sms.sms`` created and committed, then ``sms.sms._process_queue()``
   (what the SMS cron runs; batches of ``rate`` texts, committed after each) timed;
4. Odoo unpaced (``rate_per_second`` = N: one batch): Odoo's own cost per text.
For each run: sending time, achieved rate, and from the fake SMSC's log the texts received
(exactly N distinct expected: none lost, none twice).  For the Odoo runs also the states in
sms.sms right after sending ("Sent") and after the delivery reports ("Delivered").
"""

import argparse
import contextlib
import json
import math
import os
import re
import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(ROOT / "addons" / "hotline_notify" / "tests"))
sys.path.insert(0, str(ROOT / "addons" / "hotline_notify" / "tools"))

import kannel as kannel_tools  # noqa: E402  (addons/hotline_notify/tools/kannel.py, plain Python)
import kannel_harness  # noqa: E402
from benchlib import Timer, machine_facts, odoo_env, split_argv, write_section  # noqa: E402

SINK = """
import http.server, sys
class H(http.server.BaseHTTPRequestHandler):
    def _ok(self):
        self.send_response(200); self.send_header("Content-Length", "0"); self.end_headers()
    do_GET = do_POST = _ok
    def log_message(self, *args):
        pass
http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
"""


def body(run, index):
    return f"【12319】您反映的问题已受理，工单号{run}{index:05d}，感谢您对城市管理的监督。"


def number(prefix, index):
    return f"{prefix}{index:05d}"


class Pacer:
    """The gateway's pacing (models/hotline_sms_gateway.py RatePacer), for the paced baseline."""

    def __init__(self, rate):
        self.rate, self.start, self.count = rate, time.monotonic(), 0

    def wait(self):
        delay = self.start + self.count / self.rate - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        self.count += 1


def received_for(harness, prefix):
    messages = [m for m in harness.received() if m.receiver.startswith(prefix)]
    return messages


def wait_received(harness, prefix, count, timeout):
    """(messages, seconds waited) once ``count`` texts of the run arrived or the timeout passed."""
    start = time.monotonic()
    messages = received_for(harness, prefix)
    last, still = len(messages), 0
    while len(messages) < count and time.monotonic() - start < timeout:
        time.sleep(0.5)
        messages = received_for(harness, prefix)
        still = still + 1 if len(messages) == last else 0
        last = len(messages)
        if still > 20:  # nothing new for 10 s: stop waiting
            break
    return messages, time.monotonic() - start


def check_delivery(messages, count, run):
    """Exactly ``count`` distinct texts, each once, each with its expected text."""
    pairs = Counter((m.receiver, m.text()) for m in messages)
    distinct = len(pairs)
    twice = sum(n - 1 for n in pairs.values() if n > 1)
    wrong = sum(1 for (receiver, text) in pairs if text != body(run, int(receiver[-5:])))
    return {
        "received": len(messages),
        "distinct": distinct,
        "duplicates": twice,
        "lost": count - distinct,
        "wrong": wrong,
    }


# ------------------------------------------------------------
# runs
# ------------------------------------------------------------


def run_baseline(harness, sink_url, count, rate, run, prefix):
    client = kannel_tools.KannelClient(harness.sendsms_url)
    pacer = Pacer(rate) if rate else None
    outcomes = Counter()
    with Timer() as timer:
        for index in range(count):
            if pacer:
                pacer.wait()
            params = kannel_tools.sendsms_params(
                harness.username,
                harness.password,
                number(prefix, index),
                body(run, index),
                sender="12319",
                dlr_url=f"{sink_url}/dlr?i={index}&status=%d",
                max_messages=10,
            )
            outcomes[client.send(params).outcome] += 1
    client.close()
    messages, waited = wait_received(harness, prefix, count, timeout=120)
    result = {
        "run": run,
        "what": "plain Python loop, " + (f"paced at {rate}/s" if rate else "unpaced"),
        "count": count,
        "rate_configured": rate or None,
        "send_seconds": round(timer.seconds, 2),
        "achieved_rate": round(count / timer.seconds, 1),
        "outcomes": dict(outcomes),
        "smsc_wait_seconds": round(waited, 2),
    }
    result.update(check_delivery(messages, count, run))
    return result


def run_odoo(env, harness, base_url, count, rate, run, prefix, dlr_timeout):
    env["ir.config_parameter"].set_param("web.base.url", base_url)
    env["hotline.sms.gateway"].search([]).action_archive()
    gateway = env["hotline.sms.gateway"].create(
        {
            "name": f"bench {run}",
            "provider": "kannel",
            "url": harness.sendsms_url,
            "username": harness.username,
            "password": harness.password,
            "sender": "12319",
            "rate_per_second": rate,
        }
    )
    # only this run's texts in the queue
    env["sms.sms"].search([("state", "=", "outgoing")]).write({"state": "canceled"})
    with Timer() as create_timer:
        sms = env["sms.sms"].create([{"number": number(prefix, i), "body": body(run, i)} for i in range(count)])
    env.cr.commit()
    ids = sms.ids
    with Timer() as timer:
        env["sms.sms"]._process_queue()
    env.cr.commit()
    states_after_send = _states(env, ids)
    messages, waited = wait_received(harness, prefix, count, timeout=120)
    delivered_wait = _wait_delivered(env, ids, count, dlr_timeout)
    states_final = _states(env, ids)
    gateway.action_archive()
    env.cr.commit()
    batches = math.ceil(count / rate)
    result = {
        "run": run,
        "what": "Odoo sms.sms queue → hotline gateway → Kannel",
        "count": count,
        "rate_configured": rate,
        "batches": batches,
        "create_seconds": round(create_timer.seconds, 2),
        "send_seconds": round(timer.seconds, 2),
        "achieved_rate": round(count / timer.seconds, 1),
        "smsc_wait_seconds": round(waited, 2),
        "states_after_send": states_after_send,
        "states_after_reports": states_final,
        "reports_wait_seconds": round(delivered_wait, 2),
    }
    result.update(check_delivery(messages, count, run))
    return result


def _states(env, ids):
    env.cr.execute("SELECT state, count(*) FROM sms_sms WHERE id = ANY(%s) GROUP BY state", [ids])
    return dict(env.cr.fetchall())


def _wait_delivered(env, ids, count, timeout):
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        env.cr.rollback()  # a new snapshot: the reports are written by the HTTP server's transactions
        if _states(env, ids).get("sent", 0) >= count:
            break
        time.sleep(1.0)
    env.cr.rollback()
    return time.monotonic() - start


# ------------------------------------------------------------
# servers
# ------------------------------------------------------------


def start_odoo_http(odoo_args, port, log_path):
    odoo_bin = Path(os.environ.get("ODOO_PATH", "/opt/odoo")) / "odoo-bin"
    args = [sys.executable, str(odoo_bin), *odoo_args]
    args += ["--http-port", str(port), "--http-interface", "127.0.0.1", "--workers", "0", "--max-cron-threads", "0"]
    log = open(log_path, "ab")  # noqa: SIM115 (closed with the process)
    proc = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)  # noqa: S603
    if not kannel_harness.wait_port(port, timeout=120):
        proc.terminate()
        raise SystemExit(f"the Odoo HTTP server did not start: see {log_path}")
    return proc, log


def stop(proc):
    if proc and proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)


# ------------------------------------------------------------
# report
# ------------------------------------------------------------


def _findings(main, base_paced, base_free, odoo_free):
    rate = main["rate_configured"]
    lines = []
    if base_free["achieved_rate"] < rate:
        lines.append(
            f"- Kannel itself (the unpaced plain loop) takes at most {base_free['achieved_rate']:,.0f} texts/s "
            f"here, below the configured {rate}/s: the gateway's pacing never had to wait, every run went at "
            "Kannel's pace (smsbox answering each sendsms request and calling each delivery-report URL back)."
        )
    else:
        lines.append(
            f"- Configured rate {rate}/s, achieved {main['achieved_rate']:,.0f}/s "
            f"({main['achieved_rate'] / rate:.1%} of it): the pacing holds the rate, Kannel could take "
            f"{base_free['achieved_rate']:,.0f}/s."
        )
    lines.append(
        f"- Odoo at {rate}/s in {main['batches']} batches of {rate} (one committed transaction each): "
        f"{main['send_seconds']:.1f} s against {base_paced['send_seconds']:.1f} s for the plain loop paced the "
        f"same way, ratio {main['send_seconds'] / base_paced['send_seconds']:.2f}×. Unpaced (one batch): "
        f"{odoo_free['send_seconds']:.1f} s against {base_free['send_seconds']:.1f} s, ratio "
        f"{odoo_free['send_seconds'] / base_free['send_seconds']:.2f}×."
    )
    if main["send_seconds"] < base_paced["send_seconds"]:
        lines.append(
            "- Odoo faster than the plain loop, most likely because smsbox takes texts only as fast as it gets the "
            "delivery-report URLs answered, and the baselines' sink (one Python process) answers them slower than "
            "Odoo's HTTP server. Read the ratio as: Odoo's queue adds no measurable cost in front of Kannel."
        )
    return lines


def _pacing_lines(pacing):
    """The paced runs at a rate Kannel can take: is the configured rate held?"""
    base, odoo = pacing["baseline_paced"], pacing["odoo_paced"]
    rate = odoo["rate_configured"]
    return [
        f"### Pacing below Kannel's ceiling: {odoo['count']:,} texts at {rate}/s ({pacing['date']})",
        "",
        "| Run | Sending time | Achieved rate | Of the configured rate | Received | Lost | Twice |",
        "|---|---:|---:|---:|---:|---:|---:|",
        *(
            f"| {label} | {r['send_seconds']:.1f} s | {r['achieved_rate']:,.1f}/s | "
            f"{r['achieved_rate'] / rate:.1%} | {r['distinct']:,} of {r['count']:,} | {r['lost']} | {r['duplicates']} |"
            for label, r in (("Plain Python loop, same pacer", base), (f"**Odoo queue → gateway, {rate}/s**", odoo))
        ),
        "",
        f"- Odoo: {odoo['batches']} batches of {rate}, {odoo['send_seconds'] / base['send_seconds']:.2f}× the plain "
        f"loop's time; the rate is never exceeded (each text waits for its slot, start of batch + n/{rate} s) and "
        "the small shortfall is each batch's commit and query time.",
        f"- Delivered (reports back in Odoo): {odoo['states_after_reports'].get('sent', 0):,} of {odoo['count']:,}.",
    ]


def markdown(results, command, pacing=None):
    main = results["odoo_paced"]
    base_paced = results["baseline_paced"]
    base_free = results["baseline_unpaced"]
    odoo_free = results["odoo_unpaced"]
    rows = [
        "| Run | Sending time | Achieved rate | Received by the fake SMSC | Lost | Twice |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for key, label in (
        ("baseline_unpaced", "Baseline: plain Python loop, unpaced"),
        ("baseline_paced", f"Baseline: plain Python loop, paced at {main['rate_configured']}/s"),
        ("odoo_paced", f"**Odoo queue → gateway at {main['rate_configured']}/s**"),
        ("odoo_unpaced", "Odoo queue → gateway, unpaced (one batch)"),
    ):
        r = results[key]
        rows.append(
            f"| {label} | {r['send_seconds']:.1f} s | {r['achieved_rate']:,.0f}/s | "
            f"{r['distinct']:,} distinct of {r['count']:,} | {r['lost']} | {r['duplicates']} |"
        )
    facts = results["machine"]
    delivered = main["states_after_reports"].get("sent", 0)
    lines = [
        "## SMS gateway",
        "",
        f"{main['count']:,} texts queued in `sms.sms` and handed by `sms.sms._process_queue()` (what the SMS "
        "cron runs) to a real Kannel 1.4.5 (`bearerbox` + `smsbox`, `sendsms` HTTP) whose SMSC is Kannel's "
        f"`fakesmsc`; each text is a {len(body('D', 0))}-character Chinese text (UCS-2, one message), with a "
        f"delivery-report URL (dlr-mask {kannel_tools.DLR_MASK_DEFAULT}: delivered, failed, rejected) back to an "
        "Odoo HTTP server on the same database (the baselines' reports go to a minimal HTTP sink). "
        "The fake SMSC's log is the referee: every run must arrive as exactly that many distinct texts.",
        "",
        f"Measured {results['date']} with `{command}` (bench/bench_sms.py; JSON in var/bench/sms.json). "
        f"Machine: {facts.get('cpus')} CPUs ({facts.get('cpu', '?')}), {facts.get('memory', '?')}, "
        f"PostgreSQL {facts.get('postgresql', '?')}, load {facts.get('load', '?')} at the start.",
        "",
        *rows,
        "",
        *_findings(main, base_paced, base_free, odoo_free),
        f"- States right after sending: {json.dumps(main['states_after_send'])} (`pending` = Sent, accepted by "
        f"Kannel); after the delivery reports: {json.dumps(main['states_after_reports'])} "
        f"(`sent` = Delivered: {delivered:,} of {main['count']:,}, "
        f"{main['reports_wait_seconds']:.0f} s after the end of sending).",
        f"- Creating the {main['count']:,} `sms.sms` records took {main['create_seconds']:.1f} s (not in the "
        "sending time).",
        "",
        *([*_pacing_lines(pacing), ""] if pacing else []),
        "Run it: `scripts/bench_sms.sh` (HOTLINE_BENCH_SMS_COUNT, HOTLINE_BENCH_SMS_RATE, "
        "HOTLINE_BENCH_SMS_PACING_RATE; part of `make bench`).",
    ]
    return "\n".join(lines) + "\n"


def write_report(path, results, command, pacing_json=None):
    pacing = None
    if pacing_json and Path(pacing_json).exists():
        pacing = json.loads(Path(pacing_json).read_text(encoding="utf-8"))
    section = re.compile(r"^## SMS gateway\n.*?(?=^## |\Z)", re.MULTILINE | re.DOTALL)
    write_section(path, section, markdown(results, command, pacing))


def main():
    script_args, odoo_args = split_argv(sys.argv[1:])
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=10000)
    parser.add_argument("--rate", type=int, default=500)
    parser.add_argument("--dlr-timeout", type=float, default=120.0)
    parser.add_argument("--json")
    parser.add_argument("--markdown")
    parser.add_argument("--command", default="scripts/bench_sms.sh")
    parser.add_argument("--log-dir", default=str(ROOT / "var" / "log"))
    parser.add_argument("--from-json", help="only write the markdown section from an earlier run's JSON")
    parser.add_argument("--runs", default="baseline_unpaced,baseline_paced,odoo_paced,odoo_unpaced")
    parser.add_argument("--pacing-json", help="a second run's JSON (paced runs below Kannel's ceiling) for the report")
    args = parser.parse_args(script_args)
    if args.from_json:
        results = json.loads(Path(args.from_json).read_text(encoding="utf-8"))
        write_report(args.markdown, results, args.command, args.pacing_json)
        return
    if not kannel_harness.kannel_available():
        raise SystemExit("Kannel is missing: apt-get install kannel kannel-extras")

    harness = kannel_harness.KannelHarness(log_level=2).start()
    sink_port = kannel_harness.free_port()
    sink = subprocess.Popen([sys.executable, "-c", SINK, str(sink_port)])  # noqa: S603
    odoo_port = kannel_harness.free_port()
    odoo_proc = log = None
    results = {"date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")}
    stack = contextlib.ExitStack()
    try:
        odoo_proc, log = start_odoo_http(odoo_args, odoo_port, Path(args.log_dir) / "bench_sms_http.log")
        kannel_harness.wait_port(sink_port, timeout=120)
        sink_url = f"http://127.0.0.1:{sink_port}"
        base_url = f"http://127.0.0.1:{odoo_port}"
        env = stack.enter_context(odoo_env(odoo_args))
        results["machine"] = machine_facts(env.cr)
        env.cr.rollback()
        n, rate = args.count, args.rate
        plan = {
            "baseline_unpaced": lambda: run_baseline(harness, sink_url, n, 0, "B", "13900"),
            "baseline_paced": lambda: run_baseline(harness, sink_url, n, rate, "P", "13910"),
            "odoo_paced": lambda: run_odoo(env, harness, base_url, n, rate, "D", "13800", args.dlr_timeout),
            "odoo_unpaced": lambda: run_odoo(env, harness, base_url, n, n, "U", "13810", args.dlr_timeout),
        }
        for key in args.runs.split(","):
            print(f"{key} ({n} texts, rate {rate}/s)", flush=True)
            results[key] = plan[key]()
            print(json.dumps(results[key]), flush=True)
    finally:
        stack.close()
        stop(odoo_proc)
        if log:
            log.close()
        stop(sink)
        harness.stop()
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps(results, indent=2, ensure_ascii=False), encoding="utf-8")
    if args.markdown:
        write_report(args.markdown, results, args.command, args.pacing_json)
    bad = [key for key in results if isinstance(results[key], dict) and results[key].get("lost", 0)]
    bad += [key for key in results if isinstance(results[key], dict) and results[key].get("duplicates", 0)]
    if bad:
        raise SystemExit(f"texts lost or sent twice in: {', '.join(sorted(set(bad)))}")


if __name__ == "__main__":
    main()
