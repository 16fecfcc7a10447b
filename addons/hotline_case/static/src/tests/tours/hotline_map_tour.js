/** @odoo-module **/

import { registry } from "@web/core/registry";

const tours = registry.category("web_tour.tours");

/** A click in the middle of a Leaflet map, where the map's start view is centred. */
function clickMapCentre() {
    const map = document.querySelector(".o_hotline_location_picker .o_hotline_map");
    const box = map.getBoundingClientRect();
    const position = { bubbles: true, cancelable: true, clientX: box.left + box.width / 2, clientY: box.top + box.height / 2 };
    for (const type of ["mousedown", "mouseup", "click"]) {
        map.dispatchEvent(new MouseEvent(type, position));
    }
}

/* The operator registers a case by clicking the map and picking the nearest manhole cover. */
tours.add("hotline_case_map_register_tour", {
    url: "/odoo/action-hotline_case.hotline_case_action_new",
    steps: () => [
        {
            content: "Type the summary",
            trigger: ".o_form_view .o_field_widget[name=summary] input",
            run: "edit 井盖缺失 TOUR-MAP",
        },
        {
            content: "The map says it has no tiles (none configured)",
            trigger: ".o_hotline_location_picker .o_hotline_map_no_tiles",
        },
        {
            content: "Click the place of the problem on the map",
            trigger: ".o_hotline_location_picker .o_hotline_map.leaflet-container",
            run: clickMapCentre,
        },
        {
            content: "The nearest component comes first: the manhole cover",
            trigger: ".o_hotline_nearby .o_hotline_nearby_item:first-child[data-code=T-TOUR-COVER-1]",
            run: "click",
        },
        {
            content: "The component is on the case",
            trigger: ".o_form_view .o_field_widget[name=component_id] input:value(T-TOUR-COVER-1)",
        },
        {
            content: "Its type follows",
            trigger: ".o_form_view .o_field_widget[name=component_type_id] input:value(巡回测试上水井盖)",
        },
        {
            content: "Open the processing tab",
            trigger: ".o_notebook_headers a[name=processing]",
            run: "click",
        },
        {
            content: "The case goes to the cover's owner",
            trigger: ".o_form_view .o_field_widget[name=department_id] input:value(巡回测试自来水公司)",
        },
        {
            content: "Save",
            trigger: ".o_form_view .o_form_button_save",
            run: "click",
        },
        {
            content: "The case is saved with its number",
            trigger: ".o_breadcrumb .active:contains(12319-)",
        },
    ],
});

/* The case map shows the new case. */
tours.add("hotline_case_map_view_tour", {
    url: "/odoo/action-hotline_case.hotline_case_action_map",
    steps: () => [
        {
            content: "The map is drawn",
            trigger: ".o_hotline_map_view .o_hotline_map.leaflet-container",
        },
        {
            content: "Search the summary",
            trigger: ".o_searchview_input",
            run: "edit TOUR-MAP",
        },
        {
            content: "In the summaries",
            trigger: ".o_searchview_autocomplete .o_menu_item:contains(Summary)",
            run: "click",
        },
        {
            content: "One case on the map",
            trigger: ".o_hotline_map_count[data-count='1']",
        },
        {
            content: "Open the search options",
            trigger: ".o_searchview_dropdown_toggler",
            run: "click",
        },
        {
            content: "Group by status",
            trigger: ".o_group_by_menu .o_menu_item:contains(Status)",
            run: "click",
        },
        {
            content: "The markers take their group's colour, with a legend",
            trigger: ".o_hotline_map_legend_item:contains(New)",
        },
        {
            content: "Its marker",
            trigger: ".o_hotline_map_view .leaflet-marker-icon .o_hotline_marker",
            run: "click",
        },
        {
            content: "The popup shows the case",
            trigger: ".o_hotline_map_popup:contains(TOUR-MAP) .o_hotline_map_open",
            run: "click",
        },
        {
            content: "The case opens",
            trigger: ".o_form_view .o_field_widget[name=summary] input:value(井盖缺失 TOUR-MAP)",
        },
    ],
});
