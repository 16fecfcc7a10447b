from datetime import timedelta

from odoo import fields
from odoo.tests import tagged

from .common import HotlineCaseCommon

ANSWER = "hotline_case.mail_act_supervision_answer"
DECISION = "hotline_case.mail_act_extension_decision"


@tagged("post_install", "-at_install")
class TestActivities(HotlineCaseCommon):
    """Who must act on a supervision or an extension request has an activity until they act."""

    def _activities(self, record, xmlid):
        return self.env["mail.activity"].search(
            [
                ("res_model", "=", record._name),
                ("res_id", "=", record.id),
                ("activity_type_id", "=", self.env.ref(xmlid).id),
            ]
        )

    def _supervise(self, case, **values):
        vals = {"case_id": case.id, "level": "warn", "message": "请尽快处理"}
        vals.update(values)
        return self.env["hotline.case.supervision"].with_user(self.supervisor).create(vals)

    def test_supervision_answer_by_is_an_activity_of_the_handlers(self):
        case = self._to_in_progress(self._create_case())
        answer_by = fields.Datetime.now() + timedelta(days=2)
        supervision = self._supervise(case, deadline=answer_by)
        activities = self._activities(supervision, ANSWER)
        self.assertEqual(activities.user_id, self.staff_water, "the handling department's staff must answer")
        self.assertEqual(activities.date_deadline, fields.Date.context_today(supervision, answer_by))
        supervision.with_user(self.staff_water).sudo()._hotline_answer("已派人处理")
        self.assertFalse(self._activities(supervision, ANSWER), "answered: the activity is done")
        done = supervision.message_ids.filtered(lambda m: m.mail_activity_type_id == self.env.ref(ANSWER))
        self.assertTrue(done, "marked done as Odoo does (a message with the activity type)")
        self.assertIn("已派人处理", done.body)

    def test_supervision_before_dispatch_is_the_supervisors_activity(self):
        case = self._accept(self._create_case())
        supervision = self._supervise(case)
        activities = self._activities(supervision, ANSWER)
        self.assertEqual(activities.user_id, self.supervisor, "the supervisor who accepted it handles it now")
        # the activity menu of the internal user who must act lists it
        groups = self.env["res.users"].with_user(self.supervisor)._get_activity_groups()
        self.assertIn("hotline.case.supervision", [group.get("model") for group in groups])

    def test_closed_supervision_and_voided_case_remove_the_activities(self):
        case = self._to_in_progress(self._create_case())
        supervision = self._supervise(case)
        supervision.with_user(self.supervisor).action_close()
        self.assertFalse(self._activities(supervision, ANSWER))
        supervision.with_user(self.supervisor).action_reopen()
        self.assertEqual(self._activities(supervision, ANSWER).user_id, self.staff_water, "reopened: to answer again")
        case.with_user(self.supervisor).write({"cancel_reason": "重复登记"})
        case.with_user(self.supervisor).action_cancel()
        self.assertEqual(supervision.state, "closed")
        self.assertFalse(self._activities(supervision, ANSWER))

    def test_transferred_case_moves_the_activity(self):
        case = self._to_in_progress(self._create_case())
        supervision = self._supervise(case)
        case.with_user(self.supervisor)._hotline_transfer(self.dept_gas, "属燃气管线")
        self.assertEqual(self._activities(supervision, ANSWER).user_id, self.staff_gas)

    def test_extension_request_is_the_supervisors_activity(self):
        case = self._to_in_progress(self._create_case())
        extension = case.with_user(self.staff_water).sudo()._hotline_request_extension("等待配件", requested_hours=4)
        activities = self._activities(extension, DECISION)
        self.assertEqual(activities.user_id, self.supervisor, "who accepted the case decides")
        extension.with_user(self.supervisor).action_approve()
        self.assertFalse(self._activities(extension, DECISION))
        self.assertTrue(extension.message_ids.filtered(lambda m: m.mail_activity_type_id == self.env.ref(DECISION)))

    def test_refused_extension_removes_the_activity(self):
        case = self._to_in_progress(self._create_case())
        extension = case.with_user(self.staff_water).sudo()._hotline_request_extension("再延期", requested_hours=4)
        self.assertTrue(self._activities(extension, DECISION))
        extension.with_user(self.supervisor).action_refuse()
        self.assertEqual(extension.state, "refused")
        self.assertFalse(self._activities(extension, DECISION))
