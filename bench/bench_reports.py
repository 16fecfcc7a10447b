"""Benchmarks of the report models (hotline_reports) on a database filled by bench/generate_cases.py
and bench/generate_calls.py.

    python bench/bench_reports.py [--runs 30] [--warmup 3] [--month YYYY-MM] [--json FILE] [--plans FILE] \
        -- <odoo-bin options> -d DB

Measured in-process, in an odoo.registry environment, as a hotline manager (no superuser: the
access rights and record rules of the reports apply), with the web client's context (tz
Asia/Shanghai), after ``--warmup`` untimed runs, ``--runs`` times each (caches invalidated before
every run, as a new request would find them):

a) a month's pivot by district x main category: ``hotline.report.case._read_group`` and
   ``read_group(lazy=False)`` (what the pivot view calls for its cells), the four calls of the
   pivot's first load (total, rows, columns, cells), against the same GROUP BY in plain SQL on
   hotline_case with the view's joins (``cr.execute`` in the same run);
b) a year's telephone traffic by week: ``hotline.report.call._read_group`` (offered, answered,
   answer rate, service level, speed of answer) against the same aggregation in plain SQL;
c) the department ranking ``hotline.report.department.score_for`` over the month;
d) when the export wizard ``hotline.report.export`` exists: a year's xlsx export, seconds and
   peak RSS (resource.getrusage).

The month is the current month (Asia/Shanghai) when it has cases, else the last month with cases;
the year is the twelve months ending with that month. Every ORM figure is checked against the SQL
one. The ORM's SQL of each measure is captured and written with its ``EXPLAIN (ANALYZE, BUFFERS)``
to ``--plans``.
"""

import argparse
import base64
import contextlib
import json
import resource
import statistics
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from benchlib import Timer, machine_facts, odoo_env, split_argv  # noqa: E402

TZ = "Asia/Shanghai"
UTC_OFFSET = timedelta(hours=8)  # Asia/Shanghai has no daylight saving time
TARGETS = {"pivot_ms": 50.0, "pivot_sql_ratio": 3.0, "traffic_ms": 150.0}
CALL_MEASURES = [
    "offered_count:sum",
    "answered_count:sum",
    "answer_rate:avg",
    "service_level:avg",
    "answer_wait_seconds:avg",
]


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=30, help="timed runs of each measure")
    parser.add_argument("--warmup", type=int, default=3, help="untimed runs before them")
    parser.add_argument("--view-runs", type=int, default=5, help="timed runs through the view, without the totals")
    parser.add_argument("--month", help="YYYY-MM instead of the current month")
    parser.add_argument("--json", help="write the results to this JSON file")
    parser.add_argument("--plans", help="write the captured SQL and its EXPLAIN (ANALYZE, BUFFERS) to this file")
    return parser.parse_args(argv)


# ------------------------------------------------------------
# helpers
# ------------------------------------------------------------


def percentile(sorted_values, share):
    """Nearest-rank percentile of an ascending list."""
    index = max(0, min(len(sorted_values) - 1, int(round(share * len(sorted_values) + 0.5)) - 1))
    return sorted_values[index]


def measure(env, function, runs, warmup):
    """Milliseconds of ``function()`` over ``runs`` runs after ``warmup`` untimed ones, and its last result."""
    result = None
    timings = []
    for run in range(warmup + runs):
        env.invalidate_all()
        with Timer() as timer:
            result = function()
        if run >= warmup:
            timings.append(timer.seconds * 1000)
    timings.sort()
    return {
        "runs": runs,
        "p50_ms": statistics.median(timings),
        "p95_ms": percentile(timings, 0.95),
        "max_ms": timings[-1],
        "min_ms": timings[0],
    }, result


@contextlib.contextmanager
def captured_queries():
    """The (query, params) executed by any cursor meanwhile."""
    from odoo.sql_db import Cursor  # noqa: PLC0415

    queries = []
    original = Cursor.execute

    def execute(self, query, params=None, log_exceptions=True):
        queries.append((query, params))
        return original(self, query, params, log_exceptions)

    Cursor.execute = execute
    try:
        yield queries
    finally:
        Cursor.execute = original


