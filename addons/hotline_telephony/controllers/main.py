import json
import logging
import mimetypes
import os
import re
from urllib.parse import urlencode

from odoo import _, http
from odoo.exceptions import AccessError, MissingError
from odoo.http import request

from ..models.hotline_pbx import PBX_USER
from ..tools import payload as check

_logger = logging.getLogger(__name__)

NUMBER_RE = re.compile(r"^[^\x00-\x1f]{0,64}$")


class HotlinePbxController(http.Controller):
    """Endpoints for the PBX bridge and the dialplan (bearer token, no session) and the recordings."""

    # ------------------------------------------------------------
    # helpers
    # ------------------------------------------------------------

    def _hotline_pbx(self):
        """The PBX whose token the request carries (``Authorization: Bearer <token>``), else None.

        The token is checked first, by the PBX model's lookup alone; only then does the request run,
        as the PBX's technical user (group "PBX bridge (technical)": the rights the endpoints need,
        not the superuser's), in the PBX's company.
        """
        header = request.httprequest.headers.get("Authorization", "")
        scheme, _sep, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return None
        pbx = request.env["hotline.pbx"]._hotline_find_by_token(token.strip())
        if not pbx:
            return None
        # sudo: the PBX's company, loaded with the token lookup (no query)
        company_id = pbx.sudo().company_id.id
        user_id = request.env["ir.model.data"]._xmlid_to_res_id(PBX_USER)
        request.update_env(user=user_id)  # a member of the PBX's company (hotline.pbx keeps it so)
        request.update_env(context=dict(request.env.context, allowed_company_ids=[company_id]))
        return request.env["hotline.pbx"].browse(pbx.id)

    def _hotline_json(self, data, status=200):
        return request.make_json_response(data, status=status)

    def _hotline_unauthorized(self):
        response = self._hotline_json({"ok": False, "error": "missing or wrong bearer token"}, status=401)
        response.headers["WWW-Authenticate"] = "Bearer"
        return response

    def _hotline_body(self):
        data = request.httprequest.get_data()
        try:
            return json.loads(data.decode("utf-8")) if data else None
        except (UnicodeDecodeError, ValueError):
            raise check.PayloadError("the body is not valid JSON") from None

    def _hotline_batch(self, key, process):
        """Authenticate, check and apply a batch: a malformed batch leaves nothing behind.

        The request's transaction is the batch's (no savepoint: two queries less on the screen pop's
        path): the processing checks every item before it writes, and a refused batch rolls back
        whatever was written anyway.
        """
        pbx = self._hotline_pbx()
        if not pbx:
            return self._hotline_unauthorized()
        name = pbx.sudo().name  # loaded with the token lookup; read before a rollback empties the cache
        try:
            items = check.batch(self._hotline_body(), key)
            processed, duplicates = process(pbx, items)
        except check.PayloadError as exc:
            request.env.cr.rollback()
            request.env.invalidate_all()
            _logger.info("PBX %s: refused a malformed %s batch: %s", name, key, exc)
            return self._hotline_json({"ok": False, "error": str(exc)}, status=400)
        return self._hotline_json({"ok": True, "processed": processed, "duplicates": duplicates})

    # ------------------------------------------------------------
    # the bridge
    # ------------------------------------------------------------

    @http.route(
        "/hotline/pbx/event", type="http", auth="none", methods=["POST"], csrf=False, save_session=False, readonly=False
    )
    def hotline_pbx_event(self, **_kwargs):
        return self._hotline_batch(
            "events", lambda pbx, items: pbx.env["hotline.call"]._hotline_process_events(pbx, items)
        )

    @http.route(
        "/hotline/pbx/cdr", type="http", auth="none", methods=["POST"], csrf=False, save_session=False, readonly=False
    )
    def hotline_pbx_cdr(self, **_kwargs):
        return self._hotline_batch(
            "cdrs", lambda pbx, items: pbx.env["hotline.call.cdr"]._hotline_process_payloads(pbx, items)
        )

    # ------------------------------------------------------------
    # the dialplan
    # ------------------------------------------------------------

    @http.route(
        "/hotline/pbx/route", type="http", auth="none", methods=["GET"], csrf=False, save_session=False, readonly=True
    )
    def hotline_pbx_route(self, caller=None, called=None, format=None, **_kwargs):  # noqa: A002
        """How to handle an incoming call: ``{action, priority, queue, record, announce_work_number,
        agent_extension}``; ``format=hash`` answers ``key=value&...`` for Asterisk's CURL with hashcompat."""
        pbx = self._hotline_pbx()
        if not pbx:
            return self._hotline_unauthorized()
        if caller is None:
            return self._hotline_json({"ok": False, "error": "missing parameter: caller"}, status=400)
        for name, value in (("caller", caller), ("called", called or "")):
            if not NUMBER_RE.match(value):
                return self._hotline_json({"ok": False, "error": f"parameter {name}: not a phone number"}, status=400)
        answer = pbx._hotline_route(caller.strip(), (called or "").strip())
        if format == "hash":
            flat = {key: int(value) if isinstance(value, bool) else value for key, value in answer.items()}
            return request.make_response(
                urlencode({key: "" if value is False else value for key, value in flat.items()}),
                [("Content-Type", "application/x-www-form-urlencoded")],
            )
        return self._hotline_json(answer)

    # ------------------------------------------------------------
    # recordings
    # ------------------------------------------------------------

    def _hotline_text(self, message, status):
        return request.make_response(message, [("Content-Type", "text/plain; charset=utf-8")], status=status)

    @http.route("/hotline/call/<int:call_id>/recording", type="http", auth="user", methods=["GET"])
    def hotline_call_recording(self, call_id, download=None, **_kwargs):
        """A call's recording, for users who may read the call and, when it has one, its case."""
        call = request.env["hotline.call"].browse(call_id).exists()
        if not call:
            return self._hotline_text(_("This call does not exist."), 404)
        try:
            call.check_access("read")
            if call.case_id:
                call.case_id.check_access("read")
        except (AccessError, MissingError):
            return self._hotline_text(_("You may not listen to the recording of this call."), 403)
        path = call.sudo()._hotline_recording_path()
        if not path:
            return self._hotline_text(_("The recording of this call is missing on the server."), 404)
        action = "recording_download" if download else "recording_play"
        request.env["hotline.audit.log"]._hotline_log(action, call.case_id or call)
        stat = os.stat(path)
        stream = http.Stream(
            type="path",
            path=path,
            mimetype=mimetypes.guess_type(path)[0] or "application/octet-stream",
            download_name=os.path.basename(path),
            etag=f"{int(stat.st_mtime)}-{stat.st_size}",
            last_modified=stat.st_mtime,
            size=stat.st_size,
        )
        return stream.get_response(as_attachment=bool(download))
