"""Where a registration's time goes: the steps of create and acceptance, timed and with their SQL queries.

    python bench/profile_case.py [--creates 200] [--json FILE] [--cprofile FILE] -- <odoo-bin options> -d DB

Registers ``--creates`` cases as an operator and accepts them as a supervisor (as bench/bench_case.py
does, rolled back afterwards), with the steps below wrapped: time and SQL queries spent inside each
(inclusive: a step's figures contain those of the steps it calls). The baseline of the same run
(one ``res.partner.category`` created and flushed) comes first. ``--cprofile`` also writes the
cProfile statistics (pstats) of the whole registration.
"""

import argparse
import cProfile
import functools
import json
import sys
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_case import bench_baseline, bench_users, registration_vals  # noqa: E402
from benchlib import Timer, machine_facts, odoo_env, split_argv  # noqa: E402

# (model, method, label): the steps of a registration and of an acceptance
STEPS = [
    ("hotline.case", "create", "create (whole)"),
    ("hotline.case", "_hotline_fill_partner", "caller lookup by phone"),
    ("ir.sequence", "_hotline_next_by_code", "sequences (case number, processing number)"),
    ("hotline.case", "_hotline_prepare_first_stage", "time-limit policy and first deadline (on create)"),
    ("hotline.sla.policy", "_find_policy", "policy lookup (acceptance)"),
    ("hotline.case", "_hotline_enter_stage", "enter stage (deadline, stage log)"),
    ("hotline.case", "_hotline_open_stage_logs", "stage log opened"),
    ("hotline.case", "_hotline_leave_stage", "leave stage (close stage log, working hours)"),
    ("hotline.working.time", "_add_working_hours", "working-time math: add hours"),
    ("hotline.working.time", "_working_hours_between", "working-time math: hours between"),
    ("hotline.case.stage.log", "create", "stage log rows"),
    ("hotline.case", "message_subscribe", "followers (message_subscribe)"),
    ("hotline.case", "_message_subscribe", "followers (_message_subscribe)"),
    ("hotline.case", "_message_log", "chatter: _message_log"),
    ("hotline.case", "_message_log_batch", "chatter: _message_log_batch"),
    ("hotline.case", "message_post", "chatter: message_post"),
    ("hotline.case", "_message_track", "chatter: field tracking"),
    ("hotline.case", "_track_finalize", "chatter: field tracking messages (pre-commit)"),
    ("hotline.case", "action_accept", "acceptance (whole)"),
    ("hotline.case", "_hotline_find_department", "routing (department)"),
    ("hotline.routing.rule", "_find_rule", "routing rules"),
    ("hotline.case", "_notify_accepted", "acceptance notice"),
    ("hotline.case", "write", "write (all writes)"),
]


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--creates", type=int, default=200)
    parser.add_argument("--json")
    parser.add_argument("--cprofile", help="write the pstats of the registrations to this file")
    return parser.parse_args(argv)


class StepMeter:
    """Wraps model methods on their registry classes; collects calls, seconds and queries per step.

    Re-entrant calls (create calling create through super, write from write) count once."""

    def __init__(self, env):
        self.env = env
        self.stats = defaultdict(lambda: {"calls": 0, "seconds": 0.0, "queries": 0})
        self.active = set()
        self.patched = []

    def wrap(self, model, method, label):
        if model not in self.env or not hasattr(type(self.env[model]), method):
            return
        cls = type(self.env[model])
        original = cls.__dict__.get(method)
        func = getattr(cls, method)
        meter = self

        @functools.wraps(func)
        def wrapper(records, *args, **kwargs):
            if label in meter.active:
                return func(records, *args, **kwargs)
            meter.active.add(label)
            cr = records.env.cr
            queries = cr.sql_log_count
            start = time.perf_counter()
            try:
                return func(records, *args, **kwargs)
            finally:
                stat = meter.stats[label]
                stat["calls"] += 1
                stat["seconds"] += time.perf_counter() - start
                stat["queries"] += cr.sql_log_count - queries
                meter.active.discard(label)

        setattr(cls, method, wrapper)
        self.patched.append((cls, method, original))

    def wrap_computes(self, model):
        for name, field in self.env[model]._fields.items():
            if field.compute and isinstance(field.compute, str) and field.store:
                self.wrap(model, field.compute, f"stored compute {model}.{name}")

    def unwrap(self):
        for cls, method, original in reversed(self.patched):
            if original is None:
                delattr(cls, method)
            else:
                setattr(cls, method, original)
        self.patched = []


