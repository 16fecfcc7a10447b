from odoo import Command
from odoo.exceptions import AccessError
from odoo.tests import tagged

from .common import HotlineCaseCommon


@tagged("post_install", "-at_install")
class TestRegistrationPath(HotlineCaseCommon):
    """What a registration and an acceptance do on their short path: the case inserted with its time limit,
    routing and policies read from cached tables that follow every change of the configuration."""

    def test_a_new_case_is_inserted_with_its_time_limit(self):
        case = self._create_case(reported_at=self._utc(2031, 3, 3, 9, 0))
        self.assertEqual(case.sla_policy_id, self.policy)
        # 2 working hours from Monday 09:00 (Shanghai): 11:00
        self.assertEqual(case.deadline, self._utc(2031, 3, 3, 11, 0))
        self.assertEqual(case.warning_at, self._utc(2031, 3, 3, 10, 0))
        log = case.stage_log_ids
        self.assertEqual((log.state, log.date_in, log.date_out), ("new", case.stage_start, False))
        self.assertEqual(case.reporter_count, 1)
        self.assertEqual(case.acceptance_status, "not_processed")

    def test_the_registering_operator_does_not_follow_the_case(self):
        case = self._create_case()
        self.assertNotIn(self.operator.partner_id, case.message_partner_ids)
        self.assertEqual(case.message_ids.author_id, self.operator.partner_id, "the creation note is kept")

    def test_a_changed_rule_routes_the_next_case(self):
        rule = self.env["hotline.routing.rule"].create(
            {"name": "Leaks", "department_id": self.dept_roads.id, "category_ids": [Command.set(self.cat_water.ids)]}
        )
        self.assertEqual(self._create_case()._hotline_find_department(), self.dept_roads)
        rule.department_id = self.dept_gas
        self.assertEqual(self._create_case()._hotline_find_department(), self.dept_gas)
        rule.category_ids = [Command.set(self.cat_gas.ids)]
        self.assertEqual(self._create_case()._hotline_find_department(), self.dept_water, "category default")
        temporary = self.env["hotline.department"].create({"name": "Temporary (test)", "code": "T-TEMP"})
        rule.write({"category_ids": [Command.set(self.cat_water.ids)], "department_id": temporary.id})
        self.assertEqual(self._create_case()._hotline_find_department(), temporary)
        temporary.unlink()  # its rules go with it, in the database
        self.assertFalse(rule.exists())
        self.assertEqual(self._create_case()._hotline_find_department(), self.dept_water)

    def test_an_archived_category_does_not_widen_a_rule(self):
        category = self.env["hotline.category"].create({"name": "Old (test)", "code": "T-C-OLD"})
        self.env["hotline.routing.rule"].create(
            {"name": "Old", "department_id": self.dept_roads.id, "category_ids": [Command.set(category.ids)]}
        )
        category.active = False
        self.assertEqual(self._create_case()._hotline_find_department(), self.dept_water)

    def test_a_changed_policy_applies_to_the_next_case(self):
        urgent = self.env["hotline.sla.policy"].create(
            {"name": "Urgent gas", "sequence": 1, "category_ids": [Command.set(self.cat_gas.ids)], "accept_hours": 1}
        )
        self.assertEqual(self._create_case(category_id=self.cat_gas.id).sla_policy_id, urgent)
        self.assertEqual(self._create_case().sla_policy_id, self.policy)
        urgent.category_ids = [Command.set(self.cat_water.ids)]
        self.assertEqual(self._create_case().sla_policy_id, urgent)
        urgent.priority = "2"
        self.assertEqual(self._create_case().sla_policy_id, self.policy)
        self.assertEqual(self._create_case(priority="2").sla_policy_id, urgent)
        urgent.active = False
        self.assertEqual(self._create_case(priority="2").sla_policy_id, self.policy)

    def test_acceptance_closes_the_stage_and_opens_the_next(self):
        case = self._create_case()
        self._flush_tracking()
        self._accept(case)
        self._flush_tracking()
        new_log, accepted_log = case.stage_log_ids.sorted("id")
        self.assertTrue(new_log.date_out)
        self.assertEqual((accepted_log.state, accepted_log.date_out), ("accepted", False))
        self.assertEqual(accepted_log.department_id, self.dept_water)
        self.assertTrue(case.processing_number.startswith("BL-"))
        tracked = case.sudo().message_ids.tracking_value_ids.field_id.mapped("name")
        self.assertIn("state", tracked)
        self.assertIn("department_id", tracked)

    def test_the_caller_is_one_the_operator_may_read(self):
        other_company = self.env["res.company"].create({"name": "Other city (test)"})
        hidden = self.env["res.partner"].create(
            {"name": "Hidden (test)", "mobile": "17700003333", "company_id": other_company.id, "hotline_vip": True}
        )
        visible = self.env["res.partner"].create({"name": "Visible (test)", "mobile": "17700003333"})
        Partner = self.env["res.partner"]
        self.assertEqual(Partner._hotline_find_by_phone("17700003333"), hidden, "VIP first for whoever sees all")
        self.assertEqual(Partner.with_user(self.operator)._hotline_find_by_phone("17700003333"), visible)
        case = self._create_case(caller_phone="17700003333", caller_name=False)
        self.assertEqual(case.partner_id, visible)

    def test_an_extension_request_keeps_the_department_that_asked(self):
        case = self._accept(self._create_case())
        extension = case.sudo()._hotline_request_extension("等待配件", requested_hours=4)
        self.assertEqual(extension.department_id, self.dept_water)
        case.sudo().department_id = self.dept_gas  # before dispatch, the centre may still change it
        self.assertEqual(extension.department_id, self.dept_water)
        with self.assertRaises(AccessError):
            extension.with_user(self.supervisor).write({"department_id": self.dept_gas.id})
        with self.assertRaises(AccessError):
            extension.with_user(self.supervisor).write({"current_deadline": False})
        self.assertEqual(
            (extension.department_id, extension.current_deadline), (self.dept_water, case.deadline), "nothing changed"
        )
        passed = self.env["hotline.case.extension"].create(
            {"case_id": case.id, "reason": "等待配件", "requested_hours": 2, "department_id": self.dept_roads.id}
        )
        self.assertEqual(passed.department_id, self.dept_gas, "the case's department, not the one passed")
