from odoo import fields, models


class HotlineCaseReturn(models.TransientModel):
    _name = "hotline.case.return"
    _description = "Return Cases to the Centre"

    case_ids = fields.Many2many("hotline.case", string="Cases", required=True)
    reason = fields.Text(required=True)

    def action_confirm(self):
        self.ensure_one()
        self.case_ids._hotline_return_to_center(self.reason)
        return {"type": "ir.actions.act_window_close"}
