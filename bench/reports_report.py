"""Writes the results of bench/bench_reports.py into docs/BENCHMARKS.md.

    python bench/reports_report.py results.json docs/BENCHMARKS.md [--generation TEXT] [--command TEXT]

The section lives between ``<!-- reports -->`` and ``<!-- /reports -->``: a new run replaces it and
keeps the rest of the file (the other benchmarks' sections are written by their own scripts,
possibly at the same time: the file is read again right before it is written).
"""

import argparse
import json
import re
from datetime import UTC, datetime
from pathlib import Path

from benchlib import write_section

START, END = "<!-- reports -->", "<!-- /reports -->"


def _ms(value):
    return f"{value:,.1f} ms"


def _timing(timing):
    return f"{_ms(timing['p50_ms'])} | {_ms(timing['p95_ms'])} | {_ms(timing['max_ms'])}"


def _verdict(passed):
    return "**pass**" if passed else "**FAIL**"


def _period(bounds):
    """'2026-10-31 16:00:00' (UTC) → the local (UTC+8) date."""
    start, end = (datetime.fromisoformat(value) for value in bounds)
    shift = 8 * 3600
    start = datetime.fromtimestamp(start.replace(tzinfo=UTC).timestamp() + shift, UTC)
    end = datetime.fromtimestamp(end.replace(tzinfo=UTC).timestamp() + shift - 1, UTC)
    return f"{start:%Y-%m-%d} – {end:%Y-%m-%d}"


def _generation_line(generation):
    return f"Data: {generation}." if generation else ""


