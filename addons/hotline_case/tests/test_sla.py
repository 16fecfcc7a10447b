from datetime import timedelta

from freezegun import freeze_time

from odoo.exceptions import UserError
from odoo.tests import tagged

from .common import HotlineCaseCommon


@tagged("post_install", "-at_install")
class TestStageLog(HotlineCaseCommon):
    def test_stage_durations_in_working_hours(self):
        monday_0900 = self._utc(2026, 3, 9, 9, 0)
        with freeze_time(monday_0900):
            case = self._create_case(reported_at=monday_0900)
        with freeze_time(self._utc(2026, 3, 9, 14, 0)):  # 3h + 0.5h across the lunch break
            self._accept(case)
        with freeze_time(self._utc(2026, 3, 10, 9, 0)):  # 14:00 -> 17:30 and 08:30 -> 09:00: 4h
            case.with_user(self.supervisor).action_dispatch()
        logs = case.stage_log_ids.sorted("id")
        self.assertEqual(logs.mapped("state"), ["new", "accepted", "assigned"])
        self.assertAlmostEqual(logs[0].working_hours, 3.5, 2)
        self.assertAlmostEqual(logs[1].working_hours, 4.0, 2)
        self.assertEqual(logs[0].user_id, self.operator)
        self.assertEqual(logs[1].user_id, self.supervisor)
        self.assertEqual(logs[2].department_id, self.dept_water)
        self.assertEqual(logs[0].date_out, logs[1].date_in)
        self.assertFalse(logs[2].date_out)
        # acceptance limit 2 working hours from 09:00: 11:00; accepted at 14:00 -> late
        self.assertTrue(logs[0].overdue)
        self.assertEqual(logs[0].deadline, self._utc(2026, 3, 9, 11, 0))
        # dispatch limit 2 working hours from 14:00: 16:00; dispatched next morning -> late
        self.assertTrue(logs[1].overdue)

    def test_a_case_without_its_stage_start_is_timed_from_its_open_line(self):
        """Cases written before ``stage_start`` existed: the open line's own entry time counts."""
        monday_0900 = self._utc(2026, 3, 9, 9, 0)
        with freeze_time(monday_0900):
            case = self._create_case(reported_at=monday_0900)
        self.env.flush_all()
        self.env.cr.execute("UPDATE hotline_case SET stage_start = NULL WHERE id = %s", [case.id])
        case.invalidate_recordset(["stage_start"])
        with freeze_time(self._utc(2026, 3, 9, 14, 0)):
            self._accept(case)
        new_line, accepted_line = case.stage_log_ids.sorted("id")
        self.assertAlmostEqual(new_line.working_hours, 3.5, 2)
        self.assertEqual(new_line.date_out, self._utc(2026, 3, 9, 14, 0))
        self.assertEqual(new_line.write_uid, self.supervisor)
        self.assertFalse(accepted_line.date_out)

    def test_a_line_marked_overdue_by_the_cron_stays_overdue(self):
        monday_0900 = self._utc(2026, 3, 9, 9, 0)
        with freeze_time(monday_0900):
            case = self._create_case(reported_at=monday_0900)
        with freeze_time(self._utc(2026, 3, 9, 11, 30)):
            self.env["hotline.case"]._cron_check_deadlines()
            self.assertTrue(case.stage_log_ids.overdue)
            # the deadline moved after the cron marked the line (an extension): the line keeps its mark
            case.sudo()._hotline_extend_deadline(self._utc(2026, 3, 9, 16, 0))
        with freeze_time(self._utc(2026, 3, 9, 13, 45)):
            self._accept(case)
        self.assertTrue(case.stage_log_ids.sorted("id")[0].overdue)

    def test_round_the_clock_policy_logs_clock_hours(self):
        self.policy.working_time = False
        saturday = self._utc(2026, 3, 7, 10, 0)
        with freeze_time(saturday):
            case = self._create_case(reported_at=saturday)
        with freeze_time(saturday + timedelta(hours=3)):
            self._accept(case)
        self.assertAlmostEqual(case.stage_log_ids.sorted("id")[0].working_hours, 3.0, 2)

    def test_deadline_follows_the_stage(self):
        monday_0900 = self._utc(2026, 3, 9, 9, 0)
        with freeze_time(monday_0900):
            case = self._create_case(reported_at=monday_0900)
            self.assertEqual(case.deadline, self._utc(2026, 3, 9, 11, 0))
            self._accept(case)
            self.assertEqual(case.deadline, self._utc(2026, 3, 9, 11, 0), "2h to dispatch from 09:00")
            case.with_user(self.supervisor).action_dispatch()
            # 8 working hours from 09:00: 12:00 (3h), 13:30-17:30 (4h), Tuesday 08:30-09:30
            self.assertEqual(case.handle_deadline, self._utc(2026, 3, 10, 9, 30))
            self.assertEqual(case.deadline, case.handle_deadline)
        with freeze_time(monday_0900 + timedelta(hours=1)):
            case.with_user(self.supervisor).action_start()
            self.assertEqual(case.deadline, self._utc(2026, 3, 10, 9, 30), "signing off keeps the handling limit")
            case.with_user(self.supervisor)._hotline_submit_feedback("done")
            self.assertFalse(case.handle_overdue)
            # 4 working hours from 10:00 to verify and call back: 12:00 + 13:30-15:30
            self.assertEqual(case.deadline, self._utc(2026, 3, 9, 15, 30))
        with freeze_time(monday_0900 + timedelta(hours=2)):
            case.with_user(self.supervisor).action_verify()
            case.with_user(self.operator).write({"satisfaction": "satisfied"})
            case.with_user(self.operator).action_return_visit()
        self.assertFalse(case.deadline)
        self.assertEqual(case.overdue_state, "on_time")

    def test_case_without_policy_has_no_deadline(self):
        self.policy.active = False
        case = self._create_case()
        self.assertFalse(case.sla_policy_id)
        self.assertFalse(case.deadline)
        default = self.env["hotline.sla.policy"].create({"name": "Default", "accept_hours": 1, "active": True})
        self.env["ir.config_parameter"].sudo().set_param("hotline_case.default_sla_policy_id", str(default.id))
        default.write({"category_ids": [(6, 0, self.cat_gas.ids)]})  # does not match, still the default
        self.assertEqual(self._create_case().sla_policy_id, default)

    def test_policy_matching(self):
        Policy = self.env["hotline.sla.policy"]
        urgent = Policy.create({"name": "Urgent", "sequence": 5, "priority": "1", "accept_hours": 1})
        water = Policy.create(
            {
                "name": "Water consult",
                "sequence": 10,
                "category_ids": [(6, 0, self.cat_water.ids)],
                "service_type_ids": [(6, 0, self.type_consult.ids)],
                "accept_hours": 4,
            }
        )
        self.assertEqual(self._create_case(priority="1").sla_policy_id, urgent)
        consult = self._create_case(category_id=self.cat_water_leak.id, service_type_id=self.type_consult.id)
        self.assertEqual(consult.sla_policy_id, water, "a policy on a parent category applies")
        self.assertEqual(self._create_case().sla_policy_id, self.policy)
        # matched again on acceptance, after the operator corrected the priority
        case = self._create_case()
        case.priority = "1"
        self._accept(case)
        self.assertEqual(case.sla_policy_id, urgent)