def explain(env, function, table):
    """EXPLAIN (ANALYZE, BUFFERS) of the queries of ``function()`` that read ``table``: [(sql, plan text)]."""
    cr = env.cr
    env.invalidate_all()
    with captured_queries() as queries:
        function()
    explained = []
    for query, params in queries:
        sql = cr.mogrify(query, params).decode()
        if table not in sql or not sql.lstrip().upper().startswith(("SELECT", "WITH")):
            continue
        cr.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
        explained.append((sql, "\n".join(row[0] for row in cr.fetchall())))
    return explained


def execution_ms(plan):
    for line in plan.splitlines()[::-1]:
        if line.startswith("Execution Time:"):
            return float(line.split(":")[1].split()[0])
    return None


def local_month(year, month):
    """[start, end) of a month of Asia/Shanghai, as naive UTC datetimes."""
    start = datetime(year, month, 1)
    end = datetime(year + (month == 12), month % 12 + 1, 1)
    return start - UTC_OFFSET, end - UTC_OFFSET


def pick_month(env, wanted):
    if wanted:
        year, month = (int(part) for part in wanted.split("-"))
        return local_month(year, month)
    from odoo import fields  # noqa: PLC0415

    now_local = fields.Datetime.now() + UTC_OFFSET
    start, end = local_month(now_local.year, now_local.month)
    env.cr.execute("SELECT count(*) FROM hotline_case WHERE reported_at >= %s AND reported_at < %s", [start, end])
    if env.cr.fetchone()[0]:
        return start, end
    env.cr.execute("SELECT max(reported_at) FROM hotline_case")
    last = env.cr.fetchone()[0]
    if not last:
        raise SystemExit("No cases: generate them first (bench/generate_cases.py).")
    last_local = last + UTC_OFFSET
    return local_month(last_local.year, last_local.month)


def bench_user(env):
    """A hotline manager of the whole city (no district), created if missing."""
    Users = env["res.users"].with_context(no_reset_password=True)
    user = Users.search([("login", "=", "bench_report_manager")], limit=1)
    if not user:
        user = Users.create(
            {
                "name": "bench_report_manager",
                "login": "bench_report_manager",
                "tz": TZ,
                "groups_id": [(6, 0, [env.ref("hotline_base.group_hotline_manager").id])],
            }
        )
    if user._is_superuser() or user.has_group("base.group_system"):
        raise SystemExit("bench_report_manager must not be an administrator: record rules would not apply")
    return user


# ------------------------------------------------------------
# a) a month's pivot by district x main category
# ------------------------------------------------------------

PIVOT_SQL = """
    SELECT c.district_id, coalesce(top.id, c.category_id) AS top_category_id, count(*) AS case_count
      FROM hotline_case c
      LEFT JOIN hotline_category cat ON cat.id = c.category_id
      LEFT JOIN hotline_category top ON top.id = split_part(cat.parent_path, '/', 1)::int
     WHERE c.duplicate_of_id IS NULL AND c.reported_at >= %(start)s AND c.reported_at < %(end)s
     GROUP BY 1, 2
"""


