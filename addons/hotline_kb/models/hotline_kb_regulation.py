from datetime import timedelta

from odoo import _, api, fields, models
from odoo.exceptions import ValidationError

EXPIRING_DAYS = 30


class HotlineKbRegulation(models.Model):
    _name = "hotline.kb.regulation"
    _description = "Policy or Regulation"
    _inherit = ["hotline.mail.mixin", "mail.thread"]
    _order = "date_effective desc, id desc"
    _rec_names_search = ["name", "number"]

    name = fields.Char(string="Title", required=True, tracking=True)
    number = fields.Char(string="Document Number", tracking=True)
    authority = fields.Char(string="Issuing Authority", tracking=True)
    date_effective = fields.Date(string="Effective From", tracking=True)
    date_expiry = fields.Date(string="Expires On", tracking=True)
    attachment_ids = fields.Many2many("ir.attachment", string="Document")
    article_ids = fields.Many2many(
        "hotline.kb.article",
        "hotline_kb_article_regulation_rel",
        "regulation_id",
        "article_id",
        string="Articles Citing It",
    )
    article_count = fields.Integer(compute="_compute_article_count")
    expiry_state = fields.Selection(
        [("ok", "In Force"), ("expiring", "Expiring Soon"), ("expired", "Expired")],
        compute="_compute_expiry_state",
        string="Status",
    )

    @api.depends("article_ids")
    def _compute_article_count(self):
        for regulation in self:
            regulation.article_count = len(regulation.article_ids)

    @api.depends("date_expiry")
    @api.depends_context("date")
    def _compute_expiry_state(self):
        today = fields.Date.context_today(self)
        soon = today + timedelta(days=EXPIRING_DAYS)
        for regulation in self:
            expiry = regulation.date_expiry
            regulation.expiry_state = (
                "expired" if expiry and expiry < today else "expiring" if expiry and expiry <= soon else "ok"
            )

    @api.constrains("date_effective", "date_expiry")
    def _check_dates(self):
        for regulation in self:
            if (
                regulation.date_effective
                and regulation.date_expiry
                and regulation.date_expiry < regulation.date_effective
            ):
                raise ValidationError(_("%s cannot expire before it takes effect.", regulation.name))

    def _compute_display_name(self):
        for regulation in self:
            regulation.display_name = (
                f"{regulation.name} ({regulation.number})" if regulation.number else regulation.name
            )

    @api.model
    def _expiry_domain(self, state):
        today = fields.Date.context_today(self)
        if state == "expired":
            return [("date_expiry", "<", today)]
        return [("date_expiry", ">=", today), ("date_expiry", "<=", today + timedelta(days=EXPIRING_DAYS))]

    @api.model
    def _hotline_ask_for_reviews(self):
        """Each published article citing an expired or expiring regulation gets one review activity
        for its last editor (or the knowledge editors' first member)."""
        regulations = self.search(["|", *self._expiry_domain("expired"), *self._expiry_domain("expiring")])
        articles = regulations.article_ids.filtered(lambda article: article.state == "published")
        activity_type = self.env.ref("mail.mail_activity_data_todo")
        fallback = self.env.ref("hotline_kb.group_hotline_kb_editor").users[:1]
        summary = _("Review the cited regulations")
        for article in articles:
            if article.activity_ids.filtered(lambda a: a.activity_type_id == activity_type and a.summary == summary):
                continue
            editor = (
                article.write_uid if article.write_uid.has_group("hotline_kb.group_hotline_kb_editor") else fallback
            )
            if not editor:
                continue
            expiring = article.regulation_ids.filtered(lambda r: r.expiry_state != "ok")
            article.activity_schedule(
                activity_type_id=activity_type.id,
                user_id=editor.id,
                summary=summary,
                note=_("These regulations expire or have expired: %s", ", ".join(expiring.mapped("display_name"))),
            )
        return articles
