from odoo import _, api, fields, models
from odoo.exceptions import UserError
from odoo.tools import plaintext2html

ANSWER_ACTIVITY = "hotline_case.mail_act_supervision_answer"
LEVELS = [("urge", "Urge"), ("warn", "Warn"), ("red", "Red Card")]


class HotlineCaseSupervision(models.Model):
    _name = "hotline.case.supervision"
    _description = "Case Supervision Order"
    _inherit = ["mail.thread", "mail.activity.mixin"]
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
        supervisions._hotline_schedule_answer_activities()
        return supervisions

    def write(self, vals):
        result = super().write(vals)
        if vals.get("state") in ("answered", "closed"):
            self._hotline_close_answer_activities()
        elif vals.get("state") == "open" or "department_id" in vals:
            # reopened, or moved with the case to another department: the new handlers must answer
            self._hotline_schedule_answer_activities()
        return result

    # ------------------------------------------------------------
    # ACTIONS
    # ------------------------------------------------------------

    def action_answer(self):
        for supervision in self:
            supervision._check_can_answer()
            supervision._hotline_close_answer_activities(feedback=supervision.answer)
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

    def _hotline_schedule_answer_activities(self):
        """An "answer by" activity for each person who must answer: the case's current handlers."""
        # sudo: the activities are the workflow's; department staff may not manage activities themselves
        self.sudo().activity_unlink([ANSWER_ACTIVITY])
        for supervision in self.filtered(lambda s: s.state == "open"):
            answer_by = fields.Date.context_today(supervision, supervision.deadline or fields.Datetime.now())
            for user in supervision.case_id._hotline_handler_users():
                # quick update: the supervision itself already told them (message, e-mail, bus)
                supervision.sudo().with_context(mail_activity_quick_update=True).activity_schedule(
                    ANSWER_ACTIVITY,
                    date_deadline=answer_by,
                    summary=_("Answer supervision of %s", supervision.case_id.name),
                    note=plaintext2html(supervision.message or ""),
                    user_id=user.id,
                )

    def _hotline_close_answer_activities(self, feedback=False):
        """The answerer's activity is done (with the answer as feedback); the others' are removed."""
        # sudo: department staff may not read or write activities themselves
        activities = self.sudo().activity_search([ANSWER_ACTIVITY])
        done = activities.filtered(lambda a: a.user_id == self.env.user) if feedback else activities.browse()
        (activities - done).unlink()
        if done:
            done.action_feedback(feedback=feedback)
