import logging
import re
from datetime import timedelta

from odoo import _, api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError

_logger = logging.getLogger(__name__)

RESULTS = [
    ("answered", "Answered"),
    ("no_answer", "No Answer"),
    ("busy", "Busy"),
    ("failed", "Failed"),
]
LINE_STATES = [
    ("pending", "Waiting"),
    ("calling", "Calling"),
    ("done", "Done"),
    ("cancel", "Cancelled"),
]
# Asterisk's DIALSTATUS → the number's result
DIAL_STATUSES = {
    "ANSWER": "answered",
    "NOANSWER": "no_answer",
    "CANCEL": "no_answer",
    "BUSY": "busy",
    "CHANUNAVAIL": "failed",
    "CONGESTION": "failed",
    "DONTCALL": "failed",
    "TORTURE": "failed",
    "INVALIDARGS": "failed",
}
# results the cron calls again, up to hotline_notify.voice_attempts
RETRY_RESULTS = ("no_answer", "busy")
WORKFLOW_FIELDS = {
    "state",
    "result",
    "attempts",
    "last_attempt_at",
    "next_attempt_at",
    "bridge_errors",
    "last_error",
}
# a call whose outcome never came back (the dialplan could not post it) counts as unanswered after this
CALL_TIMEOUT_MINUTES = 15
BRIDGE_RETRY_MINUTES = 1
NUMBER_NOISE_RE = re.compile(r"[\s\-().\u3000/]")


