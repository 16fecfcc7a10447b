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

    @api.model_create_multi
    def create(self, vals_list):
        users = super().create(vals_list)
        users._hotline_inbox_without_email()
        return users

    def write(self, vals):
        result = super().write(vals)
        if {"hotline_district_ids", "hotline_department_id"} & vals.keys():
            # record rules read these fields; their cached domains must be rebuilt
            self.env.registry.clear_cache()
        if {"email", "partner_id", "groups_id", "notification_type"} & vals.keys():
            self._hotline_inbox_without_email()
        return result

    def _hotline_inbox_without_email(self):
        """Internal users without an e-mail address get their notifications in the Odoo inbox:
        sent by e-mail, they would be lost (many operators have no mailbox)."""
        without_email = self.filtered(lambda user: not user.share and not user.email)
        without_email.filtered(lambda user: user.notification_type != "inbox").notification_type = "inbox"

    @api.model
    def _hotline_inbox_for_all_without_email(self):
        self.search([("share", "=", False)])._hotline_inbox_without_email()

    @api.model
    def _hotline_role_groups(self):
        """The hotline roles, lowest first."""
        return [
            self.env.ref(f"hotline_base.group_hotline_{role}")
            for role in ("operator", "supervisor", "manager", "admin")
        ]
