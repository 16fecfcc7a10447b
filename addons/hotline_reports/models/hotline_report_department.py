from odoo import api, fields, models
from odoo.tools import SQL

from .hotline_evaluation_rule import INDICATORS
from .report_view import create_report_view


class HotlineReportDepartment(models.Model):
    """One row per dispatched case and its handling department, with the department's figures."""

    _name = "hotline.report.department"
    _description = "Department Performance"
    _auto = False
    _order = "dispatched_at desc"

    case_id = fields.Many2one("hotline.case", string="Case", readonly=True)
    department_id = fields.Many2one("hotline.department", string="Department", readonly=True)
    district_id = fields.Many2one("hotline.district", string="District", readonly=True)
    category_id = fields.Many2one("hotline.category", string="Category", readonly=True)
    dispatched_at = fields.Datetime(string="Dispatched", readonly=True)

    case_count = fields.Integer(string="Cases", readonly=True, aggregator="sum")
    on_time_rate = fields.Float(string="On-time Rate (%)", readonly=True, aggregator="avg")
    sign_off_hours = fields.Float(
        string="Sign-off Time (h)", readonly=True, aggregator="avg", help="From dispatch to the department's sign-off."
    )
    return_count = fields.Integer(string="Returns to the Centre", readonly=True, aggregator="sum")
    extension_count = fields.Integer(string="Extensions", readonly=True, aggregator="sum")
    urge_count = fields.Integer(string="Urged", readonly=True, aggregator="sum")
    warn_count = fields.Integer(string="Warned", readonly=True, aggregator="sum")
    red_count = fields.Integer(string="Red Cards", readonly=True, aggregator="sum")
    satisfaction_rate = fields.Float(string="Satisfaction Rate (%)", readonly=True, aggregator="avg")
    reopen_rate = fields.Float(string="Reopen Rate (%)", readonly=True, aggregator="avg")
    no_reopen_rate = fields.Float(string="Not Reopened (%)", readonly=True, aggregator="avg")
    deduction_points = fields.Float(string="Spot-check Deductions", readonly=True, aggregator="sum")

    def init(self):
        create_report_view(self)

    def _query(self):
        return SQL(
            """
            WITH returns AS (
                SELECT case_id, count(*) AS n FROM hotline_case_department_log WHERE event = 'return' GROUP BY case_id
            ), reopens AS (
                SELECT case_id, count(*) AS n FROM hotline_case_department_log WHERE event = 'reopen' GROUP BY case_id
            ), extensions AS (
                SELECT case_id, count(*) AS n FROM hotline_case_extension WHERE state = 'approved' GROUP BY case_id
            ), supervisions AS (
                SELECT case_id,
                       count(*) FILTER (WHERE level = 'urge') AS urge,
                       count(*) FILTER (WHERE level = 'warn') AS warn,
                       count(*) FILTER (WHERE level = 'red') AS red
                  FROM hotline_case_supervision GROUP BY case_id
            ), deductions AS (
                SELECT case_id, sum(points) AS points
                  FROM hotline_evaluation_check WHERE state = 'confirmed' AND case_id IS NOT NULL GROUP BY case_id
            )
            SELECT c.id AS id,
                   c.id AS case_id,
                   c.department_id,
                   c.district_id,
                   c.category_id,
                   c.dispatched_at,
                   1 AS case_count,
                   CASE WHEN c.handle_overdue THEN 0.0 ELSE 100.0 END AS on_time_rate,
                   CASE WHEN c.started_at IS NOT NULL
                        THEN extract(epoch FROM c.started_at - c.dispatched_at) / 3600.0 END AS sign_off_hours,
                   coalesce(returns.n, 0) AS return_count,
                   coalesce(extensions.n, 0) AS extension_count,
                   coalesce(supervisions.urge, 0) AS urge_count,
                   coalesce(supervisions.warn, 0) AS warn_count,
                   coalesce(supervisions.red, 0) AS red_count,
                   CASE WHEN c.satisfaction IS NULL OR c.satisfaction = 'other' THEN NULL
                        WHEN c.satisfaction IN ('satisfied', 'relatively_satisfied') THEN 100.0 ELSE 0.0
                   END AS satisfaction_rate,
                   CASE WHEN c.state <> 'done' THEN NULL
                        WHEN reopens.n IS NULL THEN 0.0 ELSE 100.0 END AS reopen_rate,
                   CASE WHEN c.state <> 'done' THEN NULL
                        WHEN reopens.n IS NULL THEN 100.0 ELSE 0.0 END AS no_reopen_rate,
                   coalesce(deductions.points, 0) AS deduction_points
              FROM hotline_case c
              LEFT JOIN returns ON returns.case_id = c.id
              LEFT JOIN reopens ON reopens.case_id = c.id
              LEFT JOIN extensions ON extensions.case_id = c.id
              LEFT JOIN supervisions ON supervisions.case_id = c.id
              LEFT JOIN deductions ON deductions.case_id = c.id
             WHERE c.dispatched_at IS NOT NULL AND c.department_id IS NOT NULL AND c.duplicate_of_id IS NULL
            """
        )

    @api.model
    def score_for(self, date_from, date_to, district_id=False):
        """Each department's score over the cases dispatched in [date_from, date_to] (dates or datetimes):
        ``[{department_id, score, indicators: {code: value}, deductions, rank}]``, best first.

        score = the indicators' weighted average (rules of kind indicator, weights in %) minus the
        confirmed spot-check deductions of the period (rules of kind deduction).
        """
        date_from, date_to = self._period(date_from, date_to)
        domain = [("dispatched_at", ">=", date_from), ("dispatched_at", "<", date_to)]
        if district_id:
            domain.append(("district_id", "child_of", int(district_id)))
        measures = [f"{field}:avg" for _label, field in INDICATORS.values()]
        rows = self._read_group(domain, ["department_id"], measures)
        rules = self.env["hotline.evaluation.rule"].search([("kind", "=", "indicator")])
        deductions = self.env["hotline.evaluation.check"]._deductions(date_from, date_to, district_id)
        results = []
        for department, *values in rows:
            indicators = {code: value for code, value in zip(INDICATORS, values, strict=True)}
            results.append(
                {
                    "department_id": department.id,
                    "department": department.display_name,
                    "score": round(self._weighted(rules, indicators) - deductions.get(department.id, 0.0), 2),
                    "indicators": {code: round(value, 2) for code, value in indicators.items() if value is not None},
                    "deductions": deductions.get(department.id, 0.0),
                }
            )
        results.sort(key=lambda result: (-result["score"], result["department"]))
        for rank, result in enumerate(results, 1):
            result["rank"] = rank
        return results

    @api.model
    def _weighted(self, rules, indicators):
        """The indicators' weighted average; an indicator without cases to measure (None) does not count."""
        counted = rules.filtered(lambda rule: indicators.get(rule.indicator) is not None)
        weights = sum(counted.mapped("weight"))
        if not weights:
            return 0.0
        return sum(rule.weight * indicators[rule.indicator] for rule in counted) / weights

    @api.model
    def _period(self, date_from, date_to):
        """[start, end) as datetimes; a date ``date_to`` includes that whole day."""
        start = fields.Datetime.to_datetime(date_from)
        end = fields.Datetime.to_datetime(date_to)
        if len(str(date_to)) == 10:
            end = fields.Datetime.add(end, days=1)
        return start, end
