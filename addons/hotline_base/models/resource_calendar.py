"""Working calendars with the city's make-up working days (调休) and the time-limit arithmetic.

Public holidays are global ``resource.calendar.leaves`` kept by ``hotline.calendar.day``, so
Odoo subtracts them like any leave. Make-up working days have no Odoo model: they are added
to the calendar's attendances here, worked with the hours of the calendar's first working
weekday (Monday for a Monday-Friday calendar).
"""

from bisect import bisect_left, bisect_right
from datetime import datetime, timedelta
from itertools import chain

from pytz import timezone, utc

from odoo import models
from odoo.tools import ormcache

from odoo.addons.resource.models.utils import float_to_time

_ONE_DAY = timedelta(days=1)
_PLAN_YEARS = 10


def _worked_before(year_time, moment):
    """Seconds worked in the year of ``year_time`` before ``moment`` (epoch seconds)."""
    starts, stops, done = year_time
    index = bisect_right(stops, moment)
    worked = done[index]
    if index < len(starts) and starts[index] < moment:
        worked += moment - starts[index]
    return worked


class ResourceCalendar(models.Model):
    _inherit = "resource.calendar"

    # ------------------------------------------------------------
    # TIME LIMITS (naive UTC in and out; an empty calendar is round the clock)
    # ------------------------------------------------------------

    def _hotline_plan_hours(self, start, hours):
        """The moment when ``hours`` working hours have passed from ``start`` (as ``plan_hours``)."""
        if hours <= 0:
            return start
        if not self:
            return start + timedelta(hours=hours)
        self.ensure_one()
        moment = utc.localize(start).timestamp()
        remaining = hours * 3600.0
        for year in range(start.year, start.year + _PLAN_YEARS):
            starts, _stops, done = year_time = self._hotline_year_work_time(year)
            worked = _worked_before(year_time, moment) if year == start.year else 0.0
            if remaining <= done[-1] - worked:
                # min(): float rounding may put worked + remaining a hair past the year's total
                index = min(bisect_left(done, worked + remaining), len(starts)) - 1
                due = starts[index] + worked + remaining - done[index]
                # the float seconds carry sub-microsecond noise: deadlines are whole seconds
                return datetime.fromtimestamp(round(due), utc).replace(tzinfo=None)
            remaining -= done[-1] - worked
        # a calendar without any working time in the years ahead: round the clock
        return start + timedelta(hours=hours)

    def _hotline_work_hours(self, start, end):
        """Working hours between ``start`` and ``end`` (as ``get_work_hours_count``)."""
        if not start or not end or end <= start:
            return 0.0
        if not self:
            return (end - start).total_seconds() / 3600.0
        self.ensure_one()
        seconds = 0.0
        for year in range(start.year, end.year + 1):
            year_time = self._hotline_year_work_time(year)
            worked_from = _worked_before(year_time, utc.localize(start).timestamp()) if year == start.year else 0.0
            worked_to = (
                _worked_before(year_time, utc.localize(end).timestamp()) if year == end.year else year_time[2][-1]
            )
            seconds += worked_to - worked_from
        return seconds / 3600.0

    @ormcache("self.id", "year")
    def _hotline_year_work_time(self, year):
        """The working time of a UTC year, computed once by Odoo then kept: every deadline asks for it.

        (starts, stops, done): the intervals in epoch seconds, and the seconds worked before each
        interval (one more entry: the year's total). Cleared when a calendar, attendance, leave
        or calendar day changes.
        """
        begin, end = datetime(year, 1, 1, tzinfo=utc), datetime(year + 1, 1, 1, tzinfo=utc)
        # sudo: the cache is shared by every user; leaves are read without record rules
        intervals = self.sudo()._work_intervals_batch(begin, end)[False]
        starts, stops, done = [], [], [0.0]
        for interval_start, interval_stop, _records in intervals:
            if interval_stop > interval_start:
                starts.append(interval_start.timestamp())
                stops.append(interval_stop.timestamp())
                done.append(done[-1] + stops[-1] - starts[-1])
        return tuple(starts), tuple(stops), tuple(done)

    def write(self, vals):
        result = super().write(vals)
        if "tz" in vals and self.env.company.resource_calendar_id in self:
            # public holidays are whole days in the timezone of the company's calendar
            self.env["hotline.calendar.day"].sudo().search([("day_type", "=", "holiday")])._hotline_sync_leaves()
        self.env.registry.clear_cache()  # _hotline_year_work_time
        return result

    def unlink(self):
        result = super().unlink()
        self.env.registry.clear_cache()  # _hotline_year_work_time
        return result

    # ------------------------------------------------------------
    # MAKE-UP WORKING DAYS
    # ------------------------------------------------------------

    def _attendance_intervals_batch(self, start_dt, end_dt, resources=None, domain=None, tz=None, lunch=False):
        result = super()._attendance_intervals_batch(
            start_dt, end_dt, resources=resources, domain=domain, tz=tz, lunch=lunch
        )
        makeup_days = self._hotline_makeup_days(start_dt, end_dt)
        if not makeup_days:
            return result
        Resource = self.env["resource.resource"]
        for resource_id, intervals in result.items():
            resource = Resource.browse(resource_id)
            if resource and resource._is_flexible():
                continue
            local_tz = tz or timezone((resource or self).tz)
            extra = self._hotline_makeup_intervals(makeup_days, local_tz, start_dt, end_dt, domain, lunch)
            if extra:
                result[resource_id] = type(intervals)(chain(intervals, extra))
        return result

    def _hotline_makeup_days(self, start_dt, end_dt):
        """The make-up working days that may fall between two aware datetimes in any timezone."""
        first, last = start_dt.date() - _ONE_DAY, end_dt.date() + _ONE_DAY
        return [day for day in self.env["hotline.calendar.day"]._hotline_makeup_dates() if first <= day <= last]

    def _hotline_makeup_intervals(self, days, tz, start_dt, end_dt, domain, lunch):
        """(start, stop, attendance) of the make-up days, localized in ``tz`` and clipped to the bounds."""
        start, end = start_dt.astimezone(tz), end_dt.astimezone(tz)
        result = []
        for day in days:
            for attendance in self._hotline_makeup_attendances(day, domain, lunch):
                begin = max(start, tz.localize(datetime.combine(day, float_to_time(attendance.hour_from))))
                stop = min(end, tz.localize(datetime.combine(day, float_to_time(attendance.hour_to))))
                if stop > begin:
                    result.append((begin, stop, attendance))
        return result

    def _hotline_makeup_attendances(self, day, domain, lunch):
        """The attendances a make-up day is worked with; none when the calendar works that weekday anyway."""
        attendances = self.attendance_ids.filtered(
            lambda a: not a.resource_id and not a.display_type and (a.day_period == "lunch") == bool(lunch)
        )
        if self.two_weeks_calendar:
            week_type = str(self.env["resource.calendar.attendance"].get_week_type(day))
            attendances = attendances.filtered(lambda a: a.week_type == week_type)
        if domain:
            attendances = attendances.filtered_domain(domain)
        weekdays = set(attendances.mapped("dayofweek"))
        if not weekdays or str(day.weekday()) in weekdays:
            return attendances.browse()
        reference_day = min(weekdays, key=int)
        return attendances.filtered(
            lambda a: (
                a.dayofweek == reference_day
                and not (a.date_from and day < a.date_from)
                and not (a.date_to and a.date_to < day)
            )
        ).sorted("hour_from")