def bench_pivot(env, Report, start, end, runs, warmup, view_runs, plans):
    domain = [("reported_at", ">=", start), ("reported_at", "<", end)]
    groupby = ["district_id", "top_category_id"]

    def orm():
        return Report._read_group(domain, groupby, ["case_count:sum"])

    def view():
        # the same through the view, without the daily totals (as before them)
        return Report.with_context(hotline_report_no_rollup=True)._read_group(domain, groupby, ["case_count:sum"])

    def pivot_cells():
        return Report.read_group(domain, ["case_count:sum"], groupby, lazy=False)

    def pivot_load():
        # the pivot's first load: total, row headers, column headers, cells (one RPC each)
        return [
            Report.read_group(domain, ["case_count:sum"], groupbys, lazy=False)
            for groupbys in ([], ["district_id"], ["top_category_id"], groupby)
        ]

    def sql():
        env.cr.execute(PIVOT_SQL, {"start": start, "end": end})
        return env.cr.fetchall()

    results = {"source": source_of(Report, domain, groupby, ["case_count:sum"])}
    results["orm"], orm_rows = measure(env, orm, runs, warmup)
    results["orm_view"], view_rows = measure(env, view, view_runs, 1)
    results["read_group"], cells = measure(env, pivot_cells, runs, warmup)
    results["pivot_load"], _load = measure(env, pivot_load, runs, warmup)
    results["sql"], sql_rows = measure(env, sql, runs, warmup)
    orm_figures = {(d.id or None, c.id or None): n for d, c, n in orm_rows}
    sql_figures = {(d, c): n for d, c, n in sql_rows}
    cell_figures = {
        ((g["district_id"] or [None])[0], (g["top_category_id"] or [None])[0]): g["case_count"] for g in cells
    }
    view_figures = {(d.id or None, c.id or None): n for d, c, n in view_rows}
    if not orm_figures == sql_figures == cell_figures == view_figures:
        raise SystemExit("pivot: the ORM's figures differ from the SQL ones")
    results["groups"] = len(orm_rows)
    results["cases"] = sum(sql_figures.values())
    results["ratio_p50"] = results["orm"]["p50_ms"] / results["sql"]["p50_ms"]
    results["read_group_ratio_p50"] = results["read_group"]["p50_ms"] / results["sql"]["p50_ms"]
    for sql_text, plan in explain(env, orm, "hotline_report_case"):
        plans.append(("a) pivot: ORM _read_group", sql_text, plan))
        results["orm_sql_execution_ms"] = execution_ms(plan)
    env.cr.execute("EXPLAIN (ANALYZE, BUFFERS) " + env.cr.mogrify(PIVOT_SQL, {"start": start, "end": end}).decode())
    plan = "\n".join(row[0] for row in env.cr.fetchall())
    plans.append(("a) pivot: plain SQL", PIVOT_SQL, plan))
    results["sql_execution_ms"] = execution_ms(plan)
    return results


# ------------------------------------------------------------
# b) a year's traffic by week
# ------------------------------------------------------------


def traffic_sql(env):
    """The same aggregation as the report in plain SQL on hotline_call (week as the ORM cuts it)."""
    from odoo.tools.misc import get_lang  # noqa: PLC0415

    first_week_day = int(get_lang(env).week_start) - 1
    days_offset = first_week_day and 7 - first_week_day
    interval = f"-{days_offset} DAY"
    local = "timezone(%(tz)s, timezone('UTC', c.start_time))"
    answered = "(c.direction = 'inbound' AND c.disposition = 'answered' AND c.answer_time IS NOT NULL)"
    return f"""
        SELECT date_trunc('week', {local} - INTERVAL '{interval}') + INTERVAL '{interval}' AS week,
               count(*) FILTER (WHERE c.direction = 'inbound') AS offered,
               count(*) FILTER (WHERE {answered}) AS answered,
               avg(CASE WHEN c.direction = 'inbound' THEN CASE WHEN {answered} THEN 100.0 ELSE 0.0 END END)
                   AS answer_rate,
               avg(CASE WHEN c.direction = 'inbound'
                        THEN CASE WHEN {answered} AND coalesce(c.wait_seconds, 0) <= %(level)s THEN 100.0 ELSE 0.0 END
                   END) AS service_level,
               avg(CASE WHEN {answered} THEN coalesce(c.wait_seconds, 0) END) AS answer_wait_seconds
          FROM hotline_call c
         WHERE c.start_time >= %(start)s AND c.start_time < %(end)s
         GROUP BY 1
    """


