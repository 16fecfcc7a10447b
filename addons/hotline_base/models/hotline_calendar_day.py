from odoo import api, fields, models


class HotlineCalendarDay(models.Model):
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

    _sql_constraints = [
        ("date_unique", "unique(date)", "A date can be listed only once."),
    ]

    @api.model
    def _hotline_overrides(self, date_from, date_to):
        """{date: day_type} for the days between date_from and date_to (inclusive)."""
        days = self.search_read([("date", ">=", date_from), ("date", "<=", date_to)], ["date", "day_type"])
        return {day["date"]: day["day_type"] for day in days}
