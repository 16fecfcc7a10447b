import re

from odoo import http
from odoo.exceptions import UserError
from odoo.http import request

from ..models.hotline_case import SURVEY_DIGITS

TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{8,128}$")
COMMENT_MAX = 1000


class HotlineSurveyController(http.Controller):
    """The return-visit survey page a citizen opens from the survey text: no login, one question."""

    @http.route("/hotline/survey/<string:token>", type="http", auth="public", methods=["GET"], sitemap=False)
    def hotline_survey(self, token, **kwargs):
        rating, case = self._hotline_survey_records(token)
        closed = self._hotline_survey_closed(rating, case)
        if closed:
            return self._hotline_render("hotline_notify.survey_closed", case, reason=closed)
        return self._hotline_render("hotline_notify.survey_page", case, token=token)

    @http.route("/hotline/survey/<string:token>/answer", type="http", auth="public", methods=["POST"], sitemap=False)
    def hotline_survey_answer(self, token, digit=None, comment=None, **kwargs):
        rating, case = self._hotline_survey_records(token)
        closed = self._hotline_survey_closed(rating, case)
        if closed:
            return self._hotline_render("hotline_notify.survey_closed", case, reason=closed)
        comment = (comment or "").strip()[:COMMENT_MAX]
        if digit not in SURVEY_DIGITS:
            return self._hotline_render("hotline_notify.survey_page", case, token=token, error=True, comment=comment)
        try:
            case._hotline_survey_answer(digit, channel="web", comment=comment or None, token=token)
        except UserError:
            return self._hotline_render("hotline_notify.survey_closed", case, reason="answered")
        return self._hotline_render("hotline_notify.survey_thanks", case, digit=digit)

    # ------------------------------------------------------------
    # HELPERS
    # ------------------------------------------------------------

    def _hotline_survey_records(self, token):
        """The rating request and the case of a token; anything else is a 404 (nothing about other cases)."""
        if not token or not TOKEN_RE.match(token):
            raise request.not_found()
        # sudo: the citizen has no account; the token alone grants the survey of its one case
        rating = (
            request.env["rating.rating"]
            .sudo()
            .search([("access_token", "=", token), ("res_model", "=", "hotline.case")], limit=1)
        )
        case = rating and request.env["hotline.case"].sudo().browse(rating.res_id).exists()
        if not case:
            raise request.not_found()
        return rating, case

    def _hotline_survey_closed(self, rating, case):
        """Why the survey cannot be answered any more ("answered" or "expired"), or False."""
        if rating.consumed or case.survey_state == "answered":
            return "answered"
        if case.state != "return_visit":
            return "expired"
        return False

    def _hotline_render(self, template, case, **values):
        lang = case.partner_id.lang or case.company_id.partner_id.lang
        if lang and request.env["res.lang"]._lang_get(lang):
            request.update_context(lang=lang)
        values.update({"case_name": case.name, "company_name": case.company_id.name})
        return request.render(template, values)
