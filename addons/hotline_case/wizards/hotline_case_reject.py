from odoo import fields, models


class HotlineCaseReject(models.TransientModel):
    _name = "hotline.case.reject"
    _description = "Reject Handling Results"

    case_ids = fields.Many2many("hotline.case", string="Cases", required=True)
    reason = fields.Text(required=True)

    def action_confirm(self):
        self.ensure_one()
        self.case_ids._hotline_reject_feedback(self.reason)
        return {"type": "ir.actions.act_window_close"}
