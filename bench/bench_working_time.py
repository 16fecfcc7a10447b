"""Working-time arithmetic of the time limits: deadlines and stage durations, per call.

Usage: ``python bench/bench_working_time.py [--calls N] -- <odoo-bin options> -d DATABASE``
(a database with hotline_case installed). Starts are spread over a year at every quarter hour of
the day, on the company calendar (Monday-Friday with a lunch break) with public holidays and
make-up working days of that year; the baseline is one ``res.partner.category`` created and flushed.
"""

import argparse
import sys
from datetime import date, datetime, timedelta

from benchlib import Timer, odoo_env, split_argv

_YEAR = 2031  # the calendar days below are the benchmark's own, not the demo's


def calendar_days(env):
    Day = env["hotline.calendar.day"]
    Day.search([("date", ">=", date(_YEAR, 1, 1)), ("date", "<=", date(_YEAR, 12, 31))]).unlink()
    holidays = [date(_YEAR, 1, 1), *[date(_YEAR, 10, 1) + timedelta(days=n) for n in range(7)]]
    Day.create([{"date": day, "day_type": "holiday", "name": "bench holiday"} for day in holidays])
    Day.create([{"date": date(_YEAR, 9, 28), "day_type": "workday", "name": "bench make-up day"}])


def starts(count):
    first = datetime(_YEAR, 1, 1)
    return [first + timedelta(minutes=15 * 97 * index) for index in range(count)]


def per_call_ms(function, arguments):
    with Timer() as timer:
        for args in arguments:
            function(*args)
    return timer.seconds * 1000.0 / len(arguments)


def baseline_ms(env, count):
    Category = env["res.partner.category"]
    env.cr.execute("SAVEPOINT bench_baseline")
    with Timer() as timer:
        for index in range(count):
            Category.create({"name": f"bench baseline {index}"})
            env.flush_all()
    env.cr.execute("ROLLBACK TO SAVEPOINT bench_baseline")
    return timer.seconds * 1000.0 / count


def main(argv):
    script_args, odoo_args = split_argv(argv)
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=3000)
    args = parser.parse_args(script_args)
    with odoo_env(odoo_args) as env:
        calendar_days(env)
        calendar = env.company.resource_calendar_id
        WorkingTime = env["hotline.working.time"]
        moments = starts(args.calls)
        deadlines = [WorkingTime._add_working_hours(calendar, start, 24) for start in moments]
        # building one year of a calendar's cache (the cost after any calendar change), where there is one
        fill = getattr(getattr(type(calendar), "_hotline_year_work_time", None), "__wrapped__", None)
        cold = per_call_ms(fill, [(calendar, _YEAR + n % 5) for n in range(10)]) if fill else float("nan")
        results = {
            "baseline (create+flush) ms": baseline_ms(env, 500),
            "deadline +2h ms": per_call_ms(WorkingTime._add_working_hours, [(calendar, s, 2) for s in moments]),
            "deadline +24h ms": per_call_ms(WorkingTime._add_working_hours, [(calendar, s, 24) for s in moments]),
            "hours between (24h span) ms": per_call_ms(
                WorkingTime._working_hours_between, [(calendar, s, d) for s, d in zip(moments, deadlines, strict=True)]
            ),
            "one year of cache built ms": cold,
            "round the clock ms": per_call_ms(
                WorkingTime._add_working_hours, [(calendar.browse(), s, 2) for s in moments]
            ),
        }
        checksum = sum(int(d.timestamp()) for d in deadlines)
        print(f"calls per figure: {args.calls}; deadline checksum {checksum}")
        for name, value in results.items():
            print(f"{name:32} {value:8.3f}   ({value / results['baseline (create+flush) ms']:.2f}x baseline)")


if __name__ == "__main__":
    main(sys.argv[1:])
