"""The people and the PBX of the load test, in a database that has the addons, demo data and
generated cases (scripts/load.sh runs bench/generate_cases.py first).

    python deploy/load/prepare.py --operators 200 --department-users 20 --out FILE -- <odoo-bin options> -d DB

Creates what is missing (running it again reuses it): operators ``load_op_001``... (password =
login, extension 5001...), department staff ``load_dept_01``... (portal users of the departments
with the most cases in progress), a PBX first of its company (the operators are its agents) with
a known token. Writes the logins, the token and samples for the searches (callers' phones,
categories, districts, words of the knowledge base) to ``--out`` as JSON for the locustfile.
"""

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "bench"))

from benchlib import odoo_env, split_argv  # noqa: E402

PBX_NAME = "负载测试交换机"
PBX_TOKEN = "hotline-load-test-pbx-token-5c1e2b"
KB_QUERIES = ["停水", "燃气", "噪音", "路灯", "垃圾", "供暖", "井盖", "违章停车", "物业", "施工"]


def ensure_pbx(env):
    pbx = env["hotline.pbx"].with_context(active_test=False).search([("name", "=", PBX_NAME)], limit=1)
    values = {"active": True, "sequence": -10, "token": PBX_TOKEN, "queue": "hotline", "cdr_timezone": "UTC"}
    if pbx:
        pbx.write(values)
    else:
        pbx = env["hotline.pbx"].create({"name": PBX_NAME, "bridge_url": "http://127.0.0.1:9", **values})
    return pbx


def ensure_users(env, prefix, count, make_values):
    users = env["res.users"].with_context(active_test=False)
    existing = {user.login: user for user in users.search([("login", "=like", f"{prefix}%")])}
    logins = []
    for index in range(1, count + 1):
        login = f"{prefix}{index:03d}" if prefix == "load_op_" else f"{prefix}{index:02d}"
        logins.append(login)
        if login not in existing:
            users.with_context(no_reset_password=True, mail_create_nolog=True, tracking_disable=True).create(
                {"login": login, "password": login, **make_values(index)}
            )
    return logins


def operator_values(env):
    group = env.ref("hotline_base.group_hotline_operator")

    def values(index):
        return {
            "name": f"负载话务员{index:03d}",
            "groups_id": [(6, 0, group.ids)],
            "hotline_extension": str(5000 + index),
            "lang": "zh_CN",
            "tz": "Asia/Shanghai",
        }

    return values


def department_values(env):
    portal = env.ref("base.group_portal")
    env.cr.execute(
        """SELECT department_id FROM hotline_case
            WHERE state IN ('assigned', 'in_progress') AND department_id IS NOT NULL
            GROUP BY department_id ORDER BY count(*) DESC LIMIT 4"""
    )
    departments = [row[0] for row in env.cr.fetchall()]
    if not departments:
        raise SystemExit("no case in progress with a department: generate cases first")

    def values(index):
        return {
            "name": f"负载部门人员{index:02d}",
            "groups_id": [(6, 0, portal.ids)],
            "hotline_department_id": departments[index % len(departments)],
            "lang": "zh_CN",
            "tz": "Asia/Shanghai",
        }

    return values


def samples(env):
    env.cr.execute(
        """SELECT phone FROM res_partner WHERE phone IS NOT NULL AND active
            ORDER BY id DESC LIMIT 500"""
    )
    phones = [row[0] for row in env.cr.fetchall()]
    env.cr.execute("SELECT summary FROM hotline_case ORDER BY id DESC LIMIT 300")
    words = sorted({(row[0] or "")[:2] for row in env.cr.fetchall() if row[0]} - {""})
    return {
        "phones": phones,
        "case_words": words[:100],
        "category_ids": env["hotline.category"].search([("child_ids", "=", False)], limit=50).ids,
        "district_ids": env["hotline.district"].search([], limit=20).ids,
        "kb_queries": KB_QUERIES,
    }


def main():
    script_args, odoo_args = split_argv(sys.argv[1:])
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--operators", type=int, default=200)
    parser.add_argument("--department-users", type=int, default=20)
    parser.add_argument("--out", required=True)
    args = parser.parse_args(script_args)
    with odoo_env(odoo_args) as env:
        pbx = ensure_pbx(env)
        operators = ensure_users(env, "load_op_", args.operators, operator_values(env))
        department_users = ensure_users(env, "load_dept_", args.department_users, department_values(env))
        data = {
            "pbx_id": pbx.id,
            "pbx_token": PBX_TOKEN,
            "operators": [{"login": login, "extension": str(5000 + i)} for i, login in enumerate(operators, 1)],
            "department_users": department_users,
            **samples(env),
        }
        env.cr.commit()
    Path(args.out).write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")
    print(f"{len(operators)} operators, {len(department_users)} department users, PBX {pbx.id}")


if __name__ == "__main__":
    main()
