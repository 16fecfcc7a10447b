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

    def test_department_calendar_with_lunch_break(self):
        lunch_office = self._create_calendar("Water office", range(5), [(9.0, 12.0), (14.0, 18.0)])
        self.env["resource.calendar.attendance"].create(
            [
                {
                    "name": f"{day}-lunch",
                    "calendar_id": lunch_office.id,
                    "dayofweek": str(day),
                    "day_period": "lunch",
                    "hour_from": 12.0,
                    "hour_to": 14.0,
                }
                for day in range(5)
            ]
        )
        monday_1100 = self._utc(2026, 3, 9, 11, 0)
        self.assertEqual(self._add(monday_1100, 2, lunch_office), self._utc(2026, 3, 9, 15, 0))
        self.assertAlmostEqual(
            self.WorkingTime._working_hours_between(lunch_office, monday_1100, self._utc(2026, 3, 9, 15, 0)), 2.0, 4
        )
        self.dept_water.calendar_id = lunch_office
        with freeze_time(self.friday_1630):
            case = self._create_case(reported_at=self.friday_1630)
            self._dispatch(case)
        # 8 handling hours: 1.5h on Friday until 18:00, then Monday 09:00-12:00 and 14:00-17:30
        self.assertEqual(case.handle_deadline, self._utc(2026, 3, 9, 17, 30))

    def test_holiday_spanning_several_days(self):
        self.env["hotline.calendar.day"].create(
            [{"date": f"2026-10-0{day}", "day_type": "holiday", "name": "国庆节"} for day in range(1, 8)]
        )
        self.assertEqual(len(self.env["hotline.calendar.day"].search([]).leave_id), 7)
        wednesday_1630 = self._utc(2026, 9, 30, 16, 30)
        # 1h on Wednesday, Thursday 1 to Wednesday 7 October off, 1h on Thursday the 8th
        self.assertEqual(self._add(wednesday_1630, 2), self._utc(2026, 10, 8, 9, 30))
        self.assertAlmostEqual(
            self.WorkingTime._working_hours_between(self.calendar, wednesday_1630, self._utc(2026, 10, 8, 9, 30)),
            2.0,
            4,
        )
        with freeze_time(wednesday_1630):
            case = self._create_case(reported_at=wednesday_1630)
        self.assertEqual(case.deadline, self._utc(2026, 10, 8, 9, 30))

    def test_makeup_day_on_a_sunday(self):
        self.env["hotline.calendar.day"].create({"date": "2026-09-27", "day_type": "workday", "name": "国庆节调休上班"})
        friday_1630 = self._utc(2026, 9, 25, 16, 30)
        self.assertEqual(self._add(friday_1630, 2), self._utc(2026, 9, 27, 9, 30))
        # the Sunday has Monday's lunch break: 08:30-12:00, then 13:30
        self.assertEqual(self._add(friday_1630, 5), self._utc(2026, 9, 27, 14, 0))
        with freeze_time(friday_1630):
            case = self._create_case(reported_at=friday_1630)
        self.assertEqual(case.deadline, self._utc(2026, 9, 27, 9, 30))

    def test_emergency_runs_round_the_clock_through_holidays(self):
        self.env["hotline.calendar.day"].create({"date": "2026-10-01", "day_type": "holiday", "name": "国庆节"})
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
        holiday_night = self._utc(2026, 10, 1, 23, 40)
        with freeze_time(holiday_night):
            case = self._create_case(reported_at=holiday_night, priority="2")
        self.assertEqual(case.deadline, self._utc(2026, 10, 2, 0, 10))

    def test_case_reported_outside_working_hours(self):
        tuesday_night = self._utc(2026, 3, 10, 20, 0)
        with freeze_time(tuesday_night):
            case = self._create_case(reported_at=tuesday_night)
        # the 2 hours start at 08:30 the next morning; the warning at half of them
        self.assertEqual(case.deadline, self._utc(2026, 3, 11, 10, 30))
        self.assertEqual(case.warning_at, self._utc(2026, 3, 11, 9, 30))
        saturday_night = self._utc(2026, 3, 7, 22, 0)
        with freeze_time(saturday_night):
            case = self._create_case(reported_at=saturday_night)
        self.assertEqual(case.deadline, self._utc(2026, 3, 9, 10, 30))
