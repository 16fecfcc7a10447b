"""Working-time arithmetic for the time limits.

A calendar's weekly attendances, minus its leaves (resource.calendar.leaves) and
the public holidays of hotline.calendar.day, plus the make-up working days of
hotline.calendar.day, which are worked with the calendar's normal weekday hours
(those of its first working weekday, usually Monday).

All datetimes in and out are naive UTC, as Odoo stores them.
"""

from datetime import datetime, time, timedelta

from pytz import timezone, utc

from odoo import api, models

from odoo.addons.resource.models.utils import Intervals

_WINDOW_DAYS = 14
_MAX_DAYS = 3660


class HotlineWorkingTime(models.AbstractModel):
    _name = "hotline.working.time"
    _description = "Working Time Arithmetic"

    # ------------------------------------------------------------
    # PUBLIC API
    # ------------------------------------------------------------

    @api.model
    def _add_working_hours(self, calendar, start, hours):
        """The moment when ``hours`` working hours have passed from ``start`` on ``calendar``.

        No calendar: round the clock. ``start`` and the result are naive UTC.
        """
        if hours <= 0:
            return start
        if not calendar:
            return start + timedelta(hours=hours)
        remaining = timedelta(hours=hours)
        window_start = start
        window = timedelta(days=_WINDOW_DAYS)
        while window_start - start < timedelta(days=_MAX_DAYS):
            window_end = window_start + window
            for interval_start, interval_stop in self._work_intervals(calendar, window_start, window_end):
                length = interval_stop - interval_start
                if length >= remaining:
                    return (interval_start + remaining).astimezone(utc).replace(tzinfo=None, microsecond=0)
                remaining -= length
            window_start = window_end
            window = window * 2
        # a calendar without any working time: fall back to round the clock
        return start + timedelta(hours=hours)

    @api.model
    def _working_hours_between(self, calendar, start, end):
        """Working hours between ``start`` and ``end`` (naive UTC) on ``calendar``; no calendar: clock hours."""
        if not start or not end or end <= start:
            return 0.0
        if not calendar:
            return (end - start).total_seconds() / 3600.0
        seconds = sum((stop - begin).total_seconds() for begin, stop in self._work_intervals(calendar, start, end))
        return seconds / 3600.0

    # ------------------------------------------------------------
    # INTERVALS
    # ------------------------------------------------------------

    @api.model
    def _work_intervals(self, calendar, start, end):
        """The working intervals between ``start`` and ``end`` (naive UTC) as sorted aware (start, stop) pairs."""
        start_dt = utc.localize(start)
        end_dt = utc.localize(end)
        tz = timezone(calendar.tz or "UTC")
        local_start = start_dt.astimezone(tz).date() - timedelta(days=1)
        local_end = end_dt.astimezone(tz).date() + timedelta(days=1)
        # sudo: holidays are reference data that department staff (portal) cannot read themselves
        overrides = self.env["hotline.calendar.day"].sudo()._hotline_overrides(local_start, local_end)
        holidays = [day for day, day_type in overrides.items() if day_type == "holiday"]
        workdays = [day for day, day_type in overrides.items() if day_type == "workday"]
        attendances = calendar._attendance_intervals_batch(start_dt, end_dt, tz=tz)[False]
        attendances = attendances | self._makeup_intervals(calendar, workdays, tz, start_dt, end_dt)
        leaves = calendar._leave_intervals_batch(start_dt, end_dt, tz=tz)[False]
        work = attendances - leaves - self._day_intervals(holidays, tz, start_dt, end_dt)
        return [(begin, stop) for begin, stop, _records in work if stop > begin]

    @api.model
    def _day_intervals(self, days, tz, start_dt, end_dt):
        """Whole local days as intervals, clipped to [start_dt, end_dt]."""
        empty = self.env["resource.calendar.attendance"]
        result = []
        for day in days:
            begin = tz.localize(datetime.combine(day, time.min))
            stop = tz.localize(datetime.combine(day + timedelta(days=1), time.min))
            begin, stop = max(begin, start_dt.astimezone(tz)), min(stop, end_dt.astimezone(tz))
            if stop > begin:
                result.append((begin, stop, empty))
        return Intervals(result)

    @api.model
    def _makeup_intervals(self, calendar, days, tz, start_dt, end_dt):
        """Make-up working days (调休) worked with the hours of the calendar's reference weekday."""
        attendances = self._reference_attendances(calendar)
        result = []
        for day in days:
            for attendance in attendances:
                begin = tz.localize(datetime.combine(day, self._float_to_time(attendance.hour_from)))
                stop = tz.localize(datetime.combine(day, self._float_to_time(attendance.hour_to)))
                begin, stop = max(begin, start_dt.astimezone(tz)), min(stop, end_dt.astimezone(tz))
                if stop > begin:
                    result.append((begin, stop, attendance))
        return Intervals(result)

    @api.model
    def _reference_attendances(self, calendar):
        """The attendances of the calendar's first working weekday (Monday for a Mon-Fri calendar)."""
        attendances = calendar.attendance_ids.filtered(
            lambda a: not a.resource_id and not a.display_type and a.day_period != "lunch"
        )
        if calendar.two_weeks_calendar:
            attendances = attendances.filtered(lambda a: a.week_type == "0")
        if not attendances:
            return attendances
        first_day = min(attendances.mapped("dayofweek"), key=int)
        return attendances.filtered(lambda a: a.dayofweek == first_day).sorted("hour_from")

    @staticmethod
    def _float_to_time(hours):
        if hours >= 24:
            return time.max
        minutes = round(hours * 60)
        return time(minutes // 60, minutes % 60)
