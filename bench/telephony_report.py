"""Writes the telephony benchmark results (var/bench/telephony_*.json) into docs/BENCHMARKS.md.

    python bench/telephony_report.py [--markdown docs/BENCHMARKS.md] [--command TEXT]

Only the section "## Telephony" is written (between ``<!-- telephony -->`` markers); the rest
of the file is kept as it is, re-read right before writing. The file is created with a
``# Benchmarks`` title when it does not exist.
"""

import argparse
import json
import re
from datetime import UTC, datetime
from pathlib import Path

from benchlib import write_section
from telephony_support import RESULTS_DIR

ROOT = Path(__file__).resolve().parent.parent
BEGIN, END = "<!-- telephony -->", "<!-- /telephony -->"
SECTION_RE = re.compile(rf"{re.escape(BEGIN)}.*?{re.escape(END)}\n?", re.S)
HEADING_RE = re.compile(r"^## Telephony[^\n]*\n.*?(?=^## |\Z)", re.S | re.M)


def load(name):
    path = RESULTS_DIR / f"telephony_{name}.json"
    if not path.exists():
        return None
    data = json.loads(path.read_text(encoding="utf-8"))
    data.setdefault("written_at", datetime.fromtimestamp(path.stat().st_mtime, UTC).isoformat(timespec="seconds"))
    return data


def fmt(value, spec=","):
    if value is None:
        return "–"
    return format(value, spec)


def machine_lines(*results):
    facts = {}
    for result in results:
        for key, value in ((result or {}).get("machine") or {}).items():
            facts.setdefault(key, value)
    loads = []
    for result in results:
        if not result:
            continue
        machine = result.get("machine") or {}
        for key in ("load_before", "load_after"):
            if machine.get(key) is not None:
                loads.append(machine[key])
        for run in result.get("runs", []):
            for key in ("load_before", "load_after"):
                if run.get(key) is not None:
                    loads.append(run[key])
        if (result.get("database") or {}).get("load_before") is not None:
            loads.append(result["database"]["load_before"])
    cpu = facts.get("cpu", "?")
    line = (
        f"Machine: {facts.get('cpus', '?')} cores ({cpu}), {facts.get('memory', '?')} RAM, "
        f"{facts.get('os', '?')}, Python {facts.get('python', '?')}"
    )
    if facts.get("postgresql"):
        line += f", PostgreSQL {facts['postgresql']} on the same machine"
    line += "."
    lines = [line]
    if loads:
        lines.append(
            f"The machine is shared (other developers' Odoo test runs): 1-minute load average "
            f"{min(loads):g}–{max(loads):g} during these runs, on 2 cores. Every process here (Odoo, "
            "the bridge, PostgreSQL, the load generator) competed for the same 2 cores, so the "
            "latencies are pessimistic and vary from run to run."
        )
    return lines


