/** @odoo-module **/

import { registry } from "@web/core/registry";

const tours = registry.category("web_tour.tours");

/* 1. The operator registers a case from the keyboard while the caller is on the line. */
tours.add("hotline_case_register_tour", {
    url: "/odoo/action-hotline_case.hotline_case_action_new",
    steps: () => [
        {
            content: "Type the caller's number (the phone field has the focus)",
            trigger: ".o_form_view .o_field_widget[name=caller_phone] input",
            run: "edit 0571-8802 7316",
        },
        {
            content: "Leave the field with Tab: the caller is looked up",
            trigger: ".o_form_view .o_field_widget[name=caller_phone] input",
            run: "press Tab",
        },
        {
            content: "The known caller is found",
            trigger: ".o_form_view .o_field_widget[name=partner_id] input:value(巡回测试来电人)",
        },
        {
            content: "Type the category",
            trigger: ".o_form_view .o_field_widget[name=category_id] input",
            run: "edit 巡回测试漏水",
        },
        {
            content: "Wait for the suggestion",
            trigger: ".o_field_widget[name=category_id] .o-autocomplete--dropdown-item:first-child:contains(巡回测试漏水)",
        },
        {
            content: "Take it with Enter",
            trigger: ".o_form_view .o_field_widget[name=category_id] input",
            run: "press Enter",
        },
        {
            content: "Type the service type",
            trigger: ".o_form_view .o_field_widget[name=service_type_id] input",
            run: "edit 巡回测试投诉",
        },
        {
            content: "Wait for the suggestion",
            trigger: ".o_field_widget[name=service_type_id] .o-autocomplete--dropdown-item:first-child:contains(巡回测试投诉)",
        },
        {
            content: "Take it with Enter",
            trigger: ".o_form_view .o_field_widget[name=service_type_id] input",
            run: "press Enter",
        },
        {
            content: "The service type is taken",
            trigger: ".o_form_view .o_field_widget[name=service_type_id] input:value(巡回测试投诉)",
        },
        {
            content: "Type the summary",
            trigger: ".o_form_view .o_field_widget[name=summary] input",
            run: "edit 人民路自来水管爆裂 TOUR-CASE",
        },
        {
            content: "Save with Alt+S",
            trigger: ".o_form_view .o_field_widget[name=category_id] input:value(巡回测试漏水)",
            run: "press alt+s",
        },
        {
            content: "The case is saved with its number",
            trigger: ".o_breadcrumb .active:contains(12319-)",
        },
    ],
});

/* 2. The shift supervisor accepts the case (routing finds the department) and dispatches it. */
tours.add("hotline_case_dispatch_tour", {
    steps: () => [
        {
            content: "Accept the case",
            trigger: ".o_form_view .o_form_statusbar button[name=action_accept]",
            run: "click",
        },
        {
            content: "The case is accepted",
            trigger: ".o_form_view .o_statusbar_status button.o_arrow_button_current:contains(Accepted)",
        },
        {
            content: "Open the processing page",
            trigger: ".o_form_view .o_notebook .nav-link[name=processing]",
            run: "click",
        },
        {
            content: "The routing filled in the department",
            trigger: ".o_form_view .o_field_widget[name=department_id] input:value(巡回测试水务)",
        },
        {
            content: "Dispatch it to the department",
            trigger: ".o_form_view .o_form_statusbar button[name=action_dispatch]",
            run: "click",
        },
        {
            content: "The case is with the department",
            trigger: ".o_form_view .o_statusbar_status button.o_arrow_button_current:contains(Assigned)",
        },
    ],
});

/* 3. The department signs off the case in the portal and reports the result. */
tours.add("hotline_case_portal_tour", {
    url: "/my/hotline",
    steps: () => [
        {
            content: "Open the case from the department's list",
            trigger: ".o_hotline_case_row a.o_hotline_case_link:contains(12319-)",
            run: "click",
        },
        {
            content: "The caller's number is masked",
            trigger: ".o_hotline_caller_phone:contains(****)",
        },
        {
            content: "Sign off the case",
            trigger: "button.o_hotline_start",
            run: "click",
        },
        {
            content: "Signed off",
            trigger: ".o_hotline_message",
        },
        {
            content: "Describe the handling result",
            trigger: ".o_hotline_feedback_form textarea[name=handling_result]",
            run: "edit 已更换破损水管，下午三点恢复供水。",
        },
        {
            content: "Submit the result",
            trigger: ".o_hotline_feedback_form button.o_hotline_submit_feedback",
            run: "click",
        },
        {
            content: "The result is with the centre",
            trigger: ".o_hotline_handling_result:contains(恢复供水)",
        },
    ],
});

/* 4. The supervisor verifies the result and records the caller's satisfaction. */
tours.add("hotline_case_close_tour", {
    steps: () => [
        {
            content: "Verify the handling result",
            trigger: ".o_form_view .o_form_statusbar button[name=action_verify]",
            run: "click",
        },
        {
            content: "Open the return visit page",
            trigger: ".o_form_view .o_notebook .nav-link[name=return_visit]",
            run: "click",
        },
        {
            content: "The caller is satisfied",
            trigger: ".o_form_view .o_field_widget[name=satisfaction] input[data-value=satisfied]",
            run: "click",
        },
        {
            content: "Record the return visit",
            trigger: ".o_form_view .o_form_statusbar button[name=action_return_visit]",
            run: "click",
        },
        {
            content: "The case is completed",
            trigger: ".o_form_view .o_statusbar_status button.o_arrow_button_current:contains(Done)",
        },
    ],
});
