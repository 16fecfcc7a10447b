"""Benchmarks of hotline.case on a database filled by bench/generate_cases.py.

    python bench/bench_case.py [--creates 500] [--list-runs 15] [--json FILE] [--markdown FILE] \
        -- <odoo-bin options> -d DB

Measures, through the ORM in an odoo.registry environment (nothing is kept: every
measure is rolled back; the cold sweep's reset of the time-limit flags is undone after it):

1. registration: ``create`` of a case as an operator (caller lookup, time-limit policy,
   deadline, stage log, chatter), then acceptance by a supervisor (routing to the
   department, processing number, policy); milliseconds per case over ``--creates`` cases;
2. the time-limit cron (``hotline.case._cron_check_deadlines``) over the open cases:
   a scheduled run in the steady state (flags as the previous run left them), and a cold
   sweep after resetting every open case to "on time", run until it has nothing left;
3. the case list's first page as a supervisor opens it: the window action's default
   filters, the list view's fields, ``web_search_read(limit=80, count_limit=10001)``,
   server time (median and 90th percentile of ``--list-runs`` runs after one warm-up).
"""

import argparse
import inspect
import json
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from benchlib import Timer, machine_facts, odoo_env, split_argv  # noqa: E402

# registration and acceptance as multiples of the baseline; the list as a multiple of the comparison model
TARGETS = {
    "create_ratio": 12.0,
    "accept_ratio": 10.0,
    "sweep_max_run_seconds": 2.0,
    "scheduled_run_seconds": 0.5,
    "list_ratio": 3.0,
    "import_seconds": 300.0,
    "import_ratio": 0.2,
}


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--creates", type=int, default=500, help="cases registered through the ORM")
    parser.add_argument("--list-runs", type=int, default=15, help="timed runs of the list's first page")
    parser.add_argument("--json", help="write the results to this JSON file")
    return parser.parse_args(argv)


# ------------------------------------------------------------
# users
# ------------------------------------------------------------


def bench_users(env):
    """An operator and a supervisor of the whole city (no district limit), created if missing."""
    Users = env["res.users"].with_context(no_reset_password=True)
    users = {}
    for login, group in (("bench_operator", "operator"), ("bench_supervisor", "supervisor")):
        user = Users.search([("login", "=", login)], limit=1)
        if not user:
            user = Users.create(
                {
                    "name": login,
                    "login": login,
                    "tz": "Asia/Shanghai",
                    "groups_id": [(6, 0, [env.ref(f"hotline_base.group_hotline_{group}").id])],
                }
            )
        users[group] = user
    return users


# ------------------------------------------------------------
# 1. registration
# ------------------------------------------------------------


def registration_vals(env, count):
    """``count`` registrations as an operator types them: two callers in three known by their phone."""
    categories = env["hotline.category"].search([])
    districts = env["hotline.district"].search([])
    service_types = env["hotline.service.type"].search([])
    partners = env["res.partner"].search([("hotline_phone_normalized", "!=", False)], limit=200)
    phones = [p.phone or p.mobile for p in partners] or ["13800138000"]
    return [
        {
            "caller_phone": phones[index % len(phones)] if index % 3 else f"137{index:08d}",
            "caller_name": "测试来电人",
            "summary": f"性能测试工单 {index}：路灯不亮",
            "address": f"人民路 {index} 号",
            "category_id": categories[index % len(categories)].id,
            "district_id": districts[index % len(districts)].id if districts else False,
            "service_type_id": service_types[index % len(service_types)].id,
        }
        for index in range(count)
    ]


def bench_baseline(env, count):
    """The same run's yardstick: one ``res.partner.category`` created and flushed, ``count`` times."""
    Category = env["res.partner.category"]
    env.flush_all()
    env.cr.execute("SAVEPOINT bench_baseline")
    with Timer() as timer:
        for index in range(count):
            Category.create({"name": f"bench baseline {index}"})
            _end_of_request(env)
    env.cr.execute("ROLLBACK TO SAVEPOINT bench_baseline")
    env.invalidate_all()
    return {"count": count, "ms": timer.seconds * 1000 / count}