def screen_pop_part(result):
    if not result:
        return ["*(not run)*", ""]
    target = result.get("target_p95_to_rpc", 3)
    workers = result.get("workers")
    server = (
        f"{workers} HTTP worker processes and the gevent websocket process, as `make run` serves"
        if workers
        else "threaded, `--workers=0`"
    )
    lines = [
        "### Screen-pop latency",
        "",
        "From the moment the AMI server writes a call's `AgentCalled` to the bridge's socket to the",
        "`NOTIFY imbus` PostgreSQL delivers after Odoo committed the `hotline/screen_pop` bus",
        "notification (`LISTEN imbus`, then the row read from `bus_bus` to identify the call and check",
        f"it went to the ringing operator's partner). Real Odoo ({server}) on ",
        f"`{result.get('db')}`, the bridge as its own process, calls = the `01_answered` recording",
        "rewritten per call (agents 1001/1002 alternately, one caller in three known with cases), each",
        "at its recorded pace (rings 0.5 s after it starts, answered at 1.5 s, hung up at 5 s).",
        "",
        "Baseline in the same run, on the same server: a one-record committing RPC (the web client's",
        "`/web/dataset/call_kw` creating a `res.partner.category` as `admin`, round trip), timed one",
        "after the other right before each run (*alone*) and one every 0.5 s during it (*during*).",
        f"Target: screen-pop p95 at most {target}× the RPC's p95 at 2 calls/s.",
        "",
        "| run | calls | load | p50 | p95 | p99 | max | RPC p95 alone / during | **p95 / RPC p95 alone** "
        "| p95 / RPC p95 during | spool depth mean / max | missing / misrouted |",
        "|---|---:|---|---:|---:|---:|---:|---|---:|---:|---|---|",
    ]
    for run in result["runs"]:
        if run["label"] == "bridge only":
            continue
        lat = run["latency"]
        how = "random arrivals, mean gap" if run.get("arrivals", "").startswith("random") else "one call every"
        load = f"{how} {run['interval_s']:g} s (~{run['concurrent_calls']:g} calls at once)"
        alone, during = run.get("rpc_alone") or {}, run.get("rpc_during") or {}
        lines.append(
            f"| {run['label']} | {run['calls']} | {load} | {lat.get('p50_ms')} ms | {lat.get('p95_ms')} ms | "
            f"{lat.get('p99_ms')} ms | {lat.get('max_ms')} ms | {alone.get('p95_ms', '–')} / "
            f"{during.get('p95_ms', '–')} ms | **{fmt(run.get('p95_to_rpc_alone'), '')}×** | "
            f"{fmt(run.get('p95_to_rpc_during'), '')}× | "
            f"{fmt(run.get('spool_depth_mean'))} / {fmt(run.get('spool_depth_max'))} | "
            f"{run['missing']} / {run['misrouted']} |"
        )
    lines.append("")
    parts = []
    for run in result["runs"]:
        if run["label"] == "bridge only":
            lat = run["latency_to_post"]
            parts.append(
                f"- **The bridge's share** ({run['calls']} calls, random arrivals, mean gap {run['interval_s']:g} s, "
                "a fake Odoo acknowledging at once): `AgentCalled` "
                f"written → ringing event POSTed: p50 {lat.get('p50_ms')} ms, p95 {lat.get('p95_ms')} ms, "
                f"p99 {lat.get('p99_ms')} ms."
            )
            continue
        alone = run.get("rpc_alone") or {}
        if alone:
            parts.append(
                f"- **The baseline RPC** ({run['label']} run): alone p50 {alone.get('p50_ms')} ms, "
                f"p95 {alone.get('p95_ms')} ms ({alone.get('count')} RPCs); during the calls p50 "
                f"{(run.get('rpc_during') or {}).get('p50_ms', '–')} ms, "
                f"p95 {(run.get('rpc_during') or {}).get('p95_ms', '–')} ms."
            )
        request = (run.get("odoo_request") or {}).get("/hotline/pbx/event")
        if request:
            parts.append(
                f"- **Odoo's share** ({run['label']} run): `POST /hotline/pbx/event` as Odoo logs it "
                f"(request in → response out, commit included): p50 {request['p50_ms']} ms, "
                f"p95 {request['p95_ms']} ms over {request['count']} requests, {request['queries_mean']} "
                f"SQL queries per request on average, {int(request['sql_share'] * 100)} % of the time in SQL."
            )
    lines.extend(parts)
    lines.append("")
    return lines


def bridge_part(result):
    if not result:
        return ["*(not run)*", ""]
    main = result["runs"][0]
    lines = [
        "### Bridge event throughput",
        "",
        "A busy day's AMI stream into the bridge (its own process, SQLite spool) with a fake Odoo",
        "(aiohttp on 127.0.0.1) acknowledging every POST at once. The stream is the real `01_answered`",
        f"recording ({main['ami_events_per_call']} AMI events per call) rewritten per call (uniqueids,",
        "linkedids, Local channel numbers, bridge ids, agent 1001/1002, caller number), interleaved",
        f"round robin so that **{main['concurrent_calls']} calls are in progress at once**, in "
        f"{main['waves']} successive wave(s); every write is drained, so a bridge reading slower slows",
        "the stream down. *Delivered* counts up to the last hangup acknowledged by the fake Odoo; a call",
        "counts as lost unless its ringing, answered and real hangup events and all its CDRs arrived.",
        "",
        "| run | calls | AMI events | sent ev/s | delivered ev/s | ratio to 300 ev/s | lag after the last event "
        "| calls lost (CDRs missing) | AMI reconnects | RSS start / middle / end (max) | bridge CPU per event |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|",
    ]
    for run in result["runs"]:
        rss = run["rss_mib"]
        lines.append(
            f"| {run['label']} | {run['calls']} ({run['concurrent_calls']} at once) | {fmt(run['ami_events'])} | "
            f"{fmt(run['sent_events_per_s'])} | {fmt(run['delivered_events_per_s'])} | "
            f"{run['delivered_events_per_s'] / 300:.1f} | {run['drain_lag_s']} s | "
            f"{run['calls_lost']} ({run.get('cdrs_missing', '–')}) | {run.get('ami_reconnects', '–')} | "
            f"{rss['start']} / {rss['middle']} / {rss['end']} ({rss['max']}) MiB | {run['cpu_us_per_event']} µs |"
        )
    lines += [
        "",
        f"Main run: every call's ringing, answered and hangup events and its 3 CDRs arrived "
        f"({main['events_received']}, {main['cdrs_received']} CDRs, {main['duplicates_received']} duplicates, "
        f"{main['odoo_posts']} POSTs of {main['items_per_post']} items on average); spool empty and no dead "
        f"letter at the end ({main['bridge_health']}); {main['ami_reconnects']} AMI reconnects. "
        f"The bridge's CPU time per AMI event ({main['cpu_us_per_event']} µs, everything included: "
        "AMI parsing, call tracking, spool, JSON, HTTP) puts its ceiling at about "
        f"{fmt(main['cpu_bound_events_per_s'])} events/s on one free core.",
        "",
    ]
    return lines


