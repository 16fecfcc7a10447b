/** @odoo-module **/

import { registry } from "@web/core/registry";

/* The manager reads the month's cases by district and category, then ranks the departments. */
registry.category("web_tour.tours").add("hotline_reports_manager_tour", {
    steps: () => [
        {
            content: "The month's cases: districts in rows",
            trigger: ".o_pivot .o_pivot_header_cell_closed:contains(Report District), .o_pivot th:contains(Report District)",
        },
        {
            content: "and the main categories in columns",
            trigger: ".o_pivot th:contains(Report Category)",
        },
        {
            content: "Open the department ranking",
            trigger: ".o_main_navbar button:contains(Reports), .o_main_navbar .dropdown-toggle:contains(Reports)",
            run: "click",
        },
        {
            trigger: ".dropdown-menu a:contains(Department Ranking), .o-dropdown-item:contains(Department Ranking)",
            run: "click",
        },
        {
            content: "Choose the district",
            trigger: ".o_form_view .o_field_widget[name=district_id] input",
            run: "edit Report District",
        },
        {
            trigger: ".o_field_widget[name=district_id] .o-autocomplete--dropdown-item:first-child:contains(Report District)",
            run: "click",
        },
        {
            content: "Rank",
            trigger: ".o_form_view .o_form_statusbar button[name=action_compute]",
            run: "click",
        },
        {
            content: "Department A comes first",
            trigger: ".o_field_widget[name=line_ids] .o_data_row:first-child:contains(Report Dept A)",
        },
        {
            content: "then department B",
            trigger: ".o_field_widget[name=line_ids] .o_data_row:nth-child(2):contains(Report Dept B)",
        },
    ],
});