def _end_of_request(env):
    """What the end of a request runs before its commit: the pre-commit hooks (the chatter's field
    tracking) and the flush."""
    env.cr.precommit.run()
    env.flush_all()


def _baseline_chunk(env, first, count):
    """Seconds for ``count`` baseline records (one ``res.partner.category`` created and flushed each),
    and their ids."""
    Category = env["res.partner.category"]
    created = []
    with Timer() as timer:
        for index in range(first, first + count):
            created.append(Category.create({"name": f"bench baseline {index}"}).id)
            _end_of_request(env)
    return timer.seconds, created


def bench_registration(env, users, count, chunk=25):
    """Registration and acceptance one by one, in chunks alternating with chunks of the baseline,
    so that both meet the same load of the machine; the ratios are the benchmark's figures.

    The registrations are committed before the acceptances, as a supervisor accepts a case registered
    by an earlier request: within the transaction that inserted a row, PostgreSQL checks every foreign
    key of the row again on each UPDATE (13 of them on a case), which a later transaction does only for
    the keys it changes. The acceptances are rolled back, then the registrations and the baseline records
    are deleted."""
    Case = env["hotline.case"]
    vals_list = registration_vals(env, count)
    env.flush_all()
    env.cr.commit()
    created = Case.browse()
    baseline_ids = []
    operator_case = Case.with_user(users["operator"])
    seconds = {"create": 0.0, "accept": 0.0, "baseline_create": 0.0, "baseline_accept": 0.0}
    try:
        for first in range(0, count, chunk):
            spent, ids = _baseline_chunk(env, first, min(chunk, count - first))
            seconds["baseline_create"] += spent
            baseline_ids += ids
            with Timer() as create_timer:
                for vals in vals_list[first : first + chunk]:
                    created |= operator_case.create(vals)
                    _end_of_request(env)
            seconds["create"] += create_timer.seconds
        env.cr.commit()
        supervisor_cases = created.with_user(users["supervisor"])
        for first in range(0, count, chunk):
            spent, _rolled_back = _baseline_chunk(env, count + first, min(chunk, count - first))
            seconds["baseline_accept"] += spent
            with Timer() as accept_timer:
                for case in supervisor_cases[first : first + chunk]:
                    case.action_accept()
                    _end_of_request(env)
            seconds["accept"] += accept_timer.seconds
        result = {
            "count": count,
            "create_ms": seconds["create"] * 1000 / count,
            "accept_ms": seconds["accept"] * 1000 / count,
            "baseline_ms": (seconds["baseline_create"] + seconds["baseline_accept"]) * 1000 / (2 * count),
            "create_ratio": seconds["create"] / seconds["baseline_create"],
            "accept_ratio": seconds["accept"] / seconds["baseline_accept"],
            "with_deadline": sum(1 for case in created if case.deadline),
            "routed": sum(1 for case in created if case.department_id),
        }
    finally:
        env.cr.rollback()
        env.invalidate_all()
        _delete_registrations(env.cr, created.ids, baseline_ids)
    return result


def _delete_registrations(cr, case_ids, category_ids):
    """Remove what the registration benchmark committed: its cases (their stage logs and other lines go
    with them), their chatter and followers, its baseline records."""
    if case_ids:
        cases = tuple(case_ids)
        cr.execute("DELETE FROM mail_message WHERE model = 'hotline.case' AND res_id IN %s", [cases])
        cr.execute("DELETE FROM mail_followers WHERE res_model = 'hotline.case' AND res_id IN %s", [cases])
        cr.execute("DELETE FROM hotline_case WHERE id IN %s", [cases])
    if category_ids:
        cr.execute("DELETE FROM res_partner_category WHERE id IN %s", [tuple(category_ids)])
    cr.commit()


# ------------------------------------------------------------
# 2. time-limit cron
# ------------------------------------------------------------


OPEN_STATES = ("new", "accepted", "assigned", "in_progress", "feedback", "return_visit")


