import logging
import re
from urllib.parse import parse_qsl

from odoo import SUPERUSER_ID, http
from odoo.exceptions import UserError, ValidationError
from odoo.http import request

_logger = logging.getLogger(__name__)

NUMBER_RE = re.compile(r"^\+?[0-9*#]{1,32}$")
# Kannel's %C (charset of %a) values meaning UCS-2 / UTF-16 big endian
UTF16_CHARSETS = {"utf-16be", "utf-16", "ucs-2", "ucs2", "iso-10646-ucs-2"}


class HotlineSmsController(http.Controller):
    """What the SMS gateway (Kannel's smsbox) calls: delivery reports and inbound texts.

    Authentication is the gateway's ``token`` in the query string (Kannel calls plain URLs):
    a missing or wrong token answers 403.  Answers are plain text and always empty for inbound
    texts, so that Kannel never sends anything back to the citizen (its sms-service also has
    ``max-messages = 0`` and ``omit-empty = true``).
    """

    def _hotline_gateway(self, include_archived=False):
        token = request.httprequest.values.get("token", "")
        gateway = request.env["hotline.sms.gateway"]._hotline_find_by_token(token, include_archived=include_archived)
        if gateway:
            # Kannel is not a user: once its token is checked it acts as the superuser
            request.update_env(user=SUPERUSER_ID)
        return gateway

    def _hotline_text(self, body, status=200):
        return request.make_response(body, headers=[("Content-Type", "text/plain; charset=utf-8")], status=status)

    # ------------------------------------------------------------
    # delivery reports
    # ------------------------------------------------------------

    @http.route(
        "/hotline/sms/dlr",
        type="http",
        auth="none",
        methods=["GET", "POST"],
        csrf=False,
        save_session=False,
        readonly=False,
    )
    def hotline_sms_dlr(self, **kwargs):
        """Kannel's dlr-url: ``?token=…&uuid=<sms uuid>&status=%d&answer=%A``.

        403 bad token; 400 malformed; 404 when no text and no tracker has this uuid: Kannel's
        ``http-request-retry`` then tries again, which covers a report that arrives before the
        transaction that sent the text has committed (a report for a text already garbage
        collected is refused a few times, then dropped by Kannel); 200 "OK" otherwise.
        """
        gateway = self._hotline_gateway(include_archived=True)
        if not gateway:
            return self._hotline_text("forbidden", status=403)
        sms_uuid = (kwargs.get("uuid") or "").strip()
        try:
            report_type = int(kwargs.get("status") or "")
        except ValueError:
            report_type = None
        if not re.match(r"^[0-9a-f]{32}$", sms_uuid) or report_type is None:
            _logger.info("SMS gateway %s: malformed delivery report %s", gateway.name, kwargs)
            return self._hotline_text("bad request", status=400)
        answer = (kwargs.get("answer") or "")[:250]
        if not request.env["sms.sms"]._hotline_process_report(sms_uuid, report_type, answer):
            _logger.info("SMS gateway %s: delivery report for unknown text %s", gateway.name, sms_uuid)
            return self._hotline_text("unknown", status=404)
        return self._hotline_text("OK")

    # ------------------------------------------------------------
    # inbound texts
    # ------------------------------------------------------------

    @http.route(
        "/hotline/sms/inbound",
        type="http",
        auth="none",
        methods=["GET", "POST"],
        csrf=False,
        save_session=False,
        readonly=False,
    )
    def hotline_sms_inbound(self, **kwargs):
        """Kannel's sms-service get-url: ``?token=…&from=%p&to=%P&text=%a&coding=%c&charset=%C``.

        Hands the text to ``hotline.case._hotline_sms_inbound(gateway, sender, text)`` (opens a
        case or joins the one it answers).  Always an empty 200 body when accepted: whatever we
        answered, Kannel would text it back to the citizen.
        """
        gateway = self._hotline_gateway()
        if not gateway:
            return self._hotline_text("", status=403)
        sender = (kwargs.get("from") or "").strip()
        text = self._hotline_inbound_text(kwargs)
        if not NUMBER_RE.match(sender) or not text.strip():
            _logger.info("SMS gateway %s: inbound text refused (from %r, %s chars)", gateway.name, sender, len(text))
            return self._hotline_text("", status=400)
        cases = request.env["hotline.case"]
        if hasattr(cases, "_hotline_sms_inbound"):
            try:
                with request.env.cr.savepoint():
                    cases._hotline_sms_inbound(gateway, sender, text)
            except (UserError, ValidationError) as exc:
                # Kannel would retry in vain: say why in the log, with the text, and answer 400
                _logger.warning(
                    "SMS gateway %s: inbound text from %s refused (%s): %s", gateway.name, sender, exc, text
                )
                return self._hotline_text("", status=400)
        else:
            _logger.warning("SMS gateway %s: inbound text from %s dropped (no case handler)", gateway.name, sender)
        return self._hotline_text("")

    def _hotline_inbound_text(self, kwargs):
        """The text, decoded from UCS-2 when Kannel passed it as such (``mo-recode`` off)."""
        charset = (kwargs.get("charset") or "").strip().lower()
        if charset not in UTF16_CHARSETS:
            return kwargs.get("text") or ""
        # werkzeug decoded the %-escapes as UTF-8: take the raw bytes again
        raw = request.httprequest.query_string
        if request.httprequest.method == "POST" and not raw:
            raw = request.httprequest.get_data()
        for key, value in parse_qsl(raw.decode("latin-1"), keep_blank_values=True, encoding="latin-1"):
            if key == "text":
                # parse_qsl unquoted each %XX into one latin-1 character: back to the bytes
                return value.encode("latin-1").decode("utf-16-be", "replace")
        return ""
