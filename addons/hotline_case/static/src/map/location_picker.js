import { Component, onMounted, onWillStart, onWillUnmount, useRef, useState } from "@odoo/owl";
import { _t } from "@web/core/l10n/translation";
import { registry } from "@web/core/registry";
import { useService } from "@web/core/utils/hooks";
import { standardWidgetProps } from "@web/views/widgets/standard_widget_props";
import { createBaseMap, projection } from "./coordinates";
import { loadLeaflet } from "./leaflet_loader";

const NEARBY_RADIUS_M = 200;

/**
 * On the registration form: a click on the small map fills the case's coordinates (WGS-84), the address
 * (when a geocoder is set) and lists the nearest components, one click from the case's component.
 */
export class HotlineLocationPicker extends Component {
    static template = "hotline_case.LocationPicker";
    static props = { ...standardWidgetProps };

    setup() {
        this.orm = useService("orm");
        this.mapRef = useRef("map");
        this.state = useState({ nearby: [], searched: false });
        onWillStart(async () => {
            this.L = await loadLeaflet();
            this.settings = await this.orm.call("hotline.component", "hotline_map_settings", []);
            this.projection = projection(this.settings);
        });
        onMounted(() => this.createMap());
        onWillUnmount(() => {
            this.map?.remove();
            this.map = null;
        });
    }

    get record() {
        return this.props.record;
    }

    get noTiles() {
        return !this.settings.tile_url;
    }

    get hasPoint() {
        return Boolean(this.record.data.latitude || this.record.data.longitude);
    }

    createMap() {
        // no keyboard handler: it focuses the map on mousedown, which scrolls the form under the pointer
        this.map = createBaseMap(this.L, this.mapRef.el, this.settings, { keyboard: false });
        if (this.hasPoint) {
            this.showPoint(this.record.data.latitude, this.record.data.longitude);
            this.map.setView(this.projection.toMap(this.record.data.latitude, this.record.data.longitude), 17);
        }
        if (!this.props.readonly) {
            this.map.on("click", (ev) => this.onMapClick(ev.latlng));
        }
    }

    showPoint(latitude, longitude) {
        const position = this.projection.toMap(latitude, longitude);
        if (!this.pointLayer) {
            this.pointLayer = this.L.marker(position, {
                icon: this.L.divIcon({ className: "", html: '<span class="o_hotline_picked_point"></span>' }),
            }).addTo(this.map);
        } else {
            this.pointLayer.setLatLng(position);
        }
    }

    async onMapClick(latlng) {
        const [latitude, longitude] = this.projection.fromMap(latlng.lat, latlng.lng);
        const point = { latitude: round(latitude), longitude: round(longitude) };
        this.showPoint(point.latitude, point.longitude);
        await this.record.update(point);
        const [nearby, address] = await Promise.all([
            this.orm.call("hotline.component", "find_nearby", [point.latitude, point.longitude], {
                radius_m: NEARBY_RADIUS_M,
                limit: 10,
            }),
            this.settings.geocoder
                ? this.orm.call("hotline.component", "hotline_reverse_geocode", [point.latitude, point.longitude])
                : Promise.resolve(false),
        ]);
        Object.assign(this.state, { nearby, searched: true });
        if (address) {
            await this.record.update({ address });
        }
    }

    async pickComponent(component) {
        await this.record.update({ component_id: [component.id, `${component.code} ${component.name}`.trim()] });
    }

    distanceLabel(component) {
        return _t("%s m", Math.round(component.distance_m));
    }
}

function round(value) {
    return Math.round(value * 1e7) / 1e7;
}

export const hotlineLocationPicker = {
    component: HotlineLocationPicker,
    fieldDependencies: [
        { name: "latitude", type: "float" },
        { name: "longitude", type: "float" },
        { name: "address", type: "char" },
        { name: "component_id", type: "many2one", relation: "hotline.component" },
    ],
};

registry.category("view_widgets").add("hotline_location_picker", hotlineLocationPicker);
