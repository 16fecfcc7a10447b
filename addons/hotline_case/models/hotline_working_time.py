"""Working-time arithmetic for the time limits: the entry point the time limits call.

The arithmetic itself is Odoo's ``resource.calendar`` (``plan_hours``,
``get_work_hours_count``), extended in hotline_base with the public holidays (global
leaves) and make-up working days of ``hotline.calendar.day``. No calendar: round the
clock. All datetimes in and out are naive UTC, as Odoo stores them.
"""

from odoo import api, models


class HotlineWorkingTime(models.AbstractModel):
    _name = "hotline.working.time"
    _description = "Working Time Arithmetic"

    @api.model
    def _add_working_hours(self, calendar, start, hours):
        """The moment when ``hours`` working hours have passed from ``start`` on ``calendar``."""
        # sudo: calendars and public holidays are configuration department staff cannot read
        return calendar.sudo()._hotline_plan_hours(start, hours)

    @api.model
    def _working_hours_between(self, calendar, start, end):
        """Working hours between ``start`` and ``end`` on ``calendar``; no calendar: clock hours."""
        # sudo: as above
        return calendar.sudo()._hotline_work_hours(start, end)
