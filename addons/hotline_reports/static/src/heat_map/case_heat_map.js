import { Component, onMounted, onWillStart, onWillUnmount, useRef, useState } from "@odoo/owl";
import { loadJS } from "@web/core/assets";
import { serializeDate } from "@web/core/l10n/dates";
import { _t } from "@web/core/l10n/translation";
import { registry } from "@web/core/registry";
import { useService } from "@web/core/utils/hooks";
import { createBaseMap, projection } from "@hotline_case/map/coordinates";
import { loadLeaflet } from "@hotline_case/map/leaflet_loader";

const { DateTime } = luxon;
const PERIODS = [7, 30, 90, 365];

/**
 * The managers' heat map: where the cases of a category were reported over a period.
 */
export class CaseHeatMap extends Component {
    static template = "hotline_reports.CaseHeatMap";
    static props = ["*"];

    setup() {
        this.orm = useService("orm");
        this.mapRef = useRef("map");
        this.periods = PERIODS;
        this.state = useState({ categoryId: "", days: 30, categories: [], total: 0, loading: true });
        this.loadId = 0;
        onWillStart(async () => {
            this.L = await loadLeaflet();
            await loadJS("/hotline_reports/static/lib/leaflet.heat/leaflet-heat.js");
            this.settings = await this.orm.call("hotline.component", "hotline_map_settings", []);
            this.projection = projection(this.settings);
            this.state.categories = await this.orm.searchRead(
                "hotline.category",
                [["parent_id", "=", false]],
                ["display_name"]
            );
        });
        onMounted(() => {
            this.map = createBaseMap(this.L, this.mapRef.el, this.settings);
            this.heat = this.L.heatLayer([], { radius: 25, blur: 15, maxZoom: 17 }).addTo(this.map);
            this.load();
        });
        onWillUnmount(() => this.map && this.map.remove());
    }

    get noTiles() {
        return !this.settings.tile_url;
    }

    async load() {
        const loadId = ++this.loadId;
        this.state.loading = true;
        const today = DateTime.local();
        const data = await this.orm.call("hotline.report.case.heat", "get_heat_points", [], {
            category_id: this.state.categoryId ? parseInt(this.state.categoryId, 10) : false,
            date_from: serializeDate(today.minus({ days: this.state.days - 1 })),
            date_to: serializeDate(today),
        });
        if (loadId !== this.loadId || !this.map) {
            return;
        }
        const points = data.points.map(([lat, lon, count]) => [...this.projection.toMap(lat, lon), count]);
        this.heat.setOptions({ max: Math.max(data.max, 1) });
        this.heat.setLatLngs(points);
        if (points.length) {
            this.map.fitBounds(this.L.latLngBounds(points.map((point) => [point[0], point[1]])), { maxZoom: 15 });
        }
        Object.assign(this.state, { total: data.total, loading: false });
    }

    get totalLabel() {
        return _t("%s located cases", this.state.total);
    }

    periodLabel(days) {
        return _t("Last %s days", days);
    }

    onCategoryChange(ev) {
        this.state.categoryId = ev.target.value;
        this.load();
    }

    onPeriodChange(ev) {
        this.state.days = parseInt(ev.target.value, 10);
        this.load();
    }
}

registry.category("actions").add("hotline_reports.case_heat_map", CaseHeatMap);
