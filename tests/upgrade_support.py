"""Helpers of tests/test_upgrade.py and tests/test_backup_restore.py.

Run as a script (with the addons of the release being installed on the addons path), it adds
data of a centre's own, through the ORM of that release: ``python tests/upgrade_support.py seed
-- <odoo-bin options> -d DATABASE`` prints what it created as JSON.
"""

import hashlib
import json
import os
import shlex
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# What an upgrade must keep, per table: the columns whose values carry the meaning of a record.
# Time-dependent computed columns (is_overdue, overdue_state, ...) are left out on purpose.
KEY_COLUMNS = {
    "hotline_case": (
        "name state deadline handle_deadline category_id service_type_id district_id department_id partner_id "
        "caller_phone summary priority reported_at closed_at satisfaction user_id"
    ).split(),
    "hotline_call": (
        "linkedid state direction start_time end_time case_id partner_id caller_number pbx_id user_id recording_file"
    ).split(),
    "mail_message": ["model", "res_id", "message_type", "subtype_id", "author_id", "md5(coalesce(body, ''))"],
    "ir_attachment": ["res_model", "res_id", "name", "checksum", "store_fname"],
    "res_partner": ["name", "phone", "active"],
}
# Rows an upgrade may rebuild on purpose: the compiled web assets are attachments regenerated
# whenever a bundle's files change.
SKIPPED_ROWS = {"ir_attachment": "coalesce(url, '') NOT LIKE '/web/assets/%'"}


def psql(db, query):
    """Rows of one query on ``db`` (psql from $HOTLINE_PSQL), as lists of strings."""
    command = [*shlex.split(os.environ.get("HOTLINE_PSQL", "psql")), "-X", "-d", db, "-AtF", "\t"]
    command += ["-v", "ON_ERROR_STOP=1", "-c", query]
    output = subprocess.run(command, check=True, capture_output=True, text=True, timeout=120).stdout
    return [line.split("\t") for line in output.splitlines() if line]


def table_exists(db, table):
    return psql(db, f"SELECT to_regclass('{table}') IS NOT NULL")[0][0] == "t"


def snapshot(db, tables=None):
    """{table: {id: [key column values]}} of the tables that exist in ``db``."""
    result = {}
    for table, columns in (tables or KEY_COLUMNS).items():
        if not table_exists(db, table):
            continue
        where = SKIPPED_ROWS.get(table, "TRUE")
        rows = psql(db, f"SELECT id, {', '.join(columns)} FROM {table} WHERE {where} ORDER BY id")
        result[table] = {int(row[0]): row[1:] for row in rows}
    return result


def differences(before, after, key_columns=None):
    """What ``after`` lost or changed of ``before`` (records added since are not differences)."""
    problems = []
    for table, records in before.items():
        if table not in after:
            problems.append(f"{table}: the table is gone")
            continue
        lost = sorted(set(records) - set(after[table]))
        if lost:
            problems.append(f"{table}: {len(lost)} record(s) lost, ids {lost[:10]}")
        columns = (key_columns or KEY_COLUMNS).get(table, [])
        for record_id, values in records.items():
            new = after[table].get(record_id)
            if new is not None and new != values:
                changed = [
                    f"{column}: {old!r} -> {value!r}"
                    for column, old, value in zip(columns, values, new, strict=True)
                    if old != value
                ]
                problems.append(f"{table} id {record_id}: {'; '.join(changed)}")
    return problems


def filestore(db):
    data_dir = os.environ.get("HOTLINE_DATA_DIR") or os.path.join(
        os.environ.get("XDG_DATA_HOME") or os.path.expanduser("~/.local/share"), "Odoo"
    )
    return Path(data_dir) / "filestore" / db


def sha1_of(path):
    return hashlib.sha1(Path(path).read_bytes()).hexdigest()


def seed(env):
    """A case registered by the centre with a message and an attachment, and a call of it."""
    ref = env.ref
    case = env["hotline.case"].create(
        {
            "caller_name": "升级前来电人",
            "caller_phone": "13912345678",
            "category_id": ref("hotline_base.hotline_category_water_pipe_burst_demo").id,
            "service_type_id": ref("hotline_base.hotline_service_type_incident_report").id,
            "district_id": ref("hotline_base.hotline_district_donghu_hubin_demo").id,
            "address": "东湖区湖滨路20号",
            "summary": "升级前登记：湖滨路20号人行道井盖缺失",
            "priority": "1",
        }
    )
    photo = "井盖缺失现场照片（升级测试）".encode() * 50
    case.message_post(body="升级前的处理记录：已通知市政养护", attachments=[("现场照片.txt", photo)])
    attachment = env["ir.attachment"].search(
        [("res_model", "=", "hotline.case"), ("res_id", "=", case.id)], order="id desc", limit=1
    )
    call = env["hotline.call"].create(
        {
            "pbx_id": ref("hotline_telephony.hotline_pbx_demo").id,
            "linkedid": "1790000000.4242",
            "caller_number": "13912345678",
            "direction": "inbound",
            "state": "answered",
            "case_id": case.id,
        }
    )
    env.cr.commit()
    return {
        "case_id": case.id,
        "case_name": case.name,
        "attachment_id": attachment.id,
        "call_id": call.id,
        "photo_sha1": hashlib.sha1(photo).hexdigest(),
    }


def main(argv):
    sys.path.insert(0, str(ROOT / "bench"))
    from benchlib import odoo_env, split_argv  # noqa: PLC0415

    script_args, odoo_args = split_argv(argv)
    if script_args != ["seed"]:
        raise SystemExit("usage: upgrade_support.py seed -- <odoo-bin options> -d DATABASE")
    with odoo_env(odoo_args) as env:
        print(json.dumps(seed(env)))


if __name__ == "__main__":
    main(sys.argv[1:])