def bench_traffic(env, Report, start, end, runs, warmup, view_runs, plans):
    domain = [("start_time", ">=", start), ("start_time", "<", end)]
    level = int(env["ir.config_parameter"].sudo().get_param("hotline_reports.service_level_seconds", "20"))
    query = traffic_sql(env)
    params = {"tz": TZ, "level": level, "start": start, "end": end}

    def orm():
        return Report._read_group(domain, ["start_time:week"], CALL_MEASURES)

    def view():
        return Report.with_context(hotline_report_no_rollup=True)._read_group(
            domain, ["start_time:week"], CALL_MEASURES
        )

    def sql():
        env.cr.execute(query, params)
        return env.cr.fetchall()

    results = {"source": source_of(Report, domain, ["start_time:week"], CALL_MEASURES)}
    results["orm"], orm_rows = measure(env, orm, runs, warmup)
    results["orm_view"], view_rows = measure(env, view, view_runs, 1)
    results["sql"], sql_rows = measure(env, sql, runs, warmup)
    if orm_rows != view_rows:
        raise SystemExit("traffic: the daily totals' figures differ from the view's")
    orm_figures = {row[0]: row[1:] for row in orm_rows}
    sql_figures = {row[0]: row[1:] for row in sql_rows}
    if set(orm_figures) != set(sql_figures) or any(
        orm_figures[week][:2] != sql_figures[week][:2]
        or any(
            abs(float(a or 0) - float(b or 0)) > 1e-9
            for a, b in zip(orm_figures[week][2:], sql_figures[week][2:], strict=True)
        )
        for week in orm_figures
    ):
        raise SystemExit("traffic: the ORM's figures differ from the SQL ones")
    results["weeks"] = len(orm_rows)
    results["offered"] = sum(row[1] for row in sql_rows)
    env.cr.execute("SELECT count(*) FROM hotline_call WHERE start_time >= %s AND start_time < %s", [start, end])
    results["calls"] = env.cr.fetchone()[0]
    results["ratio_p50"] = results["orm"]["p50_ms"] / results["sql"]["p50_ms"]
    for sql_text, plan in explain(env, orm, "hotline_report_call"):
        plans.append(("b) traffic: ORM _read_group", sql_text, plan))
        results["orm_sql_execution_ms"] = execution_ms(plan)
    env.cr.execute("EXPLAIN (ANALYZE, BUFFERS) " + env.cr.mogrify(query, params).decode())
    plan = "\n".join(row[0] for row in env.cr.fetchall())
    plans.append(("b) traffic: plain SQL", query, plan))
    results["sql_execution_ms"] = execution_ms(plan)
    return results


# ------------------------------------------------------------
# c) department ranking
# ------------------------------------------------------------


def bench_ranking(env, Report, start, end, runs, warmup, plans):
    def score():
        return Report.score_for(start, end)

    results = {}
    results["orm"], scores = measure(env, score, runs, warmup)
    results["departments"] = len(scores)
    env.cr.execute(
        """SELECT count(*) FROM hotline_case
            WHERE dispatched_at >= %s AND dispatched_at < %s AND department_id IS NOT NULL
              AND duplicate_of_id IS NULL""",
        [start, end],
    )
    results["cases"] = env.cr.fetchone()[0]
    for sql_text, plan in explain(env, score, "hotline_report_department"):
        plans.append(("c) ranking: ORM _read_group", sql_text, plan))
        results["orm_sql_execution_ms"] = execution_ms(plan)
    return results


# ------------------------------------------------------------
# d) a year's xlsx export (when the wizard exists)
# ------------------------------------------------------------


def bench_export(env, user, start, end):
    """A year's export built in-process as the manager (rolled back): seconds and peak RSS."""
    if "hotline.report.export" not in env:
        return None
    Export = env["hotline.report.export"].with_user(user).with_context(tz=TZ)
    date_from = (start + UTC_OFFSET).date()
    date_to = (end + UTC_OFFSET - timedelta(days=1)).date()
    env.flush_all()
    env.cr.execute("SAVEPOINT bench_export")
    try:
        export = Export.create({"date_from": date_from, "date_to": date_to})
        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        with Timer() as timer:
            export.action_export()
            if hasattr(export, "_build"):
                export._build()  # what the cron runs, without its commits
            env.flush_all()
        rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        built = export.sudo().with_context(bin_size=False)
        size = len(base64.b64decode(built.file)) if built.file else None
        result = {
            "seconds": timer.seconds,
            "date_from": str(date_from),
            "date_to": str(date_to),
            "state": built.state,
            "error": built.error_message or None,
            "sheets": len(export._get_reports()) if hasattr(export, "_get_reports") else None,
            "file_bytes": size,
            "peak_rss_mib_before": rss_before / 1024,
            "peak_rss_mib_after": rss_after / 1024,
        }
    except Exception as error:  # noqa: BLE001 (the export is another work in progress: report, go on)
        result = {"error": f"{type(error).__name__}: {error}"}
    finally:
        env.cr.execute("ROLLBACK TO SAVEPOINT bench_export")
        env.invalidate_all()
    return result


