from odoo import models


class ResPartner(models.Model):
    _inherit = "res.partner"

    def _compute_hotline_case_count(self):
        counts = dict(
            self.env["hotline.case"]._read_group([("partner_id", "in", self.ids)], ["partner_id"], ["__count"])
        )
        for partner in self:
            partner.hotline_case_count = counts.get(partner, 0)

    def action_hotline_view_cases(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("hotline_case.hotline_case_action")
        action.update(
            {
                "domain": [("partner_id", "=", self.id)],
                "context": {
                    "default_partner_id": self.id,
                    "default_caller_name": self.name,
                    "default_caller_phone": self.mobile or self.phone,
                },
            }
        )
        return action
