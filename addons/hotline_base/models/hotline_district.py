from odoo import fields, models


class HotlineDistrict(models.Model):
    _name = "hotline.district"
    _description = "District"
    _inherit = ["hotline.hierarchy.mixin"]
    _parent_store = True
    _order = "complete_name"

    parent_id = fields.Many2one("hotline.district", index=True, ondelete="restrict")
    parent_path = fields.Char(index=True)
    child_ids = fields.One2many("hotline.district", "parent_id")

    _sql_constraints = [
        ("code_unique", "unique(code)", "A district code must be unique."),
    ]
