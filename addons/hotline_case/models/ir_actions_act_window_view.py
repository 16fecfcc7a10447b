from odoo import fields, models


class IrActionsActWindowView(models.Model):
    _inherit = "ir.actions.act_window.view"

    view_mode = fields.Selection(selection_add=[("hotline_map", "Hotline Map")], ondelete={"hotline_map": "cascade"})
