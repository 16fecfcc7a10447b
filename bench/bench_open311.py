"""Open311 GET requests over a database filled by bench/generate_cases.py (hotline_open311 installed, demo data).

    python bench/bench_open311.py [--runs 200] [--json FILE] [--markdown docs/BENCHMARKS.md]
        [--generation TEXT] [--command TEXT] -- <odoo-bin options> -d DB

Each request goes through Odoo's WSGI application in this process (routing, the API user, the
search, the rendering in JSON or XML): the time measured is the server's, without the network.
Scenarios (random windows and services drawn with a fixed seed, 5 warm-up requests each):

- one day of every public service, JSON and XML (the spec's date window);
- the last seven days of one service, open requests only (as a map of open problems asks);
- no parameters: the spec's default, the last 90 days, first page;
- thirty days, fifth page of 50;
- twenty requests by service_request_id.

Baselines, in the same run: GET discovery (Odoo's HTTP stack and the API's environment, no
search: the floor); the SQL the API's search runs (the ORM's own query for the API user, record
rules included), timed alone, so the ratio says what the HTTP layer, the read and the rendering
add; and that SQL again without the addon's two indexes (dropped inside a transaction that is
rolled back). Besides the wall clock, the CPU time of the request in this process is reported:
on a loaded machine the wall clock also measures the wait for a CPU.
"""

import argparse
import json
import random
import statistics
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent))

from benchlib import Timer, import_odoo, machine_facts, odoo_env, split_argv, write_section  # noqa: E402

TARGET_P95_MS = 50.0
INDEXES = ("hotline_case_category_reported_index", "hotline_case_open_category_reported_index")
TZ_OFFSET = timedelta(hours=8)
FLOOR = "floor"


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=200, help="timed requests per scenario")
    parser.add_argument("--json", help="write the results to this JSON file")
    parser.add_argument("--markdown", help="write the '## Open311' section into this file")
    parser.add_argument("--generation", default="", help="how the data was made (for the report)")
    parser.add_argument("--command", default="scripts/bench_open311.sh", help="command line (for the report)")
    return parser.parse_args(argv)


# ------------------------------------------------------------
# the data
# ------------------------------------------------------------


def data_facts(env):
    cr = env.cr
    cr.execute("SELECT count(*), min(reported_at), max(reported_at) FROM hotline_case")
    total, first, last = cr.fetchone()
    cr.execute(
        """SELECT count(*) FROM hotline_case c JOIN hotline_category g ON g.id = c.category_id
            WHERE g.open311_public"""
    )
    public = cr.fetchone()[0]
    codes = env["hotline.category"]._open311_services().mapped("code")
    if not codes:
        raise SystemExit("No public service: install hotline_open311 with its demo data.")
    return {"cases": total, "public_cases": public, "first": first, "last": last, "codes": codes}


def local(moment):
    """A naive UTC datetime as the centre's wall-clock time with its offset, as apps send dates."""
    return (moment + TZ_OFFSET).strftime("%Y-%m-%dT%H:%M:%S+08:00")


def scenarios(facts, runs, seed=12319):
    """{name: [query parameters of each request]} for the timed runs (and the warm-up)."""
    rng = random.Random(seed)
    first, last, codes = facts["first"] + timedelta(days=31), facts["last"], facts["codes"]
    span_days = max((last - first).days - 1, 1)

    def day(offset_days=0):
        return first + timedelta(days=rng.randrange(span_days) + offset_days)

    def window(days, **extra):
        start = day().replace(hour=16, minute=0, second=0, microsecond=0)  # midnight in the centre
        end = start + timedelta(days=days) - timedelta(seconds=1)
        return {"start_date": local(start), "end_date": local(end), **extra}

    def seven_days(start, **extra):
        return {"start_date": local(start), "end_date": local(start + timedelta(days=7)), **extra}

    count = runs + 5
    return {
        "1 day, every service (JSON)": ("json", [window(1) for _ in range(count)]),
        "1 day, every service (XML)": ("xml", [window(1) for _ in range(count)]),
        "last 7 days, one service, open only": (
            "json",
            [
                seven_days(
                    last - timedelta(days=7, hours=rng.randrange(0, 48)), service_code=rng.choice(codes), status="open"
                )
                for _ in range(count)
            ],
        ),
        "default (last 90 days)": ("json", [{} for _ in range(count)]),
        "30 days, page 5 of 50": ("json", [window(30, page="5", page_size="50") for _ in range(count)]),
        "20 ids": ("json", [{"service_request_id": None} for _ in range(count)]),
    }


