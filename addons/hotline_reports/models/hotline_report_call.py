from odoo import api, fields, models
from odoo.tools import SQL

from odoo.addons.hotline_telephony.models.hotline_call import DIRECTIONS, DISPOSITIONS

from . import hotline_report_rollup  # noqa: F401 (the mixin of the daily totals, before the reports using it)
from .report_view import create_report_view

SERVICE_LEVEL_PARAM = "hotline_reports.service_level_seconds"


class HotlineReportCall(models.Model):
    """One row per call; rates are averages of 0/100 columns, times averages over the answered calls only.

    Daily totals by direction, PBX, agent and queue (hotline.report.rollup.mixin) answer the traffic
    by day, week, month or agent: a year at 3,000,000 calls reads a few thousand rows of totals
    instead of 1.5 million calls (docs/BENCHMARKS.md, Reports).
    """

    _name = "hotline.report.call"
    _inherit = ["hotline.report.rollup.mixin"]
    _description = "Telephone Traffic"
    _auto = False
    _order = "start_time desc"

    _rollup_time_field = "start_time"
    _rollup_keys = ("direction", "pbx_id", "user_id", "queue")
    _rollup_measures = (
        "call_count",
        "offered_count",
        "answered_count",
        "abandoned_count",
        "answer_rate",
        "service_level",
        "answer_wait_seconds",
        "talk_seconds",
        "wait_seconds",
    )
    _rollup_source_table = "hotline_call"
    _rollup_source_time_column = "start_time"

    call_id = fields.Many2one("hotline.call", string="Call", readonly=True)
    start_time = fields.Datetime(string="Time", readonly=True)
    direction = fields.Selection(DIRECTIONS, readonly=True)
    disposition = fields.Selection(DISPOSITIONS, readonly=True)
    queue = fields.Char(readonly=True)
    user_id = fields.Many2one("res.users", string="Agent", readonly=True)
    pbx_id = fields.Many2one("hotline.pbx", string="PBX", readonly=True)
    case_id = fields.Many2one("hotline.case", string="Case", readonly=True)
    district_id = fields.Many2one("hotline.district", string="District", readonly=True)

    call_count = fields.Integer(string="Calls", readonly=True, aggregator="sum")
    offered_count = fields.Integer(string="Offered", readonly=True, aggregator="sum", help="Inbound calls.")
    answered_count = fields.Integer(string="Answered", readonly=True, aggregator="sum", help="Inbound calls.")
    abandoned_count = fields.Integer(string="Abandoned", readonly=True, aggregator="sum")
    answer_rate = fields.Float(string="Answer Rate (%)", readonly=True, aggregator="avg")
    service_level = fields.Float(
        string="Service Level (%)",
        readonly=True,
        aggregator="avg",
        help="Inbound calls answered within the service-level time set in the settings.",
    )
    answer_wait_seconds = fields.Float(
        string="Average Speed of Answer (s)", readonly=True, aggregator="avg", help="Wait of the answered calls."
    )
    talk_seconds = fields.Float(
        string="Average Handle Time (s)", readonly=True, aggregator="avg", help="Talk time of the answered calls."
    )
    wait_seconds = fields.Integer(string="Longest Wait (s)", readonly=True, aggregator="max")

    def init(self):
        create_report_view(self)
        self._rollup_install()

    def _rollup_params(self):
        # the service level depends on the setting: read as the view reads it
        self.env.cr.execute(
            "SELECT coalesce((SELECT value FROM ir_config_parameter WHERE key = %s), '20')", [SERVICE_LEVEL_PARAM]
        )
        return self.env.cr.fetchone()[0]

    def _query(self):
        # the figures of a call centre are those of the inbound calls; outbound ones only count as calls
        answered = SQL("(c.direction = 'inbound' AND c.disposition = 'answered' AND c.answer_time IS NOT NULL)")
        inbound = SQL("(c.direction = 'inbound')")
        return SQL(
            """
            WITH setting AS (
                SELECT coalesce((SELECT value FROM ir_config_parameter WHERE key = %(param)s), '20')::int AS seconds
            )
            SELECT c.id AS id,
                   c.id AS call_id,
                   c.start_time,
                   c.direction,
                   c.disposition,
                   c.queue,
                   c.user_id,
                   c.pbx_id,
                   c.case_id,
                   hc.district_id,
                   1 AS call_count,
                   CASE WHEN %(inbound)s THEN 1 ELSE 0 END AS offered_count,
                   CASE WHEN %(answered)s THEN 1 ELSE 0 END AS answered_count,
                   CASE WHEN %(inbound)s AND NOT %(answered)s THEN 1 ELSE 0 END AS abandoned_count,
                   CASE WHEN NOT %(inbound)s THEN NULL WHEN %(answered)s THEN 100.0 ELSE 0.0 END AS answer_rate,
                   CASE WHEN NOT %(inbound)s THEN NULL
                        WHEN %(answered)s AND coalesce(c.wait_seconds, 0) <= setting.seconds THEN 100.0
                        ELSE 0.0 END AS service_level,
                   CASE WHEN %(answered)s THEN coalesce(c.wait_seconds, 0) END AS answer_wait_seconds,
                   CASE WHEN %(answered)s THEN coalesce(c.talk_seconds, 0) END AS talk_seconds,
                   CASE WHEN %(inbound)s THEN coalesce(c.wait_seconds, 0) END AS wait_seconds
              FROM hotline_call c
             CROSS JOIN setting
              LEFT JOIN hotline_case hc ON hc.id = c.case_id
             -- a supervisor's listening or pickup session is not a call of the hotline
             WHERE c.monitoring IS NOT TRUE
            """,
            param=SERVICE_LEVEL_PARAM,
            inbound=inbound,
            answered=answered,
        )


class HotlineCall(models.Model):
    _name = "hotline.call"
    _inherit = ["hotline.call", "hotline.report.rollup.source"]

    _rollup_reports = ("hotline.report.call",)

    @api.model
    def _hotline_insert_from_cdrs(self, pbx, vals_list):
        # a bulk insert in SQL: its days of the traffic totals are stale
        calls = super()._hotline_insert_from_cdrs(pbx, vals_list)
        self.env["hotline.report.call"]._rollup_mark_stale(calls.ids)
        return calls
