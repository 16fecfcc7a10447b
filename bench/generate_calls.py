"""Generates N hotline calls (default 3,000,000) on one PBX over two years, in SQL.

    python bench/generate_calls.py [--count N] [--days 730] [--link-share 0.35] [--seed S] \
        -- <odoo-bin options> -d DB

The database must have hotline_telephony installed with demo data (the demo PBX and operators);
cases, when there are any (bench/generate_cases.py), are linked to some of the calls. Rows go in
with one INSERT ... SELECT over generate_series; what the ORM would keep consistent is filled in
the same statement:

- ``linkedid`` unique per PBX (``<epoch>.<n>`` as Asterisk writes it, n above the existing ids),
  ``state`` ended;
- spread: every day of the period (ending now) gets the same share, 85 % of the calls of a day
  fall between 08:00 and 20:00 Asia/Shanghai, the rest at any hour;
- direction: 85 % inbound (88 % answered, the rest abandoned), 12 % outbound (answered, no
  answer, busy, failed), 3 % internal; wait (exponential, mean 15 s for the answered inbound
  calls, 35 s before abandoning) and talk seconds (mean about 3.5 minutes), answer and end times;
- agents: the demo operators (their extension, else 1000 + n) on answered and outbound calls;
  callers: 60 % of the inbound calls come from the callers generated with the cases (partner and
  phone), the others from unknown mobiles;
- cases: ``--link-share`` of the answered inbound calls (35 %) are linked to the first case
  reported at or after the call's start, on the same day;
- stored computed fields: remote_number, duration_seconds, has_recording, company_id.

The indexes of hotline_call (except its primary key and the unique linkedid constraint) and its
foreign keys are dropped before the load and created again after it (the foreign keys then
checked once over the whole table), in the same transaction.
"""

import argparse
import logging
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from benchlib import Timer, generated_columns, odoo_env, split_argv  # noqa: E402

_logger = logging.getLogger("bench.generate_calls")


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=3_000_000, help="calls to generate (default 3,000,000)")
    parser.add_argument("--days", type=int, default=730, help="period covered, ending now (default two years)")
    parser.add_argument("--link-share", type=float, default=0.35, help="answered inbound calls linked to a case")
    parser.add_argument("--seed", type=float, default=0.12319, help="random seed (-1..1)")
    return parser.parse_args(argv)


def _int_array(values):
    return "ARRAY[" + ", ".join(str(int(v)) for v in values) + "]::int[]"


def _text_array(values):
    return "ARRAY[" + ", ".join("'" + str(v).replace("'", "''") + "'" for v in values) + "]::text[]"


def reference_data(env):
    pbx = env.ref("hotline_telephony.hotline_pbx_demo", raise_if_not_found=False) or env["hotline.pbx"].search(
        [], limit=1
    )
    if not pbx:
        raise SystemExit("No PBX: install hotline_telephony with demo data first.")
    operators = env.ref("hotline_base.group_hotline_operator").users.filtered(lambda u: not u.share)
    if not operators:
        raise SystemExit("No operators: install hotline_base with demo data first.")
    extensions = [user.hotline_extension or str(1000 + index) for index, user in enumerate(operators, 1)]
    cr = env.cr
    # the callers of bench/generate_cases.py: res.partner rows with the phone '139' || lpad(10000000 + id)
    cr.execute(
        """SELECT min(id), max(id) FROM res_partner
            WHERE phone ~ '^139[0-9]{8}$' AND phone = '139' || lpad((10000000 + id)::text, 8, '0')"""
    )
    first_caller, last_caller = cr.fetchone()
    cr.execute("SELECT count(*) FROM hotline_case")
    cases = cr.fetchone()[0]
    return {
        "pbx_id": pbx.id,
        "company_id": pbx.company_id.id,
        "queue": pbx.queue or "hotline",
        "operator_ids": operators.ids,
        "extensions": extensions,
        "first_caller": first_caller,
        "last_caller": last_caller,
        "cases": cases,
    }


