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
`bench/bench_case.py`, `bench/profile_case.py` and `bench/bench_case_import.py` through the ORM in an
`odoo.registry` environment started with the same odoo-bin options as `make run` / `make test`
(`scripts/lib.sh` `odoo_cmd`). Every measure is rolled back, so the benchmarks can be run again on the
same database (`HOTLINE_BENCH_REUSE=1 make bench`). `HOTLINE_BENCH_CASES=100000 make bench` runs a
smaller size, `HOTLINE_BENCH_IMPORT_ROWS` sets the import's rows, `HOTLINE_BENCH_SKIP_IMPORT=1` skips it.

Absolute times on these shared machines vary up to 4× with their load, so each figure comes with a
yardstick measured in the same run:

- **Baseline**: one `res.partner.category` created and flushed, through the same ORM path. The
  registration benchmark alternates chunks of 25 baseline records with chunks of 25 cases, so that
  both meet the same load; its ratios compare each phase with the baseline chunks run next to it.
- **Registration**: an operator creates a case (caller looked up by phone, time-limit policy, stage
  deadline and stage log, chatter), flushed; then a supervisor accepts it (routing rules →
  department, processing number, policy, stage log closed and a new one opened). Target: create
  ≤ 12× the baseline, acceptance ≤ 10×.
- **Case list, first page**: what the web client asks when a supervisor opens *Cases*: the
  action's default filter (open cases), the list view's 19 fields, `web_search_read(limit=80,
  count_limit=10001)`, server time (median and 90th percentile). Yardstick: the same
  `web_search_read` on `x_hotline_bench_list`, a plain model created once by the benchmark with the
  same 19 columns as stored fields (no computes, related fields or record rules) holding the rows the
  case list finds, ordered by an index like the case list's. Target: ≤ 3× the plain model.
- **Time-limit cron** (`hotline.case._cron_check_deadlines`, every 5 minutes): a *scheduled run*
  in the steady state (flags as the run 5 minutes earlier left them), and a *cold sweep* (after a
  stop: every open case reset to "on time" and committed, then runs until the cron would stop
  asking to run again, at most 100 runs; a run marks at most `batch_size` overdue and as many
  due-soon cases). The reset is undone afterwards. Targets: scheduled run ≤ 0.5 s, longest run
  of the sweep ≤ 2 s.
- **Import of earlier registrations**: a file of 100,000 rows with the columns of the earlier
  registrations (`bench/generate_case_import.py`: number, time of the call, caller, phone, summary,
  address, category, service type, district, department, by code) imported as a supervisor imports
  it in the web client (`base_import.import.execute_import` over the whole file in one call, the
  client's default `tracking_disable`), against loading the first 300 rows one row per call.
  Targets: ≤ 5 minutes, ≤ 1/5 of the one-by-one time for the same rows. A bad row imports nothing
  (`hotline_case/tests/test_batch_paths.py`, `test_import_export.py`).
- **Where a registration's time goes**: `bench/profile_case.py` wraps the steps of create and
  acceptance (caller lookup, sequences, policy, working-time math, stage log, chatter, followers,
  routing, stored computes, flushes) and reports, per case, their inclusive time and SQL queries
  (`--cprofile FILE` also writes the pstats of the whole run).

Where the time goes (the profile table under each size has the figures of its run):

- **Create** (5 SQL statements once warm): the case's `INSERT` (with its policy, first deadline and
  precomputed stored fields: no `UPDATE` after it), the case number (`nextval`), the caller lookup
  (one indexed query), the creation note (`_message_log_batch`, a `mail.message` `INSERT`) and the open
  stage-log row (`INSERT`). Odoo's `create` of the three records (defaults, cache, inverse fields,
  the ORM's bookkeeping) is most of the rest; the creation note alone is about a quarter of a
  registration.
