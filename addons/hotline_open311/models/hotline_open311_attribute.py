from odoo import _, api, fields, models
from odoo.exceptions import ValidationError

from ..tools.georeport import Open311Error, parse_datetime

LIST_TYPES = ("singlevaluelist", "multivaluelist")


class HotlineOpen311Attribute(models.Model):
    _name = "hotline.open311.attribute"
    _description = "Open311 Service Question"
    _order = "category_id, sequence, id"

    category_id = fields.Many2one("hotline.category", required=True, index=True, ondelete="cascade")
    sequence = fields.Integer(default=10)
    code = fields.Char(required=True, help="The attribute's code: apps send the answer as attribute[CODE].")
    description = fields.Char(string="Question", required=True, translate=True)
    datatype = fields.Selection(
        [
            ("string", "Short Text"),
            ("text", "Long Text"),
            ("number", "Number"),
            ("datetime", "Date and Time"),
            ("singlevaluelist", "One Choice"),
            ("multivaluelist", "Several Choices"),
        ],
        required=True,
        default="string",
    )
    datatype_description = fields.Char(translate=True, help="How the answer is written, e.g. '8 digits'.")
    required = fields.Boolean()
    variable = fields.Boolean(
        default=True, help="Unchecked: an information shown to the citizen, not a question to answer."
    )
    value_ids = fields.One2many("hotline.open311.attribute.value", "attribute_id", string="Choices", copy=True)

    _sql_constraints = [
        ("code_category_unique", "unique(category_id, code)", "An attribute code is used once per category."),
    ]

    # ------------------------------------------------------------
    # CONSTRAINTS
    # ------------------------------------------------------------

    @api.constrains("code")
    def _check_code(self):
        for attribute in self:
            if not attribute.code or any(char in attribute.code for char in "[]&=# "):
                raise ValidationError(_("An attribute code cannot contain spaces, brackets, '&', '=' or '#'."))

    # ------------------------------------------------------------
    # BUSINESS
    # ------------------------------------------------------------

    def _open311_attribute_data(self):
        self.ensure_one()
        return {
            "variable": self.variable,
            "code": self.code,
            "datatype": self.datatype,
            "required": self.required,
            "datatype_description": self.datatype_description or None,
            "order": self.sequence,
            "description": self.description,
            "values": [{"key": value.key, "name": value.name} for value in self.value_ids],
        }

    def _open311_clean_answer(self, raw_values, tz_name):
        """The answer to store from the submitted values (a list of strings); 400 when it does not fit."""
        self.ensure_one()
        values = [value.strip() for value in raw_values if value and value.strip()]
        if not values:
            if self.required and self.variable:
                raise Open311Error(400, _("attribute[%s] is required: %s", self.code, self.description))
            return None
        if self.datatype == "multivaluelist":
            self._open311_check_keys(values)
            return values
        value = values[0]
        if self.datatype == "singlevaluelist":
            self._open311_check_keys([value])
        elif self.datatype == "number":
            try:
                float(value)
            except ValueError:
                raise Open311Error(400, _("attribute[%s] must be a number.", self.code)) from None
        elif self.datatype == "datetime":
            try:
                parse_datetime(value, tz_name)
            except ValueError:
                raise Open311Error(400, _("attribute[%s] must be an ISO 8601 date-time.", self.code)) from None
        limit = 4000 if self.datatype == "text" else 255
        if len(value) > limit:
            raise Open311Error(400, _("attribute[%s] is longer than %s characters.", self.code, limit))
        return value

    def _open311_check_keys(self, keys):
        known = set(self.value_ids.mapped("key"))
        unknown = [key for key in keys if key not in known]
        if unknown:
            raise Open311Error(
                400, _("attribute[%(code)s]: unknown value %(value)s.", code=self.code, value=", ".join(unknown))
            )
