from odoo import fields, models


class HotlineCase(models.Model):
    _inherit = "hotline.case"

    kb_article_ids = fields.Many2many(
        "hotline.kb.article",
        "hotline_case_kb_article_rel",
        "case_id",
        "article_id",
        string="Answers Used",
        copy=False,
        help="The knowledge base articles the operator answered this case with.",
    )