def _open_counts(cr):
    cr.execute(
        """SELECT count(*), count(*) FILTER (WHERE deadline < now() at time zone 'utc'),
                  count(*) FILTER (WHERE warning_at <= now() at time zone 'utc'
                                     AND deadline >= now() at time zone 'utc')
             FROM hotline_case WHERE state IN %s""",
        [OPEN_STATES],
    )
    return cr.fetchone()


def _catch_up_flags(cr, minutes):
    """Sets the time-limit flags as a cron run ``minutes`` ago would have left them."""
    cr.execute(
        """UPDATE hotline_case SET overdue_state = 'overdue', is_overdue = true
            WHERE state IN %(states)s AND overdue_state != 'overdue'
              AND deadline < now() at time zone 'utc' - make_interval(mins => %(minutes)s)""",
        {"states": OPEN_STATES, "minutes": minutes},
    )
    cr.execute(
        """UPDATE hotline_case SET overdue_state = 'warning'
            WHERE state IN %(states)s AND overdue_state = 'on_time'
              AND warning_at <= now() at time zone 'utc' - make_interval(mins => %(minutes)s)""",
        {"states": OPEN_STATES, "minutes": minutes},
    )


def bench_cron(env, max_runs=100):
    """The cron as scheduled, then a cold sweep (every open case "on time" again, committed first so that
    the cron meets rows of an earlier transaction, as it does in production); the flags are restored after."""
    Case = env["hotline.case"]
    cr = env.cr
    # steady state: the flags as the previous run (5 minutes ago) left them, committed
    _catch_up_flags(cr, minutes=5)
    cr.commit()
    open_count, past_deadline, in_warning = _open_counts(cr)
    env.flush_all()
    # warm-up, rolled back: the cron's worker has its translations and caches loaded after its first run
    cr.execute("SAVEPOINT bench_cron_warm_up")
    Case._cron_check_deadlines(batch_size=1)
    env.flush_all()
    cr.execute("ROLLBACK TO SAVEPOINT bench_cron_warm_up")
    env.invalidate_all()
    cr.execute("SAVEPOINT bench_cron")
    with Timer() as steady:
        overdue_ids, warning_ids = Case._cron_check_deadlines()
        env.flush_all()
    steady_result = {"seconds": steady.seconds, "overdue": len(overdue_ids), "warning": len(warning_ids)}
    cr.execute("ROLLBACK TO SAVEPOINT bench_cron")
    env.invalidate_all()
    cr.commit()
    # cold sweep
    cr.execute("DROP TABLE IF EXISTS bench_overdue_flags")
    cr.execute(
        """CREATE TABLE bench_overdue_flags AS
           SELECT id, overdue_state, is_overdue, handle_overdue FROM hotline_case WHERE state IN %s""",
        [OPEN_STATES],
    )
    cr.execute(
        "UPDATE hotline_case SET overdue_state = 'on_time', is_overdue = false WHERE state IN %s",
        [OPEN_STATES],
    )
    cr.commit()
    env.invalidate_all()
    runs = []
    marked = {"overdue": 0, "warning": 0}
    batch_size = inspect.signature(Case._cron_check_deadlines).parameters["batch_size"].default
    try:
        with Timer() as sweep:
            while True:
                with Timer() as one:
                    overdue_ids, warning_ids = Case._cron_check_deadlines()
                    env.flush_all()
                runs.append(one.seconds)
                # each run of the cron is a transaction of its own, with an empty cache
                env.invalidate_all()
                marked["overdue"] += len(overdue_ids)
                marked["warning"] += len(warning_ids)
                # as the cron itself: it asks to run again only while a run filled a whole batch
                if max(len(overdue_ids), len(warning_ids)) < batch_size or len(runs) >= max_runs:
                    break
        # what a capped sweep left to the runs after it
        cr.execute(
            """SELECT count(*) FILTER (WHERE deadline < now() at time zone 'utc' AND overdue_state != 'overdue'),
                      count(*) FILTER (WHERE warning_at <= now() at time zone 'utc' AND overdue_state = 'on_time'
                                         AND (deadline IS NULL OR deadline >= now() at time zone 'utc'))
                 FROM hotline_case WHERE state IN %s""",
            [OPEN_STATES],
        )
        left = sum(cr.fetchone())
    finally:
        cr.rollback()
        cr.execute(
            """UPDATE hotline_case c
                  SET overdue_state = f.overdue_state, is_overdue = f.is_overdue, handle_overdue = f.handle_overdue
                 FROM bench_overdue_flags f WHERE f.id = c.id"""
        )
        cr.execute("DROP TABLE bench_overdue_flags")
        cr.commit()
        env.invalidate_all()
    return {
        "open_cases": open_count,
        "past_deadline": past_deadline,
        "in_warning": in_warning,
        "steady": steady_result,
        "sweep": {
            "seconds": sweep.seconds,
            "runs": len(runs),
            "first_run_seconds": runs[0],
            "max_run_seconds": max(runs),
            "batch_size": batch_size,
            "left": left,
            "mean_run_seconds": sum(runs) / len(runs),
            **marked,
        },
    }