def import_part(result):
    if not result:
        return ["*(not run)*", ""]
    wizard = result["wizard"]
    return [
        "### Master.csv import",
        "",
        f"{fmt(result['rows'])} rows ({result['file_mb']} MB, {fmt(result['calls_in_file'])} calls over "
        f"{result['days']} days) generated from the real `cdr.csv` lines of "
        "`addons/hotline_telephony/tests/data/` (answered, abandoned, click-to-call and supervisor "
        "calls; new uniqueids, Local channel numbers and times per copy; cdr_csv's 18 columns, "
        "no linkedid: rows are grouped into calls by channel relations), imported through the "
        "`hotline.cdr.import` wizard (`create` with the base64 file, then `action_import`) in one "
        "transaction, rolled back afterwards. The bare `COPY` loads the same file into a scratch table "
        "with the same 18 columns (no index) on the same connection.",
        "",
        "| | seconds | rows/s |",
        "|---|---:|---:|",
        f"| wizard `action_import` (parse, insert, group into calls, link cases) | {result['import_seconds']} | "
        f"{fmt(result['import_rows_per_s'])} |",
        f"| storing the upload (wizard `create`) | {result['upload_seconds']} | |",
        f"| bare PostgreSQL `COPY` | {result['copy_seconds']} | {fmt(result['copy_rows_per_s'])} |",
        f"| **ratio import / COPY** | **{result['ratio_import_to_copy']}×** | |",
        "",
        f"Result: {fmt(wizard['created'])} created, {wizard['duplicates']} already present, "
        f"{wizard['rejected']} rejected, {fmt(wizard['calls'])} calls created "
        "(a supervisor's listening session is one of them, marked as a monitoring session and left out of "
        "the call statistics).",
        "",
    ]


def section(command):
    screen_pop, bridge, cdr_import = load("screen_pop"), load("bridge"), load("cdr_import")
    written = sorted(r["written_at"][:16].replace("T", " ") for r in (screen_pop, bridge, cdr_import) if r)
    when = f"{written[0]}–{written[-1][11:]} UTC" if written else f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC"
    lines = [
        BEGIN,
        "## Telephony",
        "",
        f"Run {when} with `{command}` (scripts/bench_telephony.sh: "
        "bench/bench_telephony_screen_pop.py, bench_telephony_bridge.py, bench_telephony_cdr_import.py; "
        "raw results in var/bench/telephony_*.json).",
        "",
        *machine_lines(screen_pop, bridge, cdr_import),
        "",
        *screen_pop_part(screen_pop),
        *bridge_part(bridge),
        *import_part(cdr_import),
    ]
    notes = ROOT / "bench" / "telephony_notes.md"
    if notes.exists():
        lines += [notes.read_text(encoding="utf-8").strip(), ""]
    lines.append(END)
    return "\n".join(lines) + "\n"


def write(markdown, new):
    write_section(markdown, SECTION_RE, new, fallback=HEADING_RE)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--markdown", default=str(ROOT / "docs" / "BENCHMARKS.md"))
    parser.add_argument("--command", default="scripts/bench_telephony.sh")
    args = parser.parse_args()
    new = section(args.command)
    write(args.markdown, new)  # re-reads the file just now: the other sections stay as they are
    print(f"## Telephony written to {args.markdown}")


if __name__ == "__main__":
    main()
