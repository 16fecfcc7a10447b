import logging
import math

import requests

from odoo import _, api, fields, models
from odoo.exceptions import AccessError, ValidationError
from odoo.tools import SQL

from .hotline_case import OPEN_STATES

_logger = logging.getLogger(__name__)

COMPONENT_STATES = [("in_use", "In Use"), ("damaged", "Damaged"), ("removed", "Removed")]
# A component with this many open cases is marked: its callers very likely report the same problem.
SEVERAL_OPEN_CASES = 2
# What department staff may change on their own components (through the portal or RPC alike).
PORTAL_WRITABLE_FIELDS = frozenset({"name", "state", "address", "latitude", "longitude"})
EARTH_RADIUS_M = 6371008.8
METRES_PER_DEGREE = 111320.0
MAX_RADIUS_M = 5000
MAX_NEARBY = 100
MAP_LIMIT = 50000
STATE_COLORS = {"in_use": "green", "damaged": "red", "removed": "grey"}
GEOCODER_TIMEOUT = 5


class HotlineComponent(models.Model):
    _name = "hotline.component"
    _description = "Urban Component"
    _order = "code"
    _rec_names_search = ["code", "name", "address"]

    code = fields.Char(required=True, help="The inventory code, unique in the city.")
    name = fields.Char()
    type_id = fields.Many2one(
        "hotline.component.type",
        string="Type",
        required=True,
        index=True,
        ondelete="restrict",
        domain="[('kind', '=', 'component')]",
    )
    # WGS-84, the coordinates GPS and the national standard use; maps on GCJ-02 tiles convert for display only.
    latitude = fields.Float(required=True)
    longitude = fields.Float(required=True)
    address = fields.Char()
    district_id = fields.Many2one("hotline.district", string="District", index=True, ondelete="restrict")
    department_id = fields.Many2one(
        "hotline.department",
        string="Owner",
        compute="_compute_department_id",
        store=True,
        readonly=False,
        precompute=True,
        index=True,
        ondelete="restrict",
        help="The department that maintains the component: its cases go there first. Default: the type's owner.",
    )
    state = fields.Selection(COMPONENT_STATES, string="Status", required=True, default="in_use", index=True)
    case_ids = fields.One2many("hotline.case", "component_id", string="Cases")
    open_case_count = fields.Integer(compute="_compute_open_case_count", string="Open Cases")
    has_several_open_cases = fields.Boolean(
        compute="_compute_open_case_count",
        search="_search_has_several_open_cases",
        string="Several Open Cases",
        help="Several open cases report this component: new ones are probably duplicates.",
    )

    _sql_constraints = [
        ("code_unique", "unique(code)", "A component code must be unique."),
    ]

    def init(self):
        # find_nearby: a two-dimensional index on the point, built into PostgreSQL (no extension needed)
        self.env.cr.execute(
            SQL(
                "CREATE INDEX IF NOT EXISTS hotline_component_point_index ON %s USING gist (point(%s, %s))",
                SQL.identifier(self._table),
                SQL.identifier("longitude"),
                SQL.identifier("latitude"),
            )
        )

    # ------------------------------------------------------------
    # COMPUTES
    # ------------------------------------------------------------

    @api.depends("code", "name")
    def _compute_display_name(self):
        for component in self:
            component.display_name = " ".join(part for part in (component.code, component.name) if part)

    @api.depends("type_id")
    def _compute_department_id(self):
        for component in self:
            if component.type_id:
                component.department_id = component.type_id._hotline_owner_department()

    def _compute_open_case_count(self):
        counts = self._hotline_open_case_counts()
        for component in self:
            component.open_case_count = counts.get(component.id, 0)
            component.has_several_open_cases = component.open_case_count >= SEVERAL_OPEN_CASES

    def _search_has_several_open_cases(self, operator, value):
        if operator not in ("=", "!=") or not isinstance(value, bool):
            raise ValidationError(_("Unsupported search on components with several open cases."))
        # sudo: which components are busy, not the cases themselves
        groups = (
            self.env["hotline.case"]
            .sudo()
            ._read_group(
                self._hotline_open_case_domain(), ["component_id"], having=[("__count", ">=", SEVERAL_OPEN_CASES)]
            )
        )
        ids = [component.id for (component,) in groups]
        positive = (operator == "=") == value
        return [("id", "in" if positive else "not in", ids)]

    # ------------------------------------------------------------
    # CONSTRAINTS
    # ------------------------------------------------------------

    @api.constrains("latitude", "longitude")
    def _check_coordinates(self):
        for component in self:
            if not -90 <= component.latitude <= 90 or not -180 <= component.longitude <= 180:
                raise ValidationError(_("The coordinates of component %s are out of range.", component.code))

    # ------------------------------------------------------------
    # CRUD
    # ------------------------------------------------------------

    def write(self, vals):
        self._check_portal_write(vals)
        return super().write(vals)

    def _check_portal_write(self, vals):
        """Department staff maintain their components' state and place; type, code and owner stay the centre's."""
        if self.env.su or not self.env.user.share:
            return
        refused = vals.keys() - PORTAL_WRITABLE_FIELDS
        if refused:
            names = ", ".join(sorted(self._fields[name].get_description(self.env)["string"] for name in refused))
            raise AccessError(_("Only the hotline centre may change these fields of a component: %s", names))

    # ------------------------------------------------------------
    # ACTIONS
    # ------------------------------------------------------------

    def action_view_open_cases(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("hotline_case.hotline_case_action")
        action["domain"] = [("component_id", "=", self.id)]
        action["context"] = {"search_default_filter_open": 1, "default_component_id": self.id}
        return action

    # ------------------------------------------------------------
    # BUSINESS: nearest components
    # ------------------------------------------------------------

    @api.model
    def find_nearby(self, latitude, longitude, radius_m=200, limit=10):
        """The components within ``radius_m`` metres of a WGS-84 point, nearest first.

        :return: a list of ``{id, code, name, type, distance_m}``; removed components are left out
        """
        latitude, longitude, radius_m, limit = self._check_nearby_args(latitude, longitude, radius_m, limit)
        distance = self._hotline_distance_sql(latitude, longitude)
        self.flush_model(["code", "name", "type_id", "latitude", "longitude", "state"])
        query = self._search([("state", "!=", "removed")])
        query.add_where(self._hotline_bbox_sql(latitude, longitude, radius_m))
        query.add_where(SQL("%s <= %s", distance, radius_m))
        query.order = SQL("%s, %s", distance, SQL.identifier(self._table, "id"))
        query.limit = limit
        rows = self.env.execute_query(
            query.select(
                SQL.identifier(self._table, "id"),
                SQL.identifier(self._table, "code"),
                SQL.identifier(self._table, "name"),
                SQL.identifier(self._table, "type_id"),
                distance,
            )
        )
        types = {t.id: t.display_name for t in self.env["hotline.component.type"].browse({r[3] for r in rows})}
        return [
            {"id": id_, "code": code, "name": name or "", "type": types.get(type_id, ""), "distance_m": round(dist, 1)}
            for id_, code, name, type_id, dist in rows
        ]

    @api.model
    def _check_nearby_args(self, latitude, longitude, radius_m, limit):
        try:
            latitude, longitude, radius_m, limit = float(latitude), float(longitude), float(radius_m), int(limit)
        except (TypeError, ValueError) as error:
            raise ValidationError(_("Give the point as numbers: latitude, longitude, radius in metres.")) from error
        if not -90 <= latitude <= 90 or not -180 <= longitude <= 180:
            raise ValidationError(_("The point %(lat)s, %(lon)s is not on the earth.", lat=latitude, lon=longitude))
        if not 0 < radius_m <= MAX_RADIUS_M:
            raise ValidationError(_("The radius must be between 1 and %s metres.", MAX_RADIUS_M))
        return latitude, longitude, radius_m, max(1, min(limit, MAX_NEARBY))

    @api.model
    def _hotline_bbox_sql(self, latitude, longitude, radius_m):
        """The box around the circle, on the same expression as the GiST index (so the index is used)."""
        dlat = radius_m / METRES_PER_DEGREE
        dlon = radius_m / (METRES_PER_DEGREE * max(math.cos(math.radians(latitude)), 0.01))
        return SQL(
            "point(%s, %s) <@ box(point(%s, %s), point(%s, %s))",
            SQL.identifier(self._table, "longitude"),
            SQL.identifier(self._table, "latitude"),
            longitude - dlon,
            latitude - dlat,
            longitude + dlon,
            latitude + dlat,
        )

    @api.model
    def _hotline_distance_sql(self, latitude, longitude):
        """The great-circle (haversine) distance in metres from the point to each component."""
        lat = SQL.identifier(self._table, "latitude")
        lon = SQL.identifier(self._table, "longitude")
        return SQL(
            "(2 * %s * asin(sqrt(power(sin(radians(%s - %s) / 2), 2)"
            " + cos(radians(%s)) * cos(radians(%s)) * power(sin(radians(%s - %s) / 2), 2))))",
            EARTH_RADIUS_M,
            lat,
            latitude,
            latitude,
            lat,
            lon,
            longitude,
        )

    # ------------------------------------------------------------
    # BUSINESS: open cases and the map
    # ------------------------------------------------------------

    def _hotline_open_case_domain(self):
        components = [("component_id", "in", self.ids)] if self else [("component_id", "!=", False)]
        return [*components, ("state", "in", OPEN_STATES)]

    def _hotline_open_case_counts(self):
        if not self.ids:
            return {}
        # sudo: a count, not the cases; department staff may see their components' load without the cases
        groups = (
            self.env["hotline.case"].sudo()._read_group(self._hotline_open_case_domain(), ["component_id"], ["__count"])
        )
        return {component.id: count for component, count in groups}

    @api.model
    def hotline_map_data(self, domain, limit=MAP_LIMIT, groupby=None):
        """Markers for the map view: ``[id, lat, lon, colour]`` of the components of ``domain`` the user may
        read; orange: several open cases. Components are not coloured by group (``groupby`` is ignored)."""
        limit = max(1, min(int(limit or MAP_LIMIT), MAP_LIMIT))
        table = self._table
        self.flush_model(["latitude", "longitude", "state"])
        query = self._search(domain or [], limit=limit, order="id")
        rows = self.env.execute_query(
            query.select(*(SQL.identifier(table, name) for name in ("id", "latitude", "longitude", "state")))
        )
        counts = self.browse([row[0] for row in rows])._hotline_open_case_counts()
        markers = [
            [id_, lat, lon, "orange" if counts.get(id_, 0) >= SEVERAL_OPEN_CASES else STATE_COLORS.get(state, "green")]
            for id_, lat, lon, state in rows
        ]
        return {"markers": markers, "truncated": len(rows) >= limit}

    def hotline_map_popup(self):
        """What a marker's popup shows: code, name and type, status, whether several cases are open."""
        labels = dict(self._fields["state"]._description_selection(self.env))
        return [
            {
                "id": component.id,
                "title": component.code,
                "subtitle": " · ".join(filter(None, [component.name, component.type_id.display_name])),
                "state_label": labels.get(component.state, component.state),
                "marked": component.has_several_open_cases,
            }
            for component in self
        ]

    # ------------------------------------------------------------
    # BUSINESS: map settings and the geocoder
    # ------------------------------------------------------------

    @api.model
    def hotline_map_settings(self):
        """What the map widgets need: the tile URL (empty: no tiles), its coordinate system, the start view."""
        # sudo: harmless display settings every map user needs
        params = self.env["ir.config_parameter"].sudo()
        tile_url = (params.get_param("hotline_case.map_tile_url") or "").strip()
        crs = params.get_param("hotline_case.map_tile_crs") or "wgs84"
        if "autonavi.com" in tile_url or "amap.com" in tile_url:
            crs = "gcj02"  # Gaode's tiles are always on GCJ-02
        return {
            "tile_url": tile_url,
            "tile_crs": crs,
            "attribution": params.get_param("hotline_case.map_tile_attribution") or "",
            "center": self._hotline_map_center(params.get_param("hotline_case.map_center")),
            "geocoder": bool(params.get_param("hotline_case.geocoder_url")),
        }

    @api.model
    def _hotline_map_center(self, value):
        """``"lat,lon,zoom"`` from the settings, or the centre of the components when unset or invalid."""
        try:
            lat, lon, zoom = (float(part) for part in (value or "").split(","))
            return {"lat": lat, "lon": lon, "zoom": int(zoom)}
        except ValueError:
            pass
        # the middle of the inventory (any 1,000 components), to open the map where the city is
        self.flush_model(["latitude", "longitude"])
        self.env.cr.execute(
            SQL(
                "SELECT avg(latitude), avg(longitude) FROM (SELECT latitude, longitude FROM %s LIMIT 1000) c",
                SQL.identifier(self._table),
            )
        )
        lat, lon = self.env.cr.fetchone()
        if lat is None:
            return {"lat": 35.0, "lon": 105.0, "zoom": 4}
        return {"lat": lat, "lon": lon, "zoom": 13}

    @api.model
    def hotline_reverse_geocode(self, latitude, longitude):
        """The address at a WGS-84 point from the geocoder in the settings; False without one or on failure.

        The URL holds ``{lat}`` and ``{lon}``; the answer is JSON with the address in ``display_name``
        (Nominatim), ``regeocode.formatted_address`` (Gaode) or ``result.formatted_address`` (Tianditu).
        """
        # sudo: the geocoder URL may hold a key: read by the server only, never sent to the browser
        url = self.env["ir.config_parameter"].sudo().get_param("hotline_case.geocoder_url")
        if not url:
            return False
        latitude, longitude, _radius, _limit = self._check_nearby_args(latitude, longitude, 1, 1)
        try:
            response = requests.get(
                url.format(lat=latitude, lon=longitude),
                timeout=GEOCODER_TIMEOUT,
                headers={"Accept": "application/json"},
            )
            response.raise_for_status()
            return self._hotline_address_from_geocoder(response.json())
        except (requests.RequestException, ValueError, KeyError, IndexError) as error:
            _logger.warning("Reverse geocoding failed: %s", error)
            return False

    @api.model
    def _hotline_address_from_geocoder(self, answer):
        if not isinstance(answer, dict):
            return False
        for outer, inner in (("regeocode", "formatted_address"), ("result", "formatted_address")):
            if isinstance(answer.get(outer), dict) and answer[outer].get(inner):
                return answer[outer][inner]
        return answer.get("display_name") or False
