import logging
import re
import threading
from datetime import timedelta

from odoo import _, api, fields, models, tools
from odoo.exceptions import UserError

from ..tools import kannel

_logger = logging.getLogger(__name__)

UUID_RE = re.compile(r"^[0-9a-f]{32}$")

# Kannel's report types (%d) → the sms.sms state, or the provider error given to the trackers
REPORT_STATES = {
    kannel.DLR_DELIVERED: "sent",
    kannel.DLR_BUFFERED: "pending",
    kannel.DLR_SMSC_ACCEPTED: "pending",
}
REPORT_ERRORS = {
    kannel.DLR_FAILED: "not_delivered",
    kannel.DLR_SMSC_REJECTED: "rejected",
}
# which states a report may move a text from (a delivered text stays delivered, whatever comes late)
REPORT_FROM = {
    "sent": ("outgoing", "process", "pending", "error"),
    "pending": ("process", "error"),
    "error": ("process", "pending"),
}
STALE_PROCESS_HOURS = 24


class SmsSms(models.Model):
    _inherit = "sms.sms"

    hotline_gateway_id = fields.Many2one("hotline.sms.gateway", "Gateway", readonly=True, index="btree_not_null")
    hotline_attempts = fields.Integer("Runs with the gateway down", readonly=True, default=0)
    hotline_sent_date = fields.Datetime("Handed to the gateway", readonly=True, copy=False)
    hotline_report_date = fields.Datetime("Last delivery report", readonly=True, copy=False)
    hotline_error = fields.Char("Gateway answer", readonly=True, copy=False)

    # ------------------------------------------------------------
    # SENDING (Odoo's queue, our transport)
    # ------------------------------------------------------------

    def send(self, unlink_failed=False, unlink_sent=True, auto_commit=False, raise_exception=False):
        """Odoo's loop over batches, through the active gateway, stopped when the gateway is down.

        Never through Odoo's IAP service, which a city's network cannot and must not use: without an
        active gateway the texts wait in the queue until one is set up."""
        gateway = self.env["hotline.sms.gateway"]._hotline_active()
        if not gateway:
            waiting = self.filtered(lambda sms: sms.state == "outgoing")
            if waiting:
                _logger.warning("%d text(s) wait in the queue: no active SMS gateway", len(waiting))
            if raise_exception and waiting:
                raise UserError(_("No SMS gateway is active: the texts wait in the queue until one is."))
            return None
        commit = auto_commit is True and not getattr(threading.current_thread(), "testing", False)
        records = self.filtered(lambda sms: sms.state == "outgoing" and not sms.to_delete)
        for batch_ids in records._split_batch():
            batch = self.browse(batch_ids).with_context(hotline_sms_commit=commit)
            reachable = batch._send(unlink_failed=unlink_failed, unlink_sent=unlink_sent, raise_exception=False)
            if commit:
                # as Odoo's send(): after each batch
                self._cr.commit()  # pylint: disable=invalid-commit
            if reachable is False:
                if raise_exception:
                    raise UserError(
                        _(
                            "The SMS gateway %(name)s is unreachable: %(error)s",
                            name=gateway.name,
                            error=gateway.last_error,
                        )
                    )
                break
        return None

    def resend_failed(self):
        """A text sent again gets its tries while the gateway is down back."""
        self.filtered(lambda sms: sms.state == "error" and sms.hotline_attempts).write({"hotline_attempts": 0})
        return super().resend_failed()

    def _split_batch(self):
        """With a gateway, one batch is one second of sending at its rate (committed after each)."""
        gateway = self.env["hotline.sms.gateway"]._hotline_active()
        if not gateway:
            yield from super()._split_batch()
            return
        yield from tools.split_every(max(1, gateway.rate_per_second), self.ids)

    def _send(self, unlink_failed=False, unlink_sent=True, raise_exception=False):
        """Hand the batch to the hotline gateway when there is one (never to IAP then)."""
        gateway = self.env["hotline.sms.gateway"]._hotline_active()
        if not gateway:
            # send() keeps them queued; _send() is only reached with a gateway
            return False
        return gateway._hotline_send_batch(
            self,
            auto_commit=self.env.context.get("hotline_sms_commit", False),
            unlink_sent=unlink_sent,
            unlink_failed=unlink_failed,
        )

    @api.model
    def _process_queue(self, ids=None):
        if self.env["hotline.sms.gateway"]._hotline_active():
            self._hotline_fail_stale()
        return super()._process_queue(ids=ids)

    # ------------------------------------------------------------
    # BUSINESS: the gateway's results
    # ------------------------------------------------------------

    def _hotline_claim(self, gateway):
        """Lock and mark the still-outgoing texts of ``self`` as being handed to ``gateway`` (``process``)."""
        if not self:
            return self
        self.flush_recordset(["state"])
        self.env.cr.execute(
            "SELECT id FROM sms_sms WHERE id IN %s AND state = 'outgoing' ORDER BY id FOR UPDATE SKIP LOCKED",
            [tuple(self.ids)],
        )
        claimed = self.browse([row[0] for row in self.env.cr.fetchall()])
        # sudo: whoever may send a text may mark it as being sent (Odoo's _send does the same)
        claimed.sudo().write({"state": "process", "hotline_gateway_id": gateway.id})
        return claimed

    def _hotline_lock(self):
        """Lock the rows of ``self`` (sms rows before notification rows, in this order everywhere)."""
        if self.ids:
            # a concurrent update is expected here and handled by the callers (retried): no error in the log
            self.env.cr.execute(
                "SELECT id FROM sms_sms WHERE id IN %s ORDER BY id FOR UPDATE", [tuple(self.ids)], log_exceptions=False
            )

    def _hotline_apply_results(self, gateway, results, unlink_sent=True, unlink_failed=False):
        """Write each text's result: ``results`` = {sms id: (outcome, detail)} (outcomes of tools.kannel)."""
        # sudo: like Odoo's _send, the sender updates the texts and their notifications / traces
        sms_sudo = self.sudo().with_context(sms_skip_msg_notification=True)
        now = fields.Datetime.now()
        # a delivery report may have moved a text on already (it only arrives once Kannel has it)
        reported = sms_sudo.filtered(lambda sms: sms.state != "process")
        if reported:
            reported.write({"hotline_sent_date": now, **({"to_delete": True} if unlink_sent else {})})
        by_outcome = {}
        for sms in sms_sudo - reported:
            outcome, detail = results.get(sms.id, (kannel.DOWN, ""))
            by_outcome.setdefault(outcome, []).append((sms, detail))
        for outcome, items in by_outcome.items():
            records = sms_sudo.browse([sms.id for sms, _detail in items])
            if outcome == kannel.ACCEPTED:
                records._hotline_mark_accepted(now, unlink_sent)
            elif outcome in (kannel.DOWN, kannel.AUTH):
                records._hotline_mark_down(gateway, outcome, unlink_failed)
            else:
                for sms, detail in items:
                    sms._hotline_mark_failed(outcome, detail, unlink_failed)
        sms_sudo.mail_message_id._notify_message_notification_update()

    def _hotline_mark_accepted(self, now, unlink_sent):
        self.sms_tracker_id._action_update_from_sms_state("pending")
        to_delete = {"to_delete": True} if unlink_sent else {}
        self.write(
            {"state": "pending", "failure_type": False, "hotline_sent_date": now, "hotline_error": False, **to_delete}
        )

    def _hotline_mark_down(self, gateway, outcome, unlink_failed):
        """The gateway could not be reached: keep the texts queued, fail them after ``retry_max`` runs."""
        failure_type = "sms_acc" if outcome == kannel.AUTH else "sms_server"
        error = gateway.last_error or ""
        give_up = self.filtered(lambda sms: sms.hotline_attempts + 1 >= max(1, gateway.retry_max))
        if give_up:
            give_up.sms_tracker_id._action_update_from_sms_state("error", failure_type=failure_type)
        to_delete = {"to_delete": True} if unlink_failed else {}
        # one write per attempts count (a batch that found the gateway down usually has one or two)
        for attempts, texts in self.grouped("hotline_attempts").items():
            retry, failed = texts - give_up, texts & give_up
            values = {"hotline_attempts": attempts + 1, "hotline_error": error}
            if retry:
                retry.write({"state": "outgoing", **values})
            if failed:
                failed.write({"state": "error", "failure_type": failure_type, **values, **to_delete})

    def _hotline_mark_failed(self, outcome, detail, unlink_failed):
        self.ensure_one()
        if outcome == kannel.UNKNOWN:
            failure_type = "sms_server"
            detail = _("No answer from the gateway; not sent again to avoid a duplicate (%(detail)s)", detail=detail)
        elif re.search(r"receiver|number|to\b", detail or "", re.IGNORECASE):
            failure_type = "sms_number_format"
        else:
            failure_type = "unknown"
        self.sms_tracker_id._action_update_from_sms_state("error", failure_type=failure_type, failure_reason=detail)
        to_delete = {"to_delete": True} if unlink_failed else {}
        self.write({"state": "error", "failure_type": failure_type, "hotline_error": (detail or "")[:250], **to_delete})

    def _hotline_fail_stale(self):
        """Texts left in ``process`` by an interrupted run and never reported: error, never resent."""
        limit = fields.Datetime.now() - timedelta(hours=STALE_PROCESS_HOURS)
        # sudo: the queue cron's housekeeping
        stale = self.sudo().search(
            [("state", "=", "process"), ("hotline_gateway_id", "!=", False), ("write_date", "<", limit)]
        )
        if stale:
            _logger.warning("SMS: %s texts interrupted while handed to the gateway, marked failed", len(stale))
            stale.sms_tracker_id._action_update_from_sms_state("error", failure_type="sms_server")
            stale.write(
                {
                    "state": "error",
                    "failure_type": "sms_server",
                    "hotline_error": _("Interrupted while being handed to the gateway; not resent."),
                }
            )
        return stale

    # ------------------------------------------------------------
    # BUSINESS: delivery reports
    # ------------------------------------------------------------

    @api.model
    def _hotline_process_report(self, sms_uuid, report_type, answer=""):
        """Apply one delivery report (Kannel's %d); False when nothing has this uuid."""
        if not UUID_RE.match(sms_uuid or ""):
            return False
        # sudo: reports come from the gateway, not from a user
        sms = self.sudo().search([("uuid", "=", sms_uuid)], limit=1)
        trackers = self.env["sms.tracker"].sudo().search([("sms_uuid", "=", sms_uuid)])
        if not sms and not trackers:
            return False
        state = REPORT_STATES.get(report_type)
        provider_error = REPORT_ERRORS.get(report_type)
        if not state and not provider_error:
            _logger.info("SMS %s: ignored report type %s (%s)", sms_uuid, report_type, answer)
            return True
        new_state = state or "error"
        # the text's row first (as the sending batch does), then its notifications: no deadlock
        sms._hotline_lock()
        if sms and sms.state not in REPORT_FROM[new_state]:
            return True  # late or repeated report: a delivered text stays delivered
        if state:
            trackers._action_update_from_sms_state(state)
        else:
            trackers._action_update_from_provider_error(provider_error)
        if sms:
            vals = {"state": new_state, "hotline_report_date": fields.Datetime.now()}
            if provider_error:
                vals.update(failure_type="unknown", hotline_error=(answer or provider_error)[:250])
            else:
                vals.update(failure_type=False)
            sms.write(vals)
        return True

    def _hotline_apply_receipts(self, receipts):
        """SMPP receipts read during the session: {uuid: Kannel report type}."""
        for sms_uuid, report_type in receipts.items():
            self._hotline_process_report(sms_uuid, report_type)
