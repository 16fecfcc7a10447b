from datetime import datetime, time, timedelta

from pytz import timezone, utc

from odoo import api, fields, models, tools


class HotlineCalendarDay(models.Model):
    """A public holiday is a global time off of every working calendar (resource.calendar.leaves);
    a make-up working day is added to the calendars' attendances (see resource_calendar.py)."""

    _name = "hotline.calendar.day"
    _description = "Public Holiday or Make-up Working Day"
    _order = "date desc"

    date = fields.Date(required=True, index=True)
    day_type = fields.Selection(
        [("holiday", "Public holiday"), ("workday", "Make-up working day")],
        required=True,
        default="holiday",
    )
    name = fields.Char(required=True, translate=True)
    leave_id = fields.Many2one(
        "resource.calendar.leaves",
        string="Time Off",
        readonly=True,
        copy=False,
        ondelete="set null",
        help="The global time off of the working calendars that makes this public holiday a day off.",
    )

    _sql_constraints = [
        ("date_unique", "unique(date)", "A date can be listed only once."),
    ]

    @api.model_create_multi
    def create(self, vals_list):
        days = super().create(vals_list)
        days._hotline_sync_leaves()
        return days

    def write(self, vals):
        result = super().write(vals)
        if {"date", "day_type", "name"} & set(vals):
            self._hotline_sync_leaves()
        return result

    def unlink(self):
        leaves = self.leave_id
        result = super().unlink()
        leaves.unlink()
        self.env.registry.clear_cache()  # _hotline_makeup_dates
        return result

    # ------------------------------------------------------------
    # LEAVES AND MAKE-UP DAYS
    # ------------------------------------------------------------

    def _hotline_sync_leaves(self):
        """Give each public holiday its global leave, and take it from a day that is no longer one."""
        for day in self:
            if day.day_type == "holiday":
                vals = day._hotline_leave_vals()
                if day.leave_id:
                    day.leave_id.write(vals)
                else:
                    day.leave_id = self.env["resource.calendar.leaves"].create(vals)
            elif day.leave_id:
                day.leave_id.unlink()
        self.env.registry.clear_cache()  # _hotline_makeup_dates

    @api.model
    def _hotline_sync_all_leaves(self):
        """Called on every install and upgrade: holidays recorded before they had leaves get theirs."""
        self.search([])._hotline_sync_leaves()

    def _hotline_leave_vals(self):
        """The whole local day, in the timezone of the company's working calendar."""
        self.ensure_one()
        tz = timezone(self.env.company.resource_calendar_id.tz or "UTC")
        start = tz.localize(datetime.combine(self.date, time.min))
        stop = tz.localize(datetime.combine(self.date + timedelta(days=1), time.min))
        return {
            "name": self.name,
            "calendar_id": False,
            "resource_id": False,
            "time_type": "leave",
            "date_from": start.astimezone(utc).replace(tzinfo=None),
            "date_to": stop.astimezone(utc).replace(tzinfo=None),
        }

    @api.model
    @tools.ormcache()
    def _hotline_makeup_dates(self):
        """All make-up working days (a few a year), cached: every deadline computation asks."""
        # sudo: reference data that department staff (portal) cannot read themselves
        return tuple(sorted(self.sudo().search([("day_type", "=", "workday")]).mapped("date")))

    @api.model
    def _hotline_overrides(self, date_from, date_to):
        """{date: day_type} for the days between date_from and date_to (inclusive)."""
        days = self.search_read([("date", ">=", date_from), ("date", "<=", date_to)], ["date", "day_type"])
        return {day["date"]: day["day_type"] for day in days}
