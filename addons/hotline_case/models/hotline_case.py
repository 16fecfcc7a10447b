import logging
from collections import defaultdict
from datetime import timedelta

import pytz

from odoo import Command, _, api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.osv import expression
from odoo.tools import SQL, html2plaintext
from odoo.tools.sql import create_index

from odoo.addons.hotline_base.tools import mask_phone

_logger = logging.getLogger(__name__)

SOURCES = [
    ("hotline", "Hotline"),
    ("supervisor", "Supervisor"),
    ("department_transfer", "Department Transfer"),
    ("leader_mailbox", "Leader Mailbox"),
    ("web", "Website"),
    ("open311", "Open311"),
    ("other", "Other"),
]
PRIORITIES = [("0", "Normal"), ("1", "Urgent"), ("2", "Emergency")]
STATES = [
    ("new", "New"),
    ("accepted", "Accepted"),
    ("assigned", "Assigned"),
    ("in_progress", "In Progress"),
    ("feedback", "Feedback"),
    ("return_visit", "Return Visit"),
    ("done", "Done"),
    ("cancel", "Voided"),
]
OPEN_STATES = ("new", "accepted", "assigned", "in_progress", "feedback", "return_visit")
HANDLING_STATES = ("assigned", "in_progress")
# Changed only by the workflow methods and the deadline cron (DESIGN.md, "Integrity"): a direct
# write by anyone but the superuser is refused, whatever the client (web, RPC, import).
WORKFLOW_FIELDS = frozenset(
    {
        "state",
        "processing_number",
        "accept_user_id",
        "accepted_at",
        "dispatched_at",
        "started_at",
        "feedback_at",
        "verified_at",
        "verify_user_id",
        "resolved_at",
        "resolution_type",
        "closed_at",
        "return_visit_user_id",
        "return_visit_at",
        "return_count",
        "reject_count",
        "stage_start",
        "deadline",
        "warning_at",
        "handle_start",
        "handle_deadline",
        "is_overdue",
        "overdue_state",
        "handle_overdue",
        "stage_log_ids",
        "department_log_ids",
    }
)
# States in which the handling department changes only by dispatch, transfer or return.
DEPARTMENT_LOCKED_STATES = ("assigned", "in_progress", "feedback", "return_visit", "done", "cancel")
ACCEPTANCE_STATUS = {
    "new": "not_processed",
    "accepted": "processing",
    "assigned": "processing",
    "in_progress": "processing",
    "feedback": "verification",
    "return_visit": "verification",
    "done": "completed",
    "cancel": "voided",
}