@tagged("post_install", "-at_install")
class TestDeadlineCron(HotlineCaseCommon):
    def _cases(self, count, reported_at):
        return self.env["hotline.case"].create(
            [
                {
                    "summary": f"case {index}",
                    "category_id": self.cat_water.id,
                    "reported_at": reported_at,
                    "user_id": self.operator.id,
                }
                for index in range(count)
            ]
        )

    def test_warning_then_overdue(self):
        monday_0900 = self._utc(2026, 3, 9, 9, 0)
        with freeze_time(monday_0900):
            case = self._create_case(reported_at=monday_0900)
            self._accept(case)
            case.with_user(self.supervisor).action_dispatch()
        self.assertEqual(case.overdue_state, "on_time")
        Case = self.env["hotline.case"]
        # half of the 8h limit (warning_ratio 0.5): Monday 14:30
        with freeze_time(self._utc(2026, 3, 9, 14, 45)):
            overdue_ids, warning_ids = Case._cron_check_deadlines()
        self.assertEqual((overdue_ids, warning_ids), ([], [case.id]))
        self.assertEqual(case.overdue_state, "warning")
        self.assertFalse(case.is_overdue)
        warning_logs = case.message_ids.filtered(lambda m: "due soon" in (m.body or ""))
        self.assertEqual(len(warning_logs), 1)
        with freeze_time(self._utc(2026, 3, 9, 15, 0)):
            self.assertEqual(Case._cron_check_deadlines(), ([], []), "nothing changes twice")
        with freeze_time(self._utc(2026, 3, 10, 10, 0)):
            overdue_ids, warning_ids = Case._cron_check_deadlines()
        self.assertEqual(overdue_ids, [case.id])
        self.assertEqual(case.overdue_state, "overdue")
        self.assertTrue(case.is_overdue)
        self.assertTrue(case.handle_overdue)
        self.assertTrue(case.stage_log_ids.filtered(lambda log: not log.date_out).overdue)
        self.assertTrue(case.message_ids.filtered(lambda m: "exceeded" in (m.body or "")))

    def test_handler_and_supervisor_are_notified(self):
        monday_0900 = self._utc(2026, 3, 9, 9, 0)
        with freeze_time(monday_0900):
            case = self._create_case(reported_at=monday_0900)
            self._dispatch(case)
        with freeze_time(self._utc(2026, 3, 11, 9, 0)):
            self.env["hotline.case"]._cron_check_deadlines()
        notified = (
            self.env["mail.message"]
            .search([("model", "=", "hotline.case"), ("subject", "ilike", "overdue")])
            .partner_ids
        )
        self.assertIn(self.staff_water.partner_id, notified)
        self.assertIn(self.supervisor.partner_id, notified)

    def test_new_case_overdue_goes_to_the_operator(self):
        monday_0900 = self._utc(2026, 3, 9, 9, 0)
        with freeze_time(monday_0900):
            case = self._create_case(reported_at=monday_0900)
        with freeze_time(self._utc(2026, 3, 9, 16, 0)):
            self.env["hotline.case"]._cron_check_deadlines()
        self.assertEqual(case.overdue_state, "overdue")
        notified = self.env["mail.message"].search([("model", "=", "hotline.case"), ("res_id", "=", case.id)])
        self.assertIn(self.operator.partner_id, notified.partner_ids)

    def test_closed_cases_are_left_alone(self):
        monday_0900 = self._utc(2026, 3, 9, 9, 0)
        with freeze_time(monday_0900):
            case = self._create_case(reported_at=monday_0900)
            case.with_user(self.operator).action_close_direct()
        with freeze_time(self._utc(2026, 3, 20, 9, 0)):
            self.assertEqual(self.env["hotline.case"]._cron_check_deadlines(), ([], []))
        self.assertEqual(case.overdue_state, "on_time")

    def test_query_count_does_not_grow_with_the_cases(self):
        monday_0900 = self._utc(2026, 3, 9, 9, 0)
        Case = self.env["hotline.case"]
        later = self._utc(2026, 3, 20, 9, 0)
        with freeze_time(monday_0900):
            self._cases(5, monday_0900)
        self.env.invalidate_all()
        with freeze_time(later):
            queries_before = self.env.cr.sql_log_count
            overdue_ids, _warning_ids = Case._cron_check_deadlines()
            small = self.env.cr.sql_log_count - queries_before
        self.assertEqual(len(overdue_ids), 5)
        with freeze_time(monday_0900):
            self._cases(50, monday_0900)
        self.env.invalidate_all()
        with freeze_time(later):
            queries_before = self.env.cr.sql_log_count
            overdue_ids, _warning_ids = Case._cron_check_deadlines()
            large = self.env.cr.sql_log_count - queries_before
        self.assertEqual(len(overdue_ids), 50)
        self.assertLessEqual(large, small + 5, f"{small} queries for 5 cases, {large} for 50: not set-based")
        with freeze_time(later):
            queries_before = self.env.cr.sql_log_count
            Case._cron_check_deadlines()
            idle = self.env.cr.sql_log_count - queries_before
        self.assertLessEqual(idle, 6, "a run with nothing to change is a couple of statements")

    def test_batches_are_limited_and_resumed(self):
        monday_0900 = self._utc(2026, 3, 9, 9, 0)
        with freeze_time(monday_0900):
            cases = self._cases(7, monday_0900)
        with freeze_time(self._utc(2026, 3, 20, 9, 0)):
            first, _warnings = self.env["hotline.case"]._cron_check_deadlines(batch_size=5)
            second, _warnings = self.env["hotline.case"]._cron_check_deadlines(batch_size=5)
        self.assertEqual(len(first), 5)
        self.assertEqual(len(second), 2)
        self.assertEqual(set(cases.mapped("overdue_state")), {"overdue"})

    def test_a_batch_takes_the_longest_overdue_first(self):
        cases = self.env["hotline.case"]
        for hour in (11, 9, 10):
            reported = self._utc(2026, 3, 9, hour, 0)
            with freeze_time(reported):
                cases |= self._create_case(reported_at=reported)
        with freeze_time(self._utc(2026, 3, 20, 9, 0)):
            first, _warnings = self.env["hotline.case"]._cron_check_deadlines(batch_size=1)
            second, _warnings = self.env["hotline.case"]._cron_check_deadlines(batch_size=1)
        self.assertEqual(first, cases[1].ids, "reported at 09:00: its deadline passed first")
        self.assertEqual(second, cases[2].ids)
        self.assertEqual(cases[0].overdue_state, "on_time", "its turn comes in the next run")

    def test_the_digest_shows_deadlines_in_the_recipients_time_zone(self):
        monday_0900 = self._utc(2026, 3, 9, 9, 0)
        with freeze_time(monday_0900):
            self._create_case(reported_at=monday_0900)
        self.operator.partner_id.tz = "Asia/Urumqi"  # UTC+6, the centre is UTC+8
        with freeze_time(self._utc(2026, 3, 9, 16, 0)):
            self.env["hotline.case"]._cron_check_deadlines()
        digest = self.env["mail.message"].search(
            [("subject", "ilike", "overdue"), ("partner_ids", "in", self.operator.partner_id.ids)]
        )
        self.assertEqual(len(digest), 1)
        # the 2h acceptance limit, Monday 11:00 in the centre: 09:00 where the operator is
        self.assertIn("2026-03-09 09:00", digest.body)

    def test_cron_notes_are_logged_by_odoobot_with_the_local_deadline(self):
        monday_0900 = self._utc(2026, 3, 9, 9, 0)
        with freeze_time(monday_0900):
            case = self._create_case(reported_at=monday_0900)
        with freeze_time(self._utc(2026, 3, 9, 16, 0)):
            self.env["hotline.case"]._cron_check_deadlines()
        note = case.message_ids.filtered(lambda m: "exceeded" in (m.body or ""))
        self.assertEqual(len(note), 1)
        self.assertEqual(note.author_id, self.env.ref("base.partner_root"))
        self.assertEqual(note.subtype_id, self.env.ref("mail.mt_note"))
        self.assertTrue(note.is_internal)
        # the 2h acceptance limit from Monday 09:00 in the centre's time zone
        self.assertIn("2026-03-09 11:00", note.body)


