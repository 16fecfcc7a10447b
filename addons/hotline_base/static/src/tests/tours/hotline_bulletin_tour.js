/** @odoo-module **/

import { registry } from "@web/core/registry";

registry.category("web_tour.tours").add("hotline_bulletin_tour", {
    url: "/odoo",
    steps: () => [
        {
            content: "The operator lands on the bulletin board",
            trigger: ".o_hotline_bulletin_kanban .o_kanban_record .o_hotline_bulletin_title:contains('东区周六停水')",
        },
        {
            content: "Pinned bulletins come first",
            trigger: ".o_hotline_bulletin_kanban .o_kanban_record:first-child .fa-thumb-tack",
        },
        {
            content: "A bulletin for another audience is not shown",
            trigger: ".o_hotline_bulletin_kanban:not(:has(.o_hotline_bulletin_title:contains('仅限值班长')))",
        },
        {
            content: "Open the bulletin",
            trigger: ".o_hotline_bulletin_kanban .o_hotline_bulletin_title:contains('东区周六停水')",
            run: "click",
        },
        {
            content: "Its text is shown",
            trigger: ".o_form_view .o_field_html:contains('请告知来电市民')",
        },
    ],
});
