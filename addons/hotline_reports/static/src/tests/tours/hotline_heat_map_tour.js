/** @odoo-module **/

import { registry } from "@web/core/registry";

registry.category("web_tour.tours").add("hotline_reports_heat_map_tour", {
    url: "/odoo/hotline-heat-map",
    steps: () => [
        {
            content: "The heat layer is drawn on the map",
            trigger: ".o_hotline_heat_map .leaflet-container canvas.leaflet-heatmap-layer",
        },
        {
            content: "Pick the water category",
            trigger: ".o_hotline_heat_category",
            run: "selectByLabel Heat Water",
        },
        {
            content: "Its located cases of the last 30 days are counted",
            trigger: ".o_hotline_heat_total[data-total='3']",
        },
        {
            content: "A year back",
            trigger: ".o_hotline_heat_period",
            run: "selectByLabel Last 365 days",
        },
        {
            content: "The older leak counts too",
            trigger: ".o_hotline_heat_total[data-total='4']",
        },
    ],
});
