from odoo import _, api, fields, models
from odoo.exceptions import ValidationError

# indicator code: (label, column of hotline.report.department, a rate in %)
INDICATORS = {
    "on_time": ("On-time handling rate", "on_time_rate"),
    "satisfaction": ("Satisfaction rate", "satisfaction_rate"),
    "no_reopen": ("Cases not reopened", "no_reopen_rate"),
}


class HotlineEvaluationRule(models.Model):
    """What a department is evaluated on: weighted indicators, and deductions for spot-check findings."""

    _name = "hotline.evaluation.rule"
    _description = "Department Evaluation Rule"
    _order = "kind, sequence, id"

    name = fields.Char(required=True, translate=True)
    code = fields.Char(required=True)
    sequence = fields.Integer(default=10)
    kind = fields.Selection(
        [("indicator", "Indicator"), ("deduction", "Deduction")], required=True, default="indicator"
    )
    indicator = fields.Selection([(code, label) for code, (label, _column) in INDICATORS.items()])
    weight = fields.Float(help="Indicators: weight in the score (the weights are normalised).")
    points = fields.Float(help="Deductions: points taken off the score for each finding.")
    description = fields.Text(translate=True)
    active = fields.Boolean(default=True)

    _sql_constraints = [("code_unique", "unique(code)", "An evaluation rule's code must be unique.")]

    @api.constrains("kind", "indicator", "weight", "points")
    def _check_kind(self):
        for rule in self:
            if rule.kind == "indicator" and (not rule.indicator or rule.weight <= 0):
                raise ValidationError(_("Indicator %s needs what it measures and a positive weight.", rule.name))
            if rule.kind == "deduction" and rule.points <= 0:
                raise ValidationError(_("Deduction %s needs a positive number of points.", rule.name))
