from odoo import _, api, fields, models
from odoo.exceptions import UserError


class HotlineCaseMerge(models.TransientModel):
    _name = "hotline.case.merge"
    _description = "Merge Duplicate Cases"

    case_ids = fields.Many2many("hotline.case", string="Duplicates", required=True)
    master_id = fields.Many2one("hotline.case", string="Master Case", required=True)
    candidate_ids = fields.Many2many("hotline.case", compute="_compute_candidate_ids")

    @api.depends("case_ids")
    def _compute_candidate_ids(self):
        for wizard in self:
            candidates = wizard.case_ids.possible_duplicate_ids
            wizard.candidate_ids = candidates - wizard.case_ids

    def action_confirm(self):
        self.ensure_one()
        if self.master_id in self.case_ids:
            raise UserError(_("The master case cannot be one of the duplicates."))
        master = self.case_ids._hotline_merge_into(self.master_id)
        return {
            "type": "ir.actions.act_window",
            "res_model": "hotline.case",
            "res_id": master.id,
            "view_mode": "form",
            "target": "current",
        }
