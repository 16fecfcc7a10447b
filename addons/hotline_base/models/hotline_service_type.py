from odoo import fields, models


class HotlineServiceType(models.Model):
    _name = "hotline.service.type"
    _description = "Service Type"
    _order = "sequence, id"
    _rec_names_search = ["name", "code"]

    name = fields.Char(required=True, translate=True)
    code = fields.Char(required=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)

    _sql_constraints = [
        ("code_unique", "unique(code)", "A service type code must be unique."),
    ]
