from odoo import api, fields, models

RECORDING_MODES = [("all", "All Calls"), ("inbound", "Inbound Calls Only"), ("none", "No Recording")]


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    hotline_recording_mode = fields.Selection(
        RECORDING_MODES,
        string="Call Recording",
        config_parameter="hotline_telephony.recording_mode",
        default="all",
        help="Which calls the PBX records; the dialplan asks Odoo on each call.",
    )
    hotline_announce_work_number = fields.Boolean(
        string="Announce the Work Number",
        config_parameter="hotline_telephony.announce_work_number",
        help="The PBX tells the caller the work number of the agent who answers.",
    )
    hotline_vip_priority = fields.Integer(
        string="VIP Queue Priority",
        config_parameter="hotline_telephony.vip_priority",
        default=10,
        help="Queue priority of VIP callers (others get 0): higher is answered first.",
    )
    hotline_pbx_count = fields.Integer(string="PBXs", compute="_compute_hotline_pbx_count")

    def _compute_hotline_pbx_count(self):
        for settings in self:
            settings.hotline_pbx_count = self.env["hotline.pbx"].search_count([])

    @api.model
    def _hotline_recording_mode(self):
        # sudo: a harmless setting needed by the route answer and click-to-call
        mode = self.env["ir.config_parameter"].sudo().get_param("hotline_telephony.recording_mode", "all")
        return mode if mode in dict(RECORDING_MODES) else "all"

    @api.model
    def _hotline_route_settings(self):
        # sudo: harmless settings read for the PBX, which is no user
        params = self.env["ir.config_parameter"].sudo()
        try:
            vip_priority = int(params.get_param("hotline_telephony.vip_priority", 10))
        except ValueError:
            vip_priority = 10
        announce = params.get_param("hotline_telephony.announce_work_number", "False")
        return {
            "recording_mode": self._hotline_recording_mode(),
            "announce_work_number": announce not in ("False", "0", "", None),
            "vip_priority": vip_priority,
        }
