from odoo import fields, models


class HotlineOpen311AttributeValue(models.Model):
    _name = "hotline.open311.attribute.value"
    _description = "Open311 Question Choice"
    _order = "attribute_id, sequence, id"

    attribute_id = fields.Many2one("hotline.open311.attribute", required=True, index=True, ondelete="cascade")
    sequence = fields.Integer(default=10)
    key = fields.Char(required=True, help="What apps send for this choice.")
    name = fields.Char(required=True, translate=True)

    _sql_constraints = [
        ("key_attribute_unique", "unique(attribute_id, key)", "A choice's key is used once per question."),
    ]
