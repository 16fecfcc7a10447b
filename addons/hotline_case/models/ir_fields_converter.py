from odoo import models


class IrFieldsConverter(models.AbstractModel):
    _inherit = "ir.fields.converter"

    def db_id_for(self, model, field, subfield, value):
        """Within an import that asks for it (``hotline_import_id_cache`` in the context), each reference
        (category, district, department...) is looked up once, not once per row: a file of earlier
        registrations names the same few dozen records a hundred thousand times. Only the lookups that
        found a record without a warning are kept; the others take Odoo's path again, with its messages."""
        cache = self.env.context.get("hotline_import_id_cache")
        if cache is None:
            return super().db_id_for(model, field, subfield, value)
        key = (field.comodel_name, subfield, value)
        if key in cache:
            return cache[key]
        result = super().db_id_for(model, field, subfield, value)
        record_id, _field_type, warnings = result
        if record_id is not None and not warnings:
            cache[key] = result
        return result
