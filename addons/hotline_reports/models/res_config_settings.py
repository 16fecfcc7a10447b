from odoo import fields, models

from .hotline_report_call import SERVICE_LEVEL_PARAM


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    hotline_service_level_seconds = fields.Integer(
        string="Service Level Time (s)",
        config_parameter=SERVICE_LEVEL_PARAM,
        default=20,
        help="A call answered within this many seconds counts for the service level (e.g. 80 % in 20 s).",
    )
