"""Upgrade from the previous release: the addons of an earlier commit of this repository are
installed with demo data and a centre's own records, then upgraded to the working tree's code
with ``-u``; every case, call, message, attachment and partner keeps its meaning.

The previous release is the commit ``PREVIOUS_RELEASE`` (the last commit before the operating
work of issue 14; the repository has no tags), or ``HEAD~1`` where that commit is not in the
history (a shallow clone); ``HOTLINE_UPGRADE_FROM`` names another. The upgrade updates the addons
that release had: addons new in the working tree are not part of that release's installation
(a city installs them when it wants them; ``make test`` tests their fresh install) unless an
upgraded addon now depends on one, which Odoo then installs on the way.
"""

import ast
import os
import re
import shlex
import subprocess
import tarfile
import time
from pathlib import Path

import pytest
from upgrade_support import ROOT, differences, filestore, psql, sha1_of, snapshot

PREVIOUS_RELEASE = "6f83c74"
DB = os.environ.get("HOTLINE_UPGRADE_DB", "t_upg")
ODOO_CMD = os.environ.get("HOTLINE_ODOO_CMD")

needs_odoo = pytest.mark.skipif(not ODOO_CMD, reason="runs through `make test` (HOTLINE_ODOO_CMD is not set)")


def git(*args):
    return subprocess.run(["git", "-C", str(ROOT), *args], capture_output=True, text=True, check=False)


def previous_release():
    for reference in filter(None, [os.environ.get("HOTLINE_UPGRADE_FROM"), PREVIOUS_RELEASE, "HEAD~1"]):
        found = git("rev-parse", "--verify", "--quiet", f"{reference}^{{commit}}")
        if found.returncode == 0:
            return reference, found.stdout.strip()
    pytest.skip("no earlier commit of this repository to upgrade from (not a git clone?)")


def export_addons(commit, target):
    """The ``addons/`` folder of ``commit`` under ``target`` (git archive, no worktree)."""
    target.mkdir(parents=True, exist_ok=True)
    archive = target / "addons.tar"
    with archive.open("wb") as out:
        subprocess.run(["git", "-C", str(ROOT), "archive", commit, "addons"], stdout=out, check=True)
    with tarfile.open(archive) as tar:
        tar.extractall(target, filter="data")
    return target / "addons"


def addon_versions(addons_dir):
    versions = {}
    for manifest in sorted(Path(addons_dir).glob("hotline_*/__manifest__.py")):
        versions[manifest.parent.name] = ast.literal_eval(manifest.read_text(encoding="utf-8"))["version"]
    return versions


def odoo_command(addons_dir):
    """HOTLINE_ODOO_CMD with this repository's addons folder replaced by ``addons_dir``."""
    command = shlex.split(ODOO_CMD)
    here = str(ROOT / "addons")
    for index, arg in enumerate(command):
        if arg.startswith("--addons-path="):
            paths = [str(addons_dir) if path.rstrip("/") == here else path for path in arg.split("=", 1)[1].split(",")]
            command[index] = "--addons-path=" + ",".join(paths)
    return command


