from odoo import api, fields, models

KINDS = [("component", "Component"), ("event", "Event")]


class HotlineComponentType(models.Model):
    _name = "hotline.component.type"
    _description = "Component or Event Type"
    _inherit = ["hotline.hierarchy.mixin"]
    _parent_store = True
    _order = "kind, code"

    # The national classification (GB/T 30428.2) names its classes in Chinese only: one name, not translated.
    name = fields.Char(required=True, translate=False)
    parent_id = fields.Many2one("hotline.component.type", string="Class", index=True, ondelete="restrict")
    parent_path = fields.Char(index=True)
    child_ids = fields.One2many("hotline.component.type", "parent_id", string="Subclasses")
    kind = fields.Selection(KINDS, required=True, default="component", index=True)
    department_id = fields.Many2one(
        "hotline.department",
        string="Default Owner",
        ondelete="set null",
        help="Owns this type's components, or handles this type's events, unless a component names its own owner. "
        "Empty: the class's owner.",
    )
    component_count = fields.Integer(compute="_compute_component_count", string="Components")

    _sql_constraints = [
        ("code_unique", "unique(code)", "A component or event type code must be unique."),
    ]

    # ------------------------------------------------------------
    # COMPUTES
    # ------------------------------------------------------------

    def _compute_component_count(self):
        counts = dict(
            self.env["hotline.component"]._read_group([("type_id", "in", self.ids)], ["type_id"], ["__count"])
        )
        for component_type in self:
            component_type.component_count = counts.get(component_type, 0)

    # ------------------------------------------------------------
    # CONSTRAINTS AND ONCHANGES
    # ------------------------------------------------------------

    @api.onchange("parent_id")
    def _onchange_parent_id(self):
        if self.parent_id:
            self.kind = self.parent_id.kind

    # ------------------------------------------------------------
    # ACTIONS
    # ------------------------------------------------------------

    def action_view_components(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("hotline_case.hotline_component_action")
        action["domain"] = [("type_id", "child_of", self.id)]
        action["context"] = {"default_type_id": self.id}
        return action

    # ------------------------------------------------------------
    # BUSINESS
    # ------------------------------------------------------------

    def _hotline_owner_department(self):
        """The owner of this type, inherited from the nearest class that has one."""
        self.ensure_one()
        component_type = self
        while component_type and not component_type.department_id:
            component_type = component_type.parent_id
        return component_type.department_id
