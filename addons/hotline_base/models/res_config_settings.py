import phonenumbers

from odoo import _, api, fields, models
from odoo.exceptions import ValidationError


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    hotline_phone_region = fields.Char(
        string="Default Phone Region",
        config_parameter="hotline_base.phone_region",
        default="CN",
        help="Two-letter country code used to read numbers written without a country prefix.",
    )
    hotline_area_code = fields.Char(
        string="Local Area Code",
        config_parameter="hotline_base.area_code",
        help="Added to local numbers typed without one, e.g. 755 for 0755.",
    )

    @api.constrains("hotline_phone_region")
    def _check_hotline_phone_region(self):
        for settings in self:
            region = (settings.hotline_phone_region or "").upper()
            if region and region not in phonenumbers.SUPPORTED_REGIONS:
                raise ValidationError(_("%s is not a known phone region (use a code such as CN).", region))

    @api.constrains("hotline_area_code")
    def _check_hotline_area_code(self):
        for settings in self:
            if settings.hotline_area_code and not settings.hotline_area_code.isdigit():
                raise ValidationError(_("The area code must be digits only, e.g. 755."))

    def set_values(self):
        params = self.env["ir.config_parameter"].sudo()
        before = (params.get_param("hotline_base.phone_region"), params.get_param("hotline_base.area_code"))
        if self.hotline_phone_region:
            self.hotline_phone_region = self.hotline_phone_region.upper()
        super().set_values()
        after = (params.get_param("hotline_base.phone_region"), params.get_param("hotline_base.area_code"))
        if before != after:
            self.env["res.partner"]._hotline_recompute_phones()
