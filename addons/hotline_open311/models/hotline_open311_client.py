import secrets
from datetime import timedelta

from odoo import _, api, fields, models

from ..tools.georeport import Open311Error


def _new_api_key():
    return secrets.token_urlsafe(24)


class HotlineOpen311Client(models.Model):
    _name = "hotline.open311.client"
    _description = "Open311 API Client"
    _inherit = ["mail.thread"]
    _order = "name"

    name = fields.Char(required=True, tracking=True, help="The app or partner system using the key.")
    owner_id = fields.Many2one(
        "res.partner", string="Owner", required=True, tracking=True, help="Who operates the app and answers for it."
    )
    api_key = fields.Char(
        string="API Key",
        required=True,
        readonly=True,
        copy=False,
        default=lambda self: _new_api_key(),
        groups="hotline_base.group_hotline_admin",
    )
    state = fields.Selection(
        [("active", "Active"), ("revoked", "Revoked")], default="active", required=True, readonly=True, tracking=True
    )
    revoked_at = fields.Datetime(readonly=True, copy=False)
    allowed_category_ids = fields.Many2many(
        "hotline.category",
        string="Allowed Services",
        domain=[("open311_public", "=", True)],
        help="The services this key may submit requests for; empty means every public service.",
    )
    rate_limit = fields.Integer(
        string="Submissions per Hour", default=60, help="More submissions within an hour are refused; 0: no limit."
    )
    log_ids = fields.One2many("hotline.open311.log", "client_id", string="Submissions")
    submission_count = fields.Integer(compute="_compute_submission_count")
    note = fields.Text()

    _sql_constraints = [
        ("api_key_unique", "unique(api_key)", "An API key is given to one client only."),
    ]

    # ------------------------------------------------------------
    # COMPUTES
    # ------------------------------------------------------------

    def _compute_submission_count(self):
        counts = dict(
            self.env["hotline.open311.log"]._read_group([("client_id", "in", self.ids)], ["client_id"], ["__count"])
        )
        for client in self:
            client.submission_count = counts.get(client, 0)

    # ------------------------------------------------------------
    # ACTIONS
    # ------------------------------------------------------------

    def action_revoke(self):
        self.write({"state": "revoked", "revoked_at": fields.Datetime.now()})
        return True

    def action_renew_key(self):
        """A new key replaces the old one at once: the old one stops working."""
        for client in self:
            client.api_key = _new_api_key()
            client.message_post(body=_("A new API key replaced the old one."))
        return True

    def action_view_submissions(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("hotline_open311.hotline_open311_log_action")
        action["domain"] = [("client_id", "=", self.id)]
        return action

    # ------------------------------------------------------------
    # BUSINESS: the API's checks
    # ------------------------------------------------------------

    @api.model
    def _open311_authenticate(self, api_key):
        """The client holding this key, active or revoked; 403 in the spec's format for no or an unknown key."""
        api_key = (api_key or "").strip()
        if not api_key:
            raise Open311Error(403, _("api_key is missing: submitting a request needs an API key."))
        client = self.search([("api_key", "=", api_key)], limit=1)
        if not client or not secrets.compare_digest(client.api_key, api_key):
            raise Open311Error(403, _("Invalid api_key: the key is unknown."))
        return client

    def _open311_check_active(self):
        self.ensure_one()
        if self.state != "active":
            raise Open311Error(403, _("Invalid api_key: the key was revoked."))

    def _open311_check_rate(self):
        """429 once the client has used its submissions of the last hour."""
        self.ensure_one()
        if self.rate_limit <= 0:
            return
        since = fields.Datetime.now() - timedelta(hours=1)
        used = self.env["hotline.open311.log"].search_count(
            [("client_id", "=", self.id), ("create_date", ">=", since)], limit=self.rate_limit
        )
        if used >= self.rate_limit:
            raise Open311Error(429, _("Too many requests: this key may submit %s requests per hour.", self.rate_limit))

    def _open311_check_service(self, category):
        self.ensure_one()
        if self.allowed_category_ids and category not in self.allowed_category_ids:
            raise Open311Error(403, _("This api_key may not submit requests for service %s.", category.code))
