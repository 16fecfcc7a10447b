from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    hotline_case_duplicate_days = fields.Integer(
        string="Duplicate Window (days)",
        config_parameter="hotline_case.duplicate_days",
        default=30,
        help="Cases with the same phone, or the same address and category, within this many days are flagged "
        "as possible duplicates. 0 turns the check off.",
    )
    hotline_case_portal_show_phone = fields.Boolean(
        string="Show Callers' Phones to Departments",
        config_parameter="hotline_case.portal_show_phone",
        help="Off: department staff see callers' numbers masked (138****8000).",
    )
    hotline_case_default_sla_policy_id = fields.Many2one(
        "hotline.sla.policy",
        string="Default Time Limit Policy",
        config_parameter="hotline_case.default_sla_policy_id",
        help="Used when no policy matches a case.",
    )