class HotlineCase(models.Model):
    _name = "hotline.case"
    _description = "Hotline Case"
    _inherit = ["hotline.mail.mixin", "hotline.deadline.mixin", "portal.mixin", "mail.thread", "mail.activity.mixin"]
    _order = "priority desc, reported_at desc, id desc"
    _check_company_auto = False
    _hotline_stage_log_model = "hotline.case.stage.log"
    _hotline_stage_log_field = "case_id"

    # ------------------------------------------------------------
    # FIELDS: registration
    # ------------------------------------------------------------

    name = fields.Char(string="Case Number", required=True, readonly=True, copy=False, default=lambda self: _("New"))
    # The caller's identity and position are for the centre: department staff read
    # caller_name_display and caller_phone_display, which hide anonymous callers.
    partner_id = fields.Many2one(
        "res.partner", string="Caller", index=True, tracking=True, groups="hotline_base.group_hotline_operator"
    )
    # trigram indexes: the list's search looks for words anywhere in the name, address and summary (ilike)
    caller_name = fields.Char(tracking=True, index="trigram", groups="hotline_base.group_hotline_operator")
    caller_name_display = fields.Char(
        string="Caller (shown)",
        compute="_compute_caller_name_display",
        help="The caller's name, or 'Anonymous' for department staff when the caller asked for it.",
    )
    caller_phone = fields.Char(tracking=True, groups="hotline_base.group_hotline_operator")
    caller_phone_normalized = fields.Char(
        string="Normalized Caller Phone",
        compute="_compute_caller_phone_normalized",
        store=True,
        precompute=True,
        index=True,
        groups="hotline_base.group_hotline_operator",
    )
    caller_phone_display = fields.Char(
        string="Caller Phone (shown)",
        compute="_compute_caller_phone_display",
        help="The caller's phone, masked for department staff unless the settings allow it; "
        "never shown to them for anonymous callers.",
    )
    anonymous = fields.Boolean(help="The caller does not want their name or number passed on.")
    reported_at = fields.Datetime(
        string="Reporting Time", required=True, default=fields.Datetime.now, index=True, tracking=True
    )
    user_id = fields.Many2one(
        "res.users", string="Duty Operator", default=lambda self: self.env.user, index=True, tracking=True
    )
    source = fields.Selection(SOURCES, required=True, default="hotline", tracking=True)
    category_id = fields.Many2one("hotline.category", string="Category", index=True, tracking=True)
    service_type_id = fields.Many2one("hotline.service.type", string="Service Type", index=True, tracking=True)
    district_id = fields.Many2one("hotline.district", string="District", index=True, tracking=True)
    address = fields.Char(tracking=True, index="trigram")
    latitude = fields.Float(digits=(10, 7), groups="hotline_base.group_hotline_operator")
    longitude = fields.Float(digits=(10, 7), groups="hotline_base.group_hotline_operator")
    component_type_id = fields.Many2one(
        "hotline.component.type", string="Component / Event Type", index=True, tracking=True, ondelete="restrict"
    )
    component_id = fields.Many2one(
        "hotline.component",
        string="Component",
        index=True,
        tracking=True,
        ondelete="restrict",
        domain="[('state', '!=', 'removed')]"
        " + ([('type_id', 'child_of', component_type_id)] if component_type_id else [])",
    )
    component_several_open_cases = fields.Boolean(
        related="component_id.has_several_open_cases", string="Component With Several Open Cases"
    )
    summary = fields.Char(required=True, tracking=True, index="trigram")
    description = fields.Html(string="Details", sanitize_style=True)
    priority = fields.Selection(PRIORITIES, required=True, default="0", tracking=True)
    attachment_ids = fields.Many2many(
        "ir.attachment", "hotline_case_ir_attachment_rel", "case_id", "attachment_id", string="Attachments"
    )
    company_id = fields.Many2one("res.company", required=True, default=lambda self: self.env.company)

    # ------------------------------------------------------------
    # FIELDS: processing
    # ------------------------------------------------------------

    # tracked as a logged note (no _track_subtype): the chatter keeps every change of status, but it
    # notifies no follower (that took most of an acceptance's time); who must act is told by the
    # workflow itself (_notify_department, activities)
    state = fields.Selection(
        STATES, string="Status", required=True, default="new", copy=False, index=True, tracking=True
    )
    acceptance_status = fields.Selection(
        [
            ("not_processed", "Not Processed"),
            ("processing", "Processing"),
            ("verification", "Verification"),
            ("completed", "Completed"),
            ("voided", "Voided"),
        ],
        compute="_compute_acceptance_status",
        store=True,
        precompute=True,
    )
    processing_method = fields.Selection(
        [("handle", "File for Handling"), ("leader", "Report to the Leader"), ("transfer", "Assist and Transfer")],
        default="handle",
        tracking=True,
    )
    processing_number = fields.Char(readonly=True, copy=False, index=True)
    department_id = fields.Many2one(
        "hotline.department", string="Handling Department", index=True, tracking=True, ondelete="restrict"
    )
    assist_department_ids = fields.Many2many(
        "hotline.department",
        "hotline_case_assist_department_rel",
        "case_id",
        "department_id",
        string="Assisting Departments",
    )
    leader_user_id = fields.Many2one("res.users", string="Leader", tracking=True)
    leader_instruction = fields.Text(tracking=True)
    leader_decision = fields.Selection(
        [("verify", "Verify"), ("approve", "Approve"), ("other", "Other")], tracking=True
    )
    accept_user_id = fields.Many2one("res.users", string="Accepted By", readonly=True, copy=False)
    accepted_at = fields.Datetime(readonly=True, copy=False)
    dispatched_at = fields.Datetime(readonly=True, copy=False)
    started_at = fields.Datetime(string="Signed Off At", readonly=True, copy=False)
    feedback_at = fields.Datetime(readonly=True, copy=False)
    verified_at = fields.Datetime(readonly=True, copy=False)
    verify_user_id = fields.Many2one("res.users", string="Verified By", readonly=True, copy=False)
    closed_at = fields.Datetime(readonly=True, copy=False)
    handling_result = fields.Text(tracking=True)
    feedback_attachment_ids = fields.Many2many(
        "ir.attachment",
        "hotline_case_feedback_attachment_rel",
        "case_id",
        "attachment_id",
        string="Feedback Attachments",
    )
    resolved_at = fields.Datetime(readonly=True, copy=False)
    resolution_type = fields.Selection(
        [("direct", "Answered on the Call"), ("handled", "Handled by a Department")], readonly=True, copy=False
    )
    satisfaction = fields.Selection(
        [
            ("satisfied", "Satisfied"),
            ("relatively_satisfied", "Relatively Satisfied"),
            ("general", "General"),
            ("unsatisfied", "Unsatisfied"),
            ("other", "Other"),
        ],
        tracking=True,
        copy=False,
    )
    return_visit_note = fields.Text(copy=False)
    return_visit_user_id = fields.Many2one("res.users", string="Return Visit By", readonly=True, copy=False)
    return_visit_at = fields.Datetime(readonly=True, copy=False)
    cancel_reason = fields.Text(string="Void Reason", copy=False, tracking=True)
    return_reason = fields.Text(string="Reason for Return", copy=False, tracking=True)
    reject_reason = fields.Text(string="Reason for Rejection", copy=False, tracking=True)
    return_count = fields.Integer(string="Returns to the Centre", readonly=True, copy=False)
    reject_count = fields.Integer(string="Rejected Feedbacks", readonly=True, copy=False)
    department_log_ids = fields.One2many("hotline.case.department.log", "case_id", string="Department History")

    # ------------------------------------------------------------
    # FIELDS: time limits (the others come with hotline.deadline.mixin)
    # ------------------------------------------------------------

    handle_start = fields.Datetime(
        string="Handling Period Start", readonly=True, copy=False, help="When the department's time limit started."
    )
    handle_deadline = fields.Datetime(string="Handling Deadline", readonly=True, copy=False, tracking=True)
    handle_overdue = fields.Boolean(
        string="Handled Late", readonly=True, copy=False, help="The department's handling exceeded its deadline."
    )
    stage_log_ids = fields.One2many("hotline.case.stage.log", "case_id", string="Stage Log")
    extension_ids = fields.One2many("hotline.case.extension", "case_id", string="Extension Requests")
    extension_count = fields.Integer(compute="_compute_extension_count")

    # ------------------------------------------------------------
    # FIELDS: supervision
    # ------------------------------------------------------------

    supervision_ids = fields.One2many("hotline.case.supervision", "case_id", string="Supervisions")
    is_supervised = fields.Boolean(string="Supervised", compute="_compute_is_supervised", store=True, precompute=True)
    supervision_level = fields.Selection(
        [("urge", "Urge"), ("warn", "Warn"), ("red", "Red Card")],
        compute="_compute_is_supervised",
        store=True,
        precompute=True,
        string="Supervision Level",
    )
    supervision_count = fields.Integer(compute="_compute_supervision_count")

    # ------------------------------------------------------------
    # FIELDS: duplicates and the caller's history
    # ------------------------------------------------------------

    duplicate_of_id = fields.Many2one(
        "hotline.case", string="Duplicate Of", index=True, copy=False, tracking=True, ondelete="set null"
    )
    duplicate_ids = fields.One2many("hotline.case", "duplicate_of_id", string="Merged Duplicates")
    reporter_count = fields.Integer(
        string="Callers Reporting",
        compute="_compute_reporter_count",
        store=True,
        precompute=True,
        help="How many calls reported this problem: this case and the duplicates merged into it.",
    )
    possible_duplicate_ids = fields.Many2many(
        "hotline.case",
        compute="_compute_possible_duplicate_ids",
        string="Possible Duplicates",
        groups="hotline_base.group_hotline_operator",
    )
    possible_duplicate_count = fields.Integer(
        compute="_compute_possible_duplicate_ids", groups="hotline_base.group_hotline_operator"
    )
    partner_case_ids = fields.Many2many(
        "hotline.case",
        compute="_compute_partner_case_ids",
        string="Caller's Other Cases",
        groups="hotline_base.group_hotline_operator",
    )
    partner_case_count = fields.Integer(
        compute="_compute_partner_case_ids", string="Caller's Cases", groups="hotline_base.group_hotline_operator"
    )
    caller_vip = fields.Boolean(
        related="partner_id.hotline_vip", string="VIP Caller", groups="hotline_base.group_hotline_operator"
    )
    caller_blacklisted = fields.Boolean(
        related="partner_id.hotline_blacklist_active",
        string="Blacklisted Caller",
        groups="hotline_base.group_hotline_operator",
    )
    color = fields.Integer(string="Color Index")

    _sql_constraints = [
        ("name_unique", "unique(name)", "A case number must be unique."),
    ]

    def init(self):
        super().init()
        # the former partial indexes of the cron, now the fields' own btree_not_null indexes (closed cases
        # keep no deadline: the same rows)
        self.env.cr.execute("DROP INDEX IF EXISTS hotline_case_open_deadline_index, hotline_case_open_warning_at_index")
        # The case list opens on the open cases in the model's order: this partial index serves
        # both its first page and its count without reading the (many) closed cases; see
        # docs/BENCHMARKS.md (1,000,000 cases).
        create_index(
            self.env.cr,
            "hotline_case_open_order_index",
            self._table,
            ["priority DESC", "reported_at DESC", "id DESC"],
            # as the ORM writes the list's domain [("state", "not in", ...)]: with "OR state IS NULL"
            where="state NOT IN ('done', 'cancel') OR state IS NULL",
        )

    # ------------------------------------------------------------
    # COMPUTES
    # ------------------------------------------------------------

    @api.depends("caller_phone")
    def _compute_caller_phone_normalized(self):
        partners = self.env["res.partner"]
        for case in self:
            case.caller_phone_normalized = partners._hotline_normalize_phone(case.caller_phone) or False

    @api.depends("caller_phone", "anonymous")
    @api.depends_context("uid")
    def _compute_caller_phone_display(self):
        masked = self._hotline_mask_phone()
        hidden = self.env.user.share
        # sudo: caller_phone is for the centre only; department staff get the masked form
        for case, case_sudo in zip(self, self.sudo(), strict=True):
            phone = case_sudo.caller_phone or False
            if hidden and case.anonymous:
                phone = False
            case.caller_phone_display = mask_phone(phone) if masked else phone

    @api.depends("caller_name", "anonymous")
    @api.depends_context("uid")
    def _compute_caller_name_display(self):
        hidden = self.env.user.share
        # sudo: caller_name is for the centre only; department staff see it unless the caller is anonymous
        for case, case_sudo in zip(self, self.sudo(), strict=True):
            if hidden and case.anonymous:
                case.caller_name_display = _("Anonymous")
            else:
                case.caller_name_display = case_sudo.caller_name or False

    @api.depends("state")
    def _compute_acceptance_status(self):
        for case in self:
            case.acceptance_status = ACCEPTANCE_STATUS.get(case.state, "not_processed")

    def _compute_extension_count(self):
        counts = dict(
            self.env["hotline.case.extension"]._read_group([("case_id", "in", self.ids)], ["case_id"], ["__count"])
        )
        for case in self:
            case.extension_count = counts.get(case, 0)

    @api.depends("supervision_ids.state", "supervision_ids.level")
    def _compute_is_supervised(self):
        ranks = {"urge": 1, "warn": 2, "red": 3}
        for case in self:
            levels = case.supervision_ids.filtered(lambda s: s.state == "open").mapped("level")
            case.is_supervised = bool(levels)
            case.supervision_level = max(levels, key=ranks.get) if levels else False

    def _compute_supervision_count(self):
        counts = dict(
            self.env["hotline.case.supervision"]._read_group([("case_id", "in", self.ids)], ["case_id"], ["__count"])
        )
        for case in self:
            case.supervision_count = counts.get(case, 0)

    @api.depends("duplicate_ids")
    def _compute_reporter_count(self):
        # through the one2many, not a count query: a new case's is known empty (no query at registration)
        for case in self:
            case.reporter_count = 1 + len(case.duplicate_ids)

    @api.depends("caller_phone", "address", "category_id", "component_id", "reported_at", "duplicate_of_id")
    def _compute_possible_duplicate_ids(self):
        for case in self:
            domain = case._get_duplicate_domain()
            duplicates = self.search(domain, limit=20) if domain else self.browse()
            case.possible_duplicate_ids = duplicates
            case.possible_duplicate_count = len(duplicates)

    @api.depends("partner_id", "caller_phone")
    def _compute_partner_case_ids(self):
        for case in self:
            domain = case._get_partner_case_domain()
            cases = self.search(domain, limit=50) if domain else self.browse()
            case.partner_case_ids = cases
            case.partner_case_count = len(cases)

    # ------------------------------------------------------------
    # CONSTRAINTS AND ONCHANGES
    # ------------------------------------------------------------

    @api.constrains("duplicate_of_id")
    def _check_duplicate_of_id(self):
        for case in self:
            if case.duplicate_of_id == case:
                raise ValidationError(_("A case cannot be a duplicate of itself."))
            if case.duplicate_of_id.duplicate_of_id:
                raise ValidationError(
                    _("Case %s is itself a duplicate: merge into its master case instead.", case.duplicate_of_id.name)
                )

    @api.constrains("summary")
    def _check_summary(self):
        for case in self:
            if not (case.summary or "").strip():
                raise ValidationError(_("A case needs a summary of the problem."))

    @api.constrains("latitude", "longitude")
    def _check_coordinates(self):
        for case in self:
            if not -90 <= case.latitude <= 90 or not -180 <= case.longitude <= 180:
                raise ValidationError(_("The coordinates of case %s are out of range.", case.name))

    @api.onchange("caller_phone")
    def _onchange_caller_phone(self):
        if not self.caller_phone:
            return
        partner = self.env["res.partner"]._hotline_find_by_phone(self.caller_phone)
        if partner:
            self.partner_id = partner
            self.caller_name = partner.name

    @api.onchange("partner_id")
    def _onchange_partner_id(self):
        partner = self.partner_id
        if not partner:
            return
        if not self.caller_name:
            self.caller_name = partner.name
        if not self.caller_phone:
            self.caller_phone = partner.mobile or partner.phone

    @api.onchange("component_id")
    def _onchange_component_id(self):
        component = self.component_id
        if not component:
            return
        self.component_type_id = component.type_id
        if not (self.latitude or self.longitude):
            self.latitude, self.longitude = component.latitude, component.longitude
        self.address = self.address or component.address
        self.district_id = self.district_id or component.district_id
        self._hotline_route_by_component()

    @api.onchange("component_type_id")
    def _onchange_component_type_id(self):
        if self.component_id and self.component_id.type_id != self.component_type_id:
            self.component_id = False
        self._hotline_route_by_component()

    def _hotline_route_by_component(self):
        """On the registration form: show the owner the case will go to (the operator may still change it)."""
        department = self._hotline_component_department()
        if department and self.state == "new":
            self.department_id = department

    @api.onchange("assist_department_ids", "department_id")
    def _onchange_assist_department_ids(self):
        if self.department_id and self.department_id in self.assist_department_ids:
            self.assist_department_ids -= self.department_id

    # ------------------------------------------------------------
    # CRUD
    # ------------------------------------------------------------

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            self._check_workflow_fields_on_create(vals)
            # before the number: a form left without a summary consumes no case number
            self._check_summary_given(vals)
            if not vals.get("name") or vals["name"] in ("/", "New") or vals["name"] == _("New"):
                vals["name"] = self._hotline_next_case_number(vals.get("reported_at"))
        self._hotline_fill_partners(vals_list)
        now = fields.Datetime.now()
        self._hotline_prepare_first_stage(vals_list, now)
        # the registering operator does not follow the case: an operator registers hundreds a day, and the
        # workflow addresses its messages to the people concerned (department, accepting supervisor)
        cases = super(HotlineCase, self.with_context(mail_create_nosubscribe=True)).create(vals_list)
        cases = cases.with_env(self.env)
        cases._hotline_link_attachments()
        cases._hotline_open_stage_logs(now)
        return cases

    @api.model
    def _hotline_first_stage_fields(self):
        return super()._hotline_first_stage_fields() + [
            "category_id",
            "service_type_id",
            "priority",
            "reported_at",
            "department_id",
            "handle_start",
            "handle_deadline",
        ]

    def write(self, vals):
        self._check_workflow_fields(vals)
        self._check_department_change(vals)
        moving = self.filtered(lambda case: case.state != vals["state"]) if "state" in vals else self.browse()
        # the stage is closed as the case still is in it (its deadline, department, policy)
        moving._hotline_leave_stage()
        result = super().write(vals)
        if {"attachment_ids", "feedback_attachment_ids"} & vals.keys():
            self._hotline_link_attachments()
        moving._hotline_enter_stage()
        return result

    def _hotline_write(self, vals):
        """The workflow's own write, past the guard on its fields: the calling step checked state and role.

        The user still needs write access to the cases (department staff act through the portal).
        """
        self.check_access("write")
        # sudo: past the guard only (the user stays the author of the change and of its tracking)
        return self.sudo().write(vals)

    @api.ondelete(at_uninstall=False)
    def _unlink_only_voided_or_unprocessed(self):
        if not self.env.su and not self.env.user.has_group("hotline_base.group_hotline_admin"):
            raise AccessError(_("Cases are voided, not deleted: only a hotline administrator may delete a case."))
        for case in self:
            if case.state not in ("new", "cancel") or (case.state == "new" and case.accepted_at):
                raise UserError(
                    _("Case %s is being processed or completed: void it instead of deleting it.", case.name)
                )

    def unlink(self):
        deleted = [(case.id, case.name, case.summary) for case in self]
        result = super().unlink()
        AuditLog = self.env["hotline.audit.log"]
        for case_id, name, summary in deleted:
            AuditLog._hotline_log_access("case_delete", self._name, case_id, name, detail=summary)
            _logger.info("Case %s (id %s) deleted by user %s", name, case_id, self.env.uid)
        return result

    @api.model
    def _hotline_workflow_fields(self):
        """The fields only the workflow writes (WORKFLOW_FIELDS); addons add their own bookkeeping."""
        return WORKFLOW_FIELDS

    def _check_workflow_fields(self, vals):
        if self.env.su:
            return
        protected = self._hotline_workflow_fields() & vals.keys()
        if protected:
            names = self._hotline_field_labels(protected)
            raise AccessError(
                _("%s change only through the case's workflow (accept, dispatch, void...), not directly.", names)
            )

    @api.model
    def _check_workflow_fields_on_create(self, vals):
        """A new case starts new: its workflow fields may only hold their defaults."""
        if self.env.su:
            return
        given = {name for name in self._hotline_workflow_fields() & vals.keys() if vals[name]}
        if vals.get("state") == "new":
            given.discard("state")
        if vals.get("overdue_state") == "on_time":
            given.discard("overdue_state")
        if given:
            names = self._hotline_field_labels(given)
            raise AccessError(_("A new case cannot be registered with %s: the workflow sets them.", names))

    @api.model
    def _hotline_field_labels(self, names):
        """The fields' labels in the user's language (an RPC call may come without a context)."""
        env = self.env(context=dict(self.env.context, lang=self.env.lang or self.env.user.lang))
        return ", ".join(sorted(self._fields[name]._description_string(env) for name in names))

    @api.model
    def _check_summary_given(self, vals):
        summary = vals.get("summary", self.env.context.get("default_summary"))
        if not (summary or "").strip():
            raise ValidationError(_("A case needs a summary of the problem."))

    def _check_department_change(self, vals):
        if self.env.su or "department_id" not in vals:
            return
        for case in self:
            if case.state in DEPARTMENT_LOCKED_STATES and case.department_id.id != vals["department_id"]:
                raise UserError(
                    _(
                        "Case %s has been dispatched: transfer it or have the department return it"
                        " instead of changing its department.",
                        case.name,
                    )
                )

    def copy_data(self, default=None):
        vals_list = super().copy_data(default=default)
        for vals in vals_list:
            vals["name"] = _("New")
        return vals_list

    @api.model
    def load(self, fields, data):
        """Import of earlier registrations: every error names its row (1 = the first data row).

        ``load`` already imports all rows or none: any error rolls the whole file back.
        """
        # each reference of the file looked up once (see ir.fields.converter)
        result = super(HotlineCase, self.with_context(hotline_import_id_cache={})).load(fields, data)
        for message in result["messages"]:
            rows = message.get("rows")
            if message.get("type") == "error" and rows and "from" in rows and message.get("message"):
                message["message"] = _("Row %(row)s: %(message)s", row=rows["from"] + 1, message=message["message"])
        return result

    # ------------------------------------------------------------
    # ACTIONS: registration
    # ------------------------------------------------------------

    def action_accept(self):
        for case in self:
            case._check_can_accept()
            case._hotline_write(case._prepare_accept_vals())
            case._notify_accepted()
        return True

    def action_close_direct(self):
        for case in self:
            case._check_can_close_direct()
            case._hotline_write(case._prepare_close_direct_vals())
        return True

    def action_cancel(self):
        for case in self:
            case._check_can_cancel()
            case._hotline_write(case._prepare_cancel_vals())
            # sudo: a voided case's supervisions close with it, whoever voids it
            case.sudo().supervision_ids.filtered(lambda s: s.state != "closed").write({"state": "closed"})
        return True

    # ------------------------------------------------------------
    # ACTIONS: the centre
    # ------------------------------------------------------------

    def action_dispatch(self):
        for case in self:
            case._check_can_dispatch()
            case._hotline_write(case._prepare_dispatch_vals())
            case._hotline_log_department("dispatch", case.department_id)
            case._notify_department()
        return True

    def action_verify(self):
        for case in self:
            case._check_can_verify()
            case._hotline_write(case._prepare_verify_vals())
        return True

    def action_reject_feedback(self):
        for case in self:
            case._check_can_reject_feedback()
            case._hotline_write(case._prepare_reject_feedback_vals())
            case._hotline_log_department("reject", case.department_id, case.reject_reason)
            case._notify_department(_("The centre rejected the handling result: %s", case.reject_reason))
        return True

    def action_return_visit(self):
        for case in self:
            case._check_can_return_visit()
            unsatisfied = case.satisfaction == "unsatisfied"
            note = case.return_visit_note
            case._hotline_write(case._prepare_return_visit_vals())
            if unsatisfied:
                case._hotline_log_department("reopen", case.department_id, note)
                case._notify_department(_("The caller is not satisfied; the case is back with you: %s", note or ""))
        return True

    def action_reopen(self):
        for case in self:
            case._check_can_reopen()
            case._hotline_write(case._prepare_reopen_vals())
            if case.state == "in_progress":
                case._hotline_log_department("reopen", case.department_id)
                case._notify_department(_("Case %s was reopened.", case.name))
        return True

    # ------------------------------------------------------------
    # ACTIONS: the department
    # ------------------------------------------------------------

    def action_start(self):
        for case in self:
            case._check_can_start()
            case._hotline_write(case._prepare_start_vals())
            case.message_post(body=_("Signed off by %s.", self.env.user.name))
        return True

    def action_return_to_center(self):
        for case in self:
            case._check_can_return_to_center()
            department = case.department_id
            case._hotline_write(case._prepare_return_to_center_vals())
            case._hotline_log_department("return", department, case.return_reason)
            case._notify_centre(
                _(
                    "%(department)s returned the case to the centre: %(reason)s",
                    department=department.display_name,
                    reason=case.return_reason,
                )
            )
            # after the notice: posting it made its author a follower
            case._hotline_hand_over(department)
        return True

    def action_submit_feedback(self):
        for case in self:
            case._check_can_submit_feedback()
            case._hotline_write(case._prepare_submit_feedback_vals())
            case._notify_centre(_("Handling result: %s", case.handling_result))
        return True

    # ------------------------------------------------------------
    # ACTIONS: windows and wizards
    # ------------------------------------------------------------

    def action_view_partner_cases(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("hotline_case.hotline_case_action")
        action["domain"] = [("id", "in", self.partner_case_ids.ids)]
        action["context"] = {"create": False}
        return action

    def action_view_possible_duplicates(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("hotline_case.hotline_case_action")
        action["domain"] = [("id", "in", self.possible_duplicate_ids.ids)]
        action["context"] = {"create": False}
        return action

    def action_view_duplicates(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("hotline_case.hotline_case_action")
        action["domain"] = [("duplicate_of_id", "=", self.id)]
        action["context"] = {"create": False, "active_test": False}
        return action

    def action_view_supervisions(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("hotline_case.hotline_case_supervision_action")
        action["domain"] = [("case_id", "=", self.id)]
        action["context"] = {"default_case_id": self.id}
        return action

    def action_view_extensions(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("hotline_case.hotline_case_extension_action")
        action["domain"] = [("case_id", "=", self.id)]
        action["context"] = {"default_case_id": self.id}
        return action

    def action_open_cancel_wizard(self):
        return self._hotline_wizard_action("hotline.case.cancel", _("Void"))

    def action_open_return_wizard(self):
        return self._hotline_wizard_action("hotline.case.return", _("Return to the Centre"))

    def action_open_reject_wizard(self):
        return self._hotline_wizard_action("hotline.case.reject", _("Reject Feedback"))

    def action_open_transfer_wizard(self):
        return self._hotline_wizard_action("hotline.case.transfer", _("Transfer"))

    def action_open_supervision_form(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": _("Supervise %s", self.name),
            "res_model": "hotline.case.supervision",
            "view_mode": "form",
            "target": "new",
            "context": {"default_case_id": self.id},
        }

    def _hotline_wizard_action(self, model, name):
        return {
            "type": "ir.actions.act_window",
            "name": name,
            "res_model": model,
            "view_mode": "form",
            "target": "new",
            "context": {"default_case_ids": self.ids},
        }

    def action_open_merge_wizard(self):
        master = self[:1].possible_duplicate_ids.sorted("reported_at")[:1]
        return {
            "type": "ir.actions.act_window",
            "name": _("Merge Duplicates"),
            "res_model": "hotline.case.merge",
            "view_mode": "form",
            "target": "new",
            "context": {"default_case_ids": self.ids, "default_master_id": master.id},
        }

    # ------------------------------------------------------------
    # CHECKS
    # ------------------------------------------------------------

    def _check_state(self, states, action_label):
        self.ensure_one()
        if self.state not in states:
            labels = dict(self._fields["state"]._description_selection(self.env))
            raise UserError(
                _(
                    "Case %(case)s cannot %(action)s: it is %(state)s.",
                    case=self.name,
                    action=action_label,
                    state=labels.get(self.state),
                )
            )

    def _check_required(self, field_names, action_label):
        self.ensure_one()
        missing = [
            self._fields[name]._description_string(self.env)
            for name in field_names
            if not (self[name].strip() if isinstance(self[name], str) else self[name])
        ]
        if missing:
            raise UserError(
                _(
                    "Case %(case)s cannot %(action)s: fill in %(fields)s first.",
                    case=self.name,
                    action=action_label,
                    fields=", ".join(missing),
                )
            )

    def _check_group(self, xmlid, action_label):
        if not self.env.su and not self.env.user.has_group(xmlid):
            raise UserError(_("You are not allowed to %s.", action_label))

    def _check_handler(self, action_label):
        """Department staff of the handling department, or a supervisor acting for them."""
        self.ensure_one()
        user = self.env.user
        if self.env.su or user.has_group("hotline_base.group_hotline_supervisor"):
            return
        if not self.department_id or user.hotline_department_id != self.department_id:
            raise UserError(_("Only the handling department can %s.", action_label))

    def _check_can_accept(self):
        label = _("be accepted")
        self._check_state(["new"], label)
        self._check_group("hotline_base.group_hotline_supervisor", _("accept cases"))
        self._check_required(["category_id", "service_type_id", "summary", "processing_method"], label)

    def _check_can_close_direct(self):
        label = _("be closed on the call")
        self._check_state(["new"], label)
        self._check_required(["category_id", "service_type_id", "summary"], label)

    def _check_can_cancel(self):
        label = _("be voided")
        self._check_state(OPEN_STATES, label)
        if self.state != "new":
            self._check_group("hotline_base.group_hotline_supervisor", _("void cases being processed"))
        self._check_required(["cancel_reason"], label)

    def _check_can_dispatch(self):
        label = _("be dispatched")
        self._check_state(["accepted"], label)
        self._check_group("hotline_base.group_hotline_supervisor", _("dispatch cases"))
        self._check_required(["department_id"], label)
        if self.processing_method == "leader":
            self._check_required(["leader_decision"], label)

    def _check_can_start(self):
        self._check_state(["assigned"], _("be signed off"))
        self._check_handler(_("sign off this case"))

    def _check_can_return_to_center(self):
        label = _("be returned to the centre")
        self._check_state(["assigned", "in_progress"], label)
        self._check_handler(_("return this case"))
        self._check_required(["return_reason"], label)

    def _check_can_transfer(self, department):
        label = _("be transferred")
        self._check_state(["assigned", "in_progress"], label)
        self._check_group("hotline_base.group_hotline_supervisor", _("transfer cases"))
        if not department:
            raise UserError(_("Case %s cannot be transferred: choose the new department.", self.name))
        if department == self.department_id:
            raise UserError(_("Case %s is already with this department.", self.name))

    def _check_can_submit_feedback(self):
        label = _("report a handling result")
        self._check_state(["in_progress"], label)
        self._check_handler(_("report the handling result"))
        self._check_required(["handling_result"], label)

    def _check_can_verify(self):
        self._check_state(["feedback"], _("be verified"))
        self._check_group("hotline_base.group_hotline_supervisor", _("verify handling results"))

    def _check_can_reject_feedback(self):
        label = _("have its feedback rejected")
        self._check_state(["feedback"], label)
        self._check_group("hotline_base.group_hotline_supervisor", _("reject handling results"))
        self._check_required(["reject_reason"], label)

    def _check_can_return_visit(self):
        label = _("record a return visit")
        self._check_state(["return_visit"], label)
        self._check_group("hotline_base.group_hotline_operator", _("record return visits"))
        self._check_required(["satisfaction"], label)

    def _check_can_reopen(self):
        self._check_state(["done"], _("be reopened"))
        self._check_group("hotline_base.group_hotline_supervisor", _("reopen cases"))

    # ------------------------------------------------------------
    # VALUES FOR THE TRANSITIONS
    # ------------------------------------------------------------

    def _prepare_accept_vals(self):
        self.ensure_one()
        vals = {"state": "accepted", "accepted_at": fields.Datetime.now(), "accept_user_id": self.env.user.id}
        if not self.processing_number:
            vals["processing_number"] = self._hotline_next_processing_number()
        if not self.department_id:
            vals["department_id"] = self._hotline_find_department().id
        policy = self.env["hotline.sla.policy"]._find_policy(self)
        if policy:
            vals["sla_policy_id"] = policy.id
        return vals

    def _prepare_close_direct_vals(self):
        now = fields.Datetime.now()
        return {"state": "done", "resolution_type": "direct", "resolved_at": now, "closed_at": now}

    def _prepare_cancel_vals(self):
        return {"state": "cancel", "closed_at": fields.Datetime.now()}

    def _prepare_dispatch_vals(self):
        self.ensure_one()
        now = fields.Datetime.now()
        return {
            "state": "assigned",
            "dispatched_at": now,
            "handle_start": now,
            "handle_deadline": False,
            "assist_department_ids": [Command.unlink(self.department_id.id)]
            if self.department_id in self.assist_department_ids
            else [],
        }

    def _prepare_start_vals(self):
        return {"state": "in_progress", "started_at": fields.Datetime.now()}

    def _prepare_return_to_center_vals(self):
        self.ensure_one()
        return {
            "state": "accepted",
            "department_id": False,
            "handle_deadline": False,
            "handle_start": False,
            "return_count": self.return_count + 1,
        }

    def _prepare_transfer_vals(self, department):
        self.ensure_one()
        now = fields.Datetime.now()
        vals = {
            "state": "assigned",
            "department_id": department.id,
            "dispatched_at": now,
            "handle_start": now,
            "handle_deadline": False,
        }
        if department in self.assist_department_ids:
            vals["assist_department_ids"] = [Command.unlink(department.id)]
        return vals

    def _prepare_submit_feedback_vals(self):
        self.ensure_one()
        now = fields.Datetime.now()
        return {
            "state": "feedback",
            "feedback_at": now,
            "resolved_at": now,
            "resolution_type": "handled",
            "handle_overdue": self.handle_overdue or bool(self.handle_deadline and now > self.handle_deadline),
        }

    def _prepare_verify_vals(self):
        return {"state": "return_visit", "verified_at": fields.Datetime.now(), "verify_user_id": self.env.user.id}

    def _prepare_reject_feedback_vals(self):
        self.ensure_one()
        return {"state": "in_progress", "reject_count": self.reject_count + 1, "resolved_at": False}

    def _prepare_return_visit_vals(self):
        self.ensure_one()
        now = fields.Datetime.now()
        vals = {"return_visit_user_id": self.env.user.id, "return_visit_at": now}
        if self.satisfaction == "unsatisfied":
            vals.update(self._prepare_back_to_department_vals())
            vals["satisfaction"] = False
        else:
            vals.update({"state": "done", "closed_at": now})
        return vals

    def _prepare_back_to_department_vals(self):
        """The case goes back to its department with a fresh handling time limit."""
        return {
            "state": "in_progress",
            "handle_start": fields.Datetime.now(),
            "handle_deadline": False,
            "handle_overdue": False,
            "resolved_at": False,
            "closed_at": False,
        }

    def _prepare_reopen_vals(self):
        self.ensure_one()
        if self.resolution_type == "handled" and self.department_id:
            return self._prepare_back_to_department_vals()
        return {"state": "new", "closed_at": False, "resolved_at": False, "resolution_type": False}

    # ------------------------------------------------------------
    # BUSINESS: helpers for the portal and the wizards
    # ------------------------------------------------------------

    def _hotline_cancel(self, reason):
        self.write({"cancel_reason": reason})
        return self.action_cancel()

    def _hotline_return_to_center(self, reason):
        self.write({"return_reason": reason})
        return self.action_return_to_center()

    def _hotline_reject_feedback(self, reason):
        self.write({"reject_reason": reason})
        return self.action_reject_feedback()

    def _hotline_submit_feedback(self, handling_result, attachments=None):
        """Report the handling result, with optional attachments (ir.attachment records or (name, bytes))."""
        self.ensure_one()
        attachment_records = self._hotline_make_attachments(attachments or [])
        self.write(
            {
                "handling_result": handling_result,
                "feedback_attachment_ids": [Command.link(a.id) for a in attachment_records],
            }
        )
        return self.action_submit_feedback()

    def _hotline_transfer(self, department, reason):
        """Move a case being handled to another department; the history keeps both."""
        for case in self:
            case._check_can_transfer(department)
            if not (reason or "").strip():
                raise UserError(_("Case %s cannot be transferred: give a reason.", case.name))
            old_department = case.department_id
            case._hotline_write(case._prepare_transfer_vals(department))
            case._hotline_hand_over(old_department)
            case._hotline_log_department("transfer", old_department, reason, department)
            case.message_post(
                body=_(
                    "Transferred from %(old)s to %(new)s: %(reason)s",
                    old=old_department.display_name,
                    new=department.display_name,
                    reason=reason,
                )
            )
            case._notify_department()
        return True

    def _hotline_hand_over(self, old_department):
        """The case left ``old_department``: its staff stop following it, its open supervisions move on."""
        self.ensure_one()
        remaining = self._hotline_department_partners(with_assist=True)
        leaving = old_department._hotline_member_partners() - remaining
        if leaving:
            self.message_unsubscribe(partner_ids=leaving.ids)
        # sudo: the supervisions follow the case to whoever handles it now (the centre when returned)
        supervisions = self.sudo().supervision_ids.filtered(
            lambda s: s.state == "open" and s.department_id == old_department
        )
        supervisions.write({"department_id": self.department_id.id})

    def _hotline_request_extension(self, reason, requested_deadline=False, requested_hours=0.0):
        """An extension request from the department; a supervisor approves it."""
        self.ensure_one()
        self._check_state(("accepted", "assigned", "in_progress"), _("ask for an extension"))
        self._check_handler(_("ask for an extension"))
        if not (reason or "").strip():
            raise UserError(_("An extension request needs a reason."))
        return self.env["hotline.case.extension"].create(
            {
                "case_id": self.id,
                "reason": reason,
                "requested_deadline": requested_deadline,
                "requested_hours": requested_hours,
            }
        )

    def _hotline_merge_into(self, master):
        """Merge these cases into ``master`` (record or id) as duplicates (see ``hotline.case.merge``)."""
        return self.env["hotline.case.merge"]._hotline_merge(self, master)

    # ------------------------------------------------------------
    # BUSINESS: registration
    # ------------------------------------------------------------

    @api.model
    def _hotline_fill_partners(self, vals_list):
        """``_hotline_fill_partner`` for many registrations (an import): one search for all their phones."""
        wanted = [
            vals
            for vals in vals_list
            if not vals.get("partner_id") and vals.get("caller_phone") and not vals.get("anonymous")
        ]
        if len(wanted) < 2:
            for vals in wanted:
                self._hotline_fill_partner(vals)
            return
        Partner = self.env["res.partner"]
        numbers = {id(vals): Partner._hotline_normalize_phone(vals["caller_phone"]) for vals in wanted}
        known = {number for number in numbers.values() if number}
        if not known:
            return
        found = {}
        # in _hotline_find_by_phone's order: the first partner found for a number wins
        for partner in Partner.search(
            ["|", ("hotline_phone_normalized", "in", list(known)), ("hotline_mobile_normalized", "in", list(known))],
            order="hotline_vip desc, id desc",
        ):
            for number in (partner.hotline_phone_normalized, partner.hotline_mobile_normalized):
                if number in known:
                    found.setdefault(number, partner)
        for vals in wanted:
            partner = found.get(numbers[id(vals)])
            if partner:
                vals["partner_id"] = partner.id
                vals["caller_name"] = vals.get("caller_name") or partner.name

    @api.model
    def _hotline_fill_partner(self, vals):
        """A case registered with a phone but no caller gets the caller known under that phone."""
        if vals.get("partner_id") or not vals.get("caller_phone") or vals.get("anonymous"):
            return
        partner = self.env["res.partner"]._hotline_find_by_phone(vals["caller_phone"])
        if partner:
            vals["partner_id"] = partner.id
            vals["caller_name"] = vals.get("caller_name") or partner.name

    def _hotline_link_attachments(self):
        """Files uploaded on the form belong to the case, so their access follows the case's.

        Only the user's own pending uploads are moved onto the case (as mail does for a message's
        attachments); linking someone else's pending upload, or a file the user may not read, is refused.
        """
        for case in self:
            # sudo: who uploaded the files and where they belong, which the user may not read themselves
            attachments = (
                (case.attachment_ids | case.feedback_attachment_ids)
                .sudo()
                .filtered(lambda a, case=case: a.res_model != case._name or a.res_id != case.id)
            )
            pending = attachments.filtered(lambda a: not a.res_id or a.res_model == "mail.compose.message")
            if not self.env.su:
                if pending.filtered(lambda a: a.create_uid.id != self.env.uid):
                    raise AccessError(_("Only files you uploaded yourself can be attached to a case."))
                self.env["ir.attachment"].browse((attachments - pending).ids).check_access("read")
            pending.write({"res_model": case._name, "res_id": case.id})

    def _hotline_make_attachments(self, attachments):
        """ir.attachment records from records or (name, raw bytes) pairs, attached to this case."""
        self.ensure_one()
        records = self.env["ir.attachment"]
        values = []
        for attachment in attachments:
            if isinstance(attachment, models.BaseModel):
                records |= attachment
            else:
                name, raw = attachment[0], attachment[1]
                values.append({"name": name, "raw": raw, "res_model": self._name, "res_id": self.id})
        if values:
            records |= self.env["ir.attachment"].create(values)
        return records

    @api.model
    def _hotline_next_case_number(self, reported_at=None):
        """The next case number, in the year the case was reported (in the centre's time zone): an
        earlier registration imported in January is numbered in the year before."""
        tz = pytz.timezone(self.env.company.resource_calendar_id.tz or self._hotline_tz())
        moment = fields.Datetime.to_datetime(reported_at) or fields.Datetime.now()
        day = pytz.utc.localize(moment).astimezone(tz).date()
        # ir_sequence_date: the prefix's %(year)s; sequence_date: the year's own counter (date range)
        sequence = self.env["ir.sequence"].with_context(ir_sequence_date=day)
        return sequence._hotline_next_by_code("hotline.case", sequence_date=day) or "/"

    def _hotline_next_processing_number(self):
        self.ensure_one()
        code = f"hotline.case.processing.{self.processing_method or 'handle'}"
        return self.env["ir.sequence"]._hotline_next_by_code(code) or "/"

    def _hotline_routing_text(self):
        self.ensure_one()
        parts = [self.summary or "", html2plaintext(self.description or ""), self.address or ""]
        return "\n".join(parts)

    def _hotline_find_department(self):
        """The handling department: the component's (or the type's) owner, then the first matching routing
        rule, else the category's default."""
        self.ensure_one()
        owner = self._hotline_component_department()
        if owner:
            return owner
        department = self.env["hotline.routing.rule"]._hotline_route(self)
        if department:
            return department
        if self.category_id:
            return self.category_id._hotline_default_department()
        return self.env["hotline.department"]

    def _hotline_component_department(self):
        """The owner of the case's component, else of its component or event type (or of the type's class)."""
        self.ensure_one()
        # sudo: the owner is routing configuration, read even where the operator may not read the department
        component = self.component_id.sudo()
        if component.department_id:
            return component.department_id.sudo(False)
        component_type = (self.component_type_id or component.type_id).sudo()
        if component_type:
            return component_type._hotline_owner_department().sudo(False)
        return self.env["hotline.department"]

    def _hotline_log_department(self, event, department, reason=False, to_department=False):
        self.ensure_one()
        # sudo: the department history is written by the workflow only, users just read it
        self.env["hotline.case.department.log"].sudo().create(
            {
                "case_id": self.id,
                "event": event,
                "department_id": department.id if department else False,
                "to_department_id": to_department.id if to_department else False,
                "reason": reason,
                "user_id": self.env.user.id,
            }
        )

    # ------------------------------------------------------------
    # BUSINESS: time limits (hotline.deadline.mixin's hooks)
    # ------------------------------------------------------------

    @api.model
    def _hotline_deadline_states(self):
        return OPEN_STATES

    def _hotline_calendar(self):
        """The calendar the time limits run on, or an empty one for round-the-clock policies."""
        self.ensure_one()
        if self.sla_policy_id and not self.sla_policy_id.working_time:
            return self.env["resource.calendar"]
        if self.department_id:
            # sudo: department staff may not read the calendar configuration
            return self.department_id.sudo()._hotline_get_calendar()
        return self.company_id.resource_calendar_id or self.env.company.resource_calendar_id

    def _hotline_stage_start(self, now):
        """A new case's time limit runs from the moment it was reported."""
        self.ensure_one()
        return self.reported_at if self.state == "new" else now

    def _hotline_stage_deadline_vals(self, now):
        self.ensure_one()
        if self.state not in HANDLING_STATES:
            return super()._hotline_stage_deadline_vals(now)
        vals = {"stage_start": now, "deadline": False, "warning_at": False}
        vals.update(self._hotline_handle_deadline_vals(now))
        return self._hotline_with_overdue_state(vals, now)

    def _hotline_handle_deadline_vals(self, now):
        """The department's time limit runs from dispatch (or a reopening) until the feedback."""
        self.ensure_one()
        policy = self.sla_policy_id
        hours = policy._get_stage_hours("in_progress") if policy else 0.0
        start = self.handle_start or now
        if not hours:
            return {"handle_deadline": False}
        deadline = self.handle_deadline or self._hotline_add_hours(start, hours)
        return {
            "handle_start": start,
            "handle_deadline": deadline,
            "deadline": deadline,
            "warning_at": self._hotline_add_hours(start, hours * policy.warning_ratio),
        }

    def _hotline_stage_log_vals(self, now):
        vals = super()._hotline_stage_log_vals(now)
        vals["department_id"] = self.department_id.id
        return vals

    def _hotline_extended_deadline_vals(self, new_deadline):
        vals = super()._hotline_extended_deadline_vals(new_deadline)
        if self.state in HANDLING_STATES:
            vals["handle_deadline"] = new_deadline
        return vals

    def _hotline_extension_partners(self):
        return self._hotline_department_partners()

    @api.model
    def _hotline_overdue_set_sql(self):
        # a case overdue while with its department was handled late
        return SQL("handle_overdue = c.handle_overdue OR c.state IN %s", HANDLING_STATES)

    @api.model
    def _hotline_overdue_set_fields(self):
        return ["handle_overdue"]

    def _hotline_digest_line(self):
        self.ensure_one()
        return self.summary or ""

    # ------------------------------------------------------------
    # BUSINESS: notifications
    # ------------------------------------------------------------

    def _hotline_department_partners(self, with_assist=False):
        departments = self.department_id
        if with_assist:
            departments |= self.assist_department_ids
        return departments._hotline_member_partners()

    def _hotline_handler_users(self):
        """Who handles the case now: the department's staff, else the centre's supervisor or operator."""
        self.ensure_one()
        if self.department_id and self.state in ("assigned", "in_progress"):
            return self.department_id._hotline_member_users()
        return self.accept_user_id or self.user_id

    def _hotline_supervisor_users(self):
        """The supervisor responsible for the case: who accepted it."""
        self.ensure_one()
        return self.accept_user_id

    def _notify_accepted(self):
        self.ensure_one()
        if self.processing_method == "leader" and self.leader_user_id:
            self.activity_schedule(
                "mail.mail_activity_data_todo",
                user_id=self.leader_user_id.id,
                summary=_("Leader instruction needed"),
                note=_("Please record your instruction and decision on case %s.", self.name),
            )

    def _notify_department(self, body=None):
        """Make the handling and assisting departments followers and tell them about the case."""
        self.ensure_one()
        partners = self._hotline_department_partners(with_assist=True)
        if partners:
            self.message_subscribe(partner_ids=partners.ids)
        body = body or _(
            "Case %(case)s was sent to %(department)s: %(summary)s",
            case=self.name,
            department=self.department_id.display_name,
            summary=self.summary or "",
        )
        self.message_post(
            body=body,
            message_type="comment",
            subtype_xmlid="mail.mt_comment",
            partner_ids=partners.ids,
        )

    def _notify_centre(self, body):
        self.ensure_one()
        partners = (self.accept_user_id | self.verify_user_id).partner_id
        self.message_post(body=body, message_type="comment", subtype_xmlid="mail.mt_comment", partner_ids=partners.ids)

    def _hotline_notify_extension_requested(self, extension):
        self.ensure_one()
        self.message_post(
            body=_("Extension requested by %(user)s: %(reason)s", user=self.env.user.name, reason=extension.reason),
            partner_ids=self._hotline_supervisor_users().partner_id.ids,
        )

    def _hotline_notify_supervision(self, supervision):
        """Tell the current handlers at once (bus) and by message/e-mail."""
        self.ensure_one()
        users = self._hotline_handler_users()
        partners = users.partner_id | self._hotline_department_partners()
        levels = dict(supervision._fields["level"]._description_selection(self.env))
        body = _(
            "Supervision (%(level)s) by %(user)s: %(message)s",
            level=levels[supervision.level],
            user=supervision.user_id.name,
            message=supervision.message,
        )
        self.message_post(
            body=body,
            message_type="comment",
            subtype_xmlid="hotline_case.mt_case_supervised",
            partner_ids=partners.ids,
        )
        payload = {
            "title": _("Supervision: %s", self.name),
            "message": supervision.message,
            "level": supervision.level,
            "case_id": self.id,
            "case_name": self.name,
            "supervision_id": supervision.id,
        }
        (users | partners.user_ids)._bus_send("hotline/supervision", payload)

    def _hotline_deadline_recipients(self):
        """{partner id: [case ids]}: the handlers of each case and the supervisor who accepted it.

        Read in one query per table, not per case.
        """
        self.fetch(["state", "department_id", "accept_user_id", "user_id"])
        handled = self.filtered(lambda case: case.department_id and case.state in HANDLING_STATES)
        members = self._hotline_department_member_partners(handled.department_id.ids)
        # sudo: the recipients' partners, whoever runs the cron
        users = (self.accept_user_id | self.user_id).sudo()
        user_partner = {user.id: user.partner_id.id for user in users}
        recipients = defaultdict(list)
        for case in self:
            if case in handled:
                partner_ids = set(members.get(case.department_id.id, ()))
            else:
                partner_ids = {user_partner.get((case.accept_user_id or case.user_id).id)}
            partner_ids.add(user_partner.get(case.accept_user_id.id))
            for partner_id in partner_ids - {None, False}:
                recipients[partner_id].append(case.id)
        return recipients

    @api.model
    def _hotline_department_member_partners(self, department_ids):
        """{department id: partner ids of its members and manager}."""
        return self.env["hotline.department"].browse(department_ids)._hotline_member_partners_by_department()

    # ------------------------------------------------------------
    # BUSINESS: helpers for the form
    # ------------------------------------------------------------

    @api.model
    def _hotline_duplicate_days(self):
        # sudo: a harmless setting every operator's form needs
        value = self.env["ir.config_parameter"].sudo().get_param("hotline_case.duplicate_days", "30")
        try:
            return max(int(value), 0)
        except ValueError:
            return 30

    def _get_duplicate_domain(self):
        """Cases that may report the same problem: same caller phone, same address and category, or an open
        case on the same component."""
        self.ensure_one()
        days = self._hotline_duplicate_days()
        if not days or self.duplicate_of_id:
            return []
        normalized = self.env["res.partner"]._hotline_normalize_phone(self.caller_phone)
        address = (self.address or "").strip()
        criteria = []
        if normalized:
            criteria.append([("caller_phone_normalized", "=", normalized)])
        if address and self.category_id:
            criteria.append([("address", "=ilike", address), ("category_id", "=", self.category_id.id)])
        if self.component_id:
            criteria.append([("component_id", "=", self.component_id._origin.id), ("state", "in", OPEN_STATES)])
        if not criteria:
            return []
        reported_at = self.reported_at or fields.Datetime.now()
        window = timedelta(days=days)
        domain = [
            ("reported_at", ">=", reported_at - window),
            ("reported_at", "<=", reported_at + window),
            ("duplicate_of_id", "=", False),
            ("state", "!=", "cancel"),
        ]
        if self.id or self._origin.id:
            domain.append(("id", "!=", self._origin.id or self.id))
        return expression.AND([domain, expression.OR(criteria)])

    @api.model
    def _hotline_caller_domain(self, partner, phone):
        """The cases of a caller, known by their partner or by their phone; [] when neither is known."""
        normalized = self.env["res.partner"]._hotline_normalize_phone(phone) if phone else False
        criteria = []
        if partner:
            criteria.append([("partner_id", "=", partner.id)])
        if normalized:
            criteria.append([("caller_phone_normalized", "=", normalized)])
        return expression.OR(criteria) if criteria else []

    def _get_partner_case_domain(self):
        """The caller's cases other than this one."""
        self.ensure_one()
        domain = self._hotline_caller_domain(self.partner_id._origin, self.caller_phone)
        if domain and self._origin.id:
            domain = expression.AND([domain, [("id", "!=", self._origin.id)]])
        return domain
