from odoo import api, fields, models
from odoo.tools import SQL

from odoo.addons.hotline_case.models.hotline_case import PRIORITIES, SOURCES, STATES

from . import hotline_report_rollup  # noqa: F401 (the mixin of the daily totals, before the reports using it)
from .report_view import create_report_view

SATISFACTION = [
    ("satisfied", "Satisfied"),
    ("relatively_satisfied", "Relatively Satisfied"),
    ("general", "General"),
    ("unsatisfied", "Unsatisfied"),
    ("other", "Other"),
]


def _top_category(alias):
    """(SQL of the main category, joins it needs) of the category column of ``alias``."""
    return (
        SQL("coalesce(top.id, %s)", SQL.identifier(alias, "category_id")),
        SQL(
            """LEFT JOIN hotline_category cat ON cat.id = %s
               LEFT JOIN hotline_category top ON top.id = split_part(cat.parent_path, '/', 1)::int""",
            SQL.identifier(alias, "category_id"),
        ),
    )


class HotlineReportCase(models.Model):
    """One row per case (duplicates merged into another excluded), with 0/100 columns whose average is a rate.

    Daily totals by district and category (hotline.report.rollup.mixin) answer the pivots of
    counts and rates by district, category and period: a month of the city at 1,000,000 cases
    reads a few thousand rows of totals instead of the month's cases (docs/BENCHMARKS.md, Reports).
    """

    _name = "hotline.report.case"
    _inherit = ["hotline.report.rollup.mixin"]
    _description = "Case Statistics"
    _auto = False
    _rec_name = "name"
    _order = "reported_at desc"

    _rollup_time_field = "reported_at"
    _rollup_keys = ("district_id", "category_id")
    # not overdue_count, on_time_rate nor fcr_no_reopen_rate: they read the stage and department logs
    _rollup_measures = (
        "case_count",
        "completed_count",
        "handle_on_time_rate",
        "fcr_rate",
        "satisfaction_rate",
        "return_visit_rate",
        "handling_hours",
    )
    _rollup_source_table = "hotline_case"
    _rollup_source_time_column = "reported_at"

    name = fields.Char(string="Case Number", readonly=True)
    case_id = fields.Many2one("hotline.case", string="Case", readonly=True)
    reported_at = fields.Datetime(string="Reported", readonly=True)
    closed_at = fields.Datetime(string="Closed", readonly=True)
    district_id = fields.Many2one("hotline.district", string="District", readonly=True)
    category_id = fields.Many2one("hotline.category", string="Category", readonly=True)
    top_category_id = fields.Many2one("hotline.category", string="Main Category", readonly=True)
    service_type_id = fields.Many2one("hotline.service.type", string="Appeal Type", readonly=True)
    source = fields.Selection(SOURCES, readonly=True)
    department_id = fields.Many2one("hotline.department", string="Handling Department", readonly=True)
    user_id = fields.Many2one("res.users", string="Duty Operator", readonly=True)
    state = fields.Selection(STATES, string="Status", readonly=True)
    priority = fields.Selection(PRIORITIES, readonly=True)
    satisfaction = fields.Selection(SATISFACTION, readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)

    case_count = fields.Integer(string="Cases", readonly=True, aggregator="sum")
    completed_count = fields.Integer(string="Completed", readonly=True, aggregator="sum")
    overdue_count = fields.Integer(string="Overdue", readonly=True, aggregator="sum")
    on_time_rate = fields.Float(
        string="On-time Rate (%)", readonly=True, aggregator="avg", help="Cases that never missed a stage deadline."
    )
    handle_on_time_rate = fields.Float(
        string="Handling On-time Rate (%)", readonly=True, aggregator="avg", help="Among dispatched cases."
    )
    fcr_rate = fields.Float(
        string="Closed on the Call (%)", readonly=True, aggregator="avg", help="First-call resolution."
    )
    fcr_no_reopen_rate = fields.Float(
        string="Closed without Reopening (%)",
        readonly=True,
        aggregator="avg",
        help="Among completed cases, those never reopened.",
    )
    satisfaction_rate = fields.Float(
        string="Satisfaction Rate (%)",
        readonly=True,
        aggregator="avg",
        help="Satisfied or relatively satisfied, among the cases with a return visit.",
    )
    return_visit_rate = fields.Float(
        string="Return-visit Rate (%)", readonly=True, aggregator="avg", help="Among completed handled cases."
    )
    handling_hours = fields.Float(
        string="Handling Time (h)", readonly=True, aggregator="avg", help="From dispatch to the feedback, in hours."
    )

    def init(self):
        create_report_view(self)
        self._rollup_install()

    def _rollup_derived(self, alias):
        top, joins = _top_category(alias)
        return SQL(", %s AS top_category_id", top), joins

    def _rollup_derived_fields(self):
        return ("top_category_id",)

    def _query(self):
        # a late stage or a reopening is looked up per case (index on case_id) when a figure needs it,
        # instead of aggregating the whole logs for every query
        late = SQL("EXISTS (SELECT 1 FROM hotline_case_stage_log l WHERE l.case_id = c.id AND l.overdue)")
        reopened = SQL(
            "EXISTS (SELECT 1 FROM hotline_case_department_log l WHERE l.case_id = c.id AND l.event = 'reopen')"
        )
        top, top_joins = _top_category("c")
        return SQL(
            """
            SELECT c.id AS id,
                   c.id AS case_id,
                   c.name AS name,
                   c.reported_at,
                   c.closed_at,
                   c.district_id,
                   c.category_id,
                   %(top)s AS top_category_id,
                   c.service_type_id,
                   c.source,
                   c.department_id,
                   c.user_id,
                   c.state,
                   c.priority,
                   c.satisfaction,
                   c.company_id,
                   1 AS case_count,
                   CASE WHEN c.state = 'done' THEN 1 ELSE 0 END AS completed_count,
                   CASE WHEN c.is_overdue OR %(late)s THEN 1 ELSE 0 END AS overdue_count,
                   CASE WHEN c.is_overdue OR %(late)s THEN 0.0 ELSE 100.0 END AS on_time_rate,
                   CASE WHEN c.dispatched_at IS NULL THEN NULL
                        WHEN c.handle_overdue THEN 0.0 ELSE 100.0 END AS handle_on_time_rate,
                   CASE WHEN c.resolution_type = 'direct' THEN 100.0 ELSE 0.0 END AS fcr_rate,
                   CASE WHEN c.state <> 'done' THEN NULL
                        WHEN NOT %(reopened)s THEN 100.0 ELSE 0.0 END AS fcr_no_reopen_rate,
                   CASE WHEN c.satisfaction IS NULL OR c.satisfaction = 'other' THEN NULL
                        WHEN c.satisfaction IN ('satisfied', 'relatively_satisfied') THEN 100.0 ELSE 0.0
                   END AS satisfaction_rate,
                   CASE WHEN c.state <> 'done' OR c.resolution_type IS DISTINCT FROM 'handled' THEN NULL
                        WHEN c.return_visit_at IS NOT NULL THEN 100.0 ELSE 0.0 END AS return_visit_rate,
                   CASE WHEN c.dispatched_at IS NOT NULL AND c.feedback_at IS NOT NULL
                        THEN extract(epoch FROM c.feedback_at - c.dispatched_at) / 3600.0 END AS handling_hours
              FROM hotline_case c
              %(top_joins)s
             WHERE c.duplicate_of_id IS NULL
            """,
            top=top,
            top_joins=top_joins,
            late=late,
            reopened=reopened,
        )


class HotlineCase(models.Model):
    _name = "hotline.case"
    _inherit = ["hotline.case", "hotline.report.rollup.source"]

    _rollup_reports = ("hotline.report.case",)

    def unlink(self):
        # their duplicates come back into the statistics (duplicate_of_id emptied by the database)
        self.env.cr.execute("SELECT id FROM hotline_case WHERE duplicate_of_id = ANY(%s)", [self.ids])
        self.env["hotline.report.case"]._rollup_mark_stale([row[0] for row in self.env.cr.fetchall()])
        return super().unlink()

    @api.model
    def _hotline_mark_overdue(self, now, limit):
        # an update in SQL (handle_overdue): its days of the case totals are stale
        ids = super()._hotline_mark_overdue(now, limit)
        self.env["hotline.report.case"]._rollup_mark_stale(ids)
        return ids