# ------------------------------------------------------------
# 3. the list's first page
# ------------------------------------------------------------


def _list_request(env, user):
    """(domain, specification, order) of the case list as the supervisor's web client asks for it."""
    from odoo.tools.safe_eval import datetime as safe_datetime  # noqa: PLC0415
    from odoo.tools.safe_eval import safe_eval, time  # noqa: PLC0415

    Case = env["hotline.case"].with_user(user)
    action = env.ref("hotline_case.hotline_case_action")
    eval_context = {"uid": user.id, "time": time, "datetime": safe_datetime, "context_today": None}
    context = safe_eval(action.context or "{}", eval_context)
    views = Case.get_views([(False, "list"), (action.search_view_id.id, "search")])["views"]
    from lxml import etree  # noqa: PLC0415

    search_arch = etree.fromstring(views["search"]["arch"])
    domain = safe_eval(action.domain or "[]", eval_context)
    for key, value in context.items():
        if key.startswith("search_default_") and value:
            node = search_arch.find(f".//filter[@name='{key[len('search_default_') :]}']")
            if node is not None and node.get("domain"):
                domain += safe_eval(node.get("domain"), eval_context)
    list_arch = etree.fromstring(views["list"]["arch"])
    specification = {}
    for node in list_arch.iterchildren("field"):
        name = node.get("name")
        field = Case._fields[name]
        specification[name] = {"fields": {"display_name": {}}} if field.type == "many2one" else {}
    return domain, specification


COMPARISON_MODEL = "x_hotline_bench_list"


def _comparison_model(env, Case, domain, specification):
    """A plain model with the list's columns as stored fields (no computes, related fields or record rules)
    and the rows the list's domain finds, with the same ordering index; created once and kept."""
    from odoo.tools import SQL  # noqa: PLC0415

    cr = env.cr
    if COMPARISON_MODEL not in env:
        field_vals = []
        for name in specification:
            field = Case._fields[name]
            vals = {"name": f"x_{name}", "field_description": name, "ttype": field.type, "store": True}
            if field.type == "many2one":
                vals["relation"] = field.comodel_name
            if field.type == "selection":
                vals["selection_ids"] = [
                    (0, 0, {"value": value, "name": label, "sequence": index})
                    for index, (value, label) in enumerate(field._description_selection(env))
                ]
            field_vals.append((0, 0, vals))
        model = env["ir.model"].create(
            {"name": "Case list comparison", "model": COMPARISON_MODEL, "state": "manual", "field_id": field_vals}
        )
        env["ir.model.access"].create(
            {
                "name": "bench comparison",
                "model_id": model.id,
                "group_id": env.ref("hotline_base.group_hotline_supervisor").id,
                "perm_read": True,
            }
        )
        cr.commit()
    table = env[COMPARISON_MODEL]._table
    cr.execute(f"SELECT count(*) FROM {table}")
    if not cr.fetchone()[0]:
        columns = {f"x_{name}": name for name in specification}
        # remaining_hours is computed on the case: the comparison stores a number in its place
        selects = [column if Case._fields[column].store else "0" for column in columns.values()]
        query = Case.sudo()._search(domain)
        sub = query.select(*(SQL(select) for select in selects))
        cr.execute(
            SQL(
                "INSERT INTO %s (%s) %s",
                SQL.identifier(table),
                SQL(", ").join(SQL.identifier(column) for column in columns),
                sub,
            )
        )
        cr.execute(
            f"CREATE INDEX IF NOT EXISTS {table}_order_index ON {table} (x_priority DESC, x_reported_at DESC, id DESC)"
        )
        cr.execute(f"ANALYZE {table}")
        cr.commit()
    return env[COMPARISON_MODEL]


