from odoo import fields, models


class ResPartner(models.Model):
    _inherit = "res.partner"

    hotline_call_ids = fields.One2many("hotline.call", "partner_id", string="Calls")
    hotline_call_count = fields.Integer(string="Calls Count", compute="_compute_hotline_call_count")

    def _compute_hotline_call_count(self):
        if not self.env["hotline.call"].has_access("read"):
            self.hotline_call_count = 0
            return
        counts = dict(
            self.env["hotline.call"]._read_group([("partner_id", "in", self.ids)], ["partner_id"], ["__count"])
        )
        for partner in self:
            partner.hotline_call_count = counts.get(partner._origin, 0)

    def action_hotline_view_calls(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("hotline_telephony.hotline_call_action")
        action.update({"domain": [("partner_id", "=", self.id)], "context": {"create": False}})
        return action