class HotlineVoiceNoticeLine(models.Model):
    _name = "hotline.voice.notice.line"
    _description = "Voice Notice Number"
    _order = "notice_id, id"

    # ------------------------------------------------------------
    # FIELDS
    # ------------------------------------------------------------

    notice_id = fields.Many2one("hotline.voice.notice", required=True, ondelete="cascade", index=True)
    number = fields.Char(required=True, help="The phone number to call, as the caller would write it.")
    number_key = fields.Char(
        compute="_compute_number_key",
        store=True,
        help="The number in E.164 form (or its digits for an extension): one line per number and notice.",
    )
    partner_id = fields.Many2one("res.partner", string="Caller", index="btree_not_null", ondelete="set null")
    result = fields.Selection(RESULTS, readonly=True, copy=False)
    state = fields.Selection(LINE_STATES, default="pending", required=True, readonly=True, copy=False, index=True)
    attempts = fields.Integer(readonly=True, copy=False, help="Calls started for this number.")
    last_attempt_at = fields.Datetime(string="Last Call", readonly=True, copy=False)
    next_attempt_at = fields.Datetime(string="Next Call", readonly=True, copy=False, index="btree_not_null")
    bridge_errors = fields.Integer(readonly=True, copy=False, help="Calls the PBX bridge could not start.")
    last_error = fields.Char(readonly=True, copy=False)

    _sql_constraints = [
        ("number_unique", "unique(notice_id, number_key)", "Each number appears only once in a voice notice."),
    ]

    # ------------------------------------------------------------
    # COMPUTES
    # ------------------------------------------------------------

    @api.depends("number")
    def _compute_number_key(self):
        partners = self.env["res.partner"]
        for line in self:
            line.number_key = self._hotline_number_key(line.number, partners)

    @api.model
    def _hotline_number_key(self, number, partners=None):
        partners = partners if partners is not None else self.env["res.partner"]
        return partners._hotline_normalize_phone(number or "") or NUMBER_NOISE_RE.sub("", number or "") or False

    # ------------------------------------------------------------
    # CONSTRAINTS
    # ------------------------------------------------------------

    @api.constrains("number", "notice_id")
    def _check_number(self):
        for line in self:
            error = line.notice_id._hotline_number_error(line.number)
            if error:
                raise ValidationError(error)

    # ------------------------------------------------------------
    # CRUD
    # ------------------------------------------------------------

    @api.model_create_multi
    def create(self, vals_list):
        if not self.env.su:
            for vals in vals_list:
                given = {name for name in WORKFLOW_FIELDS & vals.keys() if vals[name] and vals[name] != "pending"}
                if given:
                    raise AccessError(_("The call results of a voice notice are set by the PBX, not by hand."))
        lines = super().create(vals_list)
        lines.notice_id._check_numbers_editable()
        return lines

    def write(self, vals):
        if not self.env.su and WORKFLOW_FIELDS & vals.keys():
            raise AccessError(_("The call results of a voice notice are set by the PBX, not by hand."))
        if vals.keys() - WORKFLOW_FIELDS:
            self.notice_id._check_numbers_editable()
        return super().write(vals)

    @api.ondelete(at_uninstall=False)
    def _unlink_only_draft(self):
        self.notice_id._check_numbers_editable()

    def _hotline_write(self, vals):
        """The workflow's own write, past the guard on the result fields (the step checked the state)."""
        self.check_access("write")
        # sudo: past the guard only; the user still needs write access on the lines
        return self.sudo().write(vals)

    # ------------------------------------------------------------
    # BUSINESS: calling
    # ------------------------------------------------------------

    def _prepare_bridge_payload(self):
        self.ensure_one()
        notice = self.notice_id
        return {
            "number": notice.pbx_id._hotline_dial_number(self.number),
            "sound": notice.sound_path,
            "reference": f"notice-{self.id}",
            "kind": "notice",
        }

    def _hotline_call(self):
        """Ask the bridge for one call per line; stops at the first refusal (the bridge is likely down).

        Returns the lines whose call was started.
        """
        started = self.browse()
        for line in self:
            try:
                payload = line._prepare_bridge_payload()
            except UserError as exc:
                line._hotline_write(
                    {"state": "done", "result": "failed", "next_attempt_at": False, "last_error": str(exc)}
                )
                continue
            now = fields.Datetime.now()
            line._hotline_write(
                {
                    "state": "calling",
                    "attempts": line.attempts + 1,
                    "last_attempt_at": now,
                    "next_attempt_at": False,
                    "last_error": False,
                }
            )
            try:
                line.notice_id.pbx_id._hotline_bridge_request("POST", "/notice", payload)
            except UserError as exc:
                line._hotline_bridge_failed(str(exc))
                line.notice_id._hotline_log_bridge_error(str(exc))
                break
            started |= line
            self.notice_id._hotline_commit()
        return started

    def _hotline_bridge_failed(self, error):
        """The bridge did not start the call: not an attempt; the next run tries again, up to the attempts."""
        self.ensure_one()
        max_attempts = self.notice_id._hotline_voice_settings()["attempts"]
        vals = {
            "attempts": max(self.attempts - 1, 0),
            "bridge_errors": self.bridge_errors + 1,
            "last_error": error,
        }
        if self.bridge_errors + 1 >= max_attempts:
            vals.update(state="done", result="failed", next_attempt_at=False)
        else:
            vals.update(
                state="pending", next_attempt_at=fields.Datetime.now() + timedelta(minutes=BRIDGE_RETRY_MINUTES)
            )
        self._hotline_write(vals)

    # ------------------------------------------------------------
    # BUSINESS: results (from the dialplan, through /hotline/pbx/notice)
    # ------------------------------------------------------------

    def _hotline_pbx_result(self, status):
        """Apply an Asterisk DIALSTATUS to the line; False when the line was no longer waiting for it."""
        self.ensure_one()
        result = DIAL_STATUSES.get((status or "").upper())
        if not result:
            raise UserError(_("Unknown call status: %(status)s", status=status))
        # a result may arrive before the call is seen as started (the cron's transaction still open): pending too
        if self.state not in ("calling", "pending") or self.notice_id.state != "running":
            return False
        self._hotline_set_result(result)
        return True

    def _hotline_set_result(self, result, error=False):
        settings = self.notice_id._hotline_voice_settings()
        now = fields.Datetime.now()
        for line in self:
            vals = {"result": result, "last_error": error}
            if result in RETRY_RESULTS and line.attempts < settings["attempts"]:
                vals.update(state="pending", next_attempt_at=now + timedelta(minutes=settings["retry_minutes"]))
            else:
                vals.update(state="done", next_attempt_at=False)
            line._hotline_write(vals)
        self.notice_id._hotline_check_done()

    @api.model
    def _hotline_expire_calls(self):
        """Calls whose outcome never came back count as unanswered (and are retried like them)."""
        limit = fields.Datetime.now() - timedelta(minutes=CALL_TIMEOUT_MINUTES)
        lines = self.search([("state", "=", "calling"), ("last_attempt_at", "<", limit)])
        if lines:
            _logger.info("Voice notices: %s calls without a result from the PBX count as unanswered", len(lines))
            lines._hotline_set_result("no_answer", error=_("The PBX sent no result for this call."))
        return lines
