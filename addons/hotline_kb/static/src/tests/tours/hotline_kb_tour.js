/** @odoo-module **/

import { registry } from "@web/core/registry";

const tours = registry.category("web_tour.tours");

/* The operator types the citizen's sentence: the right answer comes first and opens. */
tours.add("hotline_kb_search_tour", {
    steps: () => [
        {
            content: "Type the citizen's question",
            trigger: ".o_hotline_kb_search input.o_hotline_kb_query",
            run: "edit 我家小区停水了怎么办",
        },
        {
            content: "The water-outage answer is on top",
            trigger: ".o_hotline_kb_result:first-child .o_hotline_kb_result_name:contains(小区停水怎么办)",
        },
        {
            content: "and opens beside the list, ready to be read out",
            trigger: ".o_hotline_kb_article .o_hotline_kb_body:contains(送水车)",
        },
    ],
});

/* A consultation answered on the call with the suggested standard answer. */
tours.add("hotline_kb_case_tour", {
    steps: () => [
        {
            content: "Type the citizen's words as the summary",
            trigger: ".o_form_view .o_field_widget[name=summary] input",
            run: "edit 我家小区停水了怎么办",
        },
        {
            content: "The suggested answer comes first",
            trigger: ".o_hotline_kb_suggestion:first-child .o_hotline_kb_suggestion_name:contains(小区停水怎么办)",
        },
        {
            content: "Use it",
            trigger: ".o_hotline_kb_suggestion:first-child button.o_hotline_kb_use",
            run: "click",
        },
        {
            content: "The answer is in the case and the article recorded as used",
            trigger: ".o_form_view .o_field_widget[name=kb_article_ids] .o_tag:contains(小区停水怎么办)",
        },
        {
            content: "The suggestion shows it was used",
            trigger: ".o_hotline_kb_suggestion:first-child button.o_hotline_kb_use:disabled:contains(Used)",
        },
        {
            content: "Type the category",
            trigger: ".o_form_view .o_field_widget[name=category_id] input",
            run: "edit KB 供水",
        },
        {
            content: "Take the suggestion",
            trigger: ".o_field_widget[name=category_id] .o-autocomplete--dropdown-item:first-child:contains(KB 供水)",
            run: "click",
        },
        {
            content: "Type the service type",
            trigger: ".o_form_view .o_field_widget[name=service_type_id] input",
            run: "edit KB 咨询",
        },
        {
            content: "Take the suggestion",
            trigger: ".o_field_widget[name=service_type_id] .o-autocomplete--dropdown-item:first-child:contains(KB 咨询)",
            run: "click",
        },
        {
            content: "Close it as answered on the call",
            trigger: ".o_form_view .o_form_statusbar button[name=action_close_direct]",
            run: "click",
        },
        {
            content: "Confirm",
            trigger: ".modal-footer .btn-primary",
            run: "click",
        },
        {
            content: "The case is done",
            trigger: ".o_form_view .o_statusbar_status button.o_arrow_button_current:contains(Done)",
        },
    ],
});

/* The editor reads an earlier version of the answer. */
tours.add("hotline_kb_history_tour", {
    steps: () => [
        {
            content: "Open the action menu",
            trigger: ".o_form_view .o_cp_action_menus i.fa-cog",
            run: "click",
        },
        {
            content: "Earlier versions of the answer",
            trigger: ".o_menu_item i.fa-history",
            run: "click",
        },
        {
            content: "The earlier version is there, with its text",
            trigger: ".modal .html-history-dialog .history-container:contains(11月15日)",
        },
    ],
});