@tagged("post_install", "-at_install")
class TestExtension(HotlineCaseCommon):
    def test_approved_extension_moves_the_deadline(self):
        monday_0900 = self._utc(2026, 3, 9, 9, 0)
        with freeze_time(monday_0900):
            case = self._to_in_progress(self._create_case(reported_at=monday_0900))
        deadline = case.deadline
        self.assertEqual(deadline, self._utc(2026, 3, 10, 9, 30))
        with freeze_time(self._utc(2026, 3, 10, 10, 0)):
            self.env["hotline.case"]._cron_check_deadlines()
            self.assertEqual(case.overdue_state, "overdue")
            extension = (
                case.with_user(self.staff_water).sudo()._hotline_request_extension("需要更换主管道", requested_hours=8)
            )
            self.assertEqual(extension.state, "requested")
            self.assertEqual(extension.current_deadline, deadline)
            self.assertEqual(case.deadline, deadline, "a request alone changes nothing")
            with self.assertRaisesRegex(UserError, "supervisor"):
                extension.with_user(self.operator).action_approve()
            extension.with_user(self.supervisor).action_approve()
        self.assertEqual(extension.state, "approved")
        self.assertEqual(extension.approver_id, self.supervisor)
        # 8 working hours after Tuesday 09:30: 2.5h + 4h on Tuesday, 1.5h on Wednesday morning
        self.assertEqual(case.deadline, self._utc(2026, 3, 11, 10, 0))
        self.assertEqual(case.handle_deadline, case.deadline)
        self.assertEqual(case.overdue_state, "on_time")
        self.assertFalse(case.is_overdue)
        self.assertTrue(case.message_ids.filtered(lambda m: "需要更换主管道" in (m.body or "")))
        with self.assertRaisesRegex(UserError, "already been decided"):
            extension.with_user(self.supervisor).action_refuse()

    def test_extension_to_a_date_and_refusal(self):
        case = self._to_in_progress(self._create_case())
        new_deadline = case.deadline + timedelta(days=3)
        extension = (
            case.with_user(self.staff_water)
            .sudo()
            ._hotline_request_extension("等待配件", requested_deadline=new_deadline)
        )
        extension.with_user(self.supervisor).action_approve()
        self.assertEqual(case.deadline, new_deadline)
        refused = case.with_user(self.staff_water).sudo()._hotline_request_extension("再延期", requested_hours=4)
        refused.with_user(self.supervisor).write({"refuse_reason": "不予延期"})
        refused.with_user(self.supervisor).action_refuse()
        self.assertEqual(refused.state, "refused")
        self.assertEqual(case.deadline, new_deadline)

    def test_extension_needs_a_reason_and_an_open_case(self):
        case = self._to_in_progress(self._create_case())
        with self.assertRaisesRegex(UserError, "reason"):
            case.with_user(self.staff_water).sudo()._hotline_request_extension(" ", requested_hours=4)
        done = self._create_case()
        done.with_user(self.operator).action_close_direct()
        with self.assertRaisesRegex(UserError, "it is Done"):
            done.with_user(self.supervisor)._hotline_request_extension("late", requested_hours=4)
