"""Writes the results of bench/bench_case.py into docs/BENCHMARKS.md.

    python bench/report.py results.json docs/BENCHMARKS.md [--generation TEXT] [--command TEXT]

The case benchmarks live between ``<!-- cases -->`` and ``<!-- /cases -->`` (other benchmarks of
the file are kept); each database size gets its own section (between ``<!-- bench:N -->``
markers): a new run replaces the section of its size and keeps the others.
"""

import argparse
import json
import re
from datetime import UTC, datetime
from pathlib import Path

INTRO = """## Cases

`make bench` (scripts/bench.sh) creates the database `hotline_bench` with `hotline_case` and its
demo data, generates cases with `bench/generate_cases.py` (SQL `INSERT ... SELECT` over
`generate_series`: two years of cases across the demo city, the newest ones open), then runs
`bench/bench_case.py` through the ORM in an `odoo.registry` environment started with the same
odoo-bin options as `make run` / `make test` (`scripts/lib.sh` `odoo_cmd`). Every measure is
rolled back, so the benchmarks can be run again on the same database
(`HOTLINE_BENCH_REUSE=1 make bench`). `HOTLINE_BENCH_CASES=100000 make bench` runs a smaller size.

What is measured:

- **Registration**: an operator creates a case through the ORM (caller looked up by phone,
  time-limit policy, stage deadline and stage log, chatter), then a supervisor accepts it
  (routing rules → department, processing number); milliseconds per case.
- **Time-limit cron** (`hotline.case._cron_check_deadlines`, every 5 minutes): a *scheduled run*
  in the steady state (flags as the run 5 minutes earlier left them), and a *cold sweep* (after a
  stop: every open case reset to "on time" and committed, then runs until the cron would stop
  asking to run again; it marks at most `batch_size` overdue and as many due-soon cases per run).
  The reset is undone afterwards. Target: < 10 s per run.
- **Case list, first page**: what the web client asks when a supervisor opens *Cases*: the
  action's default filter (open cases), the list view's fields, `web_search_read(limit=80,
  count_limit=10001)`, server time (median and 90th percentile), plus the SQL of the search
  alone (`EXPLAIN ANALYZE`). Target: < 200 ms.

Notes:

- Index added for these numbers: `hotline_case_open_order_index`, a partial index on
  `(priority DESC, reported_at DESC, id DESC) WHERE state NOT IN ('done', 'cancel') OR state IS NULL`
  (`hotline_case/models/hotline_case_portal.py`, `init()`). It serves both the first page of the
  list in the model's order and its count (`count_limit`) without reading the closed cases: at
  1,000,000 cases the list's search went from a 420 ms parallel sequential scan to under 1 ms. The
  predicate must read as the ORM writes `("state", "not in", [...])` (with `OR state IS NULL`), or
  PostgreSQL does not use it. The cron's own partial indexes on `deadline` and `warning_at` are
  hotline_case's.
- After the load, `make bench` runs `VACUUM ANALYZE hotline_case` (what autovacuum does on its own
  later): index-only scans need the visibility map.
- PostgreSQL's JIT compiler (on by default, `jit_above_cost` 100000) costs 0.5–0.6 s of compilation
  on the department portal's count at 1,000,000 cases (868 ms with JIT, 229 ms without, for a
  department with 16,500 open cases). Odoo's queries gain nothing from JIT: `jit = off` on the
  server is advised.
- Generation keeps what the ORM would: unique numbers continuing the existing ones per year (and
  the `ir.sequence` date ranges moved past them), `state` and `acceptance_status` in step, stage
  dates per state, normalized phones, callers as `res.partner` rows, a stage-log line, deadline and
  warning time for every open case, supervisions (1 % of open cases, `is_supervised` set) and
  assisting departments (2 %). Closed cases carry no chatter and no stage history.
"""


def _fmt(value, digits=1):
    return f"{value:,.{digits}f}"


