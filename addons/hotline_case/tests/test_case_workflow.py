from freezegun import freeze_time

from odoo.exceptions import AccessError, UserError
from odoo.tests import Form, tagged

from .common import HotlineCaseCommon


@tagged("post_install", "-at_install")
class TestCaseWorkflow(HotlineCaseCommon):
    def test_registration_defaults(self):
        case = self._create_case()
        self.assertRegex(case.name, r"^12319-\d{4}-\d{6}$")
        self.assertEqual(case.state, "new")
        self.assertEqual(case.acceptance_status, "not_processed")
        self.assertEqual(case.user_id, self.operator)
        self.assertEqual(case.source, "hotline")
        self.assertEqual(case.priority, "0")
        self.assertTrue(case.reported_at)
        self.assertEqual(case.stage_log_ids.mapped("state"), ["new"])
        self.assertFalse(case.stage_log_ids.date_out)
        other = self._create_case()
        self.assertNotEqual(case.name, other.name)

    def test_full_lifecycle(self):
        case = self._create_case()
        self._accept(case)
        self.assertEqual(case.state, "accepted")
        self.assertEqual(case.acceptance_status, "processing")
        self.assertEqual(case.accept_user_id, self.supervisor)
        self.assertRegex(case.processing_number, r"^BL-\d{4}-\d{5}$")
        self.assertEqual(case.department_id, self.dept_water, "the category's default department")

        case.with_user(self.supervisor).action_dispatch()
        self.assertEqual(case.state, "assigned")
        self.assertTrue(case.dispatched_at)
        self.assertIn(self.staff_water.partner_id, case.message_partner_ids, "department staff follow the case")
        dispatch_message = case.message_ids.filtered(lambda m: self.staff_water.partner_id in m.partner_ids)
        self.assertTrue(dispatch_message, "department staff are notified of the dispatch")

        case.with_user(self.staff_water).sudo().action_start()
        self.assertEqual(case.state, "in_progress")
        self.assertTrue(case.started_at)

        case.with_user(self.staff_water).sudo()._hotline_submit_feedback("已修复", [("photo.txt", b"fixed")])
        self.assertEqual(case.state, "feedback")
        self.assertEqual(case.acceptance_status, "verification")
        self.assertEqual(case.resolution_type, "handled")
        self.assertTrue(case.resolved_at)
        self.assertEqual(case.feedback_attachment_ids.mapped("name"), ["photo.txt"])
        self.assertEqual(case.feedback_attachment_ids.res_model, "hotline.case")
        self.assertEqual(case.feedback_attachment_ids.res_id, case.id)

        case.with_user(self.supervisor).action_verify()
        self.assertEqual(case.state, "return_visit")
        self.assertEqual(case.verify_user_id, self.supervisor)

        case.with_user(self.operator).write({"satisfaction": "satisfied", "return_visit_note": "很满意"})
        case.with_user(self.operator).action_return_visit()
        self.assertEqual(case.state, "done")
        self.assertEqual(case.acceptance_status, "completed")
        self.assertEqual(case.return_visit_user_id, self.operator)
        self.assertTrue(case.closed_at)
        self.assertEqual(
            case.stage_log_ids.mapped("state"),
            ["new", "accepted", "assigned", "in_progress", "feedback", "return_visit", "done"],
        )

    def test_state_changes_are_tracked_in_the_chatter(self):
        case = self._create_case()
        self._flush_tracking()
        self._accept(case)
        self._flush_tracking()
        tracked = case.sudo().message_ids.tracking_value_ids.filtered(lambda t: t.field_id.name == "state")
        self.assertTrue(tracked)
        self.assertEqual(tracked[0].new_value_char, "Accepted")

    def test_accept_needs_the_classification(self):
        case = self._create_case(category_id=False, service_type_id=False)
        with self.assertRaisesRegex(UserError, "Service Type") as error:
            self._accept(case)
        self.assertIn("Category", str(error.exception))
        self.assertEqual(case.state, "new")

    def test_operator_cannot_accept_or_dispatch(self):
        case = self._create_case()
        with self.assertRaisesRegex(UserError, "not allowed"):
            case.with_user(self.operator).action_accept()
        self._accept(case)
        with self.assertRaisesRegex(UserError, "not allowed"):
            case.with_user(self.operator).action_dispatch()

    def test_wrong_state_is_refused(self):
        case = self._create_case()
        for method in (
            "action_dispatch",
            "action_start",
            "action_return_to_center",
            "action_submit_feedback",
            "action_verify",
            "action_reject_feedback",
            "action_return_visit",
            "action_reopen",
        ):
            with self.subTest(method=method), self.assertRaisesRegex(UserError, "it is New"):
                getattr(case.with_user(self.supervisor), method)()
        self._accept(case)
        for method in ("action_accept", "action_close_direct", "action_start", "action_verify"):
            with self.subTest(method=method), self.assertRaisesRegex(UserError, "it is Accepted"):
                getattr(case.with_user(self.supervisor), method)()
        self.assertEqual(case.state, "accepted")

    def test_close_direct(self):
        case = self._create_case(service_type_id=self.type_consult.id)
        case.with_user(self.operator).action_close_direct()
        self.assertEqual(case.state, "done")
        self.assertEqual(case.resolution_type, "direct")
        self.assertEqual(case.acceptance_status, "completed")
        self.assertFalse(case.deadline)
        missing = self._create_case(category_id=False)
        with self.assertRaisesRegex(UserError, "Category"):
            missing.with_user(self.operator).action_close_direct()

    def test_cancel_needs_a_reason(self):
        case = self._create_case()
        with self.assertRaisesRegex(UserError, "Void Reason"):
            case.with_user(self.operator).action_cancel()
        wizard = (
            self.env["hotline.case.cancel"]
            .with_user(self.operator)
            .create({"case_ids": [(6, 0, case.ids)], "reason": "骚扰电话"})
        )
        wizard.action_confirm()
        self.assertEqual(case.state, "cancel")
        self.assertEqual(case.acceptance_status, "voided")
        self.assertEqual(case.cancel_reason, "骚扰电话")
        with self.assertRaisesRegex(UserError, "it is Voided"):
            case.with_user(self.supervisor)._hotline_cancel("again")

    def test_only_supervisors_void_cases_being_processed(self):
        case = self._accept(self._create_case())
        with self.assertRaisesRegex(UserError, "not allowed"):
            case.with_user(self.operator)._hotline_cancel("wrong")
        case.with_user(self.supervisor)._hotline_cancel("duplicate call")
        self.assertEqual(case.state, "cancel")

    def test_leader_path(self):
        case = self._create_case(processing_method="leader", leader_user_id=self.manager.id)
        self._accept(case)
        self.assertRegex(case.processing_number, r"^PS-")
        self.assertIn(self.manager, case.activity_ids.user_id, "the leader gets a to-do")
        with self.assertRaisesRegex(UserError, "Leader Decision"):
            case.with_user(self.supervisor).action_dispatch()
        case.with_user(self.manager).write({"leader_instruction": "请尽快处理", "leader_decision": "approve"})
        case.with_user(self.supervisor).action_dispatch()
        self.assertEqual(case.state, "assigned")

    def test_processing_numbers_per_method(self):
        handle = self._accept(self._create_case(processing_method="handle"))
        transfer = self._accept(self._create_case(processing_method="transfer"))
        self.assertRegex(handle.processing_number, r"^BL-")
        self.assertRegex(transfer.processing_number, r"^ZB-")

    def test_dispatch_needs_a_department(self):
        case = self._accept(self._create_case(category_id=self.cat_other.id))
        self.assertFalse(case.department_id)
        with self.assertRaisesRegex(UserError, "Handling Department"):
            case.with_user(self.supervisor).action_dispatch()
        case.with_user(self.supervisor).write(
            {"department_id": self.dept_roads.id, "assist_department_ids": [(6, 0, [self.dept_gas.id])]}
        )
        case.with_user(self.supervisor).action_dispatch()
        self.assertEqual(case.state, "assigned")
        self.assertEqual(case.assist_department_ids, self.dept_gas)
        self.assertIn(self.staff_gas.partner_id, case.message_partner_ids, "assisting staff follow the case")

    def test_only_the_department_or_a_supervisor_signs_off(self):
        case = self._dispatch(self._create_case())
        with self.assertRaisesRegex(UserError, "Only the handling department"):
            case.with_user(self.operator).action_start()
        with self.assertRaises(AccessError):
            # the department staff cannot write directly: the portal calls the method after its own checks
            case.with_user(self.staff_water).action_start()
        case.with_user(self.supervisor).action_start()
        self.assertEqual(case.state, "in_progress")

    def test_return_to_center(self):
        case = self._dispatch(self._create_case())
        with self.assertRaisesRegex(UserError, "Reason for Return"):
            case.with_user(self.staff_water).sudo().action_return_to_center()
        case.with_user(self.staff_water).sudo()._hotline_return_to_center("不属于本单位职责")
        self.assertEqual(case.state, "accepted")
        self.assertFalse(case.department_id)
        self.assertEqual(case.return_count, 1)
        log = case.department_log_ids.filtered(lambda entry: entry.event == "return")
        self.assertEqual(log.department_id, self.dept_water)
        self.assertEqual(log.reason, "不属于本单位职责")
        # returns per department, for the evaluation
        counts = self.env["hotline.case.department.log"]._read_group(
            [("event", "=", "return")], ["department_id"], ["__count"]
        )
        self.assertIn((self.dept_water, 1), counts)
        # the wizard does the same for a supervisor
        self._dispatch(case, self.dept_gas)
        self.env["hotline.case.return"].with_user(self.supervisor).create(
            {"case_ids": [(6, 0, case.ids)], "reason": "燃气公司退回"}
        ).action_confirm()
        self.assertEqual(case.return_count, 2)

    def test_transfer_keeps_the_history(self):
        case = self._to_in_progress(self._create_case())
        self.env["hotline.case.transfer"].with_user(self.supervisor).create(
            {"case_ids": [(6, 0, case.ids)], "department_id": self.dept_gas.id, "reason": "燃气泄漏"}
        ).action_confirm()
        self.assertEqual(case.state, "assigned")
        self.assertEqual(case.department_id, self.dept_gas)
        log = case.department_log_ids.filtered(lambda entry: entry.event == "transfer")
        self.assertEqual(
            (log.department_id, log.to_department_id, log.reason), (self.dept_water, self.dept_gas, "燃气泄漏")
        )
        self.assertTrue(any("燃气泄漏" in (message.body or "") for message in case.message_ids))
        self.assertIn(self.staff_gas.partner_id, case.message_partner_ids)
        self.assertEqual(
            case.stage_log_ids.filtered(lambda entry: entry.state == "assigned")[-1].department_id, self.dept_gas
        )
        with self.assertRaisesRegex(UserError, "already with this department"):
            case.with_user(self.supervisor)._hotline_transfer(self.dept_gas, "again")
        with self.assertRaisesRegex(UserError, "reason"):
            case.with_user(self.supervisor)._hotline_transfer(self.dept_roads, " ")

    def test_reject_feedback(self):
        case = self._to_feedback(self._create_case())
        handle_deadline = case.handle_deadline
        with self.assertRaisesRegex(UserError, "Reason for Rejection"):
            case.with_user(self.supervisor).action_reject_feedback()
        self.env["hotline.case.reject"].with_user(self.supervisor).create(
            {"case_ids": [(6, 0, case.ids)], "reason": "缺少现场照片"}
        ).action_confirm()
        self.assertEqual(case.state, "in_progress")
        self.assertEqual(case.reject_count, 1)
        self.assertEqual(case.handle_deadline, handle_deadline, "a rejected result keeps the handling deadline")
        self.assertEqual(case.deadline, handle_deadline)

    def test_unsatisfied_return_visit_goes_back_to_the_department(self):
        with freeze_time("2026-03-09 01:00:00"):
            case = self._to_return_visit(self._create_case())
            first_deadline = case.handle_deadline
        with self.assertRaisesRegex(UserError, "Satisfaction"):
            case.with_user(self.operator).action_return_visit()
        with freeze_time("2026-03-10 01:00:00"):
            case.with_user(self.operator).write({"satisfaction": "unsatisfied", "return_visit_note": "水还是不通"})
            case.with_user(self.operator).action_return_visit()
        self.assertEqual(case.state, "in_progress")
        self.assertFalse(case.satisfaction)
        self.assertGreater(case.handle_deadline, first_deadline, "a fresh handling time limit")
        self.assertEqual(case.department_log_ids.filtered(lambda e: e.event == "reopen").reason, "水还是不通")

    def test_reopen(self):
        case = self._to_return_visit(self._create_case())
        case.with_user(self.operator).write({"satisfaction": "general"})
        case.with_user(self.operator).action_return_visit()
        with self.assertRaisesRegex(UserError, "not allowed"):
            case.with_user(self.operator).action_reopen()
        case.with_user(self.supervisor).action_reopen()
        self.assertEqual(case.state, "in_progress")
        direct = self._create_case()
        direct.with_user(self.operator).action_close_direct()
        direct.with_user(self.supervisor).action_reopen()
        self.assertEqual(direct.state, "new")
        self.assertFalse(direct.resolution_type)

    def test_content_stays_editable_after_acceptance(self):
        case = self._accept(self._create_case())
        case.with_user(self.operator).write({"summary": "更正：水表漏水", "address": "湖滨路 2 号"})
        self.assertEqual(case.summary, "更正：水表漏水")

    def test_form_buttons_open_wizards(self):
        case = self._dispatch(self._create_case())
        action = case.with_user(self.supervisor).action_open_return_wizard()
        self.assertEqual(action["res_model"], "hotline.case.return")
        with Form(self.env["hotline.case.return"].with_user(self.supervisor).with_context(action["context"])) as form:
            form.reason = "退回"
        form.save().action_confirm()
        self.assertEqual(case.state, "accepted")
