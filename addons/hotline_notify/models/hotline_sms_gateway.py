import hmac
import logging
import random
import secrets
import time
from datetime import timedelta
from urllib.parse import urlencode

from psycopg2 import errors as pg_errors
from werkzeug.urls import url_join

from odoo import _, api, fields, models
from odoo.exceptions import UserError, ValidationError

from ..tools import kannel, smpp

_logger = logging.getLogger(__name__)

# the clock and the sleep of the rate limiter, module attributes so that tests can replace them
_monotonic = time.monotonic
_sleep = time.sleep

MAX_RESULT_TRIES = 5
CONCURRENCY_ERRORS = (pg_errors.SerializationFailure, pg_errors.LockNotAvailable, pg_errors.DeadlockDetected)


class RatePacer:
    """Spaces messages ``1 / rate`` seconds apart from the start of a batch (no burst above the rate)."""

    def __init__(self, rate):
        self.rate = max(1, int(rate or 1))
        self.start = _monotonic()
        self.count = 0
        self.sleeps = 0
        self.slept = 0.0

    def wait(self):
        """Call before each message: sleeps until that message's slot."""
        delay = self.start + self.count / self.rate - _monotonic()
        if delay > 0:
            _sleep(delay)
            self.sleeps += 1
            self.slept += delay
        self.count += 1