def section(results, generation, command):
    reg = results["registration"]
    cron = results["cron"]
    listing = results["list"]
    targets = results["targets"]
    machine = results["machine"]
    steady, sweep = cron["steady"], cron["sweep"]
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    cases = results["cases"]
    lines = [
        f"<!-- bench:{cases} -->",
        f"### {cases:,} cases",
        "",
        f"Run {when}: `{command}`.",
        "",
        f"Generation: {generation}" if generation else "",
        "",
        "| measure | result | target | ratio to target |",
        "| --- | --- | --- | --- |",
        f"| registration: create (ORM, {reg['count']} cases) | {_fmt(reg['create_ms'])} ms/case | — | — |",
        f"| registration: acceptance with routing | {_fmt(reg['accept_ms'])} ms/case | — | — |",
        f"| time-limit cron, scheduled run ({cron['open_cases']:,} open cases; "
        f"{steady['overdue']:,} newly overdue, {steady['warning']:,} due soon) | {_fmt(steady['seconds'], 2)} s "
        f"| {targets['cron_seconds']:g} s | {steady['seconds'] / targets['cron_seconds']:.2f} |",
        f"| time-limit cron, cold sweep ({sweep['overdue']:,} overdue + {sweep['warning']:,} due soon marked "
        f"in {sweep['runs']} run(s) of at most {sweep.get('batch_size', '?'):,} each) | {_fmt(sweep['seconds'], 2)} s "
        f"(longest run {_fmt(sweep['max_run_seconds'], 2)} s) "
        f"| {targets['cron_seconds']:g} s per run | {sweep['max_run_seconds'] / targets['cron_seconds']:.2f} |",
        f"| case list, first page ({listing['records']} of {listing['length']:,}+ open cases, "
        f"{listing['fields']} fields) | median {_fmt(listing['median_ms'])} ms, p90 {_fmt(listing['p90_ms'])} ms "
        f"| {targets['list_ms']:g} ms | {listing['median_ms'] / targets['list_ms']:.2f} |",
        f"| case list: the SQL search alone | {_fmt(listing['sql_ms'] or 0, 2)} ms ({listing['sql_plan_top']}) "
        "| — | — |",
        "",
        "Machine: "
        + ", ".join(
            f"{key} {machine[key]}"
            for key in ("cpu", "cpus", "memory", "load", "postgresql", "python", "os")
            if key in machine
        )
        + ". The machine is shared with other work: numbers vary by ±20 %.",
        "",
        f"<!-- /bench:{cases} -->",
    ]
    return "\n".join(line for line in lines if line is not None)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("results")
    parser.add_argument("markdown")
    parser.add_argument("--generation", default="")
    parser.add_argument("--command", default="make bench")
    args = parser.parse_args()
    results = json.loads(Path(args.results).read_text(encoding="utf-8"))
    path = Path(args.markdown)
    text = path.read_text(encoding="utf-8") if path.exists() else "# Benchmarks\n"
    block_re = re.compile(r"<!-- cases -->\n(.*?)<!-- /cases -->", re.S)
    match = block_re.search(text)
    block = match[1] if match else INTRO
    cases = results["cases"]
    pattern = re.compile(rf"<!-- bench:{cases} -->.*?<!-- /bench:{cases} -->", re.S)
    generation = args.generation
    previous = pattern.search(block)
    if generation.startswith("(reused") and previous:
        # keep how the reused database was generated
        earlier = re.search(r"^Generation: (.*?)(?: \(database reused\))?$", previous[0], re.M)
        if earlier and not earlier[1].startswith("(reused"):
            generation = f"{earlier[1]} (database reused)"
    new = section(results, generation, args.command)
    if pattern.search(block):
        block = pattern.sub(lambda _match: new, block)
    else:
        block = block.rstrip("\n") + "\n\n" + new + "\n"
    wrapped = f"<!-- cases -->\n{block.rstrip()}\n<!-- /cases -->"
    if match:
        text = block_re.sub(lambda _match: wrapped, text)
    else:
        text = text.rstrip("\n") + "\n\n" + wrapped + "\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text.rstrip("\n") + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
