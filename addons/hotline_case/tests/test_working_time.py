from datetime import datetime

from freezegun import freeze_time

from odoo.tests import tagged

from .common import HotlineCaseCommon


@tagged("post_install", "-at_install")
class TestWorkingTime(HotlineCaseCommon):
    """Mon-Fri 08:30-12:00 and 13:30-17:30 Asia/Shanghai; Friday 2026-03-06 16:30 is the reference moment."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.WorkingTime = cls.env["hotline.working.time"]
        cls.friday_1630 = cls._utc(2026, 3, 6, 16, 30)

    def _add(self, start, hours, calendar=None):
        return self.WorkingTime._add_working_hours(self.calendar if calendar is None else calendar, start, hours)

    def test_friday_afternoon_plus_two_hours_is_monday_morning(self):
        self.assertEqual(self._add(self.friday_1630, 2), self._utc(2026, 3, 9, 9, 30))

    def test_monday_holiday_moves_to_tuesday(self):
        self.env["hotline.calendar.day"].create({"date": "2026-03-09", "day_type": "holiday", "name": "Holiday"})
        self.assertEqual(self._add(self.friday_1630, 2), self._utc(2026, 3, 10, 9, 30))

    def test_saturday_makeup_day_is_worked_with_monday_hours(self):
        self.env["hotline.calendar.day"].create({"date": "2026-03-07", "day_type": "workday", "name": "调休"})
        self.assertEqual(self._add(self.friday_1630, 2), self._utc(2026, 3, 7, 9, 30))
        # the make-up day has the lunch break of a normal day: 08:30-12:00 then 13:30
        self.assertEqual(self._add(self.friday_1630, 5), self._utc(2026, 3, 7, 14, 0))

    def test_lunch_break_and_evening_do_not_count(self):
        monday_1130 = self._utc(2026, 3, 9, 11, 30)
        self.assertEqual(self._add(monday_1130, 1), self._utc(2026, 3, 9, 14, 0))
        self.assertEqual(self._add(monday_1130, 7.5), self._utc(2026, 3, 10, 11, 30))

    def test_start_outside_working_hours(self):
        saturday_night = self._utc(2026, 3, 7, 22, 0)
        self.assertEqual(self._add(saturday_night, 1), self._utc(2026, 3, 9, 9, 30))

    def test_calendar_leave_is_not_worked(self):
        self.env["resource.calendar.leaves"].create(
            {
                "name": "Training",
                "calendar_id": self.calendar.id,
                "date_from": self._utc(2026, 3, 9, 8, 30),
                "date_to": self._utc(2026, 3, 9, 12, 0),
            }
        )
        self.assertEqual(self._add(self.friday_1630, 2), self._utc(2026, 3, 9, 14, 30))

    def test_round_the_clock_without_calendar(self):
        empty = self.env["resource.calendar"]
        self.assertEqual(self._add(self.friday_1630, 2, empty), datetime(2026, 3, 6, 10, 30))

    def test_long_limit_spans_weeks(self):
        # 40 working hours: 1h on Friday, 37.5h the next week, 1.5h on the Monday after
        due = self._add(self.friday_1630, 40)
        self.assertAlmostEqual(self.WorkingTime._working_hours_between(self.calendar, self.friday_1630, due), 40, 4)
        self.assertEqual(due, self._utc(2026, 3, 16, 10, 0))

    def test_working_hours_between(self):
        hours = self.WorkingTime._working_hours_between(self.calendar, self.friday_1630, self._utc(2026, 3, 9, 9, 30))
        self.assertAlmostEqual(hours, 2.0, 4)
        self.env["hotline.calendar.day"].create({"date": "2026-03-09", "day_type": "holiday", "name": "Holiday"})
        hours = self.WorkingTime._working_hours_between(self.calendar, self.friday_1630, self._utc(2026, 3, 10, 9, 30))
        self.assertAlmostEqual(hours, 2.0, 4)

    def test_case_deadline_on_company_calendar(self):
        with freeze_time(self.friday_1630):
            case = self._create_case(reported_at=self.friday_1630)
        self.assertEqual(case.sla_policy_id, self.policy)
        self.assertEqual(case.deadline, self._utc(2026, 3, 9, 9, 30))
        # the warning comes at half the limit (warning_ratio 0.5): 1 working hour
        self.assertEqual(case.warning_at, self._utc(2026, 3, 6, 17, 30))

    def test_case_deadline_with_holiday_and_makeup_day(self):
        self.env["hotline.calendar.day"].create({"date": "2026-03-09", "day_type": "holiday", "name": "Holiday"})
        with freeze_time(self.friday_1630):
            case = self._create_case(reported_at=self.friday_1630)
        self.assertEqual(case.deadline, self._utc(2026, 3, 10, 9, 30))
        self.env["hotline.calendar.day"].create({"date": "2026-03-07", "day_type": "workday", "name": "调休"})
        with freeze_time(self.friday_1630):
            case = self._create_case(reported_at=self.friday_1630)
        self.assertEqual(case.deadline, self._utc(2026, 3, 7, 9, 30))

    def test_emergency_runs_round_the_clock(self):
        self.env["hotline.sla.policy"].create(
            {
                "name": "Emergency",
                "sequence": 1,
                "priority": "2",
                "accept_hours": 0.5,
                "dispatch_hours": 0.5,
                "handle_hours": 4,
                "working_time": False,
            }
        )
        with freeze_time(self.friday_1630):
            case = self._create_case(reported_at=self.friday_1630, priority="2")
            normal = self._create_case(reported_at=self.friday_1630)
        self.assertFalse(case.sla_policy_id.working_time)
        self.assertEqual(case.deadline, self._utc(2026, 3, 6, 17, 0))
        self.assertEqual(normal.sla_policy_id, self.policy)
        with freeze_time(self._utc(2026, 3, 6, 16, 45)):
            self._dispatch(case)
        # 4 hours on the clock from dispatch, through the evening
        self.assertEqual(case.handle_deadline, self._utc(2026, 3, 6, 20, 45))

    def test_department_calendar_is_used_once_dispatched(self):
        weekend_shift = self._create_calendar("Seven days", range(7), [(8.0, 20.0)])
        self.dept_water.calendar_id = weekend_shift
        with freeze_time(self.friday_1630):
            case = self._create_case(reported_at=self.friday_1630)
            self._dispatch(case)
        # 8 handling hours on the department's 08:00-20:00 every day: 3.5h Friday, 4.5h Saturday
        self.assertEqual(case.handle_deadline, self._utc(2026, 3, 7, 12, 30))
        self.assertEqual(case.deadline, case.handle_deadline)
