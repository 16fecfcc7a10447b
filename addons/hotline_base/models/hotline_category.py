from odoo import fields, models


class HotlineCategory(models.Model):
    _name = "hotline.category"
    _description = "Problem Category"
    _inherit = ["hotline.hierarchy.mixin"]
    _parent_store = True
    _order = "sequence, complete_name"

    sequence = fields.Integer(default=10)
    parent_id = fields.Many2one("hotline.category", index=True, ondelete="restrict")
    parent_path = fields.Char(index=True)
    child_ids = fields.One2many("hotline.category", "parent_id")
    department_id = fields.Many2one(
        "hotline.department",
        string="Default Department",
        help="Handles this category's cases when no routing rule matches.",
    )
    description = fields.Text(translate=True)

    _sql_constraints = [
        ("code_unique", "unique(code)", "A category code must be unique."),
    ]

    # ------------------------------------------------------------
    # BUSINESS
    # ------------------------------------------------------------

    def _hotline_default_department(self):
        """The category's default department, inherited from the nearest parent that has one."""
        self.ensure_one()
        category = self
        while category and not category.department_id:
            category = category.parent_id
        return category.department_id
