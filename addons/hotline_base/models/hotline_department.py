from odoo import fields, models


class HotlineDepartment(models.Model):
    _name = "hotline.department"
    _description = "Handling Department"
    _inherit = ["hotline.hierarchy.mixin", "mail.thread"]
    _parent_store = True
    _order = "complete_name"

    name = fields.Char(tracking=True)
    code = fields.Char(tracking=True)
    parent_id = fields.Many2one("hotline.department", index=True, ondelete="restrict")
    parent_path = fields.Char(index=True)
    child_ids = fields.One2many("hotline.department", "parent_id")
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

    _sql_constraints = [
        ("code_unique", "unique(code)", "A department code must be unique."),
    ]

    # ------------------------------------------------------------
    # COMPUTES
    # ------------------------------------------------------------

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
