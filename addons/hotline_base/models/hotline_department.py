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
    # Department staff (portal users) read departments for their names only: who works
    # where and how to reach them stays with the centre.
    manager_user_id = fields.Many2one("res.users", string="Manager", tracking=True, groups="base.group_user")
    member_ids = fields.One2many("res.users", "hotline_department_id", string="Members", groups="base.group_user")
    member_count = fields.Integer(compute="_compute_member_count", groups="base.group_user")
    calendar_id = fields.Many2one(
        "resource.calendar",
        string="Working Hours",
        groups="base.group_user",
        help="Working time for the time limits of this department's cases; empty uses the company's.",
    )
    duty_phone = fields.Char(groups="base.group_user")
    email = fields.Char(groups="base.group_user")

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

    def _hotline_member_partners(self):
        """The partners of these departments' staff and managers (who follow their cases)."""
        # sudo: department members are not readable by every user
        departments = self.sudo()
        return (departments.member_ids | departments.manager_user_id).partner_id.sudo(False)
