from odoo import _, api, fields, models
from odoo.exceptions import UserError

LEVELS = [("urge", "Urge"), ("warn", "Warn"), ("red", "Red Card")]


class HotlineCaseSupervision(models.Model):
    _name = "hotline.case.supervision"
    _description = "Case Supervision Order"
    _inherit = ["mail.thread"]
    _order = "create_date desc, id desc"

    name = fields.Char(compute="_compute_name", store=True)
    case_id = fields.Many2one("hotline.case", string="Case", required=True, index=True, ondelete="cascade")
    level = fields.Selection(LEVELS, required=True, default="urge", tracking=True)
    message = fields.Text(required=True)
    deadline = fields.Datetime(string="Answer By", tracking=True)
    user_id = fields.Many2one(
        "res.users", string="Supervisor", default=lambda self: self.env.user, required=True, readonly=True
    )
    department_id = fields.Many2one(
        "hotline.department",
        string="Department",
        compute="_compute_department_id",
        store=True,
        readonly=False,
        index=True,
    )
    state = fields.Selection(
        [("open", "Open"), ("answered", "Answered"), ("closed", "Closed")],
        default="open",
        required=True,
        tracking=True,
        index=True,
    )
    answer = fields.Text(tracking=True)
    answered_by_id = fields.Many2one("res.users", string="Answered By", readonly=True)
    answered_at = fields.Datetime(readonly=True)

    # ------------------------------------------------------------
    # COMPUTES
    # ------------------------------------------------------------

    @api.depends("case_id.name", "level")
    def _compute_name(self):
        levels = dict(self._fields["level"]._description_selection(self.env))
        for supervision in self:
            supervision.name = f"{supervision.case_id.name or ''} · {levels.get(supervision.level, '')}"

    @api.depends("case_id")
    def _compute_department_id(self):
        for supervision in self:
            supervision.department_id = supervision.case_id.department_id

    # ------------------------------------------------------------
    # CRUD
    # ------------------------------------------------------------

    @api.model_create_multi
    def create(self, vals_list):
        if not self.env.su and not self.env.user.has_group("hotline_base.group_hotline_supervisor"):
            raise UserError(_("Only shift supervisors and managers can open a supervision."))
        supervisions = super().create(vals_list)
        for supervision in supervisions:
            supervision._check_case_open()
            supervision.case_id._hotline_notify_supervision(supervision)
        return supervisions

    # ------------------------------------------------------------
    # ACTIONS
    # ------------------------------------------------------------

    def action_answer(self):
        for supervision in self:
            supervision._check_can_answer()
            supervision.write(
                {"state": "answered", "answered_by_id": self.env.user.id, "answered_at": fields.Datetime.now()}
            )
            supervision._notify_answer()

    def action_close(self):
        for supervision in self:
            if supervision.state == "closed":
                raise UserError(_("This supervision is already closed."))
            supervision.state = "closed"
            supervision.case_id.message_post(body=_("Supervision closed: %s", supervision.name))

    def action_reopen(self):
        self.filtered(lambda s: s.state != "open").write({"state": "open"})

    # ------------------------------------------------------------
    # BUSINESS
    # ------------------------------------------------------------

    def _check_case_open(self):
        self.ensure_one()
        if self.case_id.state in ("done", "cancel"):
            raise UserError(_("Case %s is closed: it cannot be supervised.", self.case_id.name))

    def _check_can_answer(self):
        self.ensure_one()
        if self.state != "open":
            raise UserError(_("Only an open supervision can be answered."))
        if not (self.answer or "").strip():
            raise UserError(_("Write the answer to the supervision first."))

    def _hotline_answer(self, answer):
        """Answer from the department (the portal calls this after checking access)."""
        self.ensure_one()
        self.answer = answer
        self.action_answer()

    def _notify_answer(self):
        self.ensure_one()
        body = _("Supervision answered by %(user)s: %(answer)s", user=self.env.user.name, answer=self.answer)
        self.message_post(body=body, partner_ids=self.user_id.partner_id.ids)
        self.case_id.message_post(body=body)