def section(results, generation, command):
    targets = results["targets"]
    machine = results["machine"]
    pivot, traffic, ranking = results["pivot"], results["traffic"], results["ranking"]
    totals = results.get("totals") or {}
    export = results.get("export")
    when = results.get("date") or datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    pivot_ms = pivot["read_group"]["p50_ms"]
    pivot_ok = max(pivot["orm"]["p50_ms"], pivot_ms) <= targets["pivot_ms"]
    ratio = max(pivot["ratio_p50"], pivot["read_group_ratio_p50"])
    ratio_ok = ratio <= targets["pivot_sql_ratio"]
    traffic_ok = traffic["orm"]["p50_ms"] <= targets["traffic_ms"]
    orm_ok = pivot["orm"]["p50_ms"] <= targets["pivot_ms"] and pivot["ratio_p50"] <= targets["pivot_sql_ratio"]
    read_group_ok = pivot_ms <= targets["pivot_ms"] and pivot["read_group_ratio_p50"] <= targets["pivot_sql_ratio"]
    lines = [
        START,
        "## Reports",
        "",
        "`scripts/bench_reports.sh` (also run at the end of `make bench`; `HOTLINE_BENCH_SKIP_REPORTS=1` skips it)",
        "creates the database `hotline_bench_reports` with `hotline_reports` and its demo data, generates cases",
        "with `bench/generate_cases.py` and calls with `bench/generate_calls.py` (one PBX, two years ending now,",
        "85 % inbound: answered or abandoned, wait and talk times, the demo operators as agents, about a third of",
        "the answered calls linked to a case), runs `VACUUM ANALYZE`, then `bench/bench_reports.py`: in-process,",
        "as a hotline manager (`bench_report_manager`, no superuser: access rights and record rules apply), with",
        "the web client's context (tz Asia/Shanghai), after warm-up runs, each measure repeated "
        f"{results['runs']} times (caches emptied before each run, as a new request finds them).",
        "`HOTLINE_BENCH_REUSE=1` keeps a database that has its data (the addon is updated first).",
        "",
        f"Run {when}: `{command}`.",
        "",
        _generation_line(generation),
        "",
        f"Sizes: {results['cases']:,} cases, {results['calls']:,} calls. The month is the current one "
        f"({_period(results['month'])}, {pivot['cases']:,} cases: the newest cases of the generator are its open "
        f"ones), the year the twelve months ending with it ({_period(results['year'])}, {traffic['calls']:,} calls).",
        "",
        "| measure | source | p50 | p95 | max | plain SQL p50 | ratio to SQL | target | result |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
        f"| a) month's pivot, district × main category: `_read_group` ({pivot['groups']} cells) "
        f"| {pivot['source']} | {_timing(pivot['orm'])} | {_ms(pivot['sql']['p50_ms'])} "
        f"| {pivot['ratio_p50']:.2f} | ≤ {targets['pivot_ms']:g} ms, ≤ {targets['pivot_sql_ratio']:g}× SQL "
        f"| {_verdict(orm_ok)} |",
        f"| a) the same as the pivot view asks it: `read_group(lazy=False)` | {pivot['source']} "
        f"| {_timing(pivot['read_group'])} | {_ms(pivot['sql']['p50_ms'])} | {pivot['read_group_ratio_p50']:.2f} "
        f"| ≤ {targets['pivot_ms']:g} ms, ≤ {targets['pivot_sql_ratio']:g}× SQL "
        f"| {_verdict(read_group_ok)} |",
        f"| a) the pivot's first load: its 4 `read_group` (total, rows, columns, cells), one after the other "
        f"| {pivot['source']} | {_timing(pivot['pivot_load'])} | — | — | — | — |",
        f"| a) `_read_group` through the view, without the daily totals ({pivot['orm_view']['runs']} runs) "
        f"| view | {_timing(pivot['orm_view'])} | {_ms(pivot['sql']['p50_ms'])} "
        f"| {pivot['orm_view']['p50_ms'] / pivot['sql']['p50_ms']:.2f} | — | — |",
        f"| b) year's traffic by week: `_read_group` ({traffic['weeks']} weeks, {traffic['offered']:,} offered) "
        f"| {traffic['source']} | {_timing(traffic['orm'])} | {_ms(traffic['sql']['p50_ms'])} "
        f"| {traffic['ratio_p50']:.3f} | ≤ {targets['traffic_ms']:g} ms | {_verdict(traffic_ok)} |",
        f"| b) `_read_group` through the view, without the daily totals ({traffic['orm_view']['runs']} runs) "
        f"| view | {_timing(traffic['orm_view'])} | {_ms(traffic['sql']['p50_ms'])} "
        f"| {traffic['orm_view']['p50_ms'] / traffic['sql']['p50_ms']:.2f} | — | — |",
        f"| c) department ranking `score_for` over the month ({ranking['departments']} departments, "
        f"{ranking['cases']:,} dispatched cases) | view | {_timing(ranking['orm'])} | — | — | — | — |",
    ]
    if export is None:
        lines += [
            "",
            "TODO: the year's xlsx export (`hotline.report.export`) is to be measured once the wizard exists.",
        ]
    elif export.get("error") and not export.get("seconds"):
        lines += ["", f"d) A year's xlsx export (`hotline.report.export`): failed: {export['error']}."]
    else:
        size = f", {export['file_bytes'] / 1024:,.0f} KiB" if export.get("file_bytes") else ""
        lines += [
            "",
            f"d) A year's xlsx export (`hotline.report.export`, {export['date_from']} – {export['date_to']}, "
            f"{export.get('sheets') or '?'} sheets{size}), built in-process as the manager (`action_export` then "
            f"`_build`, what its cron runs; rolled back): **{export['seconds']:,.1f} s**, state "
            f"`{export['state']}`{', error: ' + export['error'] if export.get('error') else ''}; peak RSS of the "
            f"process {export['peak_rss_mib_before']:,.0f} MiB before, {export['peak_rss_mib_after']:,.0f} MiB "
            "after (`resource.getrusage`).",
        ]
    lines += [
        "",
        f"Targets: pivot {_verdict(pivot_ok and ratio_ok)} (worst p50 {max(pivot['orm']['p50_ms'], pivot_ms):.1f} ms, "
        f"worst ratio {ratio:.2f}); traffic {_verdict(traffic_ok)} ({traffic['orm']['p50_ms']:.1f} ms). "
        "Every ORM figure is checked against the plain SQL (and the totals against the view) in the run.",
        "",
        "Plain SQL: the pivot's `GROUP BY` on `hotline_case` with the view's joins (category → main category), the",
        "traffic's aggregation on `hotline_call` with the view's expressions and Odoo's week; `cr.execute` in the",
        f"same process and run. Plans (`EXPLAIN (ANALYZE, BUFFERS)` of the ORM's SQL): `{results.get('plans_file')}`.",
    ]
    if totals:
        built = "; ".join(
            f"`{name}` {value['rows']:,} rows in {value['seconds']:.1f} s" for name, value in totals.items()
        )
        lines += [
            "",
            f"Daily totals (built in full before the measures, time zone {next(iter(totals.values()))['tz']}): "
            f"{built}.",
        ]
    lines += [
        "",
        "Why the daily totals (`hotline_reports/models/hotline_report_rollup.py`): through the view, the traffic of",
        f"a year aggregates {traffic['calls']:,} calls ({traffic['orm_view']['p50_ms'] / 1000:.1f} s, "
        f"{traffic['orm_view']['p50_ms'] / targets['traffic_ms']:.0f}× the target), and even the plain SQL takes "
        f"{traffic['sql']['p50_ms'] / 1000:.1f} s on this machine (`timezone()` and `date_trunc` on every row).",
        f"The pivot reads the month's {pivot['cases']:,} cases by index and joins the categories twice per case;",
        "`read_group` then also sorts every case by district and category name for the order of the groups",
        "(first measures, before the change, on the same data with the machine busier: 178 ms for `_read_group`,",
        "439 ms for `read_group`, 905 ms for the pivot's first load; 5.3 s for the traffic). The reports now keep one",
        "row per local day and key (cases: district, category; calls: direction, PBX, agent, queue) with the count,",
        "sum, min and max of their measures; `_read_group` answers from them when that is exact (keys only in the",
        "domain, record rules and groups; dates bounded at local midnight; count/sum/avg/min/max; the user's time",
        "zone that of the totals), else from the view. Days changed since the last refresh (the ORM notes their",
        "hours; the SQL writers of the suite too) are read from the view; a cron refreshes them every 5 minutes.",
        "",
        "Machine: "
        + ", ".join(
            f"{key} {machine[key]}"
            for key in ("cpu", "cpus", "memory", "load", "postgresql", "python", "os")
            if key in machine
        )
        + ". The machine is shared with other work: numbers vary by ±20 % or more.",
        END,
    ]
    return "\n".join(line for line in lines if line is not None)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("results")
    parser.add_argument("markdown")
    parser.add_argument("--generation", default="")
    parser.add_argument("--command", default="scripts/bench_reports.sh")
    args = parser.parse_args()
    results = json.loads(Path(args.results).read_text(encoding="utf-8"))
    # when the measures ended (the results file's time, for results written without their date)
    mtime = datetime.fromtimestamp(Path(args.results).stat().st_mtime, UTC)
    results.setdefault("date", mtime.strftime("%Y-%m-%d %H:%M UTC"))
    path = Path(args.markdown)
    pattern = re.compile(re.escape(START) + r".*?" + re.escape(END), re.S)
    generation = args.generation
    # read right before writing: other benchmarks write their own sections of the file
    text = path.read_text(encoding="utf-8") if path.exists() else "# Benchmarks\n"
    previous = pattern.search(text)
    if generation.startswith("(reused") and previous:
        earlier = re.search(r"^Data: (.*?)(?: \(database reused\))?\.$", previous[0], re.M)
        if earlier and not earlier[1].startswith("(reused"):
            generation = f"{earlier[1]} (database reused)"
    new = section(results, generation, args.command)
    write_section(path, pattern, new)


if __name__ == "__main__":
    main()
