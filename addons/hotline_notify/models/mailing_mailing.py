from odoo import api, models


class MailingMailing(models.Model):
    _inherit = "mailing.mailing"

    @api.model_create_multi
    def create(self, vals_list):
        """Group texts by supervisors without a mailbox: an SMS mailing needs no sender address,
        but the field is required, so it falls back on the centre's."""
        for vals in vals_list:
            mailing_type = vals.get("mailing_type") or self.env.context.get("default_mailing_type")
            if mailing_type == "sms" and not vals.get("email_from"):
                company = self.env.company
                vals["email_from"] = company.email_formatted or company.name
        return super().create(vals_list)
