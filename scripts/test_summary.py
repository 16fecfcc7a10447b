"""Reads the Odoo test log and pytest's junit report; prints 'N passed, N failed'.

Exits non-zero when a test failed, Odoo logged an error, no test ran, or a
hotline test was skipped (a skipped browser tour is a failure here).
"""

import re
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

RESULT = re.compile(r"odoo\.tests\.result: (\d+) failed, (\d+) error\(s\) of (\d+) tests")
SKIP = re.compile(r"odoo\.addons\.(hotline_\w+)\S* .*skipped (.*)")
ERROR = re.compile(r"^\S+ \S+ \d+ (ERROR|CRITICAL) ")


def odoo_counts(log_path):
    run = failed = 0
    problems = []
    for line in Path(log_path).read_text(errors="replace").splitlines():
        if match := RESULT.search(line):
            failed += int(match[1]) + int(match[2])
            run += int(match[3])
        elif match := SKIP.search(line):
            problems.append(f"skipped in {match[1]}: {match[2]}")
        elif ERROR.search(line):
            problems.append(line[:300])
    return run, failed, problems


def pytest_counts(report_path):
    if not report_path or not Path(report_path).exists():
        return 0, 0, []
    root = ET.parse(report_path).getroot()
    suites = [root] if root.tag == "testsuite" else root.findall("testsuite")
    run = failed = skipped = 0
    for suite in suites:
        run += int(suite.get("tests", 0))
        failed += int(suite.get("failures", 0)) + int(suite.get("errors", 0))
        skipped += int(suite.get("skipped", 0))
    problems = [f"pytest skipped {skipped} test(s)"] if skipped else []
    return run - skipped, failed, problems


def main():
    log_path, report_path = sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else None
    odoo_run, odoo_failed, problems = odoo_counts(log_path)
    py_run, py_failed, py_problems = pytest_counts(report_path)
    problems += py_problems
    failed = odoo_failed + py_failed
    passed = odoo_run + py_run - failed
    for problem in problems:
        print(f"problem: {problem}")
    if odoo_run == 0:
        print(f"problem: Odoo ran no test (see {log_path})")
    print(f"Odoo: {odoo_run - odoo_failed} passed, {odoo_failed} failed;", end=" ")
    print(f"pytest: {py_run - py_failed} passed, {py_failed} failed")
    if problems and not failed:
        failed = len(problems)
    print(f"{passed} passed, {failed} failed")
    sys.exit(1 if failed or odoo_run == 0 else 0)


if __name__ == "__main__":
    main()
