from ast import literal_eval
from datetime import timedelta

from odoo import fields
from odoo.exceptions import AccessError
from odoo.tests import tagged

from odoo.addons.hotline_case.tests.common import HotlineCaseCommon

TEXT_SETTINGS = ("sms_registered", "sms_done", "sms_dispatch", "sms_supervision", "sms_callback_reminder")


class HotlineNotifyCommon(HotlineCaseCommon):
    """The case tests' reference data, every case text switched on, surveys by text."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        params = cls.env["ir.config_parameter"].sudo()
        for key in TEXT_SETTINGS:
            params.set_param(f"hotline_notify.{key}", "True")
        params.set_param("hotline_notify.survey_channel", "sms")
        params.set_param("hotline_notify.survey_tries", "3")
        params.set_param("hotline_notify.voice_retry_minutes", "10")
        cls.dept_water.duty_phone = "0791-86001234"
        # no real SMS gateway or IAP in tests: texts stay queued
        cls.env["sms.sms"].search([]).unlink()

    def _set_param(self, key, value):
        self.env["ir.config_parameter"].sudo().set_param(f"hotline_notify.{key}", value)

    def _texts(self, case, number=None):
        """The queued texts posted on ``case`` (optionally to a number ending with ``number``)."""
        texts = (
            self.env["sms.sms"]
            .sudo()
            .search(
                [("mail_message_id.model", "=", "hotline.case"), ("mail_message_id.res_id", "=", case.id)], order="id"
            )
        )
        if number:
            texts = texts.filtered(lambda sms: (sms.number or "").endswith(number))
        return texts


@tagged("post_install", "-at_install")
class TestCaseTexts(HotlineNotifyCommon):
    def test_registered_text_has_number_and_time_limit(self):
        case = self._create_case()
        texts = self._texts(case)
        self.assertEqual(len(texts), 1, "one text on registration")
        self.assertTrue(texts.number.endswith("17700002222"))
        self.assertIn(case.name, texts.body)
        self.assertTrue(case.notify_time_limit, "the test policy promises a time limit")
        self.assertIn(case.notify_time_limit, texts.body)
        self.assertEqual(texts.state, "outgoing", "queued for the SMS cron, not sent inline")
        message = texts.mail_message_id
        self.assertEqual(message.message_type, "sms", "shown in the chatter as an SMS")
        self.assertEqual(message.notification_ids.notification_type, "sms")

    def test_registered_text_switched_off(self):
        self._set_param("sms_registered", False)
        case = self._create_case()
        self.assertFalse(self._texts(case))

    def test_no_number_no_text(self):
        case = self._create_case(caller_phone=False, caller_name="李四")
        self.assertFalse(case.partner_id)
        self.assertFalse(self._texts(case))
        self.assertFalse(case.message_ids.filtered(lambda m: m.message_type == "sms"))

    def test_caller_partner_number_used(self):
        case = self._create_case(caller_phone=False, partner_id=self.caller.id)
        self.assertTrue(self._texts(case, "17700001111"), "the caller's mobile when the case has no phone")

    def test_anonymous_caller_still_gets_texts(self):
        case = self._create_case(anonymous=True, caller_phone="13912345678")
        self.assertEqual(len(self._texts(case, "13912345678")), 1)

    def test_dispatch_texts_the_duty_phone(self):
        case = self._create_case()
        self._dispatch(case)
        texts = self._texts(case, "86001234")
        self.assertEqual(len(texts), 1)
        self.assertIn(case.name, texts.body)
        self.assertIn(case.summary, texts.body)
        self.assertTrue(case.handle_deadline)
        self.assertIn(case.notify_time_limit, texts.body)
        self.assertIn("Time limit", texts.body)

    def test_dispatch_text_off_or_no_duty_phone(self):
        self._set_param("sms_dispatch", False)
        case = self._dispatch(self._create_case())
        self.assertFalse(self._texts(case, "86001234"))
        self._set_param("sms_dispatch", "True")
        other = self._create_case(category_id=self.cat_gas.id)
        self._dispatch(other)
        self.assertEqual(other.department_id, self.dept_gas)
        self.assertEqual(len(self._texts(other)), 1, "only the registration text: the gas department has no duty phone")

    def test_supervision_at_the_centre_texts_nobody(self):
        case = self._accept(self._create_case())
        self.assertEqual(case.department_id, self.dept_water, "found by routing, not yet dispatched")
        self.env["hotline.case.supervision"].with_user(self.supervisor).create(
            {"case_id": case.id, "level": "urge", "message": "请尽快分派"}
        )
        self.assertFalse(self._texts(case, "86001234"))

    def test_supervision_texts_level(self):
        case = self._to_in_progress(self._create_case())
        before = self._texts(case, "86001234")
        self.env["hotline.case.supervision"].with_user(self.supervisor).create(
            {"case_id": case.id, "level": "warn", "message": "请尽快处理"}
        )
        texts = self._texts(case, "86001234") - before
        self.assertEqual(len(texts), 1)
        self.assertIn(case.name, texts.body)
        self.assertIn("Warn", texts.body)

    def test_done_text_after_return_visit(self):
        case = self._to_return_visit(self._create_case())
        self._set_param("survey_channel", "none")
        case.with_user(self.operator).write({"satisfaction": "satisfied"})
        before = self._texts(case)
        case.with_user(self.operator).action_return_visit()
        self.assertEqual(case.state, "done")
        texts = self._texts(case) - before
        self.assertEqual(len(texts), 1)
        self.assertIn(case.name, texts.body)
        self.assertIn("done", texts.body)

    def test_done_text_on_direct_close_and_switched_off(self):
        case = self._create_case()
        case.with_user(self.operator).action_close_direct()
        self.assertEqual(len(self._texts(case)), 2, "registered + done")
        self._set_param("sms_done", False)
        other = self._create_case()
        other.with_user(self.operator).action_close_direct()
        self.assertEqual(len(self._texts(other)), 1, "registered only")

    def test_callback_reminder_text(self):
        case = self._create_case()
        remind_at = fields.Datetime.now().replace(microsecond=0) + timedelta(hours=2)
        self.env["hotline.reminder"].with_user(self.operator).create(
            {
                "name": "回电张三",
                "remind_at": remind_at,
                "record_ref": f"hotline.case,{case.id}",
                "hotline_callback": True,
            }
        )
        texts = self._texts(case).filtered(lambda sms: "call you back" in sms.body)
        self.assertEqual(len(texts), 1)
        self.assertIn(case._hotline_format_time(remind_at), texts.body)
        # a plain reminder is the operator's own business: no text
        self.env["hotline.reminder"].with_user(self.operator).create(
            {"name": "查一下", "remind_at": remind_at, "record_ref": f"hotline.case,{case.id}"}
        )
        self.assertEqual(len(self._texts(case).filtered(lambda sms: "call you back" in sms.body)), 1)

    def test_email_case_gets_an_email_not_a_text(self):
        citizen = self.env["res.partner"].create({"name": "王芳", "email": "wangfang@example.com"})
        case = self._create_case(caller_phone=False, partner_id=citizen.id, source="leader_mailbox")
        self.assertEqual(case.channel, "email")
        self.assertFalse(self._texts(case))
        message = case.message_ids.filtered(lambda m: citizen in m.partner_ids and case.name in (m.body or ""))
        self.assertEqual(len(message), 1, "the registration text went out as an e-mail to the citizen")

    def test_direct_state_write_still_refused(self):
        case = self._create_case()
        with self.assertRaises(AccessError):
            case.with_user(self.supervisor).write({"state": "done"})
        self.assertEqual(case.state, "new")

    def test_templates_are_editable_case_texts(self):
        action = self.env["ir.actions.act_window"]._for_xml_id("hotline_notify.sms_template_action_hotline")
        templates = self.env["sms.template"].search(literal_eval(action["domain"]))
        self.assertGreaterEqual(len(templates), 6)
        template = self.env.ref("hotline_notify.sms_template_case_registered")
        template.body = "12319: {{ object.name }} 已登记"
        case = self._create_case()
        self.assertEqual(self._texts(case).body, f"12319: {case.name} 已登记")
