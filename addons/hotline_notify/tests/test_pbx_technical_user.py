import json
from unittest.mock import patch

from odoo.tests import HttpCase, tagged

from odoo.addons.hotline_notify.models.hotline_case import HotlineCase

from .test_survey import HotlineSurveyCommon


@tagged("post_install", "-at_install")
class TestPbxEndpointsUser(HotlineSurveyCommon, HttpCase):
    """/hotline/pbx/notice and /hotline/pbx/survey: the token first, then the PBX's technical user."""

    TOKEN = "notify-technical-user-token-0123456789"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        pbx_model = cls.env["hotline.pbx"]  # pylint: disable=unsubscriptable-object
        pbx_model.search([]).write({"active": False})
        cls.pbx = pbx_model.create({"name": "测试 PBX", "bridge_url": "http://127.0.0.1:9", "token": cls.TOKEN})
        cls.bridge_user = cls.env.ref("hotline_telephony.user_pbx_bridge")

    def setUp(self):
        super().setUp()
        self._set_param("survey_channel", "ivr")
        self._patch_bridge()
        self.seen = []
        for method in ("_hotline_survey_call_result", "_hotline_survey_answer"):
            original = getattr(HotlineCase, method)

            def spy(records, *args, _original=original, **kwargs):
                self.seen.append((records.env.uid, records.env.su))
                return _original(records, *args, **kwargs)

            self.startPatcher(patch.object(HotlineCase, method, spy))

    def _post(self, path, body, token):
        self.env.flush_all()
        headers = {"Content-Type": "application/json"}
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        response = self.url_open(path, data=json.dumps(body), headers=headers)
        self.env.invalidate_all()
        return response

    def test_wrong_token_touches_nothing(self):
        case = self._to_return_visit(self._create_case())
        self.env["hotline.case"]._cron_hotline_survey_calls()
        before = (case.survey_state, case.survey_call_pending, case.state, len(case.message_ids))
        for token in (None, "", "wrong", self.TOKEN[:-1]):
            notice = self._post("/hotline/pbx/notice", {"reference": f"survey-{case.id}", "status": "ANSWER"}, token)
            self.assertEqual(notice.status_code, 401, token)
            survey = self._post("/hotline/pbx/survey", {"case": case.name, "digit": "1"}, token)
            self.assertEqual(survey.status_code, 401, token)
        self.assertEqual(self.seen, [], "no case method ran behind a wrong token")
        self.assertEqual((case.survey_state, case.survey_call_pending, case.state, len(case.message_ids)), before)

    def test_results_are_applied_as_the_technical_user(self):
        case = self._to_return_visit(self._create_case())
        self.env["hotline.case"]._cron_hotline_survey_calls()
        notice = self._post("/hotline/pbx/notice", {"reference": f"survey-{case.id}", "status": "ANSWER"}, self.TOKEN)
        self.assertEqual(notice.status_code, 200, notice.text)
        survey = self._post("/hotline/pbx/survey", {"case": case.name, "digit": "1"}, self.TOKEN)
        self.assertEqual(survey.status_code, 200, survey.text)
        self.assertEqual(self.seen, [(self.bridge_user.id, False)] * 2)
        self.assertEqual(case.survey_state, "answered")
