import json

from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged

from .common import HotlineCaseCommon


@tagged("post_install", "-at_install")
class TestSupervision(HotlineCaseCommon):
    def _supervise(self, case, user=None, **values):
        vals = {"case_id": case.id, "level": "urge", "message": "请今天内处理完毕"}
        vals.update(values)
        return self.env["hotline.case.supervision"].with_user(user or self.supervisor).create(vals)

    def _bus_partner_ids(self):
        """The partners who got a live "hotline/supervision" notification."""
        self.env.cr.precommit.run()  # the bus sends on commit
        notifications = self.env["bus.bus"].sudo().search([("message", "ilike", "hotline/supervision")])
        channels = [json.loads(channel) for channel in notifications.mapped("channel")]
        return {channel[2] for channel in channels if channel[1] == "res.partner"}

    def test_supervision_marks_and_notifies(self):
        case = self._to_in_progress(self._create_case())
        self.env["bus.bus"].search([]).unlink()
        supervision = self._supervise(case, level="red")
        self.assertTrue(case.is_supervised)
        self.assertEqual(case.supervision_level, "red")
        self.assertEqual(supervision.department_id, self.dept_water)
        self.assertEqual(supervision.user_id, self.supervisor)
        self.assertEqual(case.supervision_count, 1)
        message = case.message_ids.filtered(lambda m: "请今天内处理完毕" in (m.body or ""))
        self.assertIn(self.staff_water.partner_id, message.partner_ids, "department staff get the e-mail")
        self.assertEqual(message.message_type, "comment")
        self.assertIn(self.staff_water.partner_id.id, self._bus_partner_ids(), "live notification")

    def test_supervision_before_dispatch_goes_to_the_centre(self):
        case = self._accept(self._create_case())
        self.env["bus.bus"].search([]).unlink()
        self._supervise(case)
        self.assertIn(self.supervisor.partner_id.id, self._bus_partner_ids())

    def test_answer_and_close(self):
        case = self._to_in_progress(self._create_case())
        supervision = self._supervise(case)
        with self.assertRaisesRegex(UserError, "answer"):
            supervision.with_user(self.staff_water).sudo().action_answer()
        supervision.with_user(self.staff_water).sudo()._hotline_answer("已安排抢修队，今晚完成")
        self.assertEqual(supervision.state, "answered")
        self.assertEqual(supervision.answered_by_id, self.staff_water)
        self.assertFalse(case.is_supervised, "an answered supervision no longer marks the case")
        self.assertTrue(case.message_ids.filtered(lambda m: "今晚完成" in (m.body or "")))
        with self.assertRaisesRegex(UserError, "Only an open supervision"):
            supervision.with_user(self.staff_water).sudo()._hotline_answer("again")
        supervision.with_user(self.supervisor).action_close()
        self.assertEqual(supervision.state, "closed")

    def test_only_supervisors_supervise(self):
        case = self._to_in_progress(self._create_case())
        with self.assertRaisesRegex(UserError, "supervisors"):
            self._supervise(case, user=self.operator)
        self.assertFalse(case.is_supervised)
        self._supervise(case, user=self.manager, level="warn")
        self.assertEqual(case.supervision_level, "warn")

    def test_closed_cases_cannot_be_supervised(self):
        case = self._create_case()
        case.with_user(self.operator).action_close_direct()
        with self.assertRaisesRegex(UserError, "closed"):
            self._supervise(case)

    def test_department_staff_read_their_supervisions_only(self):
        water_case = self._to_in_progress(self._create_case())
        gas_case = self._dispatch(self._create_case(category_id=self.cat_gas.id))
        water_supervision = self._supervise(water_case)
        gas_supervision = self._supervise(gas_case)
        Supervision = self.env["hotline.case.supervision"].with_user(self.staff_water)
        self.assertEqual(Supervision.search([]), water_supervision)
        with self.assertRaises(AccessError):
            gas_supervision.with_user(self.staff_water).read(["message"])

    def test_voiding_closes_open_supervisions(self):
        case = self._to_in_progress(self._create_case())
        supervision = self._supervise(case)
        case.with_user(self.supervisor)._hotline_cancel("撤销")
        self.assertEqual(supervision.state, "closed")
        self.assertFalse(case.is_supervised)
