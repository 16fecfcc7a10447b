from odoo import _, api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tools import plaintext2html

DECISION_ACTIVITY = "hotline_case.mail_act_extension_decision"
# what describes the case when the request was made: set on creation only
SYSTEM_FIELDS = {"department_id", "current_deadline"}


class HotlineCaseExtension(models.Model):
    _name = "hotline.case.extension"
    _description = "Case Extension Request"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _order = "create_date desc, id desc"

    case_id = fields.Many2one("hotline.case", string="Case", required=True, index=True, ondelete="cascade")
    # the department that asked, kept when the case moves on (a related field would also make every change
    # of a case's department look for its extension requests)
    department_id = fields.Many2one(
        "hotline.department",
        string="Department",
        index=True,
        readonly=True,
        help="The department handling the case when the extension was requested.",
    )
    current_deadline = fields.Datetime(readonly=True, help="The case's deadline when the request was made.")
    requested_deadline = fields.Datetime(string="Requested Deadline")
    requested_hours = fields.Float(
        string="Requested Extra Hours", help="Working hours added to the current deadline (if no date is given)."
    )
    new_deadline = fields.Datetime(readonly=True, help="The deadline set on approval.")
    reason = fields.Text(required=True)
    state = fields.Selection(
        [("requested", "Requested"), ("approved", "Approved"), ("refused", "Refused")],
        default="requested",
        required=True,
        tracking=True,
    )
    requested_by_id = fields.Many2one("res.users", string="Requested By", default=lambda self: self.env.user)
    approver_id = fields.Many2one("res.users", string="Approver", readonly=True)
    decided_at = fields.Datetime(readonly=True)
    refuse_reason = fields.Text()

    # ------------------------------------------------------------
    # CONSTRAINTS
    # ------------------------------------------------------------

    @api.constrains("requested_deadline", "requested_hours")
    def _check_request(self):
        for extension in self:
            if not extension.requested_deadline and extension.requested_hours <= 0:
                raise ValidationError(_("An extension needs a new deadline or a number of extra hours."))

    # ------------------------------------------------------------
    # CRUD
    # ------------------------------------------------------------

    @api.model_create_multi
    def create(self, vals_list):
        Case = self.env["hotline.case"]
        for vals in vals_list:
            # the request's situation, set by the system (SYSTEM_FIELDS): what the requester passes is ignored
            case = Case.browse(vals.get("case_id"))
            vals.update(department_id=case.department_id.id, current_deadline=case.deadline)
        extensions = super().create(vals_list)
        for extension in extensions:
            extension.case_id._hotline_notify_extension_requested(extension)
        extensions._hotline_schedule_decision_activities()
        return extensions

    def write(self, vals):
        if not self.env.su and SYSTEM_FIELDS & vals.keys():
            raise AccessError(_("The department and deadline of an extension request are set when it is made."))
        return super().write(vals)

    # ------------------------------------------------------------
    # ACTIONS
    # ------------------------------------------------------------

    def action_approve(self):
        for extension in self:
            extension._check_can_decide()
            new_deadline = extension._compute_new_deadline()
            extension._hotline_close_decision_activities(feedback=_("Approved"))
            extension.write(
                {
                    "state": "approved",
                    "approver_id": self.env.user.id,
                    "decided_at": fields.Datetime.now(),
                    "new_deadline": new_deadline,
                }
            )
            extension.case_id._hotline_extend_deadline(new_deadline, extension)

    def action_refuse(self):
        for extension in self:
            extension._check_can_decide()
            extension._hotline_close_decision_activities()
            extension.write({"state": "refused", "approver_id": self.env.user.id, "decided_at": fields.Datetime.now()})
            extension.case_id.message_post(
                body=_(
                    "Extension request refused: %(reason)s",
                    reason=extension.refuse_reason or _("no reason given"),
                ),
                partner_ids=extension.case_id._hotline_department_partners().ids,
            )

    # ------------------------------------------------------------
    # BUSINESS
    # ------------------------------------------------------------

    def _check_can_decide(self):
        self.ensure_one()
        if self.state != "requested":
            raise UserError(_("This extension request has already been decided."))
        if not self.env.su and not self.env.user.has_group("hotline_base.group_hotline_supervisor"):
            raise UserError(_("Only a shift supervisor can approve or refuse an extension."))
        if self.case_id.state not in ("accepted", "assigned", "in_progress", "feedback", "return_visit", "new"):
            raise UserError(_("Case %s is closed: its deadline cannot be extended.", self.case_id.name))

    def _compute_new_deadline(self):
        self.ensure_one()
        if self.requested_deadline:
            return self.requested_deadline
        case = self.case_id
        base = case.deadline or fields.Datetime.now()
        return case._hotline_add_hours(base, self.requested_hours)

    def _hotline_decision_users(self):
        """Who decides: the supervisor who accepted the case, else the shift supervisors."""
        self.ensure_one()
        supervisor = self.case_id._hotline_supervisor_users()
        if supervisor:
            return supervisor
        group = self.env.ref("hotline_base.group_hotline_supervisor")
        # sudo: the supervisors, whoever asks for the extension
        return self.env["res.users"].sudo().search([("groups_id", "in", group.id), ("share", "=", False)]).sudo(False)

    def _hotline_schedule_decision_activities(self):
        """A decision activity for each supervisor who must approve or refuse the request."""
        for extension in self.filtered(lambda e: e.state == "requested"):
            for user in extension._hotline_decision_users():
                # sudo: department staff ask, but may not create activities; quick update: the case's
                # message already told the supervisor
                extension.sudo().with_context(mail_activity_quick_update=True).activity_schedule(
                    DECISION_ACTIVITY,
                    summary=_("Extension request for %s", extension.case_id.name),
                    note=plaintext2html(extension.reason or ""),
                    user_id=user.id,
                )

    def _hotline_close_decision_activities(self, feedback=False):
        """The decider's activity is done (approval) or all are removed (refusal), as for time off."""
        # sudo: activities of other supervisors are removed too
        activities = self.sudo().activity_search([DECISION_ACTIVITY])
        done = activities.filtered(lambda a: a.user_id == self.env.user) if feedback else activities.browse()
        (activities - done).unlink()
        if done:
            done.action_feedback(feedback=feedback)
