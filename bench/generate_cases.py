"""Generates N hotline cases (default 1,000,000) over two years across the demo city, in SQL.

    python bench/generate_cases.py [--count N] [--open N] [--callers N] [--seed S] -- <odoo-bin options> -d DB

The database must have hotline_case installed with demo data (districts, departments,
categories, operators). Rows go in with INSERT ... SELECT over generate_series, so a
million cases take minutes; what the ORM would keep consistent is filled in the same
statements:

- ``name`` unique (``12319-<year>-<number>``) and the case sequence moved past the numbers used;
- ``state`` and ``acceptance_status`` agree, with the stage dates a case in that state has
  (accepted_at, dispatched_at, started_at, feedback_at, closed_at, resolved_at ...);
- stored computed fields: acceptance_status, caller_phone_normalized, is_supervised,
  supervision_level, reporter_count; callers (res.partner) with their normalized phones;
- open cases have a time-limit policy, stage start, deadline, warning time and a stage log row
  for their current stage; the newest ``--open`` cases are the open ones (default 100,000 or a
  tenth of the cases), the others are completed (95 %) or voided;
- department = the category's default department (else one of the demo departments).

Old cases carry no chatter messages and no stage history: the benchmarks do not read them.
"""

import argparse
import logging
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from benchlib import Timer, check_required_columns, generated_columns, odoo_env, split_argv, table_columns  # noqa: E402

_logger = logging.getLogger("bench.generate_cases")