def _time_list(env, Model, domain, specification, order, runs):
    timings = []
    result = None
    for run in range(runs + 1):
        env.invalidate_all()
        with Timer() as timer:
            result = Model.web_search_read(domain, specification, offset=0, limit=80, order=order, count_limit=10001)
        if run:
            timings.append(timer.seconds * 1000)
    timings.sort()
    return result, timings


def bench_list(env, users, runs):
    user = users["supervisor"]
    domain, specification = _list_request(env, user)
    context = {"tz": "Asia/Shanghai", "lang": "zh_CN", "bin_size": True}
    Case = env["hotline.case"].with_user(user).with_context(**context)
    Comparison = _comparison_model(env, Case, domain, specification).with_user(user).with_context(**context)
    comparison_spec = {f"x_{name}": value for name, value in specification.items()}
    # alternate the two, so that both meet the same load of the machine
    case_timings, comparison_timings = [], []
    for _round in range(3):
        result, timings = _time_list(env, Case, domain, specification, None, runs // 3 or 1)
        case_timings += timings
        comparison, timings = _time_list(
            env, Comparison, [], comparison_spec, "x_priority desc, x_reported_at desc, id desc", runs // 3 or 1
        )
        comparison_timings += timings
    case_timings.sort()
    comparison_timings.sort()
    env.cr.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + _list_sql(Case, domain))
    plan = env.cr.fetchone()[0][0]
    return {
        "domain": repr(domain),
        "fields": len(specification),
        "records": len(result["records"]),
        "length": result["length"],
        "median_ms": statistics.median(case_timings),
        "p90_ms": case_timings[max(0, int(len(case_timings) * 0.9) - 1)],
        "min_ms": case_timings[0],
        "comparison_median_ms": statistics.median(comparison_timings),
        "comparison_records": len(comparison["records"]),
        "sql_ms": plan.get("Execution Time"),
        "sql_plan_top": plan["Plan"]["Node Type"],
    }


def _list_sql(Case, domain):
    query = Case._search(domain, limit=80, order=Case._order)
    sql = query.select()
    return Case.env.cr.mogrify(sql.code, sql.params).decode()


# ------------------------------------------------------------
# main
# ------------------------------------------------------------


def main(argv):
    script_args, odoo_args = split_argv(argv)
    args = parse_args(script_args)
    with odoo_env(odoo_args) as env:
        env.cr.execute("SELECT count(*) FROM hotline_case")
        total = env.cr.fetchone()[0]
        users = bench_users(env)
        env.cr.commit()
        results = {
            "cases": total,
            "machine": machine_facts(env.cr),
            "registration": bench_registration(env, users, args.creates),
            # the list before the cron: the cron's benchmark rewrites every open case (and their pages'
            # visibility, which the list's index-only count needs, until the next vacuum)
            "list": bench_list(env, users, args.list_runs),
            "cron": bench_cron(env),
        }
        env.cr.rollback()
    results["baseline"] = {"count": 2 * args.creates, "ms": results["registration"]["baseline_ms"]}
    results["targets"] = TARGETS
    text = json.dumps(results, indent=2, default=str)
    print(text)
    if args.json:
        Path(args.json).write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":
    main(sys.argv[1:])
