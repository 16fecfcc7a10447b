import logging
import mimetypes
import os
import re

from odoo import _, http
from odoo.exceptions import UserError, ValidationError
from odoo.http import request

from odoo.addons.hotline_telephony.controllers.main import HotlinePbxController
from odoo.addons.hotline_telephony.tools import payload as check

from ..models.hotline_voice_notice_line import DIAL_STATUSES

_logger = logging.getLogger(__name__)

REFERENCE_RE = re.compile(r"^(notice|survey)-([0-9]{1,18})$")
SURVEY_DIGITS = ("1", "2", "3", "4")


class HotlineNotifyPbxController(HotlinePbxController):
    """What the dialplan reports of the outgoing calls: voice notices and return-visit survey calls."""

    # ------------------------------------------------------------
    # helpers
    # ------------------------------------------------------------

    def _hotline_dialplan(self, process):
        """Authenticate, read the JSON object, run ``process(pbx, body)`` in a savepoint and answer in JSON."""
        pbx = self._hotline_pbx()
        if not pbx:
            return self._hotline_unauthorized()
        try:
            body = self._hotline_body()
            if not isinstance(body, dict):
                raise check.PayloadError("the body must be a JSON object")
            with request.env.cr.savepoint():
                status, answer = process(pbx, body)
        except check.PayloadError as exc:
            _logger.info("PBX %s: refused a malformed request to %s: %s", pbx.name, request.httprequest.path, exc)
            return self._hotline_json({"ok": False, "error": str(exc)}, status=400)
        except (UserError, ValidationError) as exc:
            _logger.info("PBX %s: %s refused: %s", pbx.name, request.httprequest.path, exc)
            return self._hotline_json({"ok": False, "error": str(exc)}, status=409)
        return self._hotline_json(answer, status=status)

    def _hotline_not_found(self, message):
        return 404, {"ok": False, "error": message}

    # ------------------------------------------------------------
    # the dialplan: outcome of a call, survey answer
    # ------------------------------------------------------------

    @http.route(
        "/hotline/pbx/notice",
        type="http",
        auth="none",
        methods=["POST"],
        csrf=False,
        save_session=False,
        readonly=False,
    )
    def hotline_pbx_notice(self, **_kwargs):
        """``{"reference": "notice-<line id>" | "survey-<case id>", "status": "<DIALSTATUS>"}``."""
        return self._hotline_dialplan(self._hotline_notice_result)

    @http.route(
        "/hotline/pbx/survey",
        type="http",
        auth="none",
        methods=["POST"],
        csrf=False,
        save_session=False,
        readonly=False,
    )
    def hotline_pbx_survey(self, **_kwargs):
        """``{"case": "<case number>", "digit": "1".."4"}``: the citizen's answer to the survey call."""
        return self._hotline_dialplan(self._hotline_survey_answer)

    def _hotline_notice_result(self, pbx, body):
        reference = check.text(body, "reference", "body", required=True, limit=64)
        status = check.choice(body, "status", "body", set(DIAL_STATUSES), required=True)
        match = REFERENCE_RE.match(reference)
        if not match:
            raise check.PayloadError("body.reference: expected notice-<id> or survey-<id>")
        kind, record_id = match.group(1), int(match.group(2))
        if kind == "survey":
            case = request.env["hotline.case"].browse(record_id).exists()
            if not case:
                return self._hotline_not_found(f"unknown case: {reference}")
            case._hotline_survey_call_result(status)
            return 200, {"ok": True, "reference": reference}
        line = request.env["hotline.voice.notice.line"].browse(record_id).exists()
        if not line or line.notice_id.pbx_id != pbx:
            return self._hotline_not_found(f"unknown voice notice call: {reference}")
        applied = line._hotline_pbx_result(status)
        return 200, {
            "ok": True,
            "reference": reference,
            "result": line.result or "",
            "state": line.state,
            "duplicate": not applied,
        }

    def _hotline_survey_answer(self, pbx, body):
        number = check.text(body, "case", "body", required=True, limit=64)
        digit = check.choice(body, "digit", "body", set(SURVEY_DIGITS), required=True)
        case = request.env["hotline.case"].search([("name", "=", number)], limit=1)
        if not case:
            return self._hotline_not_found(f"unknown case: {number}")
        case._hotline_survey_answer(digit, channel="ivr")
        return 200, {"ok": True, "case": case.name, "satisfaction": case.satisfaction or ""}

    # ------------------------------------------------------------
    # the generated sound of a voice notice (supervisors)
    # ------------------------------------------------------------

    @http.route("/hotline/voice_notice/<int:notice_id>/sound", type="http", auth="user", methods=["GET"])
    def hotline_voice_notice_sound(self, notice_id, **_kwargs):
        notice = request.env["hotline.voice.notice"].browse(notice_id).exists()
        if not notice or not notice.has_access("write"):
            return self._hotline_text(_("You may not listen to this voice notice."), 403)
        path = f"{notice.sound_path}.wav" if notice.sound_path else ""
        if not path or not os.path.isfile(path):
            return self._hotline_text(_("The sound of this voice notice is missing on the server."), 404)
        stat = os.stat(path)
        stream = http.Stream(
            type="path",
            path=path,
            mimetype=mimetypes.guess_type(path)[0] or "audio/wav",
            download_name=os.path.basename(path),
            etag=f"{int(stat.st_mtime)}-{stat.st_size}",
            last_modified=stat.st_mtime,
            size=stat.st_size,
        )
        return stream.get_response()
