from odoo import api, fields, models


class HotlineDepartment(models.Model):
    _name = "hotline.department"
    _description = "Handling Department"
    _inherit = ["mail.thread"]
    _parent_store = True
    _order = "complete_name"
    _rec_name = "complete_name"
    _rec_names_search = ["complete_name", "name", "code"]

    name = fields.Char(required=True, translate=True, tracking=True)
    code = fields.Char(required=True, tracking=True)
    parent_id = fields.Many2one("hotline.department", index=True, ondelete="restrict")
    parent_path = fields.Char(index=True)
    child_ids = fields.One2many("hotline.department", "parent_id")
    complete_name = fields.Char(compute="_compute_complete_name", recursive=True, store=True)
    district_ids = fields.Many2many("hotline.district", string="Districts Served")
    manager_user_id = fields.Many2one("res.users", string="Manager", tracking=True)
    member_ids = fields.One2many("res.users", "hotline_department_id", string="Members")
    member_count = fields.Integer(compute="_compute_member_count")
    calendar_id = fields.Many2one(
        "resource.calendar",
        string="Working Hours",
        help="Working time for the time limits of this department's cases; empty uses the company's.",
    )
    duty_phone = fields.Char()
    email = fields.Char()
    active = fields.Boolean(default=True)

    _sql_constraints = [
        ("code_unique", "unique(code)", "A department code must be unique."),
    ]

    # ------------------------------------------------------------
    # COMPUTES
    # ------------------------------------------------------------

    @api.depends("name", "parent_id.complete_name")
    def _compute_complete_name(self):
        for department in self:
            if department.parent_id:
                department.complete_name = f"{department.parent_id.complete_name} / {department.name}"
            else:
                department.complete_name = department.name

    def _compute_member_count(self):
        counts = dict(
            self.env["res.users"]._read_group(
                [("hotline_department_id", "in", self.ids)], ["hotline_department_id"], ["__count"]
            )
        )
        for department in self:
            department.member_count = counts.get(department, 0)

    # ------------------------------------------------------------
    # BUSINESS
    # ------------------------------------------------------------

    def _hotline_get_calendar(self):
        """The working-time calendar of this department, else its company's."""
        self.ensure_one()
        return self.calendar_id or self.env.company.resource_calendar_id
