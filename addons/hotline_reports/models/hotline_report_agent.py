from odoo import fields, models
from odoo.tools import SQL

from odoo.addons.hotline_telephony.models.res_users import AGENT_STATES

from .report_view import create_report_view

BUSY_STATES = ("ringing", "on_call", "wrap_up")


class HotlineReportAgent(models.Model):
    """Agents' time by state, from the agent state log: occupancy = busy hours / logged-in hours."""

    _name = "hotline.report.agent"
    _description = "Agent Occupancy"
    _auto = False
    _order = "date_start desc"

    user_id = fields.Many2one("res.users", string="Agent", readonly=True)
    date_start = fields.Datetime(string="From", readonly=True)
    state = fields.Selection(AGENT_STATES, readonly=True)
    logged_in_hours = fields.Float(string="Logged In (h)", readonly=True, aggregator="sum")
    busy_hours = fields.Float(
        string="Busy (h)", readonly=True, aggregator="sum", help="Ringing, on a call or in wrap-up."
    )

    def init(self):
        create_report_view(self)

    def _query(self):
        return SQL(
            """
            SELECT l.id, l.user_id, l.date_start, l.state,
                   CASE WHEN l.state <> 'offline' THEN coalesce(l.duration_seconds, 0) / 3600.0 ELSE 0 END
                       AS logged_in_hours,
                   CASE WHEN l.state IN %s THEN coalesce(l.duration_seconds, 0) / 3600.0 ELSE 0 END AS busy_hours
              FROM hotline_agent_state_log l
            """,
            BUSY_STATES,
        )

    def _occupancy(self, domain):
        """{agent: occupancy in %} over the lines of ``domain``."""
        rows = self._read_group(domain, ["user_id"], ["logged_in_hours:sum", "busy_hours:sum"])
        return {user: round(100.0 * busy / logged, 1) if logged else 0.0 for user, logged, busy in rows}