def fill_ids(env, params_list, seed=12319):
    """The '20 ids' scenario asks for existing public requests, drawn at random."""
    env.cr.execute(
        """SELECT c.name FROM hotline_case c JOIN hotline_category g ON g.id = c.category_id
            WHERE g.open311_public ORDER BY c.id DESC LIMIT 20000"""
    )
    names = [row[0] for row in env.cr.fetchall()]
    rng = random.Random(seed)
    for params in params_list:
        params["service_request_id"] = ",".join(rng.sample(names, min(20, len(names))))


# ------------------------------------------------------------
# measures
# ------------------------------------------------------------


def percentile(values, share):
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(share * (len(ordered) - 1))))
    return ordered[index]


def summary(times_ms):
    return {
        "p50_ms": round(statistics.median(times_ms), 2),
        "p95_ms": round(percentile(times_ms, 0.95), 2),
        "max_ms": round(max(times_ms), 2),
        "runs": len(times_ms),
    }


def request_once(client, path, fmt, params):
    """(wall ms, CPU ms of this thread, queries, rows) of one request through the WSGI application."""
    url = f"/open311/v2/{path}.{fmt}"
    if params:
        url += "?" + urlencode(params)
    cpu_start = time.thread_time()
    with Timer() as timer:
        response = client.get(url)
    cpu_ms = (time.thread_time() - cpu_start) * 1000
    if response.status_code != 200:
        raise SystemExit(f"{url}: HTTP {response.status_code}: {response.get_data(as_text=True)[:300]}")
    body = response.get_data()
    if path != "requests":
        rows = 1
    else:
        rows = len(json.loads(body)) if fmt == "json" else body.count(b"<request>")
    return timer.seconds * 1000, cpu_ms, getattr(threading.current_thread(), "query_count", 0), rows


def time_api(client, jobs, seed=12319):
    """{scenario: measures} for ``jobs`` {scenario: (path, fmt, params list)}: the first 5 requests of each
    scenario warm up; the timed ones are run interleaved in a random order, so that a burst of load on
    the machine falls on every scenario alike rather than on whichever ran at the time."""
    timed = []
    for name, (path, fmt, params_list) in jobs.items():
        for params in params_list[:5]:
            request_once(client, path, fmt, params)
        timed += [(name, path, fmt, params) for params in params_list[5:]]
    random.Random(seed).shuffle(timed)
    samples = {name: [] for name in jobs}
    for name, path, fmt, params in timed:
        samples[name].append(request_once(client, path, fmt, params))
    results = {}
    for name, values in samples.items():
        walls, cpus, queries, rows = zip(*values, strict=True)
        result = summary(walls)
        result["cpu_p50_ms"] = round(statistics.median(cpus), 2)
        result["cpu_p95_ms"] = round(percentile(cpus, 0.95), 2)
        result["queries"] = round(statistics.mean(queries), 1)
        result["rows"] = round(statistics.mean(rows), 1)
        results[name] = result
    return results


def api_sql(env, params):
    """The SQL of the API's search for these parameters, as the API user runs it."""
    user = env.ref("hotline_open311.user_open311")
    Case = env["hotline.case"].with_user(user)
    from werkzeug.datastructures import MultiDict  # noqa: PLC0415

    query_params = MultiDict(params)
    page = int(query_params.get("page", 1))
    page_size = int(query_params.get("page_size", 100))
    domain = Case._open311_get_domain(Case._open311_filters(query_params, 1000))
    query = Case._search(domain, order="reported_at desc, id desc", limit=page_size + 1, offset=(page - 1) * page_size)
    return query.select()


def time_sql(cr, sql_list):
    times = []
    for index, sql in enumerate(sql_list):
        with Timer() as timer:
            cr.execute(sql)
            cr.fetchall()
        if index >= 5:
            times.append(timer.seconds * 1000)
    return summary(times)


# ------------------------------------------------------------
# report
# ------------------------------------------------------------


