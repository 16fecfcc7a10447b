from odoo import api, fields, models


class ResUsers(models.Model):
    _inherit = "res.users"

    hotline_department_id = fields.Many2one(
        "hotline.department",
        string="Hotline Department",
        index=True,
        help="For department staff (portal users): the department whose cases they handle.",
    )
    hotline_district_ids = fields.Many2many(
        "hotline.district",
        "hotline_district_res_users_rel",
        "user_id",
        "district_id",
        string="Hotline Districts",
        help="Limits this user to cases of these districts (district sub-centre); empty: the whole city.",
    )

    @property
    def SELF_READABLE_FIELDS(self):
        return super().SELF_READABLE_FIELDS + ["hotline_department_id", "hotline_district_ids"]

    def write(self, vals):
        result = super().write(vals)
        if {"hotline_district_ids", "hotline_department_id"} & vals.keys():
            # record rules read these fields; their cached domains must be rebuilt
            self.env.registry.clear_cache()
        return result

    @api.model
    def _hotline_role_groups(self):
        """The hotline roles, lowest first."""
        return [
            self.env.ref(f"hotline_base.group_hotline_{role}")
            for role in ("operator", "supervisor", "manager", "admin")
        ]