def run_odoo(command, log_path, *args):
    started = time.monotonic()
    with open(log_path, "wb") as log:
        result = subprocess.run(
            [
                *command,
                "-d",
                DB,
                *args,
                "--stop-after-init",
                "--max-cron-threads=0",
                "--http-port=8279",
                "--log-level=info",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            timeout=900,
            check=False,
        )
    text = Path(log_path).read_text(encoding="utf-8", errors="replace")
    errors = [line for line in text.splitlines() if re.search(r" (ERROR|CRITICAL) ", line)]
    assert result.returncode == 0 and not errors, f"odoo-bin {' '.join(args)} failed, see {log_path}:\n" + "\n".join(
        errors[:20]
    )
    return time.monotonic() - started


def drop_database():
    psql("postgres", f'DROP DATABASE IF EXISTS "{DB}" WITH (FORCE)')
    subprocess.run(["rm", "-rf", str(filestore(DB))], check=True)


def test_differences_name_lost_and_changed_records():
    before = {"hotline_case": {1: ["C1", "new"], 2: ["C2", "done"]}, "res_partner": {7: ["张三", "1380", "t"]}}
    after = {"hotline_case": {1: ["C1", "assigned"], 3: ["C3", "new"]}}
    columns = {"hotline_case": ["name", "state"], "res_partner": ["name", "phone", "active"]}
    problems = differences(before, after, columns)
    assert "hotline_case: 1 record(s) lost, ids [2]" in problems
    assert "hotline_case id 1: state: 'new' -> 'assigned'" in problems
    assert "res_partner: the table is gone" in problems
    assert differences(before, before, columns) == []


@needs_odoo
def test_upgrade_from_previous_release_keeps_every_record(tmp_path):
    reference, commit = previous_release()
    old_addons = export_addons(commit, tmp_path / "previous")
    old_versions = addon_versions(old_addons)
    new_versions = addon_versions(ROOT / "addons")
    assert old_versions, f"{reference} has no hotline addons"
    for name, version in new_versions.items():
        assert re.fullmatch(r"18\.0\.\d+\.\d+\.\d+", version), f"{name}: version {version} is not 18.0.x.y.z"
        assert name not in old_versions or _version_key(version) >= _version_key(old_versions[name]), (
            f"{name}: version {version} is older than the previous release's {old_versions[name]}"
        )
    addons = ",".join(old_versions)

    drop_database()
    run_odoo(odoo_command(old_addons), tmp_path / "install.log", "-i", addons)
    seeded = _seed(old_addons)
    before = snapshot(DB)
    numbers_before = _case_sequence_numbers()
    assert numbers_before, "the previous release numbers its cases"
    assert len(before["hotline_case"]) > 5 and len(before["hotline_call"]) > 2, "the previous release's demo data"

    run_odoo(odoo_command(ROOT / "addons"), tmp_path / "upgrade.log", "-u", addons)
    after = snapshot(DB)

    problems = differences(before, after)
    assert not problems, "the upgrade lost or changed data:\n" + "\n".join(problems[:40])
    installed = dict(psql(DB, "SELECT name, latest_version FROM ir_module_module WHERE state = 'installed'"))
    for name in old_versions:
        assert installed.get(name) == new_versions[name], f"{name} is not at the working tree's version after -u"
    # the centre's own attachment: its bytes are still where the upgraded database points
    store_fname = psql(DB, f"SELECT store_fname FROM ir_attachment WHERE id = {seeded['attachment_id']}")[0][0]
    assert sha1_of(filestore(DB) / store_fname) == seeded["photo_sha1"]
    case = psql(DB, f"SELECT name, state FROM hotline_case WHERE id = {seeded['case_id']}")[0]
    assert case[0] == seeded["case_name"]
    # the case's numbers go on where they stopped, now from PostgreSQL sequences (18.0.1.1.0)
    implementations = {
        row[0] for row in psql(DB, "SELECT implementation FROM ir_sequence WHERE code LIKE 'hotline.case%'")
    }
    assert implementations == {"standard"}
    assert _case_sequence_numbers() == numbers_before
    drop_database()


def _case_sequence_numbers():
    """The next number of each of the case's sequences and yearly ranges, whatever their implementation."""
    numbers = {}
    rows = psql(
        DB,
        "SELECT s.id, s.implementation, s.number_next, r.id, r.number_next FROM ir_sequence s "
        "LEFT JOIN ir_sequence_date_range r ON r.sequence_id = s.id WHERE s.code LIKE 'hotline.case%'",
    )
    for sequence_id, implementation, sequence_next, range_id, range_next in rows:
        for key, table, stored in (
            (("sequence", sequence_id), f"ir_sequence_{int(sequence_id):03d}", sequence_next),
            (("range", range_id), f"ir_sequence_{int(sequence_id):03d}_{int(range_id or 0):03d}", range_next),
        ):
            if key[1] == "":  # a sequence without yearly ranges yet
                continue
            if implementation == "standard":
                last_value, is_called = psql(DB, f"SELECT last_value, is_called FROM {table}")[0]
                numbers[key] = int(last_value) + (1 if is_called == "t" else 0)
            else:
                numbers[key] = int(stored)
    return numbers


def _version_key(version):
    return tuple(int(part) for part in version.split("."))


def _seed(old_addons):
    """upgrade_support.py seed, run with the previous release's addons."""
    import json  # noqa: PLC0415

    command = odoo_command(old_addons)
    python, odoo_args = command[0], command[2:]  # drop odoo-bin itself
    env = dict(os.environ, ODOO_PATH=str(Path(command[1]).parent))
    result = subprocess.run(
        [python, str(ROOT / "tests" / "upgrade_support.py"), "seed", "--", *odoo_args, "-d", DB, "--log-level=warn"],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
        check=False,
    )
    assert result.returncode == 0, f"seeding the previous release failed:\n{result.stderr[-3000:]}"
    return json.loads(result.stdout.strip().splitlines()[-1])
