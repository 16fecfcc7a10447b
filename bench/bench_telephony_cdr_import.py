"""Master.csv import: N rows (default 200,000) through the ``hotline.cdr.import`` wizard, against a
bare PostgreSQL ``COPY`` of the same file into a scratch table with the same columns.

    python bench/bench_telephony_cdr_import.py [--rows 200000] [--days 30] [--profile] -- <odoo-bin options> -d DB

The rows come from the real ``cdr.csv`` files recorded on Asterisk 22
(``addons/hotline_telephony/tests/data/*.cdr.csv``: answered queue call, abandoned calls,
click-to-call, supervisor session with a forced transfer), call after call, each copy with new
uniqueids (``<epoch>.<counter>``), new Local channel numbers and its times moved so that the
calls are spread evenly over ``--days`` days. The layout is cdr_csv's 18 columns without
linkedid: the importer groups rows into calls by channel relations, the hard case.

The wizard runs in-process on the database (``benchlib.odoo_env``): ``create`` with the file
(base64, as the web client uploads it) then ``action_import``; everything is rolled back at
the end, so the database is left as it was and runs can be repeated. The ``COPY`` runs in the
same transaction on the same connection. ``--profile`` adds a cProfile of the import (top
functions by cumulative time). Writes ``var/bench/telephony_cdr_import.json``.
"""

import argparse
import base64
import cProfile
import csv
import io
import os
import pstats
import re
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from benchlib import Timer, machine_facts, odoo_env, split_argv  # noqa: E402
from telephony_support import load_average, write_result  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "addons" / "hotline_telephony" / "tests" / "data"
# calls of a "day": mostly answered queue calls, some abandoned, some click-to-call, a supervisor session
MIX = [
    "01_answered",
    "01_answered",
    "01_answered",
    "01_answered",
    "02_abandoned_hangup",
    "02b_abandoned_timeout",
    "04_click_to_call",
    "01_answered",
    "01_answered",
    "05_supervisor",
]
COLUMNS = (
    "accountcode",
    "src",
    "dst",
    "dcontext",
    "clid",
    "channel",
    "dstchannel",
    "lastapp",
    "lastdata",
    "start",
    "answer",
    "end",
    "duration",
    "billsec",
    "disposition",
    "amaflags",
    "uniqueid",
    "userfield",
)
TIME_FORMAT = "%Y-%m-%d %H:%M:%S"
UNIQUEID_RE = re.compile(r"^(\d+)\.(\d+)$")
LOCAL_RE = re.compile(r"-([0-9a-f]{8});")
SCRATCH = "bench_cdr_copy"


def load_templates():
    """Each scenario's rows (lists of 18 cells), with the uniqueid counters and times it uses."""
    templates = {}
    for name in sorted(set(MIX)):
        with open(DATA / f"{name}.cdr.csv", encoding="utf-8", newline="") as handle:
            rows = [row for row in csv.reader(handle) if row]
        assert all(len(row) == len(COLUMNS) for row in rows), name
        starts = [datetime.strptime(row[9], TIME_FORMAT) for row in rows]
        epoch = min(int(UNIQUEID_RE.match(row[16]).group(1)) for row in rows)
        counters = sorted({int(UNIQUEID_RE.match(row[16]).group(2)) for row in rows})
        locals_ = sorted({int(n, 16) for row in rows for cell in (row[5], row[6]) for n in LOCAL_RE.findall(cell)})
        first = min(starts)
        offsets = [
            [datetime.strptime(row[i], TIME_FORMAT) - first if row[i] else None for i in (9, 10, 11)] for row in rows
        ]
        templates[name] = {
            "rows": rows,
            "offsets": offsets,
            "epoch": epoch,
            "counter0": counters[0],
            "counters": counters[-1] - counters[0] + 1,
            "local0": locals_[0] if locals_ else 0,
            "locals": (locals_[-1] - locals_[0] + 1) if locals_ else 0,
        }
    return templates


def renumber_locals(channel, shift):
    """``Local/1001@agents-00000001;2`` with its Local channel number moved by ``shift``."""
    return LOCAL_RE.sub(lambda match: f"-{int(match.group(1), 16) + shift:08x};", channel)


