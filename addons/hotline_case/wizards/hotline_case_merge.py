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
        master = self._hotline_merge(self.case_ids, self.master_id)
        return {
            "type": "ir.actions.act_window",
            "res_model": "hotline.case",
            "res_id": master.id,
            "view_mode": "form",
            "target": "current",
        }

    @api.model
    def _hotline_merge(self, cases, master):
        """Merge ``cases`` into ``master`` (record or id) as duplicates: they are voided and linked to it.

        A duplicate's own duplicates move to the master; merging into a duplicate merges into its master.
        """
        if isinstance(master, int):
            master = cases.browse(master)
        master.ensure_one()
        cases._check_group("hotline_base.group_hotline_supervisor", _("merge duplicate cases"))
        if master.duplicate_of_id:
            master = master.duplicate_of_id
        self._check_can_merge(cases, master)
        for case in cases:
            case.duplicate_ids.write({"duplicate_of_id": master.id})
            case._hotline_write(
                {
                    "duplicate_of_id": master.id,
                    "state": "cancel",
                    "closed_at": fields.Datetime.now(),
                    "cancel_reason": _("Duplicate of %s", master.name),
                }
            )
        master.message_post(body=_("Merged duplicates: %s", ", ".join(cases.mapped("name"))))
        return master

    @api.model
    def _check_can_merge(self, cases, master):
        if master in cases:
            raise UserError(_("A case cannot be merged into itself."))
        if master.state == "cancel":
            raise UserError(_("Case %s is voided: choose an open or completed case as the master.", master.name))
        closed = cases.filtered(lambda case: case.state in ("done", "cancel"))
        if closed:
            raise UserError(_("Case %s is closed: it cannot be merged.", closed[0].name))
