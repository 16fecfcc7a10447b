from odoo import models


class IrSequenceDateRange(models.Model):
    # a change of ranges changes the PostgreSQL sequence ir.sequence._hotline_next_by_code draws from
    _inherit = ["ir.sequence.date_range", "hotline.cached.config.mixin"]
    _name = "ir.sequence.date_range"
