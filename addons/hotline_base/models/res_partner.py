from odoo import _, api, fields, models

from ..tools import normalize_phone


class ResPartner(models.Model):
    _inherit = "res.partner"

    hotline_phone_normalized = fields.Char(
        string="Normalized Phone",
        compute="_compute_hotline_phone_normalized",
        store=True,
        index=True,
        help="The phone (else mobile) in E.164 form, used to recognise callers.",
    )
    hotline_mobile_normalized = fields.Char(
        string="Normalized Mobile",
        compute="_compute_hotline_phone_normalized",
        store=True,
        index=True,
    )
    hotline_phone_invalid = fields.Boolean(
        string="Invalid Phone",
        compute="_compute_hotline_phone_normalized",
        store=True,
        help="The phone or mobile is not a possible number; it is kept as typed.",
    )
    hotline_vip = fields.Boolean(string="VIP Caller", tracking=True)
    hotline_blacklisted = fields.Boolean(string="Blacklisted", tracking=True)
    hotline_blacklist_reason = fields.Char(string="Blacklist Reason", tracking=True)
    hotline_blacklist_until = fields.Date(string="Blacklisted Until", tracking=True, help="Empty: no end date.")
    hotline_blacklist_active = fields.Boolean(string="Blacklist in Force", compute="_compute_hotline_blacklist_active")
    hotline_case_count = fields.Integer(string="Cases", compute="_compute_hotline_case_count")
    hotline_phone_search = fields.Char(
        string="Phone (any spelling)", compute="_compute_hotline_phone_search", search="_search_hotline_phone_search"
    )

    # ------------------------------------------------------------
    # COMPUTES
    # ------------------------------------------------------------

    @api.depends("phone", "mobile", "country_id")
    def _compute_hotline_phone_normalized(self):
        region, area_code = self._hotline_phone_settings()
        for partner in self:
            partner_region = partner.country_id.code or region
            phone = normalize_phone(partner.phone, partner_region, area_code)
            mobile = normalize_phone(partner.mobile, partner_region, area_code)
            partner.hotline_phone_normalized = phone or mobile
            partner.hotline_mobile_normalized = mobile
            partner.hotline_phone_invalid = bool((partner.phone and not phone) or (partner.mobile and not mobile))

    @api.depends("hotline_blacklisted", "hotline_blacklist_until")
    @api.depends_context("tz")
    def _compute_hotline_blacklist_active(self):
        today = fields.Date.context_today(self)
        for partner in self:
            partner.hotline_blacklist_active = partner.hotline_blacklisted and (
                not partner.hotline_blacklist_until or partner.hotline_blacklist_until >= today
            )

    def _compute_hotline_phone_search(self):
        self.hotline_phone_search = False

    def _search_hotline_phone_search(self, operator, value):
        if operator not in ("=", "ilike") or not isinstance(value, str):
            raise NotImplementedError(operator)
        normalized = self._hotline_normalize_phone(value)
        domain = ["|", ("phone", "ilike", value), ("mobile", "ilike", value)]
        if normalized:
            domain = [
                "|",
                "|",
                ("hotline_phone_normalized", "=", normalized),
                ("hotline_mobile_normalized", "=", normalized),
                *domain,
            ]
        return domain

    def _compute_hotline_case_count(self):
        """Filled by hotline_case."""
        self.hotline_case_count = 0

    # ------------------------------------------------------------
    # BUSINESS
    # ------------------------------------------------------------

    @api.model
    def _hotline_phone_settings(self):
        params = self.env["ir.config_parameter"].sudo()
        # sudo: the phone region is a harmless setting every user's forms need
        region = params.get_param("hotline_base.phone_region", "CN") or "CN"
        area_code = params.get_param("hotline_base.area_code", "") or None
        return region, area_code

    @api.model
    def _hotline_normalize_phone(self, number):
        region, area_code = self._hotline_phone_settings()
        return normalize_phone(number, region, area_code)

    @api.model
    def _hotline_find_by_phone(self, number):
        """The caller for any spelling of ``number``: exact match on the indexed E.164 forms."""
        normalized = self._hotline_normalize_phone(number)
        if not normalized:
            return self.browse()
        # sudo: every partner with this number (a few rows, by index), then the first the user may read:
        # checking the record rules on those few records costs less than compiling them into the query,
        # and this runs on every registration and every ring
        partners = self.sudo().search(
            ["|", ("hotline_phone_normalized", "=", normalized), ("hotline_mobile_normalized", "=", normalized)],
            order="hotline_vip desc, id desc",
        )
        return partners.sudo(False)._filtered_access("read")[:1]

    @api.model
    def _hotline_recompute_phones(self):
        """After a change of phone region or area code: recompute every caller's numbers."""
        partners = self.with_context(active_test=False).search(["|", ("phone", "!=", False), ("mobile", "!=", False)])
        self.env.add_to_compute(self._fields["hotline_phone_normalized"], partners)
        partners._recompute_recordset(["hotline_phone_normalized"])
        return len(partners)

    def action_hotline_blacklist_lift(self):
        self.write({"hotline_blacklisted": False, "hotline_blacklist_until": False})
        for partner in self:
            partner.message_post(body=_("Blacklist lifted."))
