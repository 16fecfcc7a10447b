from odoo import api, fields, models


class HotlineEvaluationRanking(models.TransientModel):
    """The departments ranked by their evaluation score over a period (and a district), printable."""

    _name = "hotline.evaluation.ranking"
    _description = "Department Ranking"

    date_from = fields.Date(required=True, default=lambda self: fields.Date.context_today(self).replace(day=1))
    date_to = fields.Date(required=True, default=fields.Date.context_today)
    district_id = fields.Many2one("hotline.district", string="District", help="Empty: the whole city.")
    line_ids = fields.One2many("hotline.evaluation.ranking.line", "ranking_id", string="Ranking", readonly=True)

    @api.model_create_multi
    def create(self, vals_list):
        rankings = super().create(vals_list)
        rankings._compute_lines()
        return rankings

    def action_compute(self):
        self._compute_lines()
        return {
            "type": "ir.actions.act_window",
            "res_model": self._name,
            "res_id": self.id,
            "view_mode": "form",
            "target": "current",
        }

    def action_print(self):
        return self.env.ref("hotline_reports.action_report_hotline_evaluation_ranking").report_action(self)

    def _compute_lines(self):
        for ranking in self:
            results = self.env["hotline.report.department"].score_for(
                ranking.date_from, ranking.date_to, ranking.district_id.id
            )
            ranking.line_ids = [fields.Command.clear()] + [
                fields.Command.create(
                    {
                        "rank": result["rank"],
                        "department_id": result["department_id"],
                        "score": result["score"],
                        "on_time": result["indicators"].get("on_time", 0.0),
                        "satisfaction": result["indicators"].get("satisfaction", 0.0),
                        "no_reopen": result["indicators"].get("no_reopen", 0.0),
                        "deductions": result["deductions"],
                    }
                )
                for result in results
            ]


class HotlineEvaluationRankingLine(models.TransientModel):
    _name = "hotline.evaluation.ranking.line"
    _description = "Department Ranking Line"
    _order = "rank"

    ranking_id = fields.Many2one("hotline.evaluation.ranking", required=True, ondelete="cascade")
    rank = fields.Integer()
    department_id = fields.Many2one("hotline.department", string="Department")
    score = fields.Float(digits=(6, 2))
    on_time = fields.Float(string="On-time (%)", digits=(6, 1))
    satisfaction = fields.Float(string="Satisfaction (%)", digits=(6, 1))
    no_reopen = fields.Float(string="Not Reopened (%)", digits=(6, 1))
    deductions = fields.Float(string="Deductions", digits=(6, 1))
