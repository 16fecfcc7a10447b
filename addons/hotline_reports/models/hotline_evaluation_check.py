from odoo import _, api, fields, models
from odoo.exceptions import UserError


class HotlineEvaluationCheck(models.Model):
    """A spot check: a supervisor's finding on a department's handling of a case, confirmed by a manager."""

    _name = "hotline.evaluation.check"
    _description = "Spot Check"
    _inherit = ["hotline.mail.mixin", "mail.thread"]
    _order = "date desc, id desc"

    name = fields.Char(compute="_compute_name", store=True)
    department_id = fields.Many2one("hotline.department", string="Department", required=True, index=True, tracking=True)
    case_id = fields.Many2one("hotline.case", string="Case", index=True, tracking=True)
    district_id = fields.Many2one(related="case_id.district_id", store=True, string="District")
    user_id = fields.Many2one(
        "res.users", string="Checked By", required=True, default=lambda self: self.env.user, readonly=True
    )
    date = fields.Date(required=True, default=fields.Date.context_today, index=True, tracking=True)
    rule_id = fields.Many2one(
        "hotline.evaluation.rule", string="Finding", required=True, domain=[("kind", "=", "deduction")], tracking=True
    )
    points = fields.Float(
        compute="_compute_points", store=True, readonly=False, tracking=True, help="Points taken off the score."
    )
    note = fields.Text(tracking=True)
    state = fields.Selection(
        [("draft", "Draft"), ("confirmed", "Confirmed")], default="draft", required=True, tracking=True
    )

    @api.depends("department_id", "rule_id")
    def _compute_name(self):
        for check in self:
            check.name = " · ".join(filter(None, [check.department_id.display_name, check.rule_id.name]))

    @api.depends("rule_id")
    def _compute_points(self):
        for check in self:
            check.points = check.rule_id.points

    @api.onchange("case_id")
    def _onchange_case_id(self):
        if self.case_id.department_id:
            self.department_id = self.case_id.department_id

    def write(self, vals):
        if "state" in vals:
            self._check_manager()
        elif not self.env.su and self.filtered(lambda check: check.state == "confirmed") and set(vals) - {"note"}:
            raise UserError(_("A confirmed spot check is final: a manager sets it back to draft to change it."))
        return super().write(vals)

    @api.ondelete(at_uninstall=False)
    def _unlink_only_drafts(self):
        if self.filtered(lambda check: check.state == "confirmed"):
            raise UserError(_("A confirmed spot check cannot be deleted."))

    def action_confirm(self):
        self._check_manager()
        self.filtered(lambda check: check.state == "draft").write({"state": "confirmed"})

    def action_draft(self):
        self._check_manager()
        self.filtered(lambda check: check.state == "confirmed").write({"state": "draft"})

    def _check_manager(self):
        if not self.env.su and not self.env.user.has_group("hotline_base.group_hotline_manager"):
            raise UserError(_("Only a manager confirms spot checks."))

    @api.model
    def _deductions(self, date_from, date_to, district_id=False):
        """{department id: confirmed points} of the checks dated within [date_from, date_to)."""
        domain = [
            ("state", "=", "confirmed"),
            ("date", ">=", fields.Date.to_date(date_from)),
            ("date", "<", fields.Date.to_date(date_to)),
        ]
        if district_id:
            domain.append(("district_id", "child_of", int(district_id)))
        return {
            department.id: points for department, points in self._read_group(domain, ["department_id"], ["points:sum"])
        }
