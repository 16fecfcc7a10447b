from odoo import fields, models

from .hotline_case import STATES


class HotlineCaseStageLog(models.Model):
    _name = "hotline.case.stage.log"
    _description = "Case Stage Log"
    _order = "case_id, date_in, id"

    case_id = fields.Many2one("hotline.case", string="Case", required=True, index=True, ondelete="cascade")
    state = fields.Selection(STATES, string="Stage", required=True)
    user_id = fields.Many2one("res.users", string="User", help="Who moved the case into this stage.")
    department_id = fields.Many2one("hotline.department", string="Department", index=True)
    date_in = fields.Datetime(string="Entered", required=True)
    date_out = fields.Datetime(string="Left")
    deadline = fields.Datetime(help="The stage's deadline when the case left it.")
    working_hours = fields.Float(help="Time spent in this stage, in working hours (round the clock for 24h policies).")
    overdue = fields.Boolean(index=True, help="The case left the stage after its deadline.")