def section(results, generation, command):
    facts = results["data"]
    lines = [
        "## Open311",
        "",
        f"`GET /open311/v2/requests` over {facts['cases']:,} cases ({facts['public_cases']:,} in public services: "
        f"{', '.join(facts['codes'])}), measured {results['measured_at']} by `{command}`. "
        f"Server time: each request through Odoo's WSGI application in the benchmark's process (routing, "
        f"API user, search, read, JSON/XML rendering), {results['runs']} requests per scenario after 5 warm-up "
        "requests, the scenarios' requests interleaved in a random order; CPU: the request's CPU time in that "
        f"process (the wall clock also counts the wait for a CPU on a loaded machine); target p95 <= "
        f"{TARGET_P95_MS:.0f} ms.",
        "",
    ]
    if generation:
        lines += [f"Data: {generation}.", ""]
    lines += [
        "| scenario | rows | queries | p50 ms | p95 ms | max ms | CPU p50 / p95 ms | SQL alone p50 / p95 ms "
        "| API / SQL (p50) | p95 target |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    floor = results["floor"]
    lines.append(
        f"| floor: GET discovery (no search) | - | {floor['queries']:g} | {floor['p50_ms']:.1f} | "
        f"{floor['p95_ms']:.1f} | {floor['max_ms']:.1f} | {floor['cpu_p50_ms']:.1f} / {floor['cpu_p95_ms']:.1f} "
        "| - | - | - |"
    )
    for name, measure in results["scenarios"].items():
        api, sql = measure["api"], measure["sql"]
        ratio = api["p50_ms"] / sql["p50_ms"] if sql["p50_ms"] else 0
        verdict = "met" if api["p95_ms"] <= TARGET_P95_MS else "**missed**"
        lines.append(
            f"| {name} | {api['rows']:g} | {api['queries']:g} | {api['p50_ms']:.1f} | {api['p95_ms']:.1f} | "
            f"{api['max_ms']:.1f} | {api['cpu_p50_ms']:.1f} / {api['cpu_p95_ms']:.1f} | "
            f"{sql['p50_ms']:.2f} / {sql['p95_ms']:.2f} | {ratio:.1f}x | {verdict} |"
        )
    lines += [
        "",
        "The indexes added by hotline_open311, `hotline_case_category_reported_index` (category_id, reported_at "
        "DESC, id DESC) and `hotline_case_open_category_reported_index` (the same, open cases only), against the "
        "same SQL without them (dropped in a rolled-back transaction):",
        "",
        "| scenario | SQL p50 / p95 ms with the indexes | without them | without / with (p50, p95) |",
        "|---|---:|---:|---:|",
    ]
    for name, measure in results["scenarios"].items():
        with_index, without = measure["sql"], measure["sql_no_index"]
        ratios = [without[key] / with_index[key] if with_index[key] else 0 for key in ("p50_ms", "p95_ms")]
        lines.append(
            f"| {name} | {with_index['p50_ms']:.2f} / {with_index['p95_ms']:.2f} | "
            f"{without['p50_ms']:.2f} / {without['p95_ms']:.2f} | {ratios[0]:.1f}x, {ratios[1]:.1f}x |"
        )
    machine = results["machine"]
    lines += [
        "",
        "Machine: " + ", ".join(f"{key} {value}" for key, value in machine.items()) + ".",
        "",
    ]
    return "\n".join(lines)


def main():
    script_argv, odoo_argv = split_argv(sys.argv[1:])
    args = parse_args(script_argv)
    odoo = import_odoo()
    results = {"runs": args.runs, "scenarios": {}}
    with odoo_env(odoo_argv) as env:
        facts = data_facts(env)
        results["data"] = {key: (str(value) if key in ("first", "last") else value) for key, value in facts.items()}
        results["machine"] = machine_facts(env.cr)
        results["measured_at"] = odoo.fields.Datetime.now().strftime("%Y-%m-%d %H:%M UTC")
        plan = scenarios(facts, args.runs)
        fill_ids(env, plan["20 ids"][1])
        sql = {name: [api_sql(env, params) for params in params_list] for name, (_fmt, params_list) in plan.items()}
        env.cr.rollback()

    from werkzeug.test import Client  # noqa: PLC0415

    client = Client(odoo.http.root)
    # the floor: Odoo's HTTP stack and the API's environment, no search (GET discovery)
    jobs = {FLOOR: ("discovery", "json", [{} for _ in range(args.runs + 5)])}
    jobs.update({name: ("requests", fmt, params_list) for name, (fmt, params_list) in plan.items()})
    measures = time_api(client, jobs)
    results["floor"] = measures.pop(FLOOR)
    for name, measure in measures.items():
        results["scenarios"][name] = {"api": measure}
        print(name, measure, flush=True)

    registry = odoo.modules.registry.Registry(odoo.tools.config["db_name"].split(",")[0])
    with registry.cursor() as cr:
        for name in plan:
            results["scenarios"][name]["sql"] = time_sql(cr, sql[name])
        for index in INDEXES:
            cr.execute(f"DROP INDEX {index}")  # undone by the rollback below
        for name in plan:
            results["scenarios"][name]["sql_no_index"] = time_sql(cr, sql[name])
            print(name, results["scenarios"][name], flush=True)
        cr.rollback()

    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2, default=str), encoding="utf-8")
    if args.markdown:
        import re  # noqa: PLC0415

        pattern = re.compile(r"^## Open311\n.*?(?=^## |\Z)", re.S | re.M)
        write_section(args.markdown, pattern, section(results, args.generation, args.command))


if __name__ == "__main__":
    main()