class HotlineSmsGateway(models.Model):
    _name = "hotline.sms.gateway"
    _description = "SMS Gateway"
    _order = "sequence, id"

    name = fields.Char(required=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    company_id = fields.Many2one("res.company", default=lambda self: self.env.company)
    provider = fields.Selection(
        [("kannel", "Kannel (sendsms HTTP)"), ("smpp", "SMPP (direct)")],
        required=True,
        default="kannel",
    )
    url = fields.Char(
        "Sendsms URL",
        default="http://127.0.0.1:13013/cgi-bin/sendsms",
        help="Kannel smsbox sendsms URL, e.g. http://127.0.0.1:13013/cgi-bin/sendsms",
    )
    host = fields.Char("SMPP Host", help="The SMSC's address (SMPP provider).")
    port = fields.Integer("SMPP Port", default=2775)
    username = fields.Char(help="Kannel sendsms-user username, or the SMPP system_id.")
    password = fields.Char(groups="hotline_base.group_hotline_admin", copy=False)
    sender = fields.Char(help="Sender number (the centre's SMS number); empty: the gateway's own default.")
    rate_per_second = fields.Integer(
        "Rate (texts per second)",
        default=50,
        required=True,
        help="At most this many texts are handed to the gateway per second; one batch is one second of sending.",
    )
    max_parts = fields.Integer(
        "Parts per long text", default=10, help="A long text is split in at most this many concatenated parts."
    )
    dlr_mask = fields.Integer(
        "Delivery report mask",
        default=kannel.DLR_MASK_DEFAULT,
        help="Kannel dlr-mask: 1 delivered, 2 failed, 4 buffered, 8 accepted by the SMSC, 16 rejected by the SMSC "
        "(add them up). The default 19 asks only for the reports that change a text's state.",
    )
    retry_max = fields.Integer(
        "Tries while down",
        default=5,
        help="A text stays queued while the gateway is unreachable; after this many sending runs it fails.",
    )
    retry_minutes = fields.Integer(
        "Retry after (minutes)", default=5, help="When the gateway is down, the queue is tried again after this delay."
    )
    timeout = fields.Float("Timeout (seconds)", default=10.0)
    receipt_wait = fields.Float(
        "Wait for SMPP receipts (seconds)",
        default=2.0,
        help="SMPP: how long the session stays open after the last submit to collect delivery receipts.",
    )
    token = fields.Char(
        copy=False,
        default=lambda self: secrets.token_urlsafe(32),
        groups="hotline_base.group_hotline_admin",
        help="Secret in the delivery-report and inbound URLs that the gateway calls.",
    )
    dlr_url = fields.Char("Delivery report URL", compute="_compute_urls")
    inbound_url = fields.Char("Inbound SMS URL", compute="_compute_urls", help="Kannel sms-service get-url.")
    test_number = fields.Char("Test number", help="Number for the Send test text button.")
    last_error = fields.Char(readonly=True, copy=False)
    last_error_date = fields.Datetime(readonly=True, copy=False)

    _sql_constraints = [
        ("token_unique", "unique(token)", "Each gateway needs its own token."),
        ("rate_positive", "CHECK(rate_per_second > 0)", "The rate must be at least one text per second."),
    ]

    # ------------------------------------------------------------
    # COMPUTES / CONSTRAINTS
    # ------------------------------------------------------------

    @api.depends("token")
    def _compute_urls(self):
        for gateway in self:
            base = gateway.get_base_url()
            # sudo: the token is admin-only; the URLs are shown on the admin-only form
            token = gateway.sudo().token or ""
            gateway.dlr_url = "{}?{}&uuid=<uuid>&status=%d&answer=%A".format(
                url_join(base, "/hotline/sms/dlr"),
                urlencode({"token": token}),
            )
            gateway.inbound_url = "{}?{}&from=%p&to=%P&text=%a&coding=%c&charset=%C".format(
                url_join(base, "/hotline/sms/inbound"),
                urlencode({"token": token}),
            )

    @api.constrains("provider", "url", "host", "port")
    def _check_connection(self):
        for gateway in self:
            if gateway.provider == "kannel" and not (gateway.url or "").startswith(("http://", "https://")):
                raise ValidationError(_("Kannel needs its sendsms URL (http://…/cgi-bin/sendsms)."))
            if gateway.provider == "smpp" and (not gateway.host or not gateway.port):
                raise ValidationError(_("SMPP needs the SMSC's host and port."))

    @api.constrains("token")
    def _check_token(self):
        for gateway in self.sudo():
            if gateway.token and len(gateway.token) < 16:
                raise ValidationError(_("The token is too short: use at least 16 characters."))

    # ------------------------------------------------------------
    # ACTIONS
    # ------------------------------------------------------------

    def action_generate_token(self):
        for gateway in self:
            gateway.token = secrets.token_urlsafe(32)

    def action_send_test(self):
        """Send one text to the test number now and say what the gateway answered."""
        self.ensure_one()
        if not self.test_number:
            raise UserError(_("Enter a test number first."))
        sms = self.env["sms.sms"].create(
            {
                "number": self.test_number,
                "body": _("Test text from the 12319 hotline (gateway %(name)s).", name=self.name),
            }
        )
        sms.with_context(hotline_sms_gateway_id=self.id).send(unlink_sent=False, raise_exception=False)
        ok = sms.state in ("pending", "sent")
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "title": _("Test text"),
                "message": _("The gateway accepted the text.")
                if ok
                else _("The gateway did not accept the text: %(error)s", error=self.last_error or sms.state),
                "type": "success" if ok else "danger",
                "sticky": not ok,
            },
        }

    # ------------------------------------------------------------
    # BUSINESS
    # ------------------------------------------------------------

    @api.model
    def _hotline_active(self):
        """The gateway texts go through (the one forced in the context, else the first active one), or empty."""
        # sudo: anyone who sends a text uses the gateway; only administrators may read its settings
        gateways = self.sudo()
        forced = self.env.context.get("hotline_sms_gateway_id")
        if forced:
            return gateways.browse(forced).exists()
        return gateways.search([("company_id", "in", [False, *self.env.companies.ids])], limit=1)

    @api.model
    def _hotline_find_by_token(self, token, include_archived=False):
        """The gateway whose token is ``token`` (constant-time compare), else empty.

        ``include_archived``: delivery reports of texts sent before a gateway was archived still count.
        """
        found = self.browse()
        if not token or not isinstance(token, str):
            return found
        # sudo: Kannel is not a user; the tokens are read only to compare them
        for gateway in self.sudo().with_context(active_test=not include_archived).search([]):
            if gateway.token and hmac.compare_digest(gateway.token.encode(), token.encode()):
                found = gateway
        return found

    def _hotline_dlr_url(self, sms_uuid):
        self.ensure_one()
        # Kannel replaces %d (report type) and %A (SMSC answer) when it calls the URL
        query = urlencode({"token": self.token, "uuid": sms_uuid})
        return "{}?{}&status=%d&answer=%A".format(url_join(self.get_base_url(), "/hotline/sms/dlr"), query)

    def _hotline_note_error(self, message):
        self.ensure_one()
        self.write({"last_error": (message or "")[:250], "last_error_date": fields.Datetime.now()})

    def _hotline_schedule_retry(self):
        """Run the SMS queue cron again once the gateway may be back."""
        self.ensure_one()
        cron = self.env.ref("sms.ir_cron_sms_scheduler_action", raise_if_not_found=False)
        if cron:
            cron._trigger(fields.Datetime.now() + timedelta(minutes=max(1, self.retry_minutes)))

    # ------------------------------------------------------------
    # BUSINESS: sending a batch
    # ------------------------------------------------------------

    def _hotline_send_batch(self, sms_records, auto_commit=False, unlink_sent=True, unlink_failed=False):
        """Hand ``sms_records`` (one batch, outgoing) to the gateway; returns False when the gateway is down.

        Never sent twice: the batch is first claimed (state ``process``, rows locked, committed when
        ``auto_commit``), then handed to the gateway, then each text gets its result.  A crash after
        the gateway accepted a text but before that result was committed leaves the text in
        ``process``: the queue only takes ``outgoing`` texts, so it is not sent again, and Kannel's
        delivery report (found by the text's uuid) still sets its final state.  The price is that
        such a text may stay ``process`` until its report arrives; ``_hotline_fail_stale`` marks the
        ones that never get one.  When the batch is not committed (``auto_commit`` False: the
        sender's own transaction), a crash rolls the claim back with everything else.
        """
        self.ensure_one()
        sms_records = sms_records._hotline_claim(self)
        if not sms_records:
            return True
        if auto_commit:
            # the claim must be durable before anything leaves (see above); only in the queue's own runs
            self.env.cr.commit()  # pylint: disable=invalid-commit
        if self.provider == "smpp":
            results, reachable, receipts = self._hotline_send_smpp(sms_records)
        else:
            results, reachable = self._hotline_send_kannel(sms_records)
            receipts = {}  # Kannel's reports come later, to /hotline/sms/dlr
        if auto_commit:
            self._hotline_apply_committed(sms_records, results, receipts, unlink_sent, unlink_failed)
        else:
            # the sender's transaction: the claim's row locks hold until it commits, reports wait
            sms_records._hotline_apply_results(self, results, unlink_sent=unlink_sent, unlink_failed=unlink_failed)
            sms_records._hotline_apply_receipts(receipts)
            self.env.flush_all()  # in the database now, not only in this transaction's cache
        if not reachable:
            self._hotline_schedule_retry()
        return reachable

    def _hotline_apply_committed(self, sms_records, results, receipts, unlink_sent, unlink_failed):
        """Write the results in a transaction of their own, retried on concurrent updates.

        Kannel's delivery reports may arrive (and commit) while the batch is being sent: no row is
        locked during the sending, so they never wait.  The results are then written in a READ
        COMMITTED transaction (Odoo's are REPEATABLE READ, where a report committed on any of the
        batch's rows after our snapshot would make the lock fail, and with reports coming in all the
        time a batch of 500 rows would rarely get through): the rows are locked (waiting for a
        report being written), read as committed, and the texts a report already moved on are
        skipped.  A deadlock or lock timeout is retried.
        """
        self.env.cr.commit()  # pylint: disable=invalid-commit
        for attempt in range(1, MAX_RESULT_TRIES + 1):
            try:
                self.env.cr.execute("SET TRANSACTION ISOLATION LEVEL READ COMMITTED")
                sms_records._hotline_lock()
                sms_records.invalidate_recordset()
                sms_records._hotline_apply_results(self, results, unlink_sent=unlink_sent, unlink_failed=unlink_failed)
                sms_records._hotline_apply_receipts(receipts)
                self.env.flush_all()
                self.env.cr.commit()  # pylint: disable=invalid-commit
                return
            # psycopg2's error classes are C types pylint cannot see through
            except CONCURRENCY_ERRORS:  # pylint: disable=catching-non-exception
                self.env.cr.rollback()
                self.env.invalidate_all()
                if attempt == MAX_RESULT_TRIES:
                    raise
                _sleep(random.uniform(0.05, 0.2) * attempt)  # noqa: S311 (backoff jitter)

    def _hotline_send_kannel(self, sms_records):
        """{sms id: (outcome, detail)} and whether Kannel was reachable."""
        client = kannel.KannelClient(self.url, timeout=self.timeout or 10.0)
        pacer = RatePacer(self.rate_per_second)
        results = {}
        reachable = True
        try:
            for sms in sms_records:
                if not reachable:
                    results[sms.id] = (kannel.DOWN, "")
                    continue
                pacer.wait()
                params = kannel.sendsms_params(
                    self.username,
                    self.password,
                    sms.number,
                    sms.body or "",
                    sender=self.sender,
                    dlr_url=self._hotline_dlr_url(sms.uuid),
                    max_messages=self.max_parts,
                    dlr_mask=self.dlr_mask,
                )
                result = client.send(params)
                results[sms.id] = (result.outcome, result.detail)
                if result.outcome in (kannel.DOWN, kannel.AUTH):
                    reachable = False
                    self._hotline_note_error(result.detail)
        finally:
            client.close()
        _logger.info(
            "SMS gateway %s: %s texts handed to Kannel (%s waits, %.2f s)",
            self.name,
            len(sms_records),
            pacer.sleeps,
            pacer.slept,
        )
        return results, reachable

    def _hotline_send_smpp(self, sms_records):
        """SMPP: one transceiver session per batch; delivery receipts read while it is open.

        Returns the results, whether the SMSC was reachable and the receipts {uuid: report type}.
        """
        session = smpp.SmppSession(
            self.host,
            self.port,
            self.username or "",
            self.password or "",
            sender=self.sender or "",
            timeout=self.timeout or 10.0,
        )
        pacer = RatePacer(self.rate_per_second)
        results = {}
        try:
            session.open()
        except smpp.SmppError as exc:
            self._hotline_note_error(str(exc))
            return {sms.id: (kannel.DOWN, str(exc)) for sms in sms_records}, False, {}
        try:
            for sms in sms_records:
                pacer.wait()
                session.submit(sms.uuid, sms.number, sms.body or "", max_parts=self.max_parts)
            session.collect(wait=self.receipt_wait)
        except smpp.SmppError as exc:
            self._hotline_note_error(str(exc))
        finally:
            session.close()
        answers = session.results()
        reachable = True
        for sms in sms_records:
            if sms.uuid in answers:
                results[sms.id] = answers[sms.uuid]
            elif sms.uuid in session.submitted:
                # submitted, but the session broke before the answer: the SMSC may have it, never resend
                results[sms.id] = (kannel.UNKNOWN, _("No answer from the SMSC."))
            else:
                results[sms.id] = (kannel.DOWN, "")
                reachable = False
        return results, reachable, session.receipts()
