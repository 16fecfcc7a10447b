from odoo import api, fields, models

from .res_users import AGENT_STATES


class HotlineAgentStateLog(models.Model):
    _name = "hotline.agent.state.log"
    _description = "Agent State Change"
    _order = "date_start desc, id desc"
    _rec_name = "user_id"

    user_id = fields.Many2one("res.users", string="Agent", required=True, index=True, ondelete="cascade")
    pbx_id = fields.Many2one("hotline.pbx", string="PBX", index=True, ondelete="set null")
    extension = fields.Char()
    state = fields.Selection(AGENT_STATES, required=True, index=True)
    pause_reason = fields.Char()
    date_start = fields.Datetime(string="From", required=True, index=True)
    date_end = fields.Datetime(string="To", index=True)
    # precomputed: a new entry is inserted with them (no UPDATE after the INSERT, on each answer and hang-up)
    duration = fields.Float(
        string="Duration (hours)",
        compute="_compute_duration",
        store=True,
        precompute=True,
        aggregator="sum",
        help="Time spent in this state; empty while it lasts.",
    )
    duration_seconds = fields.Integer(
        string="Duration (s)", compute="_compute_duration", store=True, precompute=True, aggregator="sum"
    )

    # ------------------------------------------------------------
    # COMPUTES
    # ------------------------------------------------------------

    @api.depends("date_start", "date_end")
    def _compute_duration(self):
        for log in self:
            seconds = (log.date_end - log.date_start).total_seconds() if log.date_end and log.date_start else 0
            log.duration_seconds = max(int(round(seconds)), 0)
            log.duration = max(seconds, 0) / 3600.0

    # ------------------------------------------------------------
    # BUSINESS
    # ------------------------------------------------------------

    @api.model
    def _hotline_record(self, users, state, reason, when, pbx=None):
        """Close the open entries of ``users`` at ``when`` and open one in ``state`` for each, on ``pbx``
        (default: each user's own)."""
        # sudo: the log is written by the system on behalf of the agents, who may only read it
        logs = self.sudo()
        # with their start in the same query: the duration is computed from it at the flush
        logs.search_fetch([("user_id", "in", users.ids), ("date_end", "=", False)], ["date_start"]).write(
            {"date_end": when}
        )
        return logs.create(
            [
                {
                    "user_id": user.id,
                    "pbx_id": (pbx or user._hotline_get_pbx()).id,
                    "extension": user.hotline_extension,
                    "state": state,
                    "pause_reason": reason or False,
                    "date_start": when,
                }
                for user in users
            ]
        )
