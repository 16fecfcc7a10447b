from datetime import datetime, time

from odoo import _, api, fields, models
from odoo.exceptions import AccessError, ValidationError
from odoo.osv import expression
from odoo.tools import SQL

# about 100 m: finer than a street block, coarse enough to keep a year of cases to a few thousand points
GRID_DECIMALS = 3


class HotlineReportCaseHeat(models.AbstractModel):
    _name = "hotline.report.case.heat"
    _description = "Case Heat Map"

    @api.model
    def get_heat_points(self, category_id=False, date_from=False, date_to=False):
        """Where the cases of a category and period were reported: ``[lat, lon, count]`` on a ~100 m grid.

        The cases are read as the user (district scope applies); dates are days, both included.
        """
        if not self.env.user.has_group("hotline_base.group_hotline_supervisor"):
            raise AccessError(_("The heat map is for shift supervisors and managers."))
        Case = self.env["hotline.case"]
        Case.flush_model(["latitude", "longitude"])
        query = Case._search(self._get_heat_domain(category_id, date_from, date_to))
        lat = SQL("round(%s, %s)", SQL.identifier(Case._table, "latitude"), GRID_DECIMALS)
        lon = SQL("round(%s, %s)", SQL.identifier(Case._table, "longitude"), GRID_DECIMALS)
        rows = self.env.execute_query(
            SQL(
                "SELECT lat, lon, count(*) FROM (%s) AS cell GROUP BY lat, lon ORDER BY 3 DESC",
                query.select(SQL("%s AS lat", lat), SQL("%s AS lon", lon)),
            )
        )
        points = [[float(row_lat), float(row_lon), count] for row_lat, row_lon, count in rows]
        return {
            "points": points,
            "total": sum(point[2] for point in points),
            "max": max((point[2] for point in points), default=0),
        }

    @api.model
    def _get_heat_domain(self, category_id, date_from, date_to):
        domain = [
            ("duplicate_of_id", "=", False),
            ("state", "!=", "cancel"),
            "|",
            ("latitude", "!=", 0),
            ("longitude", "!=", 0),
        ]
        if category_id:
            domain = expression.AND([domain, [("category_id", "child_of", int(category_id))]])
        try:
            if date_from:
                start = datetime.combine(fields.Date.to_date(date_from), time.min)
                domain = expression.AND([domain, [("reported_at", ">=", start)]])
            if date_to:
                end = datetime.combine(fields.Date.to_date(date_to), time.max)
                domain = expression.AND([domain, [("reported_at", "<=", end)]])
        except (TypeError, ValueError) as error:
            raise ValidationError(_("Give the period as dates (YYYY-MM-DD).")) from error
        return domain