def build_call_sql(ref, args):
    """(columns {name: SQL expression over s}, source query of s)."""
    n_op = len(ref["operator_ids"])
    # s: one row per call with its random draws, direction, disposition, times
    base = """
        SELECT g,
               random() AS r_dir, random() AS r_disp, random() AS r_wait, random() AS r_talk,
               random() AS r_op, random() AS r_caller, random() AS r_case, random() AS r_hour,
               floor((g - 1)::float8 * %(days)s / %(count)s)::int AS day_index
          FROM generate_series(1, %(count)s) g
    """
    directed = (
        """
        SELECT b.*,
               CASE WHEN b.r_dir < 0.85 THEN 'inbound' WHEN b.r_dir < 0.97 THEN 'outbound' ELSE 'internal' END
                   AS direction,
               -- the call's start: its day, an hour of the local (UTC+8) working day for 85 %% of them
               (%(today)s::timestamp - make_interval(days => %(days)s - 1 - b.day_index)
                + make_interval(secs => CASE WHEN b.r_hour < 0.85 THEN 8 * 3600 + b.r_hour / 0.85 * 12 * 3600
                                             ELSE (b.r_hour - 0.85) / 0.15 * 86400 END)
                - interval '8 hours') AS raw_start
          FROM ("""
        + base
        + """) b
    """
    )
    disposed = f"""
        SELECT d.*,
               CASE WHEN d.raw_start > %(now)s THEN d.raw_start - interval '1 day' ELSE d.raw_start END AS start_time,
               CASE d.direction
                    WHEN 'inbound' THEN CASE WHEN d.r_disp < 0.88 THEN 'answered' ELSE 'abandoned' END
                    WHEN 'outbound' THEN CASE WHEN d.r_disp < 0.70 THEN 'answered' WHEN d.r_disp < 0.90 THEN 'no_answer'
                                              WHEN d.r_disp < 0.97 THEN 'busy' ELSE 'failed' END
                    ELSE 'answered' END AS disposition,
               1 + floor(d.r_op * {n_op})::int AS op_index
          FROM ({directed}) d
    """
    timed = f"""
        SELECT t.*,
               CASE WHEN t.direction = 'inbound' AND t.disposition = 'answered'
                         THEN least(floor(-ln(1 - t.r_wait) * 15), 600)::int
                    WHEN t.direction = 'inbound' THEN least(3 + floor(-ln(1 - t.r_wait) * 35), 900)::int
                    WHEN t.disposition = 'answered' THEN floor(t.r_wait * 20)::int
                    ELSE floor(t.r_wait * 40)::int END AS wait,
               CASE WHEN t.disposition = 'answered' THEN least(20 + floor(-ln(1 - t.r_talk) * 190), 3600)::int
                    ELSE 0 END AS talk,
               ({_int_array(ref["operator_ids"])})[t.op_index] AS agent_id,
               ({_text_array(ref["extensions"])})[t.op_index] AS agent_extension,
               CASE WHEN t.r_caller < 0.6 AND %(first_caller)s::int IS NOT NULL
                    THEN %(first_caller)s::int
                         + floor(t.r_caller / 0.6 * (%(last_caller)s::int - %(first_caller)s::int + 1))::int
               END AS caller_partner_id
          FROM ({disposed}) t
    """
    inbound = "s.direction = 'inbound'"
    answered = "s.disposition = 'answered'"
    phone = (
        "CASE WHEN s.caller_partner_id IS NOT NULL THEN '139' || lpad((10000000 + s.caller_partner_id)::text, 8, '0') "
        "ELSE '137' || lpad((s.g %% 100000000)::text, 8, '0') END"
    )
    case_link = (
        f"CASE WHEN {inbound} AND {answered} AND s.r_case < %(link_share)s AND %(cases)s > 0 THEN "
        "(SELECT hc.id FROM hotline_case hc WHERE hc.reported_at >= s.start_time "
        "AND hc.reported_at < s.start_time + interval '1 day' ORDER BY hc.reported_at LIMIT 1) END"
    )
    columns = {
        "pbx_id": str(ref["pbx_id"]),
        "company_id": str(ref["company_id"]),
        "linkedid": "extract(epoch FROM s.start_time)::bigint || '.' || (%(first_id)s + s.g)",
        "direction": "s.direction",
        "state": "'ended'",
        "caller_number": f"CASE WHEN {inbound} THEN {phone} ELSE s.agent_extension END",
        "caller_name": f"CASE WHEN {inbound} AND s.caller_partner_id IS NOT NULL "
        "THEN '来电人-' || s.caller_partner_id END",
        "called_number": f"CASE WHEN {inbound} THEN '12319' WHEN s.direction = 'internal' "
        f"THEN ({_text_array(ref['extensions'])})[1 + (s.op_index %% {n_op})] ELSE {phone} END",
        "remote_number": f"CASE WHEN {inbound} THEN {phone} WHEN s.direction = 'internal' "
        f"THEN ({_text_array(ref['extensions'])})[1 + (s.op_index %% {n_op})] ELSE {phone} END",
        "partner_id": "CASE WHEN s.direction <> 'internal' THEN s.caller_partner_id END",
        "user_id": f"CASE WHEN {inbound} AND NOT {answered} THEN NULL ELSE s.agent_id END",
        "extension": f"CASE WHEN {inbound} AND NOT {answered} THEN NULL ELSE s.agent_extension END",
        "queue": f"CASE WHEN {inbound} THEN %(queue)s END",
        "start_time": "s.start_time",
        "answer_time": f"CASE WHEN {answered} THEN s.start_time + make_interval(secs => s.wait) END",
        "end_time": "s.start_time + make_interval(secs => s.wait + s.talk)",
        "wait_seconds": "s.wait",
        "talk_seconds": "s.talk",
        "duration_seconds": "s.wait + s.talk",
        "disposition": "s.disposition",
        "has_recording": "false",
        "case_id": case_link,
        "create_uid": "1",
        "write_uid": "1",
        "create_date": "s.start_time",
        "write_date": "s.start_time + make_interval(secs => s.wait + s.talk)",
    }
    return columns, timed


