from odoo import api, fields, models


class HotlineCategory(models.Model):
    _name = "hotline.category"
    _description = "Problem Category"
    _parent_store = True
    _order = "sequence, complete_name"
    _rec_name = "complete_name"
    _rec_names_search = ["complete_name", "name", "code"]

    name = fields.Char(required=True, translate=True)
    code = fields.Char(required=True)
    sequence = fields.Integer(default=10)
    parent_id = fields.Many2one("hotline.category", index=True, ondelete="restrict")
    parent_path = fields.Char(index=True)
    child_ids = fields.One2many("hotline.category", "parent_id")
    complete_name = fields.Char(compute="_compute_complete_name", recursive=True, store=True)
    department_id = fields.Many2one(
        "hotline.department",
        string="Default Department",
        help="Handles this category's cases when no routing rule matches.",
    )
    description = fields.Text(translate=True)
    active = fields.Boolean(default=True)

    _sql_constraints = [
        ("code_unique", "unique(code)", "A category code must be unique."),
    ]

    # ------------------------------------------------------------
    # COMPUTES
    # ------------------------------------------------------------

    @api.depends("name", "parent_id.complete_name")
    def _compute_complete_name(self):
        for category in self:
            if category.parent_id:
                category.complete_name = f"{category.parent_id.complete_name} / {category.name}"
            else:
                category.complete_name = category.name

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
