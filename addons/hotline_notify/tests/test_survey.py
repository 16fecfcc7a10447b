import json
import re
from unittest.mock import patch

from odoo.exceptions import AccessError, UserError
from odoo.tests import HttpCase, tagged

from odoo.addons.hotline_notify.models.hotline_voice_notice import HotlineVoiceNotice
from odoo.addons.hotline_telephony.models.hotline_pbx import HotlinePbx

from .test_case_texts import HotlineNotifyCommon

SOUND = "/var/lib/asterisk/sounds/hotline-notify/survey_question"


class HotlineSurveyCommon(HotlineNotifyCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.public_user = cls.env.ref("base.public_user")

    def _patch_bridge(self):
        """Record the bridge requests instead of calling the bridge; a fixed WAV instead of the TTS."""
        self.requests = []

        def bridge(pbx, method, path, payload=None, accept_errors=()):
            self.requests.append((pbx, method, path, payload))
            return {"ok": True}

        self.startPatcher(patch.object(HotlinePbx, "_hotline_bridge_request", autospec=True, side_effect=bridge))
        self.startPatcher(patch.object(HotlineVoiceNotice, "_hotline_shared_sound", autospec=True, return_value=SOUND))

    def _pending_rating(self, case):
        return self.env["rating.rating"].search(
            [("res_model", "=", "hotline.case"), ("res_id", "=", case.id), ("consumed", "=", False)]
        )


@tagged("post_install", "-at_install")
class TestSurvey(HotlineSurveyCommon):
    def test_survey_bookkeeping_changes_only_through_the_survey(self):
        case = self._to_return_visit(self._create_case())
        for vals in ({"survey_state": "answered"}, {"survey_tries": 9}, {"survey_call_pending": True}):
            for user in (self.operator, self.supervisor):
                with self.subTest(vals=vals, user=user.login), self.assertRaises(AccessError):
                    case.with_user(user).write(vals)
        with self.assertRaises(AccessError):
            self._create_case(user=self.operator, survey_state="answered")
        self.assertEqual((case.survey_state, case.survey_tries), ("sent", 0), "nothing changed")
        self.assertTrue(self._create_case(user=self.operator, survey_state="none"), "the default is no change")

    def test_survey_text_with_link_on_return_visit(self):
        case = self._to_return_visit(self._create_case())
        self.assertEqual(case.state, "return_visit")
        self.assertEqual(case.survey_state, "sent")
        rating = self._pending_rating(case)
        self.assertEqual(len(rating), 1, "a rating request carries the page's token")
        self.assertTrue(case.survey_url.endswith(f"/hotline/survey/{rating.access_token}"))
        texts = self._texts(case).filtered(lambda sms: "/hotline/survey/" in sms.body)
        self.assertEqual(len(texts), 1)
        self.assertTrue(texts.number.endswith("17700002222"))
        self.assertIn(case.survey_url, texts.body)
        self.assertIn(case.name, texts.body)

    def test_no_survey_when_switched_off(self):
        self._set_param("survey_channel", "none")
        case = self._to_return_visit(self._create_case())
        self.assertEqual(case.survey_state, "none")
        self.assertFalse(self._texts(case).filtered(lambda sms: "/hotline/survey/" in sms.body))

    def test_no_number_no_survey(self):
        case = self._to_return_visit(self._create_case(caller_phone=False))
        self.assertEqual(case.survey_state, "none", "left to the operators' return visit")

    def test_answer_satisfied_closes_the_case(self):
        case = self._to_return_visit(self._create_case())
        case.with_user(self.public_user)._hotline_survey_answer("2", channel="ivr")
        self.assertEqual(case.state, "done")
        self.assertEqual(case.satisfaction, "relatively_satisfied")
        self.assertEqual(case.survey_state, "answered")
        self.assertIn("survey call", case.return_visit_note)
        rating = case.rating_ids.filtered("consumed")
        self.assertEqual(rating.rating, 4)
        self.assertTrue(self._texts(case).filtered(lambda sms: "is done" in sms.body), "the done text follows")

    def test_unsatisfied_reopens_to_the_department(self):
        case = self._to_return_visit(self._create_case())
        case.with_user(self.public_user)._hotline_survey_answer("4", channel="sms", comment="根本没修好")
        self.assertEqual(case.state, "in_progress")
        self.assertEqual(case.department_id, self.dept_water)
        self.assertEqual(case.rating_ids.filtered("consumed").rating, 1)
        self.assertIn("根本没修好", case.rating_ids.filtered("consumed").feedback)
        self.assertTrue(case.message_ids.filtered(lambda m: "not satisfied" in (m.body or "")))

    def test_answer_twice_or_badly_refused(self):
        case = self._to_return_visit(self._create_case())
        with self.assertRaisesRegex(UserError, "1 to 4"):
            case.with_user(self.public_user)._hotline_survey_answer("7", channel="ivr")
        self.assertEqual(case.state, "return_visit")
        case.with_user(self.public_user)._hotline_survey_answer("1", channel="ivr")
        with self.assertRaisesRegex(UserError, "already been recorded"):
            case.with_user(self.public_user)._hotline_survey_answer("4", channel="ivr")
        self.assertEqual(case.state, "done")
        self.assertEqual(case.satisfaction, "satisfied")

    def test_operators_can_still_record_the_return_visit(self):
        case = self._to_return_visit(self._create_case())
        case.with_user(self.operator).write({"satisfaction": "general"})
        case.with_user(self.operator).action_return_visit()
        self.assertEqual(case.state, "done")
        with self.assertRaisesRegex(UserError, "already been recorded"):
            case.with_user(self.public_user)._hotline_survey_answer("1", channel="sms")


@tagged("post_install", "-at_install")
class TestSurveyCall(HotlineSurveyCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["hotline.pbx"].search([]).write({"active": False})
        cls.pbx = cls.env["hotline.pbx"].create({"name": "测试 PBX", "bridge_url": "http://127.0.0.1:9"})

    def setUp(self):
        super().setUp()
        self._set_param("survey_channel", "ivr")
        self._set_param("voice_retry_minutes", "0")
        self._patch_bridge()

    def _verified(self, **values):
        """A case just verified, and the survey cron run once (it places the first call)."""
        case = self._to_return_visit(self._create_case(**values))
        self.assertFalse(self.requests, "no call from inside the verification's transaction")
        self.env["hotline.case"]._cron_hotline_survey_calls()
        return case

    def test_survey_call_payload(self):
        case = self._verified()
        self.assertEqual(len(self.requests), 1)
        pbx, method, path, payload = self.requests[0]
        self.assertEqual((pbx, method, path), (self.pbx, "POST", "/notice"))
        self.assertEqual(
            payload,
            {
                "number": "017700002222",  # the trunk prefix, as agents dial
                "sound": SOUND,
                "reference": f"survey-{case.id}",
                "kind": "survey",
                "case": case.name,
            },
        )
        self.assertEqual(case.survey_state, "sent")
        self.assertEqual(case.survey_tries, 1)
        self.assertFalse(case.survey_retry)
        self.assertFalse(self._texts(case).filtered(lambda sms: "/hotline/survey/" in sms.body), "no text: IVR only")

    def test_dtmf_answer(self):
        case = self._verified()
        case._hotline_survey_call_result("ANSWER")
        self.assertFalse(case.survey_retry, "an answered call is not repeated")
        case.with_user(self.public_user)._hotline_survey_answer("3", channel="ivr")
        self.assertEqual(case.state, "done")
        self.assertEqual(case.satisfaction, "general")
        self.assertEqual(case.rating_ids.filtered("consumed").rating, 3)
        self.assertFalse(case._hotline_survey_call_result("NOANSWER"), "a late outcome changes nothing")

    def test_unanswered_calls_are_retried_then_left_to_operators(self):
        case = self._verified()
        Case = self.env["hotline.case"]
        for attempt in (1, 2):
            case._hotline_survey_call_result("NOANSWER")
            self.assertTrue(case.survey_retry)
            self.assertEqual(case.survey_tries, attempt)
            Case._cron_hotline_survey_calls()
            self.assertEqual(case.survey_tries, attempt + 1)
            self.assertEqual(len(self.requests), attempt + 1)
        case._hotline_survey_call_result("BUSY")
        self.assertFalse(case._hotline_survey_call_result("BUSY"), "a repeated report is ignored")
        self.assertFalse(case.survey_retry, "3 tries: no more calls")
        self.assertEqual(case.survey_state, "no_answer")
        self.assertEqual(case.state, "return_visit", "still on the operators' return-visit list")
        call_activity = self.env.ref("mail.mail_activity_data_call")
        self.assertEqual(len(case.activity_ids.filtered(lambda a: a.activity_type_id == call_activity)), 1)
        Case._cron_hotline_survey_calls()
        self.assertEqual(len(self.requests), 3)

    def test_retry_waits_for_the_pause(self):
        self._set_param("voice_retry_minutes", "10")
        case = self._verified()
        case._hotline_survey_call_result("CONGESTION")
        self.env["hotline.case"]._cron_hotline_survey_calls()
        self.assertEqual(len(self.requests), 1, "not again within 10 minutes")
        self.assertTrue(case.survey_retry)

    def test_no_pbx_leaves_it_to_operators(self):
        self.pbx.active = False
        case = self._verified()
        self.assertFalse(self.requests)
        self.assertEqual(case.survey_state, "no_answer")
        self.assertFalse(case.survey_retry)
        self.assertTrue(case.activity_ids)

    def test_text_and_call(self):
        self._set_param("survey_channel", "both")
        case = self._verified()
        self.assertEqual(len(self.requests), 1)
        self.assertTrue(self._texts(case).filtered(lambda sms: "/hotline/survey/" in sms.body))
        Case = self.env["hotline.case"]
        for _attempt in range(3):
            case._hotline_survey_call_result("NOANSWER")
            Case._cron_hotline_survey_calls()
        self.assertEqual(len(self.requests), 3)
        self.assertEqual(case.survey_state, "sent", "the text's link may still be answered")


@tagged("post_install", "-at_install")
class TestSurveyPage(HotlineSurveyCommon, HttpCase):
    def _token(self, case):
        return self._pending_rating(case).access_token

    def test_survey_page_tour(self):
        case = self._to_return_visit(self._create_case())
        other = self._to_return_visit(self._create_case(caller_phone="13600001111"))
        self.start_tour(f"/hotline/survey/{self._token(case)}", "hotline_notify_survey_tour")
        self.assertEqual(case.state, "done")
        self.assertEqual(case.satisfaction, "satisfied")
        self.assertEqual(case.survey_state, "answered")
        self.assertIn("水管已经修好了", case.rating_ids.filtered("consumed").feedback)
        self.assertEqual(other.state, "return_visit", "the other case is untouched")
        self.assertEqual(other.survey_state, "sent")

    def test_page_states(self):
        case = self._to_return_visit(self._create_case())
        token = self._token(case)
        page = self.url_open(f"/hotline/survey/{token}")
        self.assertEqual(page.status_code, 200)
        self.assertIn(case.name, page.text)
        self.assertEqual(len(re.findall(r'name="digit"', page.text)), 4)
        case.with_user(self.public_user)._hotline_survey_answer("1", channel="sms")
        page = self.url_open(f"/hotline/survey/{token}")
        self.assertEqual(page.status_code, 200)
        self.assertIn("already been answered", page.text)
        self.assertNotIn('name="digit"', page.text)

    def test_expired_and_wrong_token(self):
        case = self._create_case()
        token = case._hotline_survey_token()
        page = self.url_open(f"/hotline/survey/{token}")
        self.assertIn("This survey is closed", page.text, "a case not in return visit cannot be answered")
        self.assertEqual(self.url_open("/hotline/survey/not-a-real-token-123").status_code, 404)
        self.assertEqual(self.url_open("/hotline/survey/x'%20OR%201=1").status_code, 404)


@tagged("post_install", "-at_install")
class TestSurveyDialplan(HotlineSurveyCommon, HttpCase):
    """The IVR path end to end: the dialplan's reports through helper B1's PBX endpoints."""

    TOKEN = "survey-dialplan-token-0123456789abcdef"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # pylint cannot follow env through the HttpCase mixin: it is an Environment here
        pbx_model = cls.env["hotline.pbx"]  # pylint: disable=unsubscriptable-object
        pbx_model.search([]).write({"active": False})
        cls.pbx = pbx_model.create({"name": "测试 PBX", "bridge_url": "http://127.0.0.1:9", "token": cls.TOKEN})

    def setUp(self):
        super().setUp()
        self._set_param("survey_channel", "ivr")
        self._set_param("voice_retry_minutes", "0")
        self._patch_bridge()

    def _post(self, path, body):
        self.env.flush_all()
        response = self.url_open(
            path,
            data=json.dumps(body),
            headers={"Content-Type": "application/json", "Authorization": f"Bearer {self.TOKEN}"},
        )
        self.env.invalidate_all()
        return response

    def test_dtmf_unsatisfied_through_the_endpoints(self):
        case = self._to_return_visit(self._create_case())
        self.env["hotline.case"]._cron_hotline_survey_calls()
        self.assertEqual(len(self.requests), 1)
        response = self._post("/hotline/pbx/notice", {"reference": f"survey-{case.id}", "status": "NOANSWER"})
        self.assertEqual(response.status_code, 200)
        self.assertTrue(case.survey_retry, "the unanswered call is tried again")
        self.env["hotline.case"]._cron_hotline_survey_calls()
        self.assertEqual(case.survey_tries, 2)
        self.assertEqual(
            self._post("/hotline/pbx/notice", {"reference": f"survey-{case.id}", "status": "ANSWER"}).status_code, 200
        )
        response = self._post("/hotline/pbx/survey", {"case": case.name, "digit": "4"})
        self.assertEqual(response.status_code, 200, response.text)
        self.assertEqual(case.state, "in_progress", "unsatisfied: back to the department")
        self.assertEqual(case.survey_state, "answered")
        self.assertEqual(case.rating_ids.filtered("consumed").rating, 1)
        again = self._post("/hotline/pbx/survey", {"case": case.name, "digit": "1"})
        self.assertEqual(again.status_code, 409, "answering twice is refused")
        self.assertIn("already been recorded", again.json()["error"])
        self.assertEqual(case.state, "in_progress")
