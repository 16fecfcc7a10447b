from odoo import fields, models


class HotlineCaseCancel(models.TransientModel):
    _name = "hotline.case.cancel"
    _description = "Void Cases"

    case_ids = fields.Many2many("hotline.case", string="Cases", required=True)
    reason = fields.Text(required=True)

    def action_confirm(self):
        self.ensure_one()
        self.case_ids._hotline_cancel(self.reason)
        return {"type": "ir.actions.act_window_close"}
