from odoo import fields, models


class HotlineCaseTransfer(models.TransientModel):
    _name = "hotline.case.transfer"
    _description = "Transfer Cases to Another Department"

    case_ids = fields.Many2many("hotline.case", string="Cases", required=True)
    department_id = fields.Many2one("hotline.department", string="New Department", required=True)
    reason = fields.Text(required=True)

    def action_confirm(self):
        self.ensure_one()
        self.case_ids._hotline_transfer(self.department_id, self.reason)
        return {"type": "ir.actions.act_window_close"}
