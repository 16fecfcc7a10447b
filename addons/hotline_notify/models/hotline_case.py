import logging
from datetime import timedelta

from odoo import Command, _, api, fields, models
from odoo.exceptions import UserError
from odoo.tools import format_datetime, html2plaintext, plaintext2html

from odoo.addons.hotline_case.models.hotline_case import HANDLING_STATES, OPEN_STATES

_logger = logging.getLogger(__name__)

CHANNELS = [
    ("phone", "Phone"),
    ("sms", "Text Message"),
    ("email", "E-mail"),
    ("portal", "Portal"),
    ("open311", "Open311"),
    ("web", "Website"),
]
# where the texts of a case go back, from where it came in (an e-mail sets "email" itself)
SOURCE_CHANNELS = {
    "hotline": "phone",
    "supervisor": "phone",
    "department_transfer": "phone",
    "leader_mailbox": "email",
    "web": "web",
    "open311": "open311",
    "sms": "sms",
    "other": "phone",
}
SURVEY_STATES = [("none", "Not Sent"), ("sent", "Sent"), ("answered", "Answered"), ("no_answer", "No Answer")]
# survey digit -> (satisfaction key of hotline_case, rating value 1-5 of Odoo's rating)
SURVEY_DIGITS = {
    "1": ("satisfied", 5),
    "2": ("relatively_satisfied", 4),
    "3": ("general", 3),
    "4": ("unsatisfied", 1),
}
SURVEY_ANSWER_CHANNELS = ("web", "sms", "ivr")
# an inbound text from the caller of an open case touched this recently joins that case
INBOUND_RECENT_DAYS = 7
INBOUND_SUMMARY_CHARS = 30
# full-width digits (Chinese phone keyboards) answer the survey as well
FULL_WIDTH_DIGITS = str.maketrans("１２３４", "1234")

SURVEY_WORKFLOW_FIELDS = frozenset(
    {"survey_state", "survey_tries", "survey_last_call_at", "survey_retry", "survey_call_pending"}
)


