"""Import of earlier registrations through base_import, against registering the same rows one by one.

    python bench/bench_case_import.py [--rows 100000] [--one-by-one 300] [--format csv|xlsx] [--json FILE] \
        -- <odoo-bin options> -d DB

1. a file of ``--rows`` rows (bench/generate_case_import.py) is imported as a supervisor imports it in
   the web client: ``base_import.import.execute_import`` over the whole file in one call (one
   transaction: a bad row imports nothing), with the client's default context (``tracking_disable``);
2. the first ``--one-by-one`` rows of the same file are loaded one row per call (``load`` of one row:
   the same conversion, one ``create`` each), then flushed: milliseconds per row, times the file's rows;
3. the baseline of the same run (one ``res.partner.category`` created and flushed).

Everything is rolled back.
"""

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_case import bench_baseline, bench_users  # noqa: E402
from benchlib import Timer, machine_facts, odoo_env, split_argv  # noqa: E402
from generate_case_import import IMPORT_FIELDS, IMPORT_OPTIONS, import_rows, reference_codes, write_file  # noqa: E402

MIME = {
    "csv": "text/csv",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--one-by-one", type=int, default=300, help="rows registered one by one")
    parser.add_argument("--format", choices=sorted(MIME), default="csv")
    parser.add_argument("--file", default="var/bench/case_import", help="file written (without extension)")
    parser.add_argument("--json", help="write the results to this JSON file")
    return parser.parse_args(argv)


def bench_import(env, user, path, file_format, rows):
    """execute_import over the whole file as ``user``, rolled back; seconds and what it created."""
    env.flush_all()
    env.cr.execute("SAVEPOINT bench_import")
    importer = (
        env["base_import.import"]
        .with_user(user)
        .with_context(tracking_disable=True)
        .create(
            {
                "res_model": "hotline.case",
                "file": Path(path).read_bytes(),
                "file_type": MIME[file_format],
                "file_name": Path(path).name,
            }
        )
    )
    options = dict(IMPORT_OPTIONS, limit=rows + 1)
    try:
        with Timer() as timer:
            result = importer.execute_import(IMPORT_FIELDS, IMPORT_FIELDS, options, dryrun=False)
            env.flush_all()
        created = env["hotline.case"].browse(result.get("ids") or [])
        errors = [message for message in result["messages"] if message["type"] == "error"]
        return {
            "rows": rows,
            "seconds": timer.seconds,
            "created": len(created),
            "errors": [message["message"] for message in errors[:3]],
            "with_deadline": env["hotline.case"].search_count([("id", "in", created.ids), ("deadline", "!=", False)]),
            "with_stage_log": env["hotline.case.stage.log"].search_count([("case_id", "in", created.ids)]),
        }
    finally:
        env.cr.execute("ROLLBACK TO SAVEPOINT bench_import")
        env.invalidate_all()


def bench_one_by_one(env, user, rows):
    """The same rows, one ``load`` (one create) per row, each flushed; milliseconds per row."""
    Case = env["hotline.case"].with_user(user).with_context(tracking_disable=True, import_file=True)
    env.flush_all()
    env.cr.execute("SAVEPOINT bench_one_by_one")
    try:
        with Timer() as timer:
            for row in rows:
                result = Case.load(IMPORT_FIELDS, [row])
                if not result["ids"]:
                    raise RuntimeError(f"row not loaded: {result['messages']}")
                env.flush_all()
    finally:
        env.cr.execute("ROLLBACK TO SAVEPOINT bench_one_by_one")
        env.invalidate_all()
    return {"rows": len(rows), "ms": timer.seconds * 1000 / len(rows)}


def main(argv):
    script_args, odoo_args = split_argv(argv)
    args = parse_args(script_args)
    with odoo_env(odoo_args) as env:
        users = bench_users(env)
        env.cr.commit()
        codes = reference_codes(env)
        rows = import_rows(codes, args.rows)
        path = Path(f"{args.file}.{args.format}")
        path.parent.mkdir(parents=True, exist_ok=True)
        with Timer() as write_timer:
            write_file(path, rows)
        env.cr.execute("SELECT count(*) FROM hotline_case")
        results = {
            "cases": env.cr.fetchone()[0],
            "machine": machine_facts(env.cr),
            "baseline": bench_baseline(env, 300),
            "file": {"path": str(path), "format": args.format, "write_seconds": write_timer.seconds},
            "one_by_one": bench_one_by_one(env, users["supervisor"], rows[: args.one_by_one]),
            "import": bench_import(env, users["supervisor"], path, args.format, args.rows),
        }
        env.cr.rollback()
    one_by_one_seconds = results["one_by_one"]["ms"] * args.rows / 1000
    results["one_by_one"]["seconds_for_all_rows"] = one_by_one_seconds
    results["import"]["ratio_to_one_by_one"] = results["import"]["seconds"] / one_by_one_seconds
    text = json.dumps(results, indent=2, default=str)
    print(text)
    if args.json:
        Path(args.json).write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":
    main(sys.argv[1:])
