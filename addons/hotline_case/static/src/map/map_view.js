import { Component, onMounted, onWillStart, onWillUnmount, onWillUpdateProps, useRef, useState } from "@odoo/owl";
import { deserializeDateTime, formatDateTime } from "@web/core/l10n/dates";
import { _t } from "@web/core/l10n/translation";
import { registry } from "@web/core/registry";
import { useService } from "@web/core/utils/hooks";
import { CogMenu } from "@web/search/cog_menu/cog_menu";
import { Layout } from "@web/search/layout";
import { SearchBar } from "@web/search/search_bar/search_bar";
import { useSearchBarToggler } from "@web/search/search_bar/search_bar_toggler";
import { standardViewProps } from "@web/views/standard_view_props";
import { createBaseMap, projection } from "./coordinates";
import { loadLeaflet } from "./leaflet_loader";

// colours of the groups when the search groups the records (Tableau 10)
const GROUP_COLORS = [
    "#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac",
];

/**
 * The map view ("hotline_map"): the records of the search (filters, search panel) as clustered markers.
 * The model's ``hotline_map_data(domain, limit)`` gives the markers: one query, whatever the model.
 */
export class HotlineMapController extends Component {
    static template = "hotline_case.MapView";
    static components = { Layout, SearchBar, CogMenu };
    static props = { ...standardViewProps, archInfo: Object };

    setup() {
        this.orm = useService("orm");
        this.mapRef = useRef("map");
        this.searchBarToggler = useSearchBarToggler();
        this.state = useState({ count: 0, truncated: false, loading: true, legend: [] });
        this.loadId = 0;
        this.fitted = false;
        onWillStart(async () => {
            this.L = await loadLeaflet();
            this.settings = await this.orm.call("hotline.component", "hotline_map_settings", []);
            this.projection = projection(this.settings);
        });
        onMounted(() => {
            this.map = createBaseMap(this.L, this.mapRef.el, this.settings);
            this.cluster = this.L.markerClusterGroup({
                chunkedLoading: true,
                iconCreateFunction: (cluster) => this.clusterIcon(cluster),
            });
            this.map.addLayer(this.cluster);
            this.load(this.props);
        });
        onWillUpdateProps((nextProps) => this.load(nextProps));
        onWillUnmount(() => {
            this.map?.remove();
            this.map = null;
        });
    }

    get noTiles() {
        return !this.settings.tile_url;
    }

    get countLabel() {
        return _t("%s on the map", this.state.count);
    }

    async load(props) {
        const loadId = ++this.loadId;
        this.state.loading = true;
        const data = await this.orm.call(props.resModel, "hotline_map_data", [props.domain], {
            limit: props.archInfo.limit,
            groupby: props.groupBy,
            context: props.context,
        });
        if (loadId !== this.loadId || !this.map) {
            return; // a newer search answered first, or the view is gone
        }
        const groupColors = new Map((data.groups || []).map(([value], index) => [value, groupColor(index)]));
        this.showMarkers(data.markers, groupColors);
        Object.assign(this.state, {
            count: data.markers.length,
            truncated: data.truncated,
            loading: false,
            legend: (data.groups || []).map(([value, label]) => ({ label, color: groupColors.get(value) })),
        });
    }

    /**
     * @param {Array[]} markers [id, lat, lon, colour, group value when grouped]
     * @param {Map} groupColors colour of each group value: grouped, the markers take their group's colour
     */
    showMarkers(markers, groupColors) {
        const L = this.L;
        this.cluster.clearLayers();
        const layers = markers.map(([id, lat, lon, color, group]) => {
            const style = groupColors.size ? ` style="background: ${groupColors.get(group)}"` : "";
            const layer = L.marker(this.projection.toMap(lat, lon), {
                icon: L.divIcon({
                    className: "",
                    html: `<span class="o_hotline_marker o_hotline_marker_${color}" data-id="${id}"${style}></span>`,
                    iconSize: [18, 18],
                    iconAnchor: [9, 9],
                }),
            });
            layer.hotlineColor = color;
            layer.on("click", () => this.openPopup(layer, id));
            return layer;
        });
        this.cluster.addLayers(layers);
        if (layers.length && !this.fitted) {
            this.map.fitBounds(this.cluster.getBounds(), { maxZoom: 16, padding: [20, 20] });
            this.fitted = true;
        }
    }

    clusterIcon(cluster) {
        const children = cluster.getAllChildMarkers();
        const late = children.some((layer) => layer.hotlineColor === "red");
        const size = children.length < 100 ? "small" : children.length < 1000 ? "medium" : "large";
        return this.L.divIcon({
            html: `<div><span>${children.length}</span></div>`,
            className: `marker-cluster marker-cluster-${late ? "large o_hotline_cluster_late" : size}`,
            iconSize: new this.L.Point(40, 40),
        });
    }

    /** The popup's texts are read on the click: the markers carry no more than their place and colour. */
    async openPopup(layer, id) {
        const [info] = await this.orm.call(this.props.resModel, "hotline_map_popup", [[id]], {
            context: this.props.context,
        });
        if (info && this.map) {
            layer.unbindPopup();
            layer.bindPopup(this.popup(info)).openPopup();
        }
    }

    /** The popup, built from DOM nodes: the texts are the users' and are never read as HTML. */
    popup(info) {
        const root = document.createElement("div");
        root.className = "o_hotline_map_popup";
        const link = document.createElement("a");
        link.href = "#";
        link.className = "o_hotline_map_open fw-bold";
        link.textContent = info.title;
        link.addEventListener("click", (ev) => {
            ev.preventDefault();
            this.props.selectRecord(info.id);
        });
        root.appendChild(link);
        const lines = [info.subtitle, info.state_label];
        if (info.deadline) {
            lines.push(_t("Deadline: %s", formatDateTime(deserializeDateTime(info.deadline))));
        }
        if (info.overdue) {
            lines.push(_t("Overdue"));
        }
        if (info.marked) {
            lines.push(_t("Several open cases"));
        }
        for (const text of lines.filter(Boolean)) {
            const line = document.createElement("div");
            line.textContent = text;
            root.appendChild(line);
        }
        return root;
    }
}

function groupColor(index) {
    return GROUP_COLORS[index % GROUP_COLORS.length];
}

export const hotlineMapView = {
    type: "hotline_map",
    display_name: _t("Map"),
    icon: "fa fa-map-marker",
    multiRecord: true,
    Controller: HotlineMapController,
    searchMenuTypes: ["filter", "groupBy", "favorite"],
    props: (genericProps, view) => ({
        ...genericProps,
        archInfo: { limit: parseInt(genericProps.arch.getAttribute("limit"), 10) || 20000 },
    }),
};

registry.category("views").add("hotline_map", hotlineMapView);