OPEN_STATE_SHARES = [  # (state, cumulative share of the open cases, hours spent before entering it)
    ("new", 0.05, 0),
    ("accepted", 0.10, 0.5),
    ("assigned", 0.30, 1.5),
    ("in_progress", 0.80, 4),
    ("feedback", 0.92, 60),
    ("return_visit", 1.00, 70),
]
STAGE_HOURS_FIELD = {
    "new": "accept_hours",
    "accepted": "dispatch_hours",
    "assigned": "handle_hours",
    "in_progress": "handle_hours",
    "feedback": "return_visit_hours",
    "return_visit": "return_visit_hours",
}
SUMMARIES = [
    "小区停水，已持续半天",
    "路灯不亮，夜间出行不便",
    "燃气管道有异味",
    "暖气不热，室温低于16度",
    "人行道井盖缺失",
    "垃圾清运不及时，堆积发臭",
    "行道树倒伏压住车辆",
    "物业服务差，电梯经常停运",
    "楼体外墙开裂渗水",
    "占道经营，堵塞消防通道",
    "夜间施工噪音扰民",
    "道路塌陷形成大坑",
    "自来水水质浑浊发黄",
    "小区停电，无预先通知",
    "违章搭建影响采光",
    "公园健身器材损坏",
    "下水道堵塞污水外溢",
    "餐饮油烟直排居民楼",
    "公交站台雨棚破损",
    "咨询供暖收费标准",
]
STREETS = ["人民路", "解放路", "建设大道", "江滨路", "文化街", "中山北路", "和平巷", "新华路", "湖滨路", "长江路"]
SURNAMES = ["王", "李", "张", "刘", "陈", "杨", "赵", "黄", "周", "吴", "徐", "孙", "胡", "朱", "高", "林"]


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=1_000_000, help="cases to generate (default 1,000,000)")
    parser.add_argument("--open", type=int, default=None, help="open cases among them (default min(100000, N/10))")
    parser.add_argument("--callers", type=int, default=None, help="callers (res.partner) to create")
    parser.add_argument("--days", type=int, default=730, help="period covered, ending now (default two years)")
    parser.add_argument("--seed", type=float, default=0.12319, help="random seed (-1..1)")
    args = parser.parse_args(argv)
    if args.open is None:
        args.open = min(100_000, args.count // 10)
    args.open = min(args.open, args.count)
    if args.callers is None:
        args.callers = max(1000, min(200_000, args.count // 5))
    return args


# ------------------------------------------------------------
# reference data of the demo city
# ------------------------------------------------------------


def reference_data(env):
    categories = env["hotline.category"].search([])
    if not categories:
        raise SystemExit("No problem categories: install hotline_case with its data first.")
    departments = env["hotline.department"].search([])
    if not departments:
        raise SystemExit("No departments: install hotline_case with demo data (hotline_base demo) first.")
    districts = env["hotline.district"].search([])
    operators = env.ref("hotline_base.group_hotline_operator").users.filtered(lambda u: not u.share)
    service_types = env["hotline.service.type"].search([])
    category_departments = []
    for index, category in enumerate(categories):
        department = category._hotline_default_department() or departments[index % len(departments)]
        category_departments.append(department.id)
    policy = env["hotline.sla.policy"].search([], limit=1) if "hotline.sla.policy" in env else None
    return {
        "category_ids": categories.ids,
        "category_department_ids": category_departments,
        "department_ids": departments.ids,
        "district_ids": districts.ids or [None],
        "district_names": [d.name for d in districts] or [""],
        "operator_ids": operators.ids or [env.ref("base.user_admin").id],
        "service_type_ids": service_types.ids or [None],
        "policy": policy,
        "company_id": env.company.id,
    }


# ------------------------------------------------------------
# callers
# ------------------------------------------------------------


def generate_callers(env, count):
    """``count`` callers with mobile numbers 139xxxxxxxx (E.164 filled like the ORM compute)."""
    cr = env.cr
    cr.execute("SELECT coalesce(max(id), 0) FROM res_partner")
    first_id = cr.fetchone()[0] + 1
    columns = table_columns(cr, "res_partner")
    values = {
        "name": "(ARRAY[%(surnames)s])[1 + g %% 16] || (ARRAY['先生', '女士'])[1 + g %% 2] || '-' || g",
        "complete_name": "(ARRAY[%(surnames)s])[1 + g %% 16] || (ARRAY['先生', '女士'])[1 + g %% 2] || '-' || g",
        "phone": "'139' || lpad((10000000 + g)::text, 8, '0')",
        "hotline_phone_normalized": "'+86139' || lpad((10000000 + g)::text, 8, '0')",
        "hotline_phone_invalid": "false",
        "hotline_vip": "g %% 500 = 0",
        "hotline_blacklisted": "g %% 997 = 0",
        "active": "true",
        "type": "'contact'",
        "is_company": "false",
        "lang": "'zh_CN'",
        "tz": "'Asia/Shanghai'",
        "company_id": "NULL",
        "create_uid": "1",
        "write_uid": "1",
        "create_date": "now() at time zone 'utc'",
        "write_date": "now() at time zone 'utc'",
    }
    values = {column: expression for column, expression in values.items() if column in columns}
    check_required_columns(cr, "res_partner", values)
    query = f"""
        INSERT INTO res_partner ({", ".join(values)})
        SELECT {", ".join(values.values())}
          FROM generate_series(%(first)s, %(last)s) g
    """
    cr.execute(
        query.replace("%(surnames)s", ", ".join(f"'{name}'" for name in SURNAMES)),
        {"first": first_id, "last": first_id + count - 1},
    )
    cr.execute(
        "UPDATE res_partner SET commercial_partner_id = id WHERE id >= %s AND commercial_partner_id IS NULL",
        [first_id],
    )
    cr.execute("SELECT id, phone FROM res_partner WHERE id >= %s ORDER BY id", [first_id])
    return cr.fetchall()


# ------------------------------------------------------------
# cases
# ------------------------------------------------------------


def _policy_hours(policy):
    hours = {state: 0.0 for state in STAGE_HOURS_FIELD}
    if policy:
        for state, field_name in STAGE_HOURS_FIELD.items():
            hours[state] = policy[field_name] or 0.0
    defaults = {"new": 2, "accepted": 2, "assigned": 40, "in_progress": 40, "feedback": 16, "return_visit": 16}
    return {state: hours[state] or defaults[state] for state in hours}


def _int_array(values):
    return "ARRAY[" + ", ".join("NULL" if v is None else str(int(v)) for v in values) + "]::int[]"


def _text_array(values):
    return "ARRAY[" + ", ".join("'" + v.replace("'", "''") + "'" for v in values) + "]::text[]"


def _numbers_by_year(env, column, prefix):
    """{year: highest number} of the existing ``<prefix>-<year>-<n>`` values of ``column``."""
    env.cr.execute(
        f"""SELECT split_part({column}, '-', 2)::int, max(split_part({column}, '-', 3)::int)
              FROM hotline_case WHERE {column} ~ %s GROUP BY 1""",
        [f"^{prefix}-[0-9]{{4}}-[0-9]+$"],
    )
    return dict(env.cr.fetchall())


def _year_offsets(env, column, prefix):
    """SQL giving, for the year of s.reported_at, the highest number already used (new numbers follow it)."""
    used = _numbers_by_year(env, column, prefix)
    if not used:
        return "0"
    cases = " ".join(f"WHEN {int(year)} THEN {int(number)}" for year, number in used.items())
    return f"(CASE extract(year FROM s.reported_at)::int {cases} ELSE 0 END)"


def build_case_sql(env, args, ref, first_caller_id, callers):
    """The INSERT ... SELECT of the cases; returns (query, params)."""
    hours = _policy_hours(ref["policy"])
    # the state of open case g: its position among the open cases picks the state (fixed shares)
    state_case = "CASE " + " ".join(
        f"WHEN s.r_state < {share} THEN '{state}'" for state, share, _h in OPEN_STATE_SHARES
    )
    state_case += " END"
    before_hours = "CASE s.state " + " ".join(f"WHEN '{s}' THEN {h}" for s, _sh, h in OPEN_STATE_SHARES) + " END"
    limit_hours = "CASE s.state " + " ".join(f"WHEN '{s}' THEN {hours[s]}" for s in hours) + " ELSE 0 END"
    n_cat = len(ref["category_ids"])
    n_dist = len(ref["district_ids"])
    n_op = len(ref["operator_ids"])
    n_st = len(ref["service_type_ids"])
    base = """
        SELECT g,
               g > %(closed)s AS is_open,
               random() AS r_state, random() AS r_cat, random() AS r_dist, random() AS r_misc,
               random() AS r_time, random() AS r_caller,
               CASE WHEN g > %(closed)s
                    THEN NULL
                    ELSE %(now)s - make_interval(secs => (%(days)s * 86400.0 - 5 * 86400.0)
                                                        * (%(closed)s - g) / greatest(%(closed)s, 1)
                                                        + 5 * 86400.0)
               END AS closed_reported_at
          FROM generate_series(1, %(count)s) g
    """
    with_state = f"""
        SELECT b.*,
               CASE WHEN b.is_open THEN ({state_case.replace("s.r_state", "b.r_state")})
                    WHEN b.r_misc < 0.05 THEN 'cancel'
                    ELSE 'done' END AS state,
               1 + floor(b.r_cat * {n_cat})::int AS cat_index,
               1 + floor(b.r_dist * {n_dist})::int AS dist_index,
               1 + (b.g %% {n_op}) AS op_index,
               1 + (b.g %% {n_st}) AS st_index
          FROM ({base}) b
    """
    timed = f"""
        SELECT w.*,
               CASE WHEN w.is_open
                    THEN %(now)s - make_interval(
                        secs => w.r_time * 1.5 * 3600 * ({limit_hours.replace("s.state", "w.state")}))
               END AS open_stage_start
          FROM ({with_state}) w
    """
    dated = f"""
        SELECT t.*,
               coalesce(t.closed_reported_at,
                        t.open_stage_start - make_interval(secs => 3600 * ({before_hours.replace("s.state", "t.state")})
                                                                 + 600 * t.r_misc)) AS reported_at,
               (ARRAY{ref["category_department_ids"]}::int[])[t.cat_index] AS cat_department_id
          FROM ({timed}) t
    """
    later = "('new', 'cancel')"
    department = "CASE WHEN s.state = 'done' AND s.r_misc > 0.85 THEN NULL ELSE s.cat_department_id END"
    direct = "(s.state = 'done' AND s.r_misc > 0.85)"
    columns = {
        "name": "'12319-' || extract(year FROM s.reported_at)::int || '-' || lpad("
        "(row_number() OVER (PARTITION BY extract(year FROM s.reported_at) ORDER BY s.g) "
        f"+ {_year_offsets(env, 'name', '12319')})::text, 6, '0')",
        "partner_id": f"CASE WHEN s.r_caller < 0.7 "
        f"THEN {first_caller_id} + floor(s.r_caller / 0.7 * {callers})::int END",
        "caller_name": "(ARRAY[%(surnames)s])[1 + s.g %% 16] || (ARRAY['先生', '女士'])[1 + s.g %% 2]",
        "caller_phone": f"CASE WHEN s.r_caller < 0.7 THEN '139' || lpad((10000000 + {first_caller_id} "
        f"+ floor(s.r_caller / 0.7 * {callers})::int)::text, 8, '0') "
        "ELSE '138' || lpad((s.g %% 100000000)::text, 8, '0') END",
        "anonymous": "s.g %% 50 = 0",
        "reported_at": "s.reported_at",
        "user_id": f"({_int_array(ref['operator_ids'])})[s.op_index]",
        "source": "(ARRAY['hotline','hotline','hotline','hotline','hotline','hotline','web','open311',"
        "'supervisor','leader_mailbox','department_transfer','other'])[1 + s.g %% 12]",
        "category_id": f"({_int_array(ref['category_ids'])})[s.cat_index]",
        "service_type_id": f"({_int_array(ref['service_type_ids'])})[s.st_index]",
        "district_id": f"({_int_array(ref['district_ids'])})[s.dist_index]",
        "address": f"({_text_array(ref['district_names'])})[s.dist_index] || "
        f"({_text_array(STREETS)})[1 + s.g %% {len(STREETS)}] || (1 + s.g %% 300) || '号'",
        "latitude": "30.25 + (s.r_dist - 0.5) * 0.3",
        "longitude": "120.16 + (s.r_cat - 0.5) * 0.3",
        "summary": f"({_text_array(SUMMARIES)})[1 + s.g %% {len(SUMMARIES)}]",
        "priority": "CASE WHEN s.r_misc < 0.02 THEN '2' WHEN s.r_misc < 0.10 THEN '1' ELSE '0' END",
        "company_id": str(ref["company_id"]),
        "state": "s.state",
        "acceptance_status": "CASE s.state WHEN 'new' THEN 'not_processed' WHEN 'done' THEN 'completed' "
        "WHEN 'cancel' THEN 'voided' WHEN 'feedback' THEN 'verification' WHEN 'return_visit' THEN 'verification' "
        "ELSE 'processing' END",
        "processing_method": "'handle'",
        "department_id": f"CASE WHEN s.state IN ('new', 'cancel') THEN NULL ELSE {department} END",
        "accept_user_id": f"CASE WHEN s.state NOT IN {later} THEN ({_int_array(ref['operator_ids'])})[s.op_index] END",
        "accepted_at": f"CASE WHEN s.state NOT IN {later} THEN s.reported_at + interval '20 minutes' END",
        "processing_number": f"CASE WHEN s.state NOT IN {later} THEN 'BL-' || extract(year FROM s.reported_at)::int "
        "|| '-' || lpad((row_number() OVER (PARTITION BY extract(year FROM s.reported_at) ORDER BY s.g) "
        f"+ {_year_offsets(env, 'processing_number', 'BL')})::text, "
        "6, '0') END",
        "handle_start": f"CASE WHEN s.state NOT IN ('new', 'accepted', 'cancel') AND NOT {direct} "
        "THEN s.reported_at + interval '1 hour' END",
        "verified_at": f"CASE WHEN s.state IN ('return_visit', 'done') AND NOT {direct} "
        "THEN s.reported_at + interval '55 hours' END",
        "verify_user_id": f"CASE WHEN s.state IN ('return_visit', 'done') AND NOT {direct} "
        f"THEN ({_int_array(ref['operator_ids'])})[s.op_index] END",
        "dispatched_at": f"CASE WHEN s.state NOT IN ('new', 'accepted', 'cancel') AND NOT {direct} "
        "THEN s.reported_at + interval '1 hour' END",
        "started_at": f"CASE WHEN s.state IN ('in_progress', 'feedback', 'return_visit', 'done') AND NOT {direct} "
        "THEN s.reported_at + interval '3 hours' END",
        "feedback_at": f"CASE WHEN s.state IN ('feedback', 'return_visit', 'done') AND NOT {direct} "
        "THEN s.reported_at + interval '50 hours' END",
        "resolved_at": "CASE WHEN s.state = 'done' THEN s.reported_at + interval '60 hours' END",
        "closed_at": "CASE WHEN s.state IN ('done', 'cancel') THEN s.reported_at + interval '60 hours' END",
        "resolution_type": f"CASE WHEN {direct} THEN 'direct' WHEN s.state = 'done' THEN 'handled' END",
        "handling_result": f"CASE WHEN s.state IN ('feedback', 'return_visit', 'done') AND NOT {direct} "
        "THEN '已现场处理，问题解决。' END",
        "satisfaction": "CASE WHEN s.state = 'done' THEN (ARRAY['satisfied','satisfied','satisfied',"
        "'relatively_satisfied','relatively_satisfied','general','unsatisfied','other'])[1 + s.g %% 8] END",
        "return_visit_user_id": f"CASE WHEN s.state = 'done' THEN ({_int_array(ref['operator_ids'])})[s.op_index] END",
        "return_visit_at": "CASE WHEN s.state = 'done' THEN s.reported_at + interval '60 hours' END",
        "return_count": "0",
        "reject_count": "0",
        "sla_policy_id": str(ref["policy"].id) if ref["policy"] else "NULL",
        "stage_start": "CASE WHEN s.is_open THEN s.open_stage_start END",
        "deadline": f"CASE WHEN s.is_open THEN s.open_stage_start + make_interval(secs => 3600 * ({limit_hours})) END",
        "warning_at": f"CASE WHEN s.is_open THEN s.open_stage_start "
        f"+ make_interval(secs => 0.8 * 3600 * ({limit_hours})) END",
        "handle_deadline": f"CASE WHEN s.state IN ('assigned', 'in_progress') THEN s.open_stage_start "
        f"+ make_interval(secs => 3600 * {hours['in_progress']}) "
        "WHEN s.state NOT IN ('new', 'accepted', 'cancel') AND NOT " + direct + " "
        f"THEN s.reported_at + interval '1 hour' + make_interval(secs => 3600 * {hours['in_progress']}) END",
        # flags as the overdue cron left them at its previous run (one minute ago)
        "is_overdue": f"s.is_open AND s.open_stage_start + make_interval(secs => 3600 * ({limit_hours})) "
        "< %(now)s - interval '1 minute'",
        "overdue_state": f"CASE WHEN NOT s.is_open THEN 'on_time' "
        f"WHEN s.open_stage_start + make_interval(secs => 3600 * ({limit_hours})) < %(now)s - interval '1 minute' "
        "THEN 'overdue' "
        f"WHEN s.open_stage_start + make_interval(secs => 0.8 * 3600 * ({limit_hours})) "
        "< %(now)s - interval '1 minute' THEN 'warning' ELSE 'on_time' END",
        "handle_overdue": "s.state = 'done' AND s.g %% 13 = 0",
        "is_supervised": "false",
        "supervision_level": "NULL",
        "reporter_count": "1",
        "color": "0",
        "create_uid": f"({_int_array(ref['operator_ids'])})[s.op_index]",
        "write_uid": f"({_int_array(ref['operator_ids'])})[s.op_index]",
        "create_date": "s.reported_at",
        "write_date": "coalesce(s.open_stage_start, s.reported_at + interval '60 hours')",
    }
    columns["caller_phone_normalized"] = "'+86' || (" + columns["caller_phone"] + ")"
    return columns, dated


def generate_cases(env, args, ref, first_caller_id, callers):
    from odoo import fields  # noqa: PLC0415

    cr = env.cr
    columns, source = build_case_sql(env, args, ref, first_caller_id, callers)
    columns = generated_columns(env, "hotline.case", columns)
    query = f"""
        INSERT INTO hotline_case ({", ".join(columns)})
        SELECT {", ".join(columns.values())}
          FROM ({source}) s
         ORDER BY s.g
    """
    query = query.replace("%(surnames)s", ", ".join(f"'{name}'" for name in SURNAMES))
    cr.execute("SELECT setseed(%s)", [args.seed])
    cr.execute(
        query,
        {
            "count": args.count,
            "closed": args.count - args.open,
            "days": args.days,
            "now": fields.Datetime.now(),
        },
    )
    return cr.rowcount


def fill_stage_logs(env, first_case_id):
    """One log row for the current stage of each open case (what the overdue cron and reports read)."""
    cr = env.cr
    if "hotline.case.stage.log" not in env:
        return 0
    cr.execute(
        """INSERT INTO hotline_case_stage_log (case_id, state, user_id, department_id, date_in, deadline,
                                               working_hours, overdue, create_uid, write_uid, create_date, write_date)
           SELECT id, state, user_id, department_id, stage_start, deadline, 0, false, 1, 1, stage_start, stage_start
             FROM hotline_case
            WHERE id >= %s AND stage_start IS NOT NULL""",
        [first_case_id],
    )
    return cr.rowcount


def fill_supervisions_and_assists(env, first_case_id):
    """Supervision orders on 1 % of the open cases; an assisting department on 2 % of the dispatched ones."""
    cr = env.cr
    supervised = 0
    if "hotline.case.supervision" in env:
        cr.execute(
            """INSERT INTO hotline_case_supervision (name, case_id, level, message, user_id, department_id, state,
                                                     create_uid, write_uid, create_date, write_date)
               SELECT name || ' · ' || (CASE WHEN id %% 3 = 0 THEN 'Red Card' ELSE 'Urge' END), id,
                      CASE WHEN id %% 3 = 0 THEN 'red' ELSE 'urge' END, '请加快办理并于今日内反馈。',
                      1, department_id, 'open', 1, 1, stage_start, stage_start
                 FROM hotline_case
                WHERE id >= %s AND stage_start IS NOT NULL AND department_id IS NOT NULL AND id %% 100 = 7""",
            [first_case_id],
        )
        supervised = cr.rowcount
        cr.execute(
            """UPDATE hotline_case c
                  SET is_supervised = true,
                      supervision_level = CASE WHEN c.id %% 3 = 0 THEN 'red' ELSE 'urge' END
                WHERE c.id >= %s AND c.stage_start IS NOT NULL AND c.department_id IS NOT NULL AND c.id %% 100 = 7""",
            [first_case_id],
        )
    cr.execute(
        """INSERT INTO hotline_case_assist_department_rel (case_id, department_id)
           SELECT c.id, d.id
             FROM hotline_case c
             JOIN hotline_department d ON d.id = (SELECT min(id) FROM hotline_department WHERE id <> c.department_id)
            WHERE c.id >= %s AND c.dispatched_at IS NOT NULL AND c.id %% 50 = 3
           ON CONFLICT DO NOTHING""",
        [first_case_id],
    )
    return supervised, cr.rowcount


def move_sequence(env, code, column, prefix):
    """Moves a sequence past the generated numbers ``<prefix>-<year>-<n>`` so that new ones never collide."""
    sequence = env["ir.sequence"].search([("code", "=", code)], limit=1)
    if not sequence:
        _logger.warning("no ir.sequence with code %s: numbers of new cases are not protected", code)
        return
    by_year = _numbers_by_year(env, column, prefix)
    if not by_year:
        return
    if sequence.use_date_range:
        for year, number in by_year.items():
            date_range = sequence.date_range_ids.filtered(lambda r, y=year: r.date_from.year == y)
            if not date_range:
                date_range = env["ir.sequence.date_range"].create(
                    {"sequence_id": sequence.id, "date_from": f"{year}-01-01", "date_to": f"{year}-12-31"}
                )
            if date_range.number_next_actual <= number:
                date_range.number_next_actual = number + 1
    elif sequence.number_next_actual <= max(by_year.values()):
        sequence.number_next_actual = max(by_year.values()) + 1


def main(argv):
    script_args, odoo_args = split_argv(argv)
    args = parse_args(script_args)
    with odoo_env(odoo_args) as env:
        cr = env.cr
        ref = reference_data(env)
        with Timer() as timer_callers:
            callers = generate_callers(env, args.callers)
        _logger.info("%s callers in %.1f s", len(callers), timer_callers.seconds)
        cr.execute("SELECT coalesce(max(id), 0) + 1 FROM hotline_case")
        first_case_id = cr.fetchone()[0]
        with Timer() as timer_cases:
            created = generate_cases(env, args, ref, callers[0][0], len(callers))
        _logger.info("%s cases in %.1f s", created, timer_cases.seconds)
        with Timer() as timer_rest:
            logs = fill_stage_logs(env, first_case_id)
            supervised, assisted = fill_supervisions_and_assists(env, first_case_id)
            move_sequence(env, "hotline.case", "name", "12319")
            move_sequence(env, "hotline.case.processing.handle", "processing_number", "BL")
            env.flush_all()
        _logger.info(
            "%s stage logs, %s supervisions, %s assisting links in %.1f s",
            logs,
            supervised,
            assisted,
            timer_rest.seconds,
        )
        cr.commit()
        with Timer() as timer_analyze:
            cr.execute("ANALYZE hotline_case")
            cr.execute("ANALYZE res_partner")
            cr.execute("ANALYZE hotline_case_stage_log")
            cr.commit()
        total = timer_callers.seconds + timer_cases.seconds + timer_rest.seconds + timer_analyze.seconds
        print(
            f"generated {created} cases ({args.open} open) and {len(callers)} callers in {total:.1f} s",
            flush=True,
        )


if __name__ == "__main__":
    main(sys.argv[1:])
