"""Writes a file of N earlier registrations, as a city hands them over, for base_import.

    python bench/generate_case_import.py [--count 100000] [--year 2019] [--bad-row N] --output FILE.csv|.xlsx \
        -- <odoo-bin options> -d DB

Columns are those of the import of earlier registrations (the seed's register: number, time of the
call, caller, phone, summary, address, category, service type, district, handling department);
reference data is given by its code, as the seed's export does. Numbers are
``12319-<year>-I<number>``, so they do not meet the generated cases' numbers. ``--bad-row N`` puts
an unknown category on row N (1-based, after the header): the import must then create nothing.
"""

import argparse
import csv
import sys
from datetime import datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from benchlib import odoo_env, split_argv  # noqa: E402
from generate_cases import STREETS, SUMMARIES, SURNAMES  # noqa: E402

# the file's columns and the import's options, as hotline_case's tests import such a file (plain Python)
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "addons" / "hotline_case" / "tests"))
from import_format import IMPORT_FIELDS, IMPORT_OPTIONS  # noqa: E402, F401 (bench_case_import's)


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--year", type=int, default=2019, help="year of the registrations (default 2019)")
    parser.add_argument("--bad-row", type=int, default=0, help="row given an unknown category")
    parser.add_argument("--output", required=True, help="file to write (.csv or .xlsx)")
    return parser.parse_args(argv)


def reference_codes(env):
    """The codes of the reference data the rows pick from."""
    return {
        field: env[model].search([]).mapped("code")
        for field, model in (
            ("category_id", "hotline.category"),
            ("service_type_id", "hotline.service.type"),
            ("district_id", "hotline.district"),
            ("department_id", "hotline.department"),
        )
    }


def import_rows(codes, count, year=2019, bad_row=0):
    """``count`` rows (lists in IMPORT_FIELDS order), deterministic."""
    start = datetime(year, 1, 2, 8, 0)
    step = timedelta(seconds=max(1, int(360 * 86400 / max(count, 1))))
    rows = []
    for index in range(count):
        reported = start + step * index
        category = codes["category_id"][(index * 7) % len(codes["category_id"])]
        if bad_row and index + 1 == bad_row:
            category = "NO-SUCH-CATEGORY"
        rows.append(
            [
                f"12319-{year}-I{index + 1:06d}",
                reported.strftime("%Y-%m-%d %H:%M:%S"),
                SURNAMES[index % len(SURNAMES)] + ("先生" if index % 2 else "女士"),
                f"136{index % 100_000_000:08d}",
                SUMMARIES[index % len(SUMMARIES)],
                f"{STREETS[index % len(STREETS)]} {1 + index % 300} 号",
                category,
                codes["service_type_id"][index % len(codes["service_type_id"])],
                codes["district_id"][(index * 3) % len(codes["district_id"])],
                codes["department_id"][(index * 5) % len(codes["department_id"])],
            ]
        )
    return rows


def write_file(path, rows):
    path = Path(path)
    if path.suffix == ".xlsx":
        import xlsxwriter  # noqa: PLC0415

        workbook = xlsxwriter.Workbook(str(path), {"constant_memory": True})
        sheet = workbook.add_worksheet()
        for row_index, row in enumerate([IMPORT_FIELDS, *rows]):
            sheet.write_row(row_index, 0, row)
        workbook.close()
    else:
        with path.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(IMPORT_FIELDS)
            writer.writerows(rows)
    return path


def main(argv):
    script_args, odoo_args = split_argv(argv)
    args = parse_args(script_args)
    with odoo_env(odoo_args) as env:
        codes = reference_codes(env)
    path = write_file(args.output, import_rows(codes, args.count, args.year, args.bad_row))
    print(f"wrote {args.count} rows to {path}")


if __name__ == "__main__":
    main(sys.argv[1:])
