from odoo import api, models


class IrSequenceDateRange(models.Model):
    _inherit = "ir.sequence.date_range"

    # a change of ranges changes the PostgreSQL sequence ir.sequence._hotline_next_by_code draws from
    @api.model_create_multi
    def create(self, vals_list):
        self.env.registry.clear_cache()
        return super().create(vals_list)

    def write(self, vals):
        self.env.registry.clear_cache()
        return super().write(vals)

    def unlink(self):
        self.env.registry.clear_cache()
        return super().unlink()
