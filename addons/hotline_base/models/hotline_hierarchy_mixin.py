from odoo import api, fields, models


class HotlineHierarchyMixin(models.AbstractModel):
    """A tree of records named "Parent / Child", with a unique code.

    Models using it define ``parent_id`` (a Many2one to themselves) and
    ``parent_path``, and set ``_parent_store = True``.
    """

    _name = "hotline.hierarchy.mixin"
    _description = "Hotline Hierarchy"
    _rec_name = "complete_name"
    _rec_names_search = ["complete_name", "name", "code"]

    name = fields.Char(required=True, translate=True)
    code = fields.Char(required=True)
    complete_name = fields.Char(compute="_compute_complete_name", recursive=True, store=True)
    active = fields.Boolean(default=True)
    # the name shown is built from the parent's name shown
    display_name = fields.Char(recursive=True)

    def _hotline_lineage_ids(self):
        """The ids of these records and of every record above them, from ``parent_path`` (no query)."""
        return frozenset(
            int(part) for record in self for part in (record.parent_path or str(record.id)).split("/") if part
        )

    @api.depends("name", "parent_id.complete_name")
    def _compute_complete_name(self):
        for record in self:
            if record.parent_id:
                record.complete_name = f"{record.parent_id.complete_name} / {record.name}"
            else:
                record.complete_name = record.name

    @api.depends_context("lang")
    @api.depends("name", "parent_id.display_name")
    def _compute_display_name(self):
        # complete_name is stored once, in one language; the name shown is built in the user's
        for record in self:
            if record.parent_id:
                record.display_name = f"{record.parent_id.display_name} / {record.name}"
            else:
                record.display_name = record.name
