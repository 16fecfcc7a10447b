from odoo import _, fields, models

MAP_VIEW_ATTRIBUTES = frozenset({"__validate__", "string", "class", "js_class", "limit", "create", "edit", "delete"})


class IrUiView(models.Model):
    _inherit = "ir.ui.view"

    type = fields.Selection(selection_add=[("hotline_map", "Hotline Map")])

    def _get_view_info(self):
        return {"hotline_map": {"icon": "fa fa-map-marker"}} | super()._get_view_info()

    def _validate_tag_hotline_map(self, node, name_manager, node_info):
        if not node_info["validate"]:
            return
        unknown = set(node.attrib) - MAP_VIEW_ATTRIBUTES
        if unknown:
            self._raise_view_error(_("Invalid attributes in a map view: %s", ", ".join(sorted(unknown))), node)