def _droppable_indexes(cr):
    """(name, definition) of hotline_call's indexes that back no constraint."""
    cr.execute(
        """SELECT i.relname, pg_get_indexdef(i.oid)
             FROM pg_index x
             JOIN pg_class i ON i.oid = x.indexrelid
             JOIN pg_class t ON t.oid = x.indrelid
            WHERE t.relname = 'hotline_call' AND t.relnamespace = current_schema()::regnamespace
              AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid)"""
    )
    return cr.fetchall()


def _foreign_keys(cr):
    """(name, definition) of hotline_call's foreign keys."""
    cr.execute(
        """SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint
            WHERE conrelid = 'hotline_call'::regclass AND contype = 'f'"""
    )
    return cr.fetchall()


def generate_calls(env, args, ref):
    from odoo import fields  # noqa: PLC0415

    cr = env.cr
    columns, source = build_call_sql(ref, args)
    columns = generated_columns(env, "hotline.call", columns)
    query = f"""
        INSERT INTO hotline_call ({", ".join(columns)})
        SELECT {", ".join(columns.values())}
          FROM ({source}) s
         ORDER BY s.start_time
    """
    now = fields.Datetime.now()
    # local (UTC+8) midnight of today, in UTC
    today = fields.Datetime.to_datetime(fields.Date.to_string(fields.Datetime.add(now, hours=8)))
    cr.execute("SELECT coalesce(max(id), 0) FROM hotline_call")
    first_id = cr.fetchone()[0]
    cr.execute("SELECT setseed(%s)", [args.seed])
    cr.execute(
        query,
        {
            "count": args.count,
            "days": args.days,
            "now": now,
            "today": today,
            "queue": ref["queue"],
            "first_caller": ref["first_caller"],
            "last_caller": ref["last_caller"],
            "link_share": args.link_share,
            "cases": ref["cases"],
            "first_id": first_id,
        },
    )
    return cr.rowcount


def mark_report_days(cr, created):
    """With hotline_reports installed: the hours of the new calls are stale in the traffic report's daily
    totals (as the ORM notes them; this insert is SQL). The newest ``created`` calls."""
    cr.execute("SELECT to_regclass('hotline_report_call_stale')")
    if cr.fetchone()[0] is None:
        return
    cr.execute(
        """INSERT INTO hotline_report_call_stale (hour)
           SELECT DISTINCT date_trunc('hour', start_time)
             FROM (SELECT start_time FROM hotline_call ORDER BY id DESC LIMIT %s) AS new
            WHERE start_time IS NOT NULL""",
        [created],
    )


def main(argv):
    script_args, odoo_args = split_argv(argv)
    args = parse_args(script_args)
    with odoo_env(odoo_args) as env:
        cr = env.cr
        ref = reference_data(env)
        # a bulk load: without the indexes and the row-by-row foreign-key triggers, then the
        # indexes built and the foreign keys checked once over the table (same transaction)
        indexes = _droppable_indexes(cr)
        foreign_keys = _foreign_keys(cr)
        with Timer() as timer_calls:
            for name, _definition in indexes:
                cr.execute(f'DROP INDEX "{name}"')
            for name, _definition in foreign_keys:
                cr.execute(f'ALTER TABLE hotline_call DROP CONSTRAINT "{name}"')
            created = generate_calls(env, args, ref)
        _logger.info("%s calls in %.1f s", created, timer_calls.seconds)
        with Timer() as timer_indexes:
            for _name, definition in indexes:
                cr.execute(definition)
            for name, definition in foreign_keys:
                cr.execute(f'ALTER TABLE hotline_call ADD CONSTRAINT "{name}" {definition}')
        _logger.info(
            "%s indexes and %s foreign keys created again in %.1f s",
            len(indexes),
            len(foreign_keys),
            timer_indexes.seconds,
        )
        cr.commit()
        with Timer() as timer_analyze:
            cr.execute("ANALYZE hotline_call")
            cr.commit()
        mark_report_days(cr, created)
        cr.commit()
        cr.execute("SELECT count(*) FILTER (WHERE case_id IS NOT NULL) FROM hotline_call")
        linked = cr.fetchone()[0]
        total = timer_calls.seconds + timer_indexes.seconds + timer_analyze.seconds
        print(
            f"generated {created} calls ({linked} linked to cases) in {total:.1f} s "
            f"(insert {timer_calls.seconds:.1f} s, indexes and foreign keys {timer_indexes.seconds:.1f} s)",
            flush=True,
        )


if __name__ == "__main__":
    main(sys.argv[1:])
