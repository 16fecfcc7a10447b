import json
from datetime import timedelta

from odoo import api, fields, models
from odoo.tools import SQL

# the columns _hotline_log writes, as prepared by hotline.call's _hotline_prepare_event_vals
LOG_COLUMNS = ("pbx_id", "event_id", "kind", "event_time", "call_id", "user_id", "extension", "linkedid")

# the daily clean-up deletes at most GC_MAX_BATCHES * GC_BATCH_SIZE events; the rest waits a day
GC_BATCH_SIZE = 10_000
GC_MAX_BATCHES = 100

EVENT_KINDS = [
    ("ringing", "Ringing"),
    ("answered", "Answered"),
    ("hangup", "Hung Up"),
    ("agent_state", "Agent State"),
]


class HotlineCallEvent(models.Model):
    """The bridge's events as received: the processed ids make replays idempotent."""

    _name = "hotline.call.event"
    _description = "PBX Event"
    _order = "id desc"
    _rec_name = "event_id"

    pbx_id = fields.Many2one("hotline.pbx", string="PBX", required=True, index=True, ondelete="cascade")
    event_id = fields.Char(string="Event ID", required=True)
    kind = fields.Selection(EVENT_KINDS, required=True)
    event_time = fields.Datetime(string="Time", index=True)
    call_id = fields.Many2one("hotline.call", string="Call", index=True, ondelete="cascade")
    user_id = fields.Many2one("res.users", string="Agent", index=True, ondelete="set null")
    extension = fields.Char()
    linkedid = fields.Char(string="Linked ID")
    payload = fields.Json()

    _sql_constraints = [
        ("event_unique", "unique(pbx_id, event_id)", "This PBX event was already received."),
    ]

    @api.model
    def _hotline_log(self, vals):
        """Store one received event (``vals`` as for ``create``) by a plain INSERT.

        On the screen pop's path: the ORM's create costs several times the INSERT itself for a log
        row that nothing computes from. Same rights as ``create``; nothing is cached of the row.
        """
        self.check_access("create")
        now = self.env.cr.now()
        values = [vals.get(name) or None for name in LOG_COLUMNS]
        self.env.cr.execute(
            SQL(
                "INSERT INTO hotline_call_event (%s, payload, create_uid, create_date, write_uid, write_date) "
                "VALUES (%s, %s::jsonb, %s, %s, %s, %s)",
                SQL(", ").join(SQL.identifier(name) for name in LOG_COLUMNS),
                SQL(", ").join(SQL("%s", value) for value in values),
                json.dumps(vals.get("payload"), ensure_ascii=False, default=str),
                self.env.uid,
                now,
                self.env.uid,
                now,
            )
        )

    @api.autovacuum
    def _gc_old_events(self):
        """Forget events after the configured number of days (default 180): replays are that recent."""
        # sudo: a housekeeping setting
        days = int(self.env["ir.config_parameter"].sudo().get_param("hotline_telephony.event_retention_days", 180))
        if days <= 0:
            return
        limit = fields.Datetime.now() - timedelta(days=days)
        # Set-based SQL on the indexed event_time, in batches: a day of a busy centre is some 200,000
        # rows, which the ORM's unlink would read and check one by one; nothing refers to an event.
        for _batch in range(GC_MAX_BATCHES):
            self.env.cr.execute(
                "DELETE FROM hotline_call_event WHERE id IN "
                "(SELECT id FROM hotline_call_event WHERE event_time < %s LIMIT %s)",
                (limit, GC_BATCH_SIZE),
            )
            if self.env.cr.rowcount < GC_BATCH_SIZE:
                break