class HotlineCase(models.Model):
    # Odoo's rating (rating_ids, _rating_get_access_token, rating_apply) comes with mail.thread once the
    # rating module is installed; rating.mixin itself cannot be added after mail.thread (method resolution).
    _inherit = "hotline.case"
    _mailing_enabled = True

    source = fields.Selection(selection_add=[("sms", "Text Message")], ondelete={"sms": "set default"})
    channel = fields.Selection(
        CHANNELS,
        help="Where the citizen reached the centre: the case's texts go back on the same channel "
        "(text for phone and text callers, e-mail for e-mail).",
    )
    email_from = fields.Char(
        string="Citizen's E-mail", groups="hotline_base.group_hotline_operator", help="Who wrote in, for e-mail cases."
    )
    notify_time_limit = fields.Char(
        string="Time Limit (text)",
        compute="_compute_notify_time_limit",
        help="The handling deadline as written in texts: the department's deadline once dispatched, "
        "else the one the time limit policy promises from the registration.",
    )
    notify_supervision_level = fields.Char(
        string="Supervision Level (text)", compute="_compute_notify_supervision_level"
    )
    notify_callback_at = fields.Char(
        string="Callback Time (text)",
        compute="_compute_notify_callback_at",
        help="When the centre promised to call the caller back (the next pending callback reminder).",
    )
    survey_state = fields.Selection(
        SURVEY_STATES, string="Survey", default="none", required=True, readonly=True, copy=False, tracking=True
    )
    survey_tries = fields.Integer(string="Survey Calls", readonly=True, copy=False)
    survey_last_call_at = fields.Datetime(string="Last Survey Call", readonly=True, copy=False)
    survey_retry = fields.Boolean(
        string="Survey Call to Retry", readonly=True, copy=False, help="The last survey call was not answered."
    )
    survey_call_pending = fields.Boolean(
        string="Survey Call Outcome Awaited",
        readonly=True,
        copy=False,
        help="A survey call was placed: its outcome is awaited.",
    )
    survey_url = fields.Char(
        string="Survey Link", compute="_compute_survey_url", groups="hotline_base.group_hotline_operator"
    )

    # ------------------------------------------------------------
    # COMPUTES
    # ------------------------------------------------------------

    @api.depends("handle_deadline", "sla_policy_id", "reported_at")
    @api.depends_context("lang")
    def _compute_notify_time_limit(self):
        for case in self:
            deadline = case._hotline_promised_deadline()
            case.notify_time_limit = case._hotline_format_time(deadline) if deadline else ""

    @api.depends("supervision_level")
    @api.depends_context("lang")
    def _compute_notify_supervision_level(self):
        labels = dict(self._fields["supervision_level"]._description_selection(self.env))
        for case in self:
            case.notify_supervision_level = labels.get(case.supervision_level, "")

    @api.depends_context("lang")
    def _compute_notify_callback_at(self):
        # sudo: the operator's reminder is private, the time it promises the caller is not
        Reminder = self.env["hotline.reminder"].sudo()
        for case in self:
            reminder = Reminder.search(
                [
                    ("record_ref", "=", f"{case._name},{case.id}"),
                    ("hotline_callback", "=", True),
                    ("state", "=", "pending"),
                ],
                order="remind_at",
                limit=1,
            )
            case.notify_callback_at = case._hotline_format_time(reminder.remind_at) if reminder else ""

    def _compute_survey_url(self):
        base_url = self.get_base_url()
        # sudo: the pending rating request of the case carries the citizen's token
        ratings = self.env["rating.rating"].sudo()
        for case in self:
            rating = ratings.search(
                [("res_model", "=", case._name), ("res_id", "=", case.id), ("consumed", "=", False)],
                order="id desc",
                limit=1,
            )
            case.survey_url = f"{base_url}/hotline/survey/{rating.access_token}" if rating else False

    # ------------------------------------------------------------
    # CRUD AND MIXIN HOOKS
    # ------------------------------------------------------------

    def _phone_get_number_fields(self):
        """Texts (single and group) go to the number the caller gave."""
        return ["caller_phone"]

    def _phone_get_country(self):
        """Numbers without a country code are of the hotline's phone region (CN by default)."""
        countries = super()._phone_get_country()
        region, _area_code = self.env["res.partner"]._hotline_phone_settings()
        country = self.env["res.country"].search([("code", "=", region)], limit=1)
        if country:
            for case in self:
                countries.setdefault(case.id, country)
        return countries

    @api.model
    def _hotline_workflow_fields(self):
        """The survey's bookkeeping is the workflow's too: written by the survey steps and the cron only."""
        return super()._hotline_workflow_fields() | SURVEY_WORKFLOW_FIELDS

    @api.model
    def _check_workflow_fields_on_create(self, vals):
        if vals.get("survey_state") == "none":
            vals = {key: value for key, value in vals.items() if key != "survey_state"}
        return super()._check_workflow_fields_on_create(vals)

    @api.model
    def _mailing_get_default_domain(self, mailing):
        """Group texts reach callers who left a number."""
        return [("caller_phone", "!=", False)]

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            if not vals.get("channel") and not self.env.context.get("default_channel"):
                source = vals.get("source") or self.env.context.get("default_source") or "hotline"
                vals["channel"] = SOURCE_CHANNELS.get(source, "phone")
        cases = super().create(vals_list)
        if self._hotline_texts_allowed() and self._hotline_setting("sms_registered"):
            for case in cases.filtered(lambda c: c.state == "new"):
                case._hotline_notify_citizen("hotline_notify.sms_template_case_registered")
        return cases

    # ------------------------------------------------------------
    # WORKFLOW HOOKS (the actions stay the only way to move a case: the guard is untouched)
    # ------------------------------------------------------------

    def action_close_direct(self):
        result = super().action_close_direct()
        self._hotline_text_done()
        return result

    def action_dispatch(self):
        result = super().action_dispatch()
        self._hotline_text_department("sms_dispatch", "hotline_notify.sms_template_case_dispatch")
        return result

    def _hotline_transfer(self, department, reason):
        result = super()._hotline_transfer(department, reason)
        self._hotline_text_department("sms_dispatch", "hotline_notify.sms_template_case_dispatch")
        return result

    def action_verify(self):
        result = super().action_verify()
        for case in self.filtered(lambda c: c.state == "return_visit"):
            case._hotline_survey_start()
        return result

    def action_return_visit(self):
        result = super().action_return_visit()
        self._hotline_text_done()
        return result

    def _hotline_notify_supervision(self, supervision):
        result = super()._hotline_notify_supervision(supervision)
        # a case still at the centre is supervised there: its department has nothing to do yet
        if self.state in HANDLING_STATES:
            self._hotline_text_department("sms_supervision", "hotline_notify.sms_template_case_supervision")
        return result

    # ------------------------------------------------------------
    # BUSINESS: texts
    # ------------------------------------------------------------

    @api.model
    def _hotline_setting(self, key):
        # sudo: harmless settings, read whoever moves the case
        value = self.env["ir.config_parameter"].sudo().get_param(f"hotline_notify.{key}")
        return value not in (None, False, "", "False", "0")

    @api.model
    def _hotline_texts_allowed(self):
        """No texts for imported earlier registrations (or when a caller asks for silence)."""
        return not (self.env.context.get("import_file") or self.env.context.get("hotline_no_texts"))

    def _hotline_text_done(self):
        if not self._hotline_texts_allowed() or not self._hotline_setting("sms_done"):
            return
        for case in self.filtered(lambda c: c.state == "done"):
            case._hotline_notify_citizen("hotline_notify.sms_template_case_done")

    def _hotline_text_department(self, setting, template_xmlid):
        """Text the handling department's duty phone, when the setting is on and the phone known."""
        if not self._hotline_texts_allowed() or not self._hotline_setting(setting):
            return
        for case in self:
            # sudo: the duty phone is the centre's data, read whoever dispatches or supervises
            number = case.department_id.sudo().duty_phone
            if number:
                case._hotline_send_sms(template_xmlid, number)

    def _hotline_text_callback(self):
        """The caller hears when the centre will call back (a callback reminder was set on the case)."""
        if not self._hotline_texts_allowed() or not self._hotline_setting("sms_callback_reminder"):
            return
        for case in self:
            case._hotline_notify_citizen("hotline_notify.sms_template_case_callback")

    def _hotline_citizen_number(self):
        """The number the citizen's texts go to: the case's phone, else the caller's mobile or phone."""
        self.ensure_one()
        # sudo: the caller's number is for the centre only; the workflow texts it whoever moves the case
        case = self.sudo()
        return (case.caller_phone or case.partner_id.mobile or case.partner_id.phone or "").strip()

    def _hotline_notify_citizen(self, template_xmlid):
        """Send the citizen a case text on the channel they used: a text, or an e-mail for e-mail cases.

        Returns the sms.sms or mail.message created, or False when the citizen cannot be reached.
        """
        self.ensure_one()
        # a text of the workflow, not a post of the user who moved the case: they do not become a follower
        case = self.with_context(mail_create_nosubscribe=True)
        number = case._hotline_citizen_number()
        if case.channel in ("phone", "sms"):
            return case._hotline_send_sms(template_xmlid, number) if number else False
        if case.channel == "email":
            return case._hotline_send_email(template_xmlid)
        # web, portal, Open311: a text when there is a number, else an e-mail
        return case._hotline_send_sms(template_xmlid, number) if number else case._hotline_send_email(template_xmlid)

    def _hotline_send_sms(self, template_xmlid, number):
        """Queue the template's text to ``number`` the Odoo way: a chatter SMS notification and an sms.sms."""
        self.ensure_one()
        template = self.env.ref(template_xmlid, raise_if_not_found=False)
        if not template or not number:
            return False
        message = self._message_sms_with_template(
            template=template, partner_ids=[], sms_numbers=[number], put_in_queue=True
        )
        # sudo: the queued text of the message just posted
        return self.env["sms.sms"].sudo().search([("mail_message_id", "=", message.id)])

    def _hotline_send_email(self, template_xmlid):
        """The template's text as an e-mail to the citizen (the caller's partner, else the case's sender)."""
        self.ensure_one()
        template = self.env.ref(template_xmlid, raise_if_not_found=False)
        # sudo: the citizen's identity is for the centre only; the workflow writes to them
        case = self.sudo()
        partner = case.partner_id
        if not partner.email and case.email_from:
            partner = self.env["res.partner"].sudo().find_or_create(case.email_from)
        if not template or not partner.email:
            return False
        body = template._render_field("body", self.ids, compute_lang=True)[self.id]
        return self.message_post(
            body=plaintext2html(body),
            partner_ids=partner.ids,
            message_type="comment",
            subtype_xmlid="mail.mt_comment",
        )

    def _hotline_promised_deadline(self):
        """The department's deadline once dispatched, else registration + the policy's hours up to it."""
        self.ensure_one()
        if self.handle_deadline:
            return self.handle_deadline
        policy = self.sla_policy_id
        if not policy or not self.reported_at:
            return False
        hours = sum(policy._get_stage_hours(state) for state in ("new", "accepted", "in_progress"))
        return self._hotline_add_hours(self.reported_at, hours) if hours else False

    def _hotline_format_time(self, value):
        """A date and time as the citizen reads it: in the centre's time zone."""
        tz = self.company_id.resource_calendar_id.tz or self._hotline_tz()
        return format_datetime(self.env, value, tz=tz, dt_format="short")

    # ------------------------------------------------------------
    # BUSINESS: channels in
    # ------------------------------------------------------------

    @api.model
    def message_new(self, msg_dict, custom_values=None):
        """An e-mail to a case alias registers a case: its subject, its text, its sender as the caller."""
        values = dict(custom_values or {})
        subject = (msg_dict.get("subject") or "").strip()
        body_text = html2plaintext(msg_dict.get("body") or "").strip()
        email_from = msg_dict.get("email_from") or ""
        partner = self.env["res.partner"].browse(msg_dict.get("author_id") or [])
        if not partner and email_from:
            partner = self.env["res.partner"].find_or_create(email_from)
        values.setdefault("source", "leader_mailbox")
        values.update(
            {
                # not the subject (mail.thread's default for the record name): the case number comes from its sequence
                "name": "/",
                "summary": subject or self._hotline_first_words(body_text) or _("E-mail without subject"),
                "description": msg_dict.get("body") or False,
                "channel": "email",
                "email_from": email_from,
                "partner_id": partner.id or False,
                "caller_name": partner.name or email_from,
                "caller_phone": partner.mobile or partner.phone or False,
                # the duty operator picks the case up; the mail gateway's user is nobody's duty
                "user_id": False,
            }
        )
        return super().message_new(msg_dict, custom_values=values)

    def _message_post_after_hook(self, message, msg_values):
        """The files of a citizen's e-mail are the case's attachments, as if uploaded on the form."""
        result = super()._message_post_after_hook(message, msg_values)
        if message.message_type == "email" and message.attachment_ids:
            # sudo: the mail gateway's files, already attached to this case's message
            self.sudo().attachment_ids = [Command.link(attachment.id) for attachment in message.attachment_ids]
        return result

    @api.model
    def _hotline_first_words(self, text, limit=INBOUND_SUMMARY_CHARS):
        line = next((line.strip() for line in (text or "").splitlines() if line.strip()), "")
        return line if len(line) <= limit else line[:limit].rstrip() + "…"

    @api.model
    def _hotline_sms_inbound(self, gateway, sender, text):
        """A text from a citizen: a survey answer, a message for their recent case, or a new case.

        Called by the SMS gateway's controller (authenticated by the gateway's token). Returns the case.
        """
        sender = (sender or "").strip()
        text = (text or "").strip()
        if not sender:
            raise UserError(_("An inbound text needs the sender's number."))
        # sudo: the gateway, authenticated by its token, acts for the citizen who texted
        cases = self.sudo()
        normalized = self.env["res.partner"]._hotline_normalize_phone(sender) or sender
        answer = text.translate(FULL_WIDTH_DIGITS)
        if answer in SURVEY_DIGITS:
            case = cases.search(
                [
                    ("caller_phone_normalized", "=", normalized),
                    ("state", "=", "return_visit"),
                    ("survey_state", "=", "sent"),
                ],
                order="verified_at desc, id desc",
                limit=1,
            )
            if case:
                case._hotline_survey_answer(answer, channel="sms")
                return case
        since = fields.Datetime.now() - timedelta(days=INBOUND_RECENT_DAYS)
        case = cases.search(
            [
                ("caller_phone_normalized", "=", normalized),
                ("state", "in", OPEN_STATES),
                ("write_date", ">=", since),
            ],
            order="write_date desc, id desc",
            limit=1,
        )
        if case:
            case._hotline_post_inbound_sms(sender, text, gateway)
            return case
        return cases._hotline_create_from_sms(sender, text, gateway)

    def _hotline_post_inbound_sms(self, sender, text, gateway):
        """The citizen's text in the case's chatter, as an internal note: the number stays with the centre."""
        self.ensure_one()
        body = _("Text from %(number)s: %(text)s", number=sender, text=text)
        return self.message_post(body=body, message_type="comment", subtype_xmlid="mail.mt_note")

    @api.model
    def _hotline_create_from_sms(self, sender, text, gateway):
        if not text:
            raise UserError(_("An empty text from %s opens no case.", sender))
        return self.create(
            {
                "source": "sms",
                "channel": "sms",
                "caller_phone": sender,
                "summary": self._hotline_first_words(text),
                "description": plaintext2html(text),
                # the duty operator picks the case up; the gateway is nobody's duty
                "user_id": False,
            }
        )

    # ------------------------------------------------------------
    # BUSINESS: return-visit survey
    # ------------------------------------------------------------

    @api.model
    def _hotline_survey_channel(self):
        # sudo: a harmless setting, read whoever verifies the case
        return self.env["ir.config_parameter"].sudo().get_param("hotline_notify.survey_channel", "sms") or "none"

    @api.model
    def _hotline_survey_max_tries(self):
        return max(self._hotline_int_setting("survey_tries", 3), 1)

    @api.model
    def _hotline_survey_retry_minutes(self):
        return max(self._hotline_int_setting("voice_retry_minutes", 10), 0)

    @api.model
    def _hotline_int_setting(self, key, default):
        # sudo: harmless settings, read whoever verifies the case
        return self.env["hotline.voice.notice"]._hotline_int_param(
            self.env["ir.config_parameter"].sudo(), f"hotline_notify.{key}", default
        )

    def _hotline_survey_start(self):
        """The case reached the return visit: ask the citizen, by text with a link and/or by a call.

        The call is placed by the survey cron right after this transaction (the case must be in
        return_visit for everyone when the PBX reports the call's outcome).
        """
        self.ensure_one()
        channel = self._hotline_survey_channel()
        if channel == "none":
            return False
        # sudo: the survey's bookkeeping is written by the workflow, whoever verifies the case
        self.sudo().write(
            {"survey_state": "none", "survey_tries": 0, "survey_retry": False, "survey_call_pending": False}
        )
        sent = False
        if channel in ("sms", "both"):
            sent = self._hotline_survey_send_text()
            if sent:
                self.sudo().survey_state = "sent"
        if channel in ("ivr", "both") and self._hotline_citizen_number():
            self._hotline_survey_schedule_call(0)
            sent = True
        return sent

    def _hotline_survey_schedule_call(self, minutes):
        """A survey call from the cron in ``minutes``."""
        self.ensure_one()
        # sudo: the survey's bookkeeping is written by the workflow and the cron, not by users
        self.sudo().survey_retry = True
        cron = self.env.ref("hotline_notify.ir_cron_hotline_survey_calls", raise_if_not_found=False)
        if cron:
            # sudo: whoever moves the case may wake the survey cron
            cron.sudo()._trigger(fields.Datetime.now() + timedelta(minutes=minutes))

    def _hotline_survey_send_text(self):
        """A rating request (its token is the page's link) and the survey text on the citizen's channel."""
        self.ensure_one()
        self._hotline_survey_token()
        # sudo: the text carries the survey link, which only the centre may read
        return bool(self.sudo()._hotline_notify_citizen("hotline_notify.sms_template_case_survey"))

    def _hotline_survey_token(self):
        """The token of the case's pending rating request (created when none)."""
        self.ensure_one()
        # sudo: the rating request belongs to the citizen, created whoever verifies the case
        return self.sudo()._rating_get_access_token()

    def _hotline_survey_question(self):
        return _(
            "This is the 12319 hotline. How satisfied are you with the handling of your case? "
            "Press 1 for satisfied, 2 for relatively satisfied, 3 for general, 4 for unsatisfied."
        )

    def _hotline_survey_call(self):
        """One survey call through the bridge; counts the attempt. Returns whether it was handed over."""
        self.ensure_one()
        # sudo: the survey's bookkeeping is written by the workflow and the cron, not by users
        case = self.sudo()
        # sudo: the PBX configuration is not readable by every user
        pbx = self.env["hotline.pbx"].sudo().search([("company_id", "in", [self.company_id.id, False])], limit=1)
        number = False
        if pbx and self._hotline_citizen_number():
            try:
                # as the agents dial: the trunk prefix, national or international form
                number = pbx._hotline_dial_number(self._hotline_citizen_number())
            except UserError:
                number = False
        if not number or not pbx or "hotline.voice.notice" not in self.env:
            case._hotline_survey_give_up(_("No survey call could be placed: no number or no PBX."))
            return False
        case.write(
            {
                "survey_tries": case.survey_tries + 1,
                "survey_last_call_at": fields.Datetime.now(),
                "survey_retry": False,
                "survey_call_pending": True,
            }
        )
        try:
            sound = self.env["hotline.voice.notice"]._hotline_shared_sound(
                self._hotline_survey_question(), "survey_question"
            )
            pbx._hotline_bridge_request(
                "POST",
                "/notice",
                {
                    "number": number,
                    "sound": sound,
                    "reference": f"survey-{self.id}",
                    "kind": "survey",
                    "case": self.name,
                },
            )
        except (UserError, OSError) as exc:
            _logger.warning("Survey call for case %s failed: %s", self.name, exc)
            case.message_post(body=_("The survey call could not be placed: %s", exc))
            case.survey_call_pending = False
            case._hotline_survey_unanswered()
            return False
        if case.survey_state == "none":
            case.survey_state = "sent"
        return True

    def _hotline_survey_call_result(self, status):
        """The outcome of a survey call (Asterisk's DIALSTATUS), reported by the dialplan.

        Returns False when no call was awaiting an outcome (a repeated report, or the case moved on).
        """
        self.ensure_one()
        status = (status or "").strip().upper()
        # sudo: the PBX reports the call; the survey's bookkeeping and note are the workflow's
        case = self.sudo()
        if not case.survey_call_pending or case.survey_state == "answered" or case.state != "return_visit":
            return False
        case.survey_call_pending = False
        if status == "ANSWER":
            return True
        case.message_post(body=_("Survey call not answered (%s).", status or "?"))
        self._hotline_survey_unanswered()
        return True

    def _hotline_survey_unanswered(self):
        """Call again after the configured pause, or after the last try leave the case to the operators."""
        self.ensure_one()
        if self.survey_tries < self._hotline_survey_max_tries():
            self._hotline_survey_schedule_call(self._hotline_survey_retry_minutes())
            return
        self._hotline_survey_give_up(
            _("The survey calls were not answered: call the citizen back for the return visit.")
        )

    def _hotline_survey_give_up(self, reason):
        """No (more) survey calls: the case waits on the return-visit list with an activity for an operator."""
        self.ensure_one()
        # sudo: the survey's bookkeeping is written by the workflow and the cron, not by users
        case = self.sudo()
        # the link of a survey text may still be answered; otherwise nobody answered at all
        state = "sent" if case._hotline_survey_text_pending() else "no_answer"
        case.write({"survey_retry": False, "survey_state": state})
        user = case.verify_user_id or case.accept_user_id or case.user_id
        case.activity_schedule(
            "mail.mail_activity_data_call",
            user_id=user.id or self.env.uid,
            summary=_("Return visit by phone"),
            note=reason,
        )

    def _hotline_survey_text_pending(self):
        """Whether a survey link was sent and may still be answered."""
        self.ensure_one()
        channel = self._hotline_survey_channel()
        return channel in ("sms", "both") and bool(self.sudo().survey_url)

    @api.model
    def _cron_hotline_survey_calls(self):
        """Place the survey calls due: first calls, and unanswered ones after the configured pause."""
        limit = fields.Datetime.now() - timedelta(minutes=self._hotline_survey_retry_minutes())
        cases = self.search(
            [
                ("state", "=", "return_visit"),
                ("survey_retry", "=", True),
                ("survey_state", "in", ("none", "sent")),
                "|",
                ("survey_last_call_at", "=", False),
                ("survey_last_call_at", "<=", limit),
            ],
            limit=200,
        )
        for case in cases:
            case._hotline_survey_call()
        return cases

    def _hotline_survey_answer(self, digit, channel="web", comment=None, token=None):
        """The citizen's answer: 1 satisfied ... 4 unsatisfied. Sets satisfaction and records the return visit.

        The caller (public page, SMS gateway, PBX endpoint) has checked the token; the citizen acts
        as the public user, so the return visit runs as superuser, through the workflow action.
        """
        self.ensure_one()
        digit = str(digit or "").strip().translate(FULL_WIDTH_DIGITS)
        if digit not in SURVEY_DIGITS:
            raise UserError(_("Please answer with a digit from 1 to 4."))
        if channel not in SURVEY_ANSWER_CHANNELS:
            raise UserError(_("Unknown survey channel: %s", channel))
        # sudo: the citizen answers their own case's survey (token, number or PBX checked by the caller);
        # the return visit still goes through action_return_visit and its checks
        case = self.sudo()
        if case.survey_state == "answered" or case.state != "return_visit":
            raise UserError(_("Thank you: the satisfaction with case %s has already been recorded.", case.name))
        satisfaction, rate = SURVEY_DIGITS[digit]
        rating = self.env["rating.rating"].sudo().search([("access_token", "=", token)], limit=1) if token else None
        if not rating or rating.res_model != self._name or rating.res_id != self.id:
            token = case._rating_get_access_token()
        case.rating_apply(rate, token=token, feedback=comment or None, subtype_xmlid="mail.mt_note")
        labels = dict(self._fields["satisfaction"]._description_selection(self.env))
        channels = {"web": _("the survey page"), "sms": _("a text"), "ivr": _("the survey call")}
        note = _(
            "Answered by the citizen through %(channel)s: %(answer)s.",
            channel=channels[channel],
            answer=labels[satisfaction],
        )
        if comment:
            note = f"{note}\n{comment}"
        case.write(
            {
                "satisfaction": satisfaction,
                "return_visit_note": note,
                "survey_state": "answered",
                "survey_retry": False,
                "survey_call_pending": False,
            }
        )
        case.action_return_visit()
        return True
