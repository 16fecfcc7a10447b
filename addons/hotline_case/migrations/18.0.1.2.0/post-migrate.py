"""The district rules of cases and their logs read ``[(1, '=', 1)]`` for city-wide users since 18.0.1.2.0.

The old form (``'|', (1, '=', 1), ('district_id', 'child_of', [])``) meant the same, but checking a
user's access to records evaluated ``child_of`` with a query on every create and write. The rules are
noupdate data: rules still as installed are rewritten here, rules an administrator changed are kept.
"""

from odoo import SUPERUSER_ID, api

OLD = (
    "['|', (0, '=', 1) if user.hotline_district_ids else (1, '=', 1),"
    " ('{path}', 'child_of', user.hotline_district_ids.ids)]"
)
NEW = "[(1, '=', 1)] if not user.hotline_district_ids else [('{path}', 'child_of', user.hotline_district_ids.ids)]"
RULES = {
    "hotline_case_rule_district": "district_id",
    "hotline_case_stage_log_rule_district": "case_id.district_id",
    "hotline_case_department_log_rule_district": "case_id.district_id",
    "hotline_case_extension_rule_district": "case_id.district_id",
    "hotline_case_supervision_rule_district": "case_id.district_id",
}


def migrate(cr, version):
    env = api.Environment(cr, SUPERUSER_ID, {})
    for name, path in RULES.items():
        rule = env.ref(f"hotline_case.{name}", raise_if_not_found=False)
        if rule and rule.domain_force == OLD.format(path=path):
            rule.domain_force = NEW.format(path=path)
