/** @odoo-module **/

import { registry } from "@web/core/registry";

const tours = registry.category("web_tour.tours");

/* The manager asks for the year's workbook; it is built in the background. */
tours.add("hotline_reports_export_tour", {
    steps: () => [
        {
            content: "A new export",
            trigger: ".o_list_button_add, .o_form_view .o_field_widget[name=date_from]",
            run: "click",
        },
        {
            content: "From the first of January",
            trigger: ".o_form_view .o_field_widget[name=date_from] input",
            run: `edit 01/01/${new Date().getFullYear()}`,
        },
        {
            content: "Export",
            trigger: ".o_form_view .o_form_statusbar button[name=action_export]",
            run: "click",
        },
        {
            content: "It is being built",
            trigger: ".o_form_view .o_statusbar_status button.o_arrow_button_current:contains(Running)",
        },
    ],
});

/* Later, the workbook is ready to download. */
tours.add("hotline_reports_export_ready_tour", {
    steps: () => [
        {
            content: "Ready",
            trigger: ".o_form_view .o_statusbar_status button.o_arrow_button_current:contains(Ready)",
        },
        {
            content: "The file is there",
            trigger: ".o_form_view .o_field_widget[name=file] a, .o_form_view .o_field_widget[name=file] button",
        },
        {
            content: "and the download button",
            trigger: ".o_form_view .o_form_statusbar button[name=action_download]",
        },
    ],
});
