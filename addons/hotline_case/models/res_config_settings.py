from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    hotline_case_duplicate_days = fields.Integer(
        string="Duplicate Window (days)",
        config_parameter="hotline_case.duplicate_days",
        default=30,
        help="Cases with the same phone, or the same address and category, within this many days are flagged "
        "as possible duplicates. 0 turns the check off.",
    )
    hotline_case_portal_show_phone = fields.Boolean(
        string="Show Callers' Phones to Departments",
        config_parameter="hotline_case.portal_show_phone",
        help="Off: department staff see callers' numbers masked (138****8000).",
    )
    hotline_case_default_sla_policy_id = fields.Many2one(
        "hotline.sla.policy",
        string="Default Time Limit Policy",
        config_parameter="hotline_case.default_sla_policy_id",
        help="Used when no policy matches a case.",
    )
    hotline_case_map_tile_url = fields.Char(
        string="Map Tiles",
        config_parameter="hotline_case.map_tile_url",
        help="Tile URL with {z}, {x}, {y} (and {s}): Tianditu with its key, Gaode, OpenStreetMap or the city's own "
        "tile server. Empty: the maps show markers on a blank background.",
    )
    hotline_case_map_tile_crs = fields.Selection(
        [("wgs84", "WGS-84 (Tianditu, OpenStreetMap, most servers)"), ("gcj02", "GCJ-02 (Gaode)")],
        string="Tile Coordinates",
        config_parameter="hotline_case.map_tile_crs",
        default="wgs84",
        help="Coordinates are stored in WGS-84; on GCJ-02 tiles the maps shift them for display.",
    )
    hotline_case_map_tile_attribution = fields.Char(
        string="Tile Attribution", config_parameter="hotline_case.map_tile_attribution"
    )
    hotline_case_map_center = fields.Char(
        string="Map Start View",
        config_parameter="hotline_case.map_center",
        help="Latitude, longitude and zoom, e.g. 30.58,114.30,12. Empty: the middle of the components.",
    )
    hotline_case_geocoder_url = fields.Char(
        string="Reverse Geocoder",
        config_parameter="hotline_case.geocoder_url",
        help="URL with {lat} and {lon} answering JSON (Nominatim, Gaode, Tianditu): a point picked on the map "
        "fills the address. Empty: no geocoding.",
    )
