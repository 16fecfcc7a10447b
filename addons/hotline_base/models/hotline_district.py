from odoo import api, fields, models


class HotlineDistrict(models.Model):
    _name = "hotline.district"
    _description = "District"
    _parent_store = True
    _order = "complete_name"
    _rec_name = "complete_name"
    _rec_names_search = ["complete_name", "name", "code"]

    name = fields.Char(required=True, translate=True)
    code = fields.Char(required=True)
    parent_id = fields.Many2one("hotline.district", index=True, ondelete="restrict")
    parent_path = fields.Char(index=True)
    child_ids = fields.One2many("hotline.district", "parent_id")
    complete_name = fields.Char(compute="_compute_complete_name", recursive=True, store=True)
    active = fields.Boolean(default=True)

    _sql_constraints = [
        ("code_unique", "unique(code)", "A district code must be unique."),
    ]

    # ------------------------------------------------------------
    # COMPUTES
    # ------------------------------------------------------------

    @api.depends("name", "parent_id.complete_name")
    def _compute_complete_name(self):
        for district in self:
            if district.parent_id:
                district.complete_name = f"{district.parent_id.complete_name} / {district.name}"
            else:
                district.complete_name = district.name