- **Acceptance** (6 SQL statements once warm): the processing number (`nextval`), the closing of the
  stage left (one set-based `UPDATE` of its open stage-log line, before the write: its start is the
  case's `stage_start`, so the line is not read), the new stage-log row (`INSERT`), the case's `UPDATE`
  at the flush, and the chatter's tracking note of the state and department change at the end of the
  request (a `mail.message` and its `mail.tracking.value` rows: about 40 % of an acceptance).
  Routing rules and time-limit policies are matched in Python against tables kept in the registry's
  cache (no query, no record read), the access checks of city-wide users need no query.
- **Working-time math**: 4 deadlines per registration and acceptance cost 0.3–0.75 ms together,
  without SQL (the calendar's working time per year is computed once and cached, then bisected).

Status (2026-11-30 13:57 UTC): every target met. Create 8.0–11.3× (target 12×), acceptance 8.5–9.5×
(target 10×; 10.3–10.8× before the stage log's set-based closing), on committed registrations (within
the registrations' own transaction PostgreSQL re-checks all 13 foreign keys of the case on its
`UPDATE`). What is left of an acceptance is Odoo's own: the tracking note and its tracking values
(2.2 ms, four baselines), the case's `UPDATE` at the flush, the stage-log lines.

Changes made for these numbers (hot paths of `hotline_case`):

- registration and acceptance (2026-11-30, issue 8's last step, 17× / 27× → the figures below): the
  case and processing numbers are drawn with one `nextval` (`ir.sequence._hotline_next_by_code`: the
  sequence, its yearly range and the day's prefix cached until a sequence or range changes, else
  `next_by_code`); a new case is inserted with its time-limit policy, first deadline and stored computes
  (`_hotline_prepare_first_stage` on a draft record, `precompute=True`) instead of an `INSERT` then an
  `UPDATE`; the registering operator is no longer subscribed as a follower (notices go to the people
  concerned); routing rules and policies are matched from cached tables (`_hotline_rule_table`,
  `_hotline_policy_table`); the stage left is closed by one set-based `UPDATE` of its open stage-log
  lines before the write that moves the case, timed from the case's `stage_start` on the calendar the
  stage ran on (a search of the open lines and a write per line before: 0.65 → 0.48 ms); the district
  record rules read `[(1, '=', 1)]` for city-wide users (the old
  `'|', (1, '=', 1), ('district_id', 'child_of', [])` cost a query on every access check); the caller
  lookup checks the record rules on the partners found rather than compiling them into the query; the
  deadline is no longer a tracked field (the stage log keeps each stage's deadline).
- import: every reference of the file (category, service type, district, department) is looked up
  once per import, not once per row (`ir_fields_converter.py`, enabled by `hotline.case.load`): a
  100,000-row file asked `name_search` 400,000 times; callers are looked up by phone with one search
  for the whole batch (`_hotline_fill_partners`); the time-limit policy and first deadline go into each
  row's `INSERT` (`_hotline_prepare_first_stage`); the stage-log rows are created in one `create` for
  the batch. On 2,000 rows: 12,148 SQL queries → 196, 101 s → 28 s (profiled, busy machine).
- time-limit cron: `batch_size` 20,000 → 100 per kind and run. Each change costs an ORM chatter note
  (`_message_log_batch`) and a digest line, about 1–5 ms depending on the load, so a run of 20,000
  took 111 s on a busy machine; short runs keep the transaction (which holds the rows it marks) short
  and the cron runs again at once while a run found a full batch (`ir.cron._notify_progress`). The
  total work is the same: the steady state of the generated data (about 4,600 changes per 5 minutes at
  100,000 open cases) takes about 23 runs of this size. The benchmark runs the cron once (rolled back)
  before measuring, as a cron worker has its translations loaded after its first run, and empties the
  cache between the sweep's runs, as each run is a transaction of its own.
- the working-time math (`resource.calendar._hotline_plan_hours`, a year's working time computed
  once and cached, then bisected) costs well under a millisecond per deadline and no SQL once warm;
  Odoo's `plan_hours` cost about 15 ms and 2 queries per deadline on a busy machine (4 per
  registration and acceptance).

Notes:

- Index added for these numbers: `hotline_case_open_order_index`, a partial index on
  `(priority DESC, reported_at DESC, id DESC) WHERE state NOT IN ('done', 'cancel') OR state IS NULL`.
  It serves both the first page of the list in the model's order and its count (`count_limit`)
  without reading the closed cases: at 1,000,000 cases the list's search went from a 420 ms parallel
  sequential scan to under 1 ms. The predicate must read as the ORM writes
  `("state", "not in", [...])` (with `OR state IS NULL`), or PostgreSQL does not use it.
- The cron's partial indexes `hotline_case_deadline_due_index` (`deadline WHERE overdue_state !=
  'overdue'`) and `hotline_case_warning_due_index` (`warning_at WHERE overdue_state = 'on_time'`): its
  queries look for the ~100 records due and not marked yet among ~92,000 open ones marked overdue
  already. PostgreSQL misjudged them (8,000 rows expected, 100 found) and chose a sequential scan of
  the 1,000,000 cases: 315 ms of a 0.49 s scheduled run. With these indexes and the cron taking the
  longest overdue first (`ORDER BY deadline`), both queries take under 1 ms (0.7 ms each in `EXPLAIN
  ANALYZE`); the digest's deadlines are written without babel (in the recipient's time zone): the
  scheduled run went from 0.42–0.55 s to 0.27–0.29 s (four runs each, 13:45–13:51 UTC).
- `make bench` runs `VACUUM ANALYZE hotline_case` after the load and before the benchmarks (what
  autovacuum does on its own later): the list's count is an index-only scan, which needs the
  visibility map; the cron benchmark rewrites every open case, so the list is measured before it.
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


DEFAULT_TARGETS = {
    "create_ratio": 12.0,
    "accept_ratio": 10.0,
    "sweep_max_run_seconds": 2.0,
    "scheduled_run_seconds": 0.5,
    "list_ratio": 3.0,
    "import_seconds": 300.0,
    "import_ratio": 0.2,
}


def _fmt(value, digits=1):
    return f"{value:,.{digits}f}"


def _met(value, target):
    return "yes" if value <= target else f"**no** ({value / target:.2f}× the target)"


def _registration_rows(results, targets):
    reg = results["registration"]
    baseline = results.get("baseline")
    if not baseline:
        return [
            f"| registration: create (ORM, {reg['count']} cases) | {_fmt(reg['create_ms'])} ms/case | — | — | — |",
            f"| registration: acceptance with routing | {_fmt(reg['accept_ms'])} ms/case | — | — | — |",
        ]
    base = baseline["ms"]
    # measured in alternating chunks: each phase against the baseline chunks run next to it
    create_ratio = reg.get("create_ratio") or reg["create_ms"] / base
    accept_ratio = reg.get("accept_ratio") or reg["accept_ms"] / base
    return [
        f"| baseline: one `res.partner.category` created and flushed | {_fmt(base, 2)} ms | 1× | — | — |",
        f"| registration: create (ORM, {reg['count']} cases one by one) | {_fmt(reg['create_ms'])} ms/case "
        f"| {create_ratio:.1f}× | ≤ {targets['create_ratio']:g}× | {_met(create_ratio, targets['create_ratio'])} |",
        f"| registration: acceptance with routing | {_fmt(reg['accept_ms'])} ms/case | {accept_ratio:.1f}× "
        f"| ≤ {targets['accept_ratio']:g}× | {_met(accept_ratio, targets['accept_ratio'])} |",
    ]


def _cron_rows(cron, targets):
    steady, sweep = cron["steady"], cron["sweep"]
    scheduled_target = targets["scheduled_run_seconds"]
    sweep_target = targets["sweep_max_run_seconds"]
    return [
        f"| time-limit cron, scheduled run ({cron['open_cases']:,} open cases; "
        f"{steady['overdue']:,} newly overdue, {steady['warning']:,} due soon) | {_fmt(steady['seconds'], 2)} s "
        f"| — | ≤ {scheduled_target:g} s | {_met(steady['seconds'], scheduled_target)} |",
        f"| time-limit cron, cold sweep ({sweep['overdue']:,} overdue + {sweep['warning']:,} due soon marked "
        f"in {sweep['runs']} run(s) of at most {sweep.get('batch_size', '?'):,} of each"
        + (f"; stopped there, {sweep['left']:,} changes left for the runs after" if sweep.get("left") else "")
        + f") | {_fmt(sweep['seconds'], 2)} s "
        f"(longest run {_fmt(sweep['max_run_seconds'], 2)} s) | — | longest run ≤ {sweep_target:g} s "
        f"| {_met(sweep['max_run_seconds'], sweep_target)} |",
    ]


def _list_rows(listing, targets):
    rows = []
    comparison = listing.get("comparison_median_ms")
    ratio = listing["median_ms"] / comparison if comparison else None
    rows.append(
        f"| case list, first page ({listing['records']} of {listing['length']:,}+ open cases, "
        f"{listing['fields']} fields) | median {_fmt(listing['median_ms'])} ms, p90 {_fmt(listing['p90_ms'])} ms "
        + (
            f"| {ratio:.1f}× the plain model | ≤ {targets['list_ratio']:g}× | {_met(ratio, targets['list_ratio'])} |"
            if ratio
            else "| — | — | — |"
        )
    )
    if comparison:
        rows.append(
            f"| the same `web_search_read` on a plain model (the {listing['fields']} columns stored, no computes, "
            f"no record rules) | median {_fmt(comparison)} ms | 1× | — | — |"
        )
    rows.append(
        f"| case list: the SQL search alone | {_fmt(listing['sql_ms'] or 0, 2)} ms ({listing['sql_plan_top']}) "
        "| — | — | — |"
    )
    return rows


def _import_rows(imported, targets):
    if not imported:
        return []
    result, one = imported["import"], imported["one_by_one"]
    base = imported["baseline"]["ms"]
    ratio = result["ratio_to_one_by_one"]
    row_ms = result["seconds"] * 1000 / result["rows"]
    status = "" if result["created"] == result["rows"] else f" (**{result['created']:,} created**: {result['errors']})"
    return [
        f"| `base_import` of {result['rows']:,} earlier registrations ({imported['file']['format']}, one "
        f"`execute_import`){status} | {_fmt(result['seconds'])} s ({_fmt(row_ms, 2)} "
        f"ms/row, {row_ms / base:.1f}× its run's baseline of {_fmt(base, 2)} ms) "
        f"| — | ≤ {targets['import_seconds']:g} s | {_met(result['seconds'], targets['import_seconds'])} |",
        f"| the same rows one by one (`load` of one row, {one['rows']} rows measured) | {_fmt(one['ms'], 1)} ms/row "
        f"→ {_fmt(one['seconds_for_all_rows'])} s for the file | import = {ratio:.2f}× "
        f"| ≤ {targets['import_ratio']:g}× "
        f"| {_met(ratio, targets['import_ratio'])} |",
    ]


def _profile_lines(profile):
    if not profile:
        return []
    prof = profile["profile"]
    base = profile["baseline"]["ms"]
    lines = [
        "",
        f"Where a registration's time goes (`bench/profile_case.py`, {prof['count']} cases, baseline "
        f"{_fmt(base, 2)} ms; create {_fmt(prof['create_ms'])} ms = {prof['create_ms'] / base:.1f}×, acceptance "
        f"{_fmt(prof['accept_ms'])} ms = {prof['accept_ms'] / base:.1f}×; steps are inclusive: a step contains "
        "the steps it calls; the profiler's wrappers add a little):",
        "",
        "| step | calls | ms per case | × baseline | SQL queries per case |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    for row in prof["steps"]:
        lines.append(
            f"| {row['step']} | {row['calls']} | {_fmt(row['ms_per_case'], 2)} | {row['ms_per_case'] / base:.1f} "
            f"| {_fmt(row['queries_per_case'], 1)} |"
        )
    return lines


def section(results, generation, command, profile=None, imported=None):
    targets = {**DEFAULT_TARGETS, **results["targets"]}
    machine = results["machine"]
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
        "| measure | result | ratio | target | met |",
        "| --- | --- | --- | --- | --- |",
        *_registration_rows(results, targets),
        *_cron_rows(results["cron"], targets),
        *_list_rows(results["list"], targets),
        *_import_rows(imported, targets),
        *_profile_lines(profile),
        "",
        "Machine: "
        + ", ".join(
            f"{key} {machine[key]}"
            for key in ("cpu", "cpus", "memory", "load", "postgresql", "python", "os")
            if key in machine
        )
        + ". The machine is shared with other work: absolute numbers vary up to 4× with its load; the ratios "
        "to the baseline measured in the same run vary much less.",
        "",
        f"<!-- /bench:{cases} -->",
    ]
    return "\n".join(line for line in lines if line is not None)


def _optional_json(path):
    if path and Path(path).exists():
        return json.loads(Path(path).read_text(encoding="utf-8"))
    return None


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("results")
    parser.add_argument("markdown")
    parser.add_argument("--generation", default="")
    parser.add_argument("--command", default="make bench")
    parser.add_argument("--profile", help="results of bench/profile_case.py")
    parser.add_argument("--import-results", help="results of bench/bench_case_import.py")
    args = parser.parse_args()
    results = json.loads(Path(args.results).read_text(encoding="utf-8"))
    profile = _optional_json(args.profile)
    imported = _optional_json(args.import_results)
    path = Path(args.markdown)
    text = path.read_text(encoding="utf-8") if path.exists() else "# Benchmarks\n"
    block_re = re.compile(r"<!-- cases -->\n(.*?)<!-- /cases -->", re.S)
    match = block_re.search(text)
    # the introduction as this script has it, then the sections of every database size measured
    sections = re.findall(r"<!-- bench:\d+ -->.*?<!-- /bench:\d+ -->", match[1], re.S) if match else []
    # sections in the format before the ratios (absolute targets only) no longer read with the text above
    sections = [part for part in sections if "| measure | result | ratio | target | met |" in part]
    block = INTRO.rstrip("\n") + "\n\n" + "\n\n".join(sections) + "\n"
    cases = results["cases"]
    pattern = re.compile(rf"<!-- bench:{cases} -->.*?<!-- /bench:{cases} -->", re.S)
    generation = args.generation
    previous = pattern.search(block)
    if generation.startswith("(reused") and previous:
        # keep how the reused database was generated
        earlier = re.search(r"^Generation: (.*?)(?: \(database reused\))?$", previous[0], re.M)
        if earlier and not earlier[1].startswith("(reused"):
            generation = f"{earlier[1]} (database reused)"
    new = section(results, generation, args.command, profile, imported)
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
