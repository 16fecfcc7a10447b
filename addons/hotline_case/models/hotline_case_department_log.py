from odoo import fields, models


class HotlineCaseDepartmentLog(models.Model):
    _name = "hotline.case.department.log"
    _description = "Case Department History"
    _order = "date desc, id desc"

    case_id = fields.Many2one("hotline.case", string="Case", required=True, index=True, ondelete="cascade")
    event = fields.Selection(
        [
            ("dispatch", "Dispatched"),
            ("return", "Returned to the Centre"),
            ("transfer", "Transferred"),
            ("reject", "Feedback Rejected"),
            ("reopen", "Reopened"),
        ],
        required=True,
    )
    department_id = fields.Many2one(
        "hotline.department", string="Department", index=True, help="The department the event concerns."
    )
    to_department_id = fields.Many2one("hotline.department", string="New Department")
    reason = fields.Text()
    user_id = fields.Many2one("res.users", string="User", default=lambda self: self.env.user)
    date = fields.Datetime(default=fields.Datetime.now, required=True)