def generate(rows_wanted, days, base):
    """The Master.csv bytes and how many calls they hold."""
    templates = load_templates()
    per_cycle = sum(len(templates[name]["rows"]) for name in MIX)
    calls_total = -(-rows_wanted * len(MIX) // per_cycle)
    spacing = timedelta(days=days) / max(calls_total, 1)
    out = io.StringIO()
    writer = csv.writer(out, quoting=csv.QUOTE_NONNUMERIC, lineterminator="\n")
    written = calls = counter = local = 0
    while written < rows_wanted:
        template = templates[MIX[calls % len(MIX)]]
        start = base + spacing * calls
        epoch = int(start.timestamp())
        for row, offsets in zip(template["rows"], template["offsets"], strict=True):
            if written >= rows_wanted:
                break
            cells = list(row)
            for index, offset in zip((9, 10, 11), offsets, strict=True):
                cells[index] = (start + offset).strftime(TIME_FORMAT) if offset is not None else ""
            number = int(UNIQUEID_RE.match(cells[16]).group(2)) - template["counter0"]
            cells[16] = f"{epoch}.{counter + number}"
            for index in (5, 6):
                cells[index] = renumber_locals(cells[index], local - template["local0"])
            cells[12], cells[13] = int(cells[12]), int(cells[13])
            writer.writerow(cells)
            written += 1
        counter += template["counters"]
        local += template["locals"]
        calls += 1
    return out.getvalue().encode("utf-8"), calls


def backend_cpu_seconds(cr):
    """CPU seconds used so far by the PostgreSQL backend of ``cr`` (None when the server is not local)."""
    cr.execute("SELECT pg_backend_pid()")
    try:
        with open(f"/proc/{cr.fetchone()[0]}/stat", encoding="ascii") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def cpu_delta(before, after):
    return None if before is None or after is None else round(after - before, 2)


def bare_copy(cr, data):
    """COPY the file into a scratch table with the CDR columns; seconds."""
    cr.execute(f"DROP TABLE IF EXISTS {SCRATCH}")
    cr.execute(
        f"CREATE TABLE {SCRATCH} (accountcode varchar, src varchar, dst varchar, dcontext varchar, clid varchar, "
        "channel varchar, dstchannel varchar, lastapp varchar, lastdata varchar, start timestamp, answer timestamp, "
        '"end" timestamp, duration int4, billsec int4, disposition varchar, amaflags varchar, uniqueid varchar, '
        "userfield varchar)"
    )
    with Timer() as timer:
        cr._obj.copy_expert(  # the psycopg2 cursor under Odoo's
            f"COPY {SCRATCH} FROM STDIN WITH (FORMAT csv, FORCE_NULL (answer))", io.BytesIO(data)
        )
    cr.execute(f"SELECT count(*) FROM {SCRATCH}")
    copied = cr.fetchone()[0]
    cr.execute(f"DROP TABLE {SCRATCH}")
    return timer.seconds, copied


def main(argv=None):
    script_args, odoo_args = split_argv(sys.argv[1:] if argv is None else argv)
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--days", type=int, default=30, help="the calls are spread over that many days")
    parser.add_argument("--profile", action="store_true", help="cProfile the import (top 25 by cumulative time)")
    args = parser.parse_args(script_args)

    base = datetime.now().replace(microsecond=0) - timedelta(days=args.days + 1)  # new times on every run
    with Timer() as gen_timer:
        data, calls = generate(args.rows, args.days, base)
    print(f"generated {args.rows} rows ({calls} calls, {len(data) / 1e6:.1f} MB) in {gen_timer.seconds:.1f} s")

    with odoo_env(odoo_args) as env:
        facts = machine_facts(env.cr)
        facts["load_before"] = load_average()
        pbx = env["hotline.pbx"].search([], limit=1)
        cr = env.cr
        cr.execute("SELECT count(*) FROM hotline_call_cdr")
        cdrs_before = cr.fetchone()[0]
        copy_cpu = backend_cpu_seconds(cr)
        copy_seconds, copied = bare_copy(cr, data)
        copy_cpu = cpu_delta(copy_cpu, backend_cpu_seconds(cr))
        print(f"bare COPY: {copied} rows in {copy_seconds:.2f} s ({copied / copy_seconds:,.0f} rows/s)")

        profiler = cProfile.Profile() if args.profile else None
        with Timer() as upload_timer:
            wizard = env["hotline.cdr.import"].create(
                {"pbx_id": pbx.id, "file": base64.b64encode(data), "filename": "Master.csv"}
            )
            env.flush_all()
        if profiler:
            profiler.enable()
        import_cpu, python_cpu = backend_cpu_seconds(cr), time.process_time()
        with Timer() as import_timer:
            wizard.action_import()
            env.flush_all()
        python_cpu = round(time.process_time() - python_cpu, 2)
        import_cpu = cpu_delta(import_cpu, backend_cpu_seconds(cr))
        if profiler:
            profiler.disable()
        result = {
            "rows": args.rows,
            "calls_in_file": calls,
            "file_mb": round(len(data) / 1e6, 1),
            "days": args.days,
            "pbx": pbx.name,
            "cdrs_in_table_before": cdrs_before,
            "wizard": {
                "line_count": wizard.line_count,
                "created": wizard.created_count,
                "duplicates": wizard.duplicate_count,
                "rejected": wizard.rejected_count,
                "calls": wizard.call_count,
            },
            "upload_seconds": round(upload_timer.seconds, 2),
            "import_seconds": round(import_timer.seconds, 2),
            "import_rows_per_s": round(args.rows / import_timer.seconds),
            "wizard_rows_per_s": round(args.rows / (import_timer.seconds + upload_timer.seconds)),
            "copy_seconds": round(copy_seconds, 2),
            "copy_rows_per_s": round(copied / copy_seconds),
            "ratio_import_to_copy": round(import_timer.seconds / copy_seconds, 1),
            # CPU time of the two processes (PostgreSQL's backend read from /proc when local): the
            # share of the import that PostgreSQL alone needs for the inserts, their indexes and
            # foreign keys, against the COPY's
            "cpu_seconds": {"import_python": python_cpu, "import_postgres": import_cpu, "copy_postgres": copy_cpu},
            "machine": dict(facts, load_after=load_average()),
        }
        calls_made = env["hotline.call"].search_count([("pbx_id", "=", pbx.id), ("create_date", ">=", cr.now())])
        result["wizard"]["calls_in_db"] = calls_made
        # rolled back by odoo_env: the database keeps nothing of the run
    print(
        f"wizard: {result['wizard']} in {result['import_seconds']} s "
        f"(+ {result['upload_seconds']} s storing the upload): "
        f"{result['import_rows_per_s']:,} rows/s; {result['ratio_import_to_copy']}x the bare COPY; "
        f"CPU seconds {result['cpu_seconds']}"
    )
    if profiler:
        stream = io.StringIO()
        pstats.Stats(profiler, stream=stream).sort_stats("cumulative").print_stats(25)
        top = stream.getvalue()
        result["profile_top"] = top
        print(top)
    path = write_result("cdr_import", result)
    print(f"results: {path}")
    ok = result["wizard"]["created"] == args.rows and result["wizard"]["rejected"] == 0
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