# ------------------------------------------------------------
# the daily totals (hotline_report_rollup.py)
# ------------------------------------------------------------


def build_totals(env):
    """The generators write in SQL, past the ORM's notes of stale days: the totals are built in full,
    as an update of hotline_reports would (committed)."""
    results = {}
    for name in ("hotline.report.case", "hotline.report.call"):
        Report = env[name]
        if "_rollup_build" not in dir(Report):
            return None
        with Timer() as timer:
            rows = Report._rollup_build(Report._rollup_tz(), Report._rollup_params())
            env.cr.commit()
        results[name] = {"seconds": timer.seconds, "rows": rows, "tz": Report._rollup_state()[0]}
    return results


def source_of(Report, domain, groupby, aggregates):
    """ "daily totals" when the report answers this _read_group from its totals, else "view"."""
    if "_rollup_usable_tz" not in dir(Report):
        return "view"
    tz = Report._rollup_usable_tz(groupby, aggregates, (), None)
    if tz and Report._rollup_domain(domain, tz) != "unusable":
        return "daily totals"
    return "view"


# ------------------------------------------------------------
# main
# ------------------------------------------------------------


def main(argv):
    script_args, odoo_args = split_argv(argv)
    args = parse_args(script_args)
    plans = []
    with odoo_env(odoo_args) as env:
        cr = env.cr
        user = bench_user(env)
        cr.commit()
        cr.execute("SELECT count(*), min(reported_at), max(reported_at) FROM hotline_case")
        cases, first_case, last_case = cr.fetchone()
        cr.execute("SELECT count(*), min(start_time), max(start_time) FROM hotline_call")
        calls, first_call, last_call = cr.fetchone()
        month_start, month_end = pick_month(env, args.month)
        end_local = month_end + UTC_OFFSET
        year_start = datetime(end_local.year - 1, end_local.month, 1) - UTC_OFFSET
        uenv = env(user=user, context={"tz": TZ, "lang": user.lang or "en_US", "uid": user.id})
        results = {
            "cases": cases,
            "calls": calls,
            "cases_period": [str(first_case), str(last_case)],
            "calls_period": [str(first_call), str(last_call)],
            "machine": machine_facts(cr),
            "user": user.login,
            "month": [str(month_start), str(month_end)],
            "year": [str(year_start), str(month_end)],
            "runs": args.runs,
            "warmup": args.warmup,
        }
        results["totals"] = build_totals(env)
        # the export first: its peak RSS is then the process's
        results["export"] = bench_export(env, user, year_start, month_end)
        results["pivot"] = bench_pivot(
            env, uenv["hotline.report.case"], month_start, month_end, args.runs, args.warmup, args.view_runs, plans
        )
        results["traffic"] = bench_traffic(
            env, uenv["hotline.report.call"], year_start, month_end, args.runs, args.warmup, args.view_runs, plans
        )
        results["ranking"] = bench_ranking(
            env, uenv["hotline.report.department"], month_start, month_end, args.runs, args.warmup, plans
        )
        cr.rollback()
    results["targets"] = TARGETS
    results["date"] = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    results["plans_file"] = args.plans and str(Path(args.plans).resolve().relative_to(Path.cwd().resolve()))
    text = json.dumps(results, indent=2, default=str)
    print(text)
    if args.json:
        Path(args.json).write_text(text + "\n", encoding="utf-8")
    if args.plans:
        Path(args.plans).write_text(
            "\n\n".join(f"== {title}\n{sql.strip()}\n\n{plan}" for title, sql, plan in plans) + "\n",
            encoding="utf-8",
        )


if __name__ == "__main__":
    main(sys.argv[1:])
