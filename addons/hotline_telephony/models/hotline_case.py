from odoo import api, fields, models


class HotlineCase(models.Model):
    _inherit = "hotline.case"

    call_ids = fields.One2many("hotline.call", "case_id", string="Calls")
    call_count = fields.Integer(string="Calls Count", compute="_compute_call_count")
    # the PBX's technical user finds a caller's cases by partner or number (route lookup, screen pop)
    partner_id = fields.Many2one(
        groups="hotline_base.group_hotline_operator,hotline_telephony.group_hotline_pbx_bridge"
    )
    caller_phone_normalized = fields.Char(
        groups="hotline_base.group_hotline_operator,hotline_telephony.group_hotline_pbx_bridge"
    )

    # ------------------------------------------------------------
    # COMPUTES
    # ------------------------------------------------------------

    def _compute_call_count(self):
        counts = dict(self.env["hotline.call"]._read_group([("case_id", "in", self.ids)], ["case_id"], ["__count"]))
        for case in self:
            case.call_count = counts.get(case._origin, 0)

    # ------------------------------------------------------------
    # CRUD
    # ------------------------------------------------------------

    @api.model_create_multi
    def create(self, vals_list):
        cases = super().create(vals_list)
        cases._hotline_link_call(self.env.context.get("hotline_call_id"))
        return cases

    # ------------------------------------------------------------
    # ACTIONS
    # ------------------------------------------------------------

    def action_view_calls(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("hotline_telephony.hotline_call_action")
        action.update({"domain": [("case_id", "=", self.id)], "context": {"create": False}})
        return action

    # ------------------------------------------------------------
    # BUSINESS
    # ------------------------------------------------------------

    def _hotline_link_call(self, call_id):
        """Link the call a case was registered on (context ``hotline_call_id``, set by the caller card)."""
        if not call_id or not isinstance(call_id, int) or len(self) != 1:
            return
        call = self.env["hotline.call"].browse(call_id).exists()
        if not call or call.case_id or not call.has_access("read"):
            return
        # sudo: operators only read calls; linking the one they took to their new case is allowed
        call.sudo().case_id = self
