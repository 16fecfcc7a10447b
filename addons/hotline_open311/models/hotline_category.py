from odoo import _, api, fields, models
from odoo.exceptions import ValidationError

from ..tools.georeport import Open311Error


class HotlineCategory(models.Model):
    _inherit = "hotline.category"

    open311_public = fields.Boolean(
        string="Open311 Service",
        help="Offered to apps and partner systems through the Open311 API, with the category's code "
        "as the service code.",
    )
    open311_description = fields.Text(
        string="Service Description", translate=True, help="What the service is for, as the Open311 list shows it."
    )
    open311_keywords = fields.Char(
        string="Service Keywords", translate=True, help="Comma-separated words apps may search the service by."
    )
    open311_type = fields.Selection(
        [("realtime", "Realtime"), ("batch", "Batch"), ("blackbox", "Black Box")],
        string="Service Type (Open311)",
        default="realtime",
        required=True,
        help="Realtime: the request's number is returned at once. Batch: a token is returned and the number "
        "later. Black box: requests cannot be followed.",
    )
    open311_notice = fields.Text(
        string="Service Notice",
        translate=True,
        help="Told to whoever submits a request, e.g. how long the handling usually takes.",
    )
    open311_attribute_ids = fields.One2many(
        "hotline.open311.attribute", "category_id", string="Extra Questions", copy=True
    )

    # ------------------------------------------------------------
    # CONSTRAINTS
    # ------------------------------------------------------------

    @api.constrains("open311_public", "code")
    def _check_open311_code(self):
        for category in self.filtered("open311_public"):
            code = category.code or ""
            if not code or any(char in code for char in "/,. ?#&") or len(code) > 64:
                raise ValidationError(
                    _(
                        "Category %s cannot be an Open311 service: its code must be up to 64 characters "
                        "without spaces, slashes, commas or dots.",
                        category.display_name,
                    )
                )

    # ------------------------------------------------------------
    # BUSINESS: the service list and definitions
    # ------------------------------------------------------------

    @api.model
    def _open311_services(self):
        return self.search([("open311_public", "=", True)], order="sequence, complete_name, id")

    @api.model
    def _open311_find_service(self, code):
        """The public category with this service code; a 404 in the spec's format otherwise."""
        category = self.search([("open311_public", "=", True), ("code", "=", code)], limit=1) if code else self
        if not category:
            raise Open311Error(404, _("Unknown service_code: %s", code or ""))
        return category

    def _open311_service_data(self):
        self.ensure_one()
        return {
            "service_code": self.code,
            "service_name": self.name,
            "description": self.open311_description or self.description or None,
            "metadata": bool(self.open311_attribute_ids),
            "type": self.open311_type,
            "keywords": self.open311_keywords or None,
            "group": self.parent_id.name or None,
        }

    def _open311_definition_data(self):
        self.ensure_one()
        return {
            "service_code": self.code,
            "attributes": [attribute._open311_attribute_data() for attribute in self.open311_attribute_ids],
        }