def profile_registration(env, users, count, cprofile_path=None):
    vals_list = registration_vals(env, count)
    Case = env["hotline.case"]
    meter = StepMeter(env)
    for model, method, label in STEPS:
        meter.wrap(model, method, label)
    meter.wrap_computes("hotline.case")
    env.flush_all()
    env.cr.execute("SAVEPOINT bench_profile")
    created = Case.browse()
    operator_case = Case.with_user(users["operator"])
    profiler = cProfile.Profile() if cprofile_path else None
    flush = {"create": [0.0, 0], "accept": [0.0, 0]}
    try:
        if profiler:
            profiler.enable()
        with Timer() as create_timer:
            for vals in vals_list:
                created |= operator_case.create(dict(vals))
                queries = env.cr.sql_log_count
                with Timer() as flush_timer:
                    env.cr.precommit.run()
                    created.env.flush_all()
                flush["create"][0] += flush_timer.seconds
                flush["create"][1] += env.cr.sql_log_count - queries
        with Timer() as accept_timer:
            for case in created.with_user(users["supervisor"]):
                case.action_accept()
                queries = env.cr.sql_log_count
                with Timer() as flush_timer:
                    env.cr.precommit.run()
                    case.env.flush_all()
                flush["accept"][0] += flush_timer.seconds
                flush["accept"][1] += env.cr.sql_log_count - queries
        if profiler:
            profiler.disable()
            profiler.dump_stats(cprofile_path)
    finally:
        meter.unwrap()
        env.cr.execute("ROLLBACK TO SAVEPOINT bench_profile")
        env.invalidate_all()
    steps = [
        {
            "step": label,
            "calls": stat["calls"],
            "ms_per_case": stat["seconds"] * 1000 / count,
            "queries_per_case": stat["queries"] / count,
        }
        for label, stat in meter.stats.items()
    ]
    for phase in ("create", "accept"):
        steps.append(
            {
                "step": f"end of request after {phase} (pre-commit hooks and flush)",
                "calls": count,
                "ms_per_case": flush[phase][0] * 1000 / count,
                "queries_per_case": flush[phase][1] / count,
            }
        )
    steps.sort(key=lambda row: -row["ms_per_case"])
    return {
        "count": count,
        "create_ms": create_timer.seconds * 1000 / count,
        "accept_ms": accept_timer.seconds * 1000 / count,
        "steps": steps,
    }


def main(argv):
    script_args, odoo_args = split_argv(argv)
    args = parse_args(script_args)
    with odoo_env(odoo_args) as env:
        users = bench_users(env)
        env.cr.commit()
        env.cr.execute("SELECT count(*) FROM hotline_case")
        results = {
            "cases": env.cr.fetchone()[0],
            "machine": machine_facts(env.cr),
            "baseline": bench_baseline(env, args.creates),
        }
        results["profile"] = profile_registration(env, users, args.creates, args.cprofile)
        env.cr.rollback()
    base = results["baseline"]["ms"]
    prof = results["profile"]
    print(
        f"baseline {base:.2f} ms; create {prof['create_ms']:.1f} ms ({prof['create_ms'] / base:.1f}x); "
        f"accept {prof['accept_ms']:.1f} ms ({prof['accept_ms'] / base:.1f}x)"
    )
    for row in prof["steps"]:
        print(
            f"{row['step']:<55} {row['calls']:>6} {row['ms_per_case']:8.2f} ms/case "
            f"{row['queries_per_case']:7.1f} q/case"
        )
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2, default=str) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main(sys.argv[1:])
