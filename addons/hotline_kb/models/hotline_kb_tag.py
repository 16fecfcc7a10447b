from odoo import fields, models


class HotlineKbTag(models.Model):
    _name = "hotline.kb.tag"
    _description = "Knowledge Base Keyword"
    _order = "name"

    name = fields.Char(required=True)
    color = fields.Integer()

    _sql_constraints = [("name_unique", "unique(name)", "This keyword exists already.")]
