import re

from odoo import _, api, fields, models
from odoo.exceptions import ValidationError

from ..tools.segment import get_segmenter

SEPARATORS = re.compile(r"[,，、;；\s]+")


class HotlineKbTerm(models.Model):
    """The hotline's own dictionary: words kept whole when Chinese text is cut (二次供水, 燃气表),
    and their synonyms, which search as the word itself (煤气 searches as 燃气)."""

    _name = "hotline.kb.term"
    _description = "Knowledge Base Dictionary Term"
    _order = "name"

    name = fields.Char(string="Term", required=True)
    synonyms = fields.Char(help="Other words for the same thing, separated by commas: 煤气, 天然气")
    active = fields.Boolean(default=True)

    _sql_constraints = [("name_unique", "unique(name)", "This term is in the dictionary already.")]

    @api.constrains("name", "synonyms")
    def _check_words(self):
        for term in self:
            if not term.name.strip() or SEPARATORS.search(term.name.strip()):
                raise ValidationError(_("A term is one word, without spaces or commas: %s", term.name))
            if term.name.strip() in term._synonym_list():
                raise ValidationError(_("%s cannot be its own synonym.", term.name))

    def _synonym_list(self):
        self.ensure_one()
        return [word for word in SEPARATORS.split(self.synonyms or "") if word]

    @api.model_create_multi
    def create(self, vals_list):
        terms = super().create(vals_list)
        self._dictionary_changed()
        return terms

    def write(self, vals):
        result = super().write(vals)
        if {"name", "synonyms", "active"} & vals.keys():
            self._dictionary_changed()
        return result

    def unlink(self):
        result = super().unlink()
        self._dictionary_changed()
        return result

    @api.model
    def _dictionary_changed(self):
        """A new dictionary version: the next search loads it, and the articles are indexed with it."""
        params = self.env["ir.config_parameter"].sudo()
        version = int(params.get_param("hotline_kb.dictionary_version", "0") or 0) + 1
        # sudo: the version is a technical setting every editor moves forward
        params.set_param("hotline_kb.dictionary_version", str(version))
        if not self.env.context.get("hotline_kb_no_reindex"):
            self.env["hotline.kb.article"].sudo()._reindex_all()

    @api.model
    def _segmenter(self):
        """The word cutter of this database's current dictionary (built once per process and version)."""
        # sudo: every reader of the knowledge base searches with the dictionary
        version = self.env["ir.config_parameter"].sudo().get_param("hotline_kb.dictionary_version", "0")
        return get_segmenter((self.env.cr.dbname, version), self.sudo()._dictionary)

    def _dictionary(self):
        terms = self.search([])
        synonyms = {synonym: term.name.strip() for term in terms for synonym in term._synonym_list()}
        return [term.name.strip() for term in terms], synonyms

    def action_reindex(self):
        count = self.env["hotline.kb.article"].sudo()._reindex_all()
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {"message": _("%s articles indexed again.", count), "type": "success", "sticky": False},
        }
