import hashlib
import logging
import os
import re
import threading

import phonenumbers

from odoo import Command, _, api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import SQL
from odoo.tools.safe_eval import safe_eval

from ..tools import tts
from .hotline_voice_notice_line import NUMBER_NOISE_RE

_logger = logging.getLogger(__name__)

STATES = [
    ("draft", "Draft"),
    ("running", "Sending"),
    ("done", "Done"),
    ("cancel", "Cancelled"),
]
WORKFLOW_FIELDS = {"state", "sound_path", "sent_at"}
# what may change once the notice is sent
EDITABLE_WHEN_SENT = {"name", "scheduled_at", "number_paste", "partner_domain", "case_domain"}
DEFAULT_SOUND_DIR = "/var/lib/asterisk/sounds/hotline-notify"
DEFAULT_MAX_CALLS = 10
# how pasted numbers are separated: new lines, commas, semicolons (Chinese ones too), tabs
PASTE_SEPARATORS_RE = re.compile(r"[\n\r,;\t，；、]+")


class HotlineVoiceNotice(models.Model):
    _name = "hotline.voice.notice"
    _inherit = ["hotline.mail.mixin", "mail.thread"]
    _description = "Voice Notice"
    _order = "id desc"

    # ------------------------------------------------------------
    # FIELDS
    # ------------------------------------------------------------

    name = fields.Char(string="Title", required=True, tracking=True)
    reference = fields.Char(readonly=True, copy=False, index=True, default=lambda self: _("New"))
    text = fields.Text(required=True, help="What the call says, spoken by the text-to-speech engine.")
    pbx_id = fields.Many2one(
        "hotline.pbx", string="PBX", required=True, ondelete="restrict", default=lambda self: self._default_pbx()
    )
    state = fields.Selection(STATES, default="draft", required=True, readonly=True, copy=False, tracking=True)
    scheduled_at = fields.Datetime(string="Send At", tracking=True, help="Empty: the calls start when it is sent.")
    sent_at = fields.Datetime(readonly=True, copy=False)
    sound_path = fields.Char(
        string="Sound File", readonly=True, copy=False, help="The generated WAV, without its extension."
    )
    number_ids = fields.One2many("hotline.voice.notice.line", "notice_id", string="Numbers", copy=True)
    number_paste = fields.Text(
        string="Numbers to Add",
        help="Phone numbers, one per line or separated by commas. Numbers that cannot be called stay here.",
    )
    partner_domain = fields.Char(string="Callers to Add", default="[]")
    case_domain = fields.Char(string="Callers of the Cases", default="[]")
    number_count = fields.Integer(string="Numbers to Call", compute="_compute_counts")
    waiting_count = fields.Integer(string="Waiting", compute="_compute_counts")
    answered_count = fields.Integer(string="Answered", compute="_compute_counts")
    no_answer_count = fields.Integer(string="No Answer", compute="_compute_counts")
    busy_count = fields.Integer(string="Busy", compute="_compute_counts")
    failed_count = fields.Integer(string="Failed", compute="_compute_counts")

    # ------------------------------------------------------------
    # DEFAULTS AND COMPUTES
    # ------------------------------------------------------------

    @api.model
    def _default_pbx(self):
        return self.env["hotline.pbx"].search([("company_id", "in", self.env.companies.ids)], limit=1)

    @api.depends("number_ids.state", "number_ids.result")
    def _compute_counts(self):
        groups = self.env["hotline.voice.notice.line"]._read_group(
            [("notice_id", "in", self.ids)], ["notice_id", "state", "result"], ["__count"]
        )
        counts = {}
        for notice, state, result, count in groups:
            key = "waiting" if state in ("pending", "calling") else result
            per_notice = counts.setdefault(notice.id, {})
            per_notice[key] = per_notice.get(key, 0) + count
            per_notice["number"] = per_notice.get("number", 0) + count
        for notice in self:
            values = counts.get(notice.id, {})
            notice.number_count = values.get("number", 0)
            notice.waiting_count = values.get("waiting", 0)
            notice.answered_count = values.get("answered", 0)
            notice.no_answer_count = values.get("no_answer", 0)
            notice.busy_count = values.get("busy", 0)
            notice.failed_count = values.get("failed", 0)

    # ------------------------------------------------------------
    # CRUD
    # ------------------------------------------------------------

    @api.model_create_multi
    def create(self, vals_list):
        if not self.env.su and any(self._hotline_started(vals) for vals in vals_list):
            raise AccessError(_("A voice notice starts as a draft: send it with its button."))
        sequence = self.env["ir.sequence"]
        for vals in vals_list:
            if vals.get("reference", _("New")) == _("New"):
                vals["reference"] = sequence.next_by_code("hotline.voice.notice") or _("New")
        return super().create(vals_list)

    @api.model
    def _hotline_started(self, vals):
        return vals.get("state", "draft") != "draft" or bool(vals.get("sound_path") or vals.get("sent_at"))

    def write(self, vals):
        if not self.env.su and WORKFLOW_FIELDS & vals.keys():
            raise AccessError(_("A voice notice is sent and cancelled with its buttons, not by changing its status."))
        if self._hotline_content_fields(vals) and self.filtered(lambda notice: notice.state != "draft"):
            raise UserError(_("Only a draft voice notice can be changed: duplicate it to send another one."))
        return super().write(vals)

    @api.model
    def _hotline_content_fields(self, vals):
        """What ``vals`` changes of the notice's content (the chatter's own fields aside)."""
        return {
            name
            for name in vals.keys() - WORKFLOW_FIELDS - EDITABLE_WHEN_SENT
            if not name.startswith(("message_", "activity_"))
        }

    @api.ondelete(at_uninstall=False)
    def _unlink_except_running(self):
        if self.filtered(lambda notice: notice.state == "running"):
            raise UserError(_("A voice notice that is being sent cannot be deleted: cancel it first."))

    def _hotline_write(self, vals):
        """The workflow's own write, past the guard on its fields (the calling step checked the state)."""
        self.check_access("write")
        # sudo: past the guard only; the user still needs write access on the notices
        return self.sudo().write(vals)

    # ------------------------------------------------------------
    # ACTIONS: numbers
    # ------------------------------------------------------------

    def action_add_numbers(self):
        """Add the pasted numbers; numbers that cannot be called stay in the box, and the user is told."""
        self.ensure_one()
        self._check_numbers_editable()
        pieces = [piece.strip() for piece in PASTE_SEPARATORS_RE.split(self.number_paste or "")]
        entries = [(piece, False) for piece in pieces if piece]
        added, duplicates, invalid = self._hotline_add_entries(entries)
        self.number_paste = "\n".join(number for number, _error in invalid) or False
        return self._hotline_added_notification(added, duplicates, invalid)

    def action_add_partners(self):
        """Add the mobile (else phone) of the callers chosen by the domain."""
        self.ensure_one()
        self._check_numbers_editable()
        partners = self.env["res.partner"].search(self._hotline_domain(self.partner_domain))
        entries, without = [], 0
        for partner in partners:
            number = partner.mobile or partner.phone
            if number:
                entries.append((number, partner.id))
            else:
                without += 1
        added, duplicates, invalid = self._hotline_add_entries(entries)
        return self._hotline_added_notification(added, duplicates, invalid, without)

    def action_add_cases(self):
        """Add the callers of the cases chosen by the domain (their phone on the case)."""
        self.ensure_one()
        self._check_numbers_editable()
        cases = self.env["hotline.case"].search(self._hotline_domain(self.case_domain))
        entries, without = [], 0
        for case in cases:
            number = case.caller_phone or case.partner_id.mobile or case.partner_id.phone
            if number:
                entries.append((number, case.partner_id.id))
            else:
                without += 1
        added, duplicates, invalid = self._hotline_add_entries(entries)
        return self._hotline_added_notification(added, duplicates, invalid, without)

    # ------------------------------------------------------------
    # ACTIONS: workflow
    # ------------------------------------------------------------

    def action_send(self):
        """Render the sound and start the calls (now, or from the cron at the set time)."""
        self.check_access("write")
        for notice in self:
            notice._check_can_send()
        now = fields.Datetime.now()
        for notice in self:
            path = notice._hotline_render_sound(notice.text, notice._hotline_sound_name())
            notice._hotline_write({"state": "running", "sound_path": path, "sent_at": now})
            first_call = max(notice.scheduled_at or now, now)
            notice.number_ids._hotline_write({"state": "pending", "next_attempt_at": first_call})
            if first_call > now:
                notice.message_post(
                    body=_("The calls will start at the set time (%(count)s numbers).", count=len(notice.number_ids))
                )
            else:
                notice.message_post(body=_("Sending started (%(count)s numbers).", count=len(notice.number_ids)))
        self.filtered(lambda notice: not notice.scheduled_at or notice.scheduled_at <= now)._hotline_dial_due()
        self._hotline_check_done()
        return True

    def action_cancel(self):
        self.check_access("write")
        for notice in self:
            if notice.state not in ("draft", "running"):
                raise UserError(_("Only a draft or a notice being sent can be cancelled."))
        waiting = self.number_ids.filtered(lambda line: line.state in ("pending", "calling"))
        waiting._hotline_write({"state": "cancel", "next_attempt_at": False})
        self._hotline_write({"state": "cancel"})
        for notice in self:
            notice.message_post(body=_("Cancelled: the numbers not called yet will not be called."))
        return True

    def action_retry_failed(self):
        """Call again every number that was not reached (failed, or no answer after all the attempts)."""
        self.check_access("write")
        now = fields.Datetime.now()
        for notice in self:
            if notice.state not in ("running", "done"):
                raise UserError(_("Only a notice that was sent can call its numbers again."))
            lines = notice.number_ids.filtered(lambda line: line.state == "done" and line.result != "answered")
            if not lines:
                raise UserError(
                    _("Every number of %(notice)s answered: there is nothing to retry.", notice=notice.name)
                )
            lines._hotline_write(
                {"state": "pending", "attempts": 0, "bridge_errors": 0, "next_attempt_at": now, "last_error": False}
            )
            notice._hotline_write({"state": "running"})
            notice.message_post(body=_("%(count)s numbers will be called again.", count=len(lines)))
        self._hotline_dial_due()
        return True

    def action_download_sound(self):
        self.ensure_one()
        if not self.sound_path:
            raise UserError(_("The sound of this notice has not been generated yet: it is made when it is sent."))
        return {"type": "ir.actions.act_url", "url": f"/hotline/voice_notice/{self.id}/sound", "target": "new"}

    # ------------------------------------------------------------
    # CRON
    # ------------------------------------------------------------

    @api.model
    def _cron_hotline_send(self):
        """Start due calls (scheduled notices, retries) within each PBX's limit; close finished notices."""
        auto_commit = not getattr(threading.current_thread(), "testing", False)
        notices = self.with_context(hotline_voice_commit=auto_commit)
        notices.env["hotline.voice.notice.line"]._hotline_expire_calls()
        running = notices.search([("state", "=", "running")])
        running._hotline_dial_due()
        running._hotline_check_done()

    # ------------------------------------------------------------
    # BUSINESS: text to speech (also used by the survey calls and the incident announcements)
    # ------------------------------------------------------------

    @api.model
    def _hotline_render_sound(self, text, name):
        """Speak ``text`` into ``<sound_dir>/<name>.wav`` (8 kHz mono) and return its path without extension.

        ``name``: letters, digits, ``_`` and ``-``. Raises a UserError saying what went wrong.
        """
        settings = self._hotline_voice_settings()
        path = tts.render(self.env, text, settings["sound_dir"], name, command=settings["tts_command"] or None)
        return os.path.splitext(path)[0]

    @api.model
    def _hotline_shared_sound(self, text, prefix):
        """The sound of a text spoken on many calls (the survey question): rendered once per text and
        engine, then reused; returns its path without extension."""
        settings = self._hotline_voice_settings()
        digest = hashlib.sha1(f"{settings['tts_command']}\n{text}".encode()).hexdigest()[:12]
        name = f"{prefix}_{digest}"
        path = os.path.join(settings["sound_dir"], name)
        if os.path.isfile(f"{path}.wav"):
            return path
        return self._hotline_render_sound(text, name)

    def _hotline_sound_name(self):
        self.ensure_one()
        return f"notice_{self.id}"

    @api.model
    def _hotline_voice_settings(self):
        # sudo: the voice settings are harmless technical parameters every sender needs
        params = self.env["ir.config_parameter"].sudo()
        return {
            "attempts": max(self._hotline_int_param(params, "hotline_notify.voice_attempts", 3), 1),
            "retry_minutes": max(self._hotline_int_param(params, "hotline_notify.voice_retry_minutes", 10), 0),
            "max_calls": max(self._hotline_int_param(params, "hotline_notify.voice_max_calls", DEFAULT_MAX_CALLS), 1),
            "tts_command": (params.get_param("hotline_notify.tts_command") or "").strip(),
            "sound_dir": params.get_param("hotline_notify.sound_dir") or DEFAULT_SOUND_DIR,
        }

    @api.model
    def _hotline_int_param(self, params, key, default):
        try:
            return int(params.get_param(key) or default)
        except ValueError:
            return default

    # ------------------------------------------------------------
    # BUSINESS: numbers
    # ------------------------------------------------------------

    def _check_numbers_editable(self):
        for notice in self:
            if notice.state != "draft":
                raise UserError(
                    _("The numbers of %(notice)s cannot change: it is no longer a draft.", notice=notice.name)
                )

    def _hotline_number_error(self, number):
        """Why ``number`` cannot be called through this notice's PBX, or False."""
        self.ensure_one()
        number = (number or "").strip()
        digits = NUMBER_NOISE_RE.sub("", number)
        short = digits.isdigit() and len(digits) <= 6
        if not short and not self._hotline_valid_number(number):
            return _("%(number)s is not a valid phone number.", number=number or _("(empty)"))
        try:
            self.pbx_id._hotline_dial_number(number)
        except UserError as exc:
            return str(exc)
        return False

    @api.model
    def _hotline_valid_number(self, number):
        """A possible number (res.partner's normalization) that is also assigned in its numbering plan: a
        typo in a pasted list is refused rather than dialled."""
        normalized = self.env["res.partner"]._hotline_normalize_phone(number)
        return bool(normalized) and phonenumbers.is_valid_number(phonenumbers.parse(normalized))

    def _hotline_add_entries(self, entries):
        """Create lines for ``[(number, partner_id)]``; returns ``(added, duplicates, [(number, error)])``."""
        self.ensure_one()
        Line = self.env["hotline.voice.notice.line"]
        partners = self.env["res.partner"]
        seen = set(self.number_ids.mapped("number_key"))
        vals_list, duplicates, invalid = [], 0, []
        for number, partner_id in entries:
            error = self._hotline_number_error(number)
            if error:
                invalid.append((number, error))
                continue
            key = Line._hotline_number_key(number, partners)
            if key in seen:
                duplicates += 1
                continue
            seen.add(key)
            vals_list.append({"number": number, "partner_id": partner_id or False})
        self.write({"number_ids": [Command.create(vals) for vals in vals_list]})
        return len(vals_list), duplicates, invalid

    def _hotline_added_notification(self, added, duplicates, invalid, without=0):
        parts = [_("%(count)s numbers added.", count=added)]
        if duplicates:
            parts.append(_("%(count)s were already in the list.", count=duplicates))
        if without:
            parts.append(_("%(count)s callers have no phone number.", count=without))
        if invalid:
            shown = "; ".join(error for _number, error in invalid[:5])
            parts.append(
                _("%(count)s numbers cannot be called and were not added: %(errors)s", count=len(invalid), errors=shown)
            )
            self.message_post(body=_("Numbers not added: %(numbers)s", numbers=", ".join(n for n, _e in invalid)))
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "title": self.name,
                "message": " ".join(parts),
                "type": "warning" if invalid else "success",
                "sticky": bool(invalid),
                "next": {"type": "ir.actions.client", "tag": "soft_reload"},
            },
        }

    @api.model
    def _hotline_domain(self, text):
        """The domain of a filter field; an empty filter would call the whole city: refused."""
        try:
            domain = safe_eval(text or "[]")
        except Exception as exc:  # noqa: BLE001 - any syntax error of the domain field
            raise UserError(_("The filter cannot be read: %(error)s", error=exc)) from None
        if not isinstance(domain, (list, tuple)):
            raise UserError(_("The filter cannot be read."))
        if not domain:
            raise UserError(_("Choose whom to call with the filter first: an empty filter selects everyone."))
        return list(domain)

    # ------------------------------------------------------------
    # BUSINESS: sending
    # ------------------------------------------------------------

    def _check_can_send(self):
        self.ensure_one()
        if self.state != "draft":
            raise UserError(_("%(notice)s was already sent.", notice=self.name))
        if not self.number_ids:
            raise UserError(_("%(notice)s has no number to call.", notice=self.name))
        if not (self.text or "").strip():
            raise UserError(_("%(notice)s has no text to speak.", notice=self.name))
        if not self.pbx_id.active:
            raise UserError(_("The PBX %(pbx)s is archived.", pbx=self.pbx_id.name))

    def _hotline_dial_due(self):
        """Start the due calls of these running notices, without more than max_calls calls per PBX at once."""
        running = self.filtered(lambda notice: notice.state == "running")
        if not running:
            return self.env["hotline.voice.notice.line"]
        settings = self._hotline_voice_settings()
        Line = self.env["hotline.voice.notice.line"]
        started = Line
        for pbx in running.pbx_id:
            busy = Line.search_count([("notice_id.pbx_id", "=", pbx.id), ("state", "=", "calling")])
            slots = settings["max_calls"] - busy
            if slots <= 0:
                continue
            lines = Line.search(
                [
                    ("notice_id", "in", running.filtered(lambda notice, pbx=pbx: notice.pbx_id == pbx).ids),
                    ("state", "=", "pending"),
                    "|",
                    ("next_attempt_at", "=", False),
                    ("next_attempt_at", "<=", fields.Datetime.now()),
                ],
                order="next_attempt_at, id",
                limit=slots,
            )
            started |= self._hotline_lock(lines)._hotline_call()
        return started

    @api.model
    def _hotline_lock(self, lines):
        """The lines no other transaction is dialling (the cron and a Send button at the same time)."""
        if not lines:
            return lines
        self.env.cr.execute(
            SQL(
                "SELECT id FROM hotline_voice_notice_line WHERE id IN %s ORDER BY id FOR UPDATE SKIP LOCKED",
                tuple(lines.ids),
            )
        )
        free = {row[0] for row in self.env.cr.fetchall()}
        return lines.filtered(lambda line: line.id in free)

    def _hotline_check_done(self):
        """Running notices whose numbers are all done become done, with a summary in the chatter."""
        Line = self.env["hotline.voice.notice.line"]
        for notice in self.filtered(lambda notice: notice.state == "running"):
            waiting = [("notice_id", "=", notice.id), ("state", "in", ("pending", "calling"))]
            if Line.search_count(waiting, limit=1):
                continue
            notice._hotline_write({"state": "done"})
            notice.message_post(
                body=_(
                    "Sending finished: %(answered)s answered, %(no_answer)s no answer, %(busy)s busy, "
                    "%(failed)s failed.",
                    answered=notice.answered_count,
                    no_answer=notice.no_answer_count,
                    busy=notice.busy_count,
                    failed=notice.failed_count,
                )
            )

    def _hotline_log_bridge_error(self, error):
        self.ensure_one()
        self.message_post(
            body=_("The PBX bridge did not start a call: %(error)s. The next run tries again.", error=error)
        )

    def _hotline_commit(self):
        """In the cron (never in tests or a user's request), each started call is committed at once: a later
        error must not roll back calls already ringing and dial them twice."""
        if self.env.context.get("hotline_voice_commit"):
            self.env.cr.commit()  # pylint: disable=invalid-commit
