from datetime import date, datetime, timedelta

from pytz import utc

from odoo import Command
from odoo.tests import tagged

from .common import HotlineBaseCommon


@tagged("post_install", "-at_install")
class TestWorkingCalendar(HotlineBaseCommon):
    """Public holidays as global leaves, make-up days as attendances, and the cached arithmetic
    agreeing with Odoo's own. Mon-Fri 08:30-12:00 and 13:30-17:30 Asia/Shanghai (UTC+8)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["hotline.calendar.day"].search([]).unlink()
        periods = [("morning", 8.5, 12.0), ("lunch", 12.0, 13.5), ("afternoon", 13.5, 17.5)]
        cls.calendar = cls.env["resource.calendar"].create(
            {
                "name": "Office hours",
                "tz": "Asia/Shanghai",
                "attendance_ids": [Command.clear()]
                + [
                    Command.create(
                        {
                            "name": f"{day}-{period}",
                            "dayofweek": str(day),
                            "day_period": period,
                            "hour_from": hour_from,
                            "hour_to": hour_to,
                        }
                    )
                    for day in range(5)
                    for period, hour_from, hour_to in periods
                ],
            }
        )
        cls.env.company.resource_calendar_id = cls.calendar
        cls.Day = cls.env["hotline.calendar.day"]

    @staticmethod
    def _utc(*args):
        """A naive UTC datetime from a Shanghai wall-clock time."""
        return datetime(*args) - timedelta(hours=8)

    def _plan(self, start, hours):
        return self.calendar._hotline_plan_hours(start, hours)

    def test_holiday_is_a_global_leave_kept_in_step(self):
        holiday = self.Day.with_user(self.admin).create({"date": "2031-10-01", "name": "National Day"})
        leave = holiday.leave_id
        self.assertFalse(leave.calendar_id, "a public holiday is the time off of every calendar")
        self.assertFalse(leave.resource_id)
        self.assertEqual((leave.date_from, leave.date_to), (self._utc(2031, 10, 1), self._utc(2031, 10, 2)))
        holiday.with_user(self.admin).write({"date": "2031-10-02", "name": "National Day (2)"})
        self.assertEqual(leave.date_from, self._utc(2031, 10, 2))
        self.assertEqual(leave.name, "National Day (2)")
        holiday.with_user(self.admin).day_type = "workday"
        self.assertFalse(leave.exists(), "a make-up day is no time off")
        holiday.with_user(self.admin).day_type = "holiday"
        leave = holiday.leave_id
        self.assertTrue(leave)
        holiday.with_user(self.admin).unlink()
        self.assertFalse(leave.exists())

    def test_holidays_follow_the_timezone_of_the_company_calendar(self):
        holiday = self.Day.create({"date": "2031-10-01", "name": "National Day"})
        self.calendar.tz = "UTC"
        self.assertEqual(holiday.leave_id.date_from, datetime(2031, 10, 1))
        self.assertEqual(holiday.leave_id.date_to, datetime(2031, 10, 2))

    def test_upgrade_gives_earlier_holidays_their_leaves(self):
        holiday = self.Day.create({"date": "2031-05-01", "name": "Labour Day"})
        holiday.leave_id.unlink()  # as recorded by a release without leaves
        self.assertFalse(holiday.leave_id)
        self.Day._hotline_sync_all_leaves()
        self.assertTrue(holiday.leave_id)
        self.assertEqual(self.env["resource.calendar.leaves"].search_count([("name", "=", "Labour Day")]), 1)
        self.Day._hotline_sync_all_leaves()
        self.assertEqual(self.env["resource.calendar.leaves"].search_count([("name", "=", "Labour Day")]), 1)
        # Thursday 2031-05-01 is off: Wednesday 16:30 + 2h ends Friday 09:30
        self.assertEqual(self._plan(self._utc(2031, 4, 30, 16, 30), 2), self._utc(2031, 5, 2, 9, 30))
        self.assertEqual(self._plan(self._utc(2031, 4, 25, 16, 30), 2), self._utc(2031, 4, 28, 9, 30))

    def test_makeup_day_adds_the_monday_hours_to_the_attendances(self):
        sunday = date(2031, 9, 28)
        start, end = self._utc(2031, 9, 28, 0, 0), self._utc(2031, 9, 29, 0, 0)
        bounds = [moment.replace(tzinfo=utc) for moment in (start, end)]
        self.assertFalse(self.calendar._attendance_intervals_batch(*bounds)[False])
        self.Day.create({"date": sunday, "day_type": "workday", "name": "Make-up day"})
        intervals = self.calendar._attendance_intervals_batch(*bounds)[False]
        hours = [(begin.strftime("%H:%M"), stop.strftime("%H:%M")) for begin, stop, _records in intervals]
        self.assertEqual(hours, [("08:30", "12:00"), ("13:30", "17:30")])
        lunch = self.calendar._attendance_intervals_batch(*bounds, lunch=True)[False]
        self.assertEqual([(b.strftime("%H:%M"), s.strftime("%H:%M")) for b, s, _r in lunch], [("12:00", "13:30")])
        self.assertEqual(self.calendar.get_work_hours_count(*bounds), 7.5)

    def test_makeup_day_on_a_working_weekday_counts_once(self):
        self.Day.create({"date": "2031-09-29", "day_type": "workday", "name": "Monday anyway"})
        self.assertEqual(self.calendar._hotline_work_hours(self._utc(2031, 9, 29), self._utc(2031, 9, 30)), 7.5)

    def test_cached_arithmetic_agrees_with_plan_hours_and_work_hours_count(self):
        self.Day.create(
            [
                {"date": "2031-10-01", "name": "National Day"},
                {"date": "2031-10-02", "name": "National Day"},
                {"date": "2031-10-11", "day_type": "workday", "name": "Make-up day"},
            ]
        )
        first = self._utc(2031, 9, 26, 7, 0)
        for step in range(0, 24 * 20, 11):
            start = first + timedelta(hours=step, minutes=step % 60)
            for hours in (0.5, 2, 7.5, 16, 40):
                expected = self.calendar.plan_hours(hours, start, compute_leaves=True)
                self.assertLess(abs(self._plan(start, hours) - expected), timedelta(seconds=1), (start, hours))
            end = start + timedelta(hours=50)
            self.assertAlmostEqual(
                self.calendar._hotline_work_hours(start, end), self.calendar.get_work_hours_count(start, end), 6
            )

    def test_cache_follows_attendances_leaves_and_calendar_days(self):
        friday_1630 = self._utc(2031, 3, 7, 16, 30)
        self.assertEqual(self._plan(friday_1630, 2), self._utc(2031, 3, 10, 9, 30))
        monday_morning = self.calendar.attendance_ids.filtered(lambda a: a.dayofweek == "0" and a.hour_from == 8.5)
        monday_morning.hour_from = 9.5
        self.assertEqual(self._plan(friday_1630, 2), self._utc(2031, 3, 10, 10, 30))
        leave = self.env["resource.calendar.leaves"].create(
            {
                "name": "Training",
                "calendar_id": self.calendar.id,
                "date_from": self._utc(2031, 3, 10, 9, 0),
                "date_to": self._utc(2031, 3, 10, 12, 0),
            }
        )
        self.assertEqual(self._plan(friday_1630, 2), self._utc(2031, 3, 10, 14, 30))
        leave.unlink()
        self.assertEqual(self._plan(friday_1630, 2), self._utc(2031, 3, 10, 10, 30))
        self.Day.create({"date": "2031-03-08", "day_type": "workday", "name": "Make-up Saturday"})
        self.assertEqual(self._plan(friday_1630, 2), self._utc(2031, 3, 8, 10, 30))
        self.calendar.tz = "UTC"
        # Friday 16:30 in Shanghai is 08:30 on a UTC calendar: two hours later the same morning
        self.assertEqual(self._plan(friday_1630, 2), datetime(2031, 3, 7, 10, 30))

    def test_limit_across_new_year(self):
        self.Day.create({"date": "2032-01-01", "name": "New Year"})
        # Wednesday 2031-12-31 17:00 + 1h: 0.5h that day, Thursday off, Friday 09:00
        due = self._plan(self._utc(2031, 12, 31, 17, 0), 1)
        self.assertEqual(due, self._utc(2032, 1, 2, 9, 0))
        self.assertEqual(self.calendar._hotline_work_hours(self._utc(2031, 12, 31, 17, 0), due), 1.0)

    def test_round_the_clock_and_no_working_time(self):
        start = datetime(2031, 3, 7, 8, 30)
        self.assertEqual(self.env["resource.calendar"]._hotline_plan_hours(start, 2), datetime(2031, 3, 7, 10, 30))
        self.assertEqual(self.env["resource.calendar"]._hotline_work_hours(start, datetime(2031, 3, 8)), 15.5)
        empty = self.env["resource.calendar"].create({"name": "Nothing", "attendance_ids": [Command.clear()]})
        self.assertEqual(empty._hotline_plan_hours(start, 2), datetime(2031, 3, 7, 10, 30))
        self.assertEqual(self._plan(start, 0), start)
