from odoo import api, fields, models


class HotlineBulletin(models.Model):
    _name = "hotline.bulletin"
    _description = "Bulletin"
    _inherit = ["mail.thread"]
    _order = "pinned desc, date_start desc, id desc"

    name = fields.Char(string="Title", required=True, tracking=True)
    body = fields.Html(sanitize=True)
    date_start = fields.Date(string="Shown From", required=True, default=fields.Date.context_today, tracking=True)
    date_end = fields.Date(string="Shown Until", tracking=True, help="Empty: shown until archived.")
    pinned = fields.Boolean(tracking=True, help="Pinned bulletins stay on top of the board.")
    group_ids = fields.Many2many(
        "res.groups",
        string="Audience",
        help="Only members of these groups see the bulletin; empty: every hotline user.",
    )
    author_id = fields.Many2one("res.users", default=lambda self: self.env.user, readonly=True)
    is_current = fields.Boolean(compute="_compute_is_current", search="_search_is_current")
    active = fields.Boolean(default=True)

    # ------------------------------------------------------------
    # COMPUTES
    # ------------------------------------------------------------

    @api.depends("date_start", "date_end")
    @api.depends_context("tz")
    def _compute_is_current(self):
        today = fields.Date.context_today(self)
        for bulletin in self:
            bulletin.is_current = bulletin.date_start <= today and (not bulletin.date_end or bulletin.date_end >= today)

    def _search_is_current(self, operator, value):
        if operator not in ("=", "!=") or not isinstance(value, bool):
            raise NotImplementedError(operator)
        today = fields.Date.context_today(self)
        current = ["&", ("date_start", "<=", today), "|", ("date_end", "=", False), ("date_end", ">=", today)]
        return current if (operator == "=") == value else ["!", *current]
