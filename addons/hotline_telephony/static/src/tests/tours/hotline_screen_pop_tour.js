/** @odoo-module **/

import { registry } from "@web/core/registry";

// Must match tests/test_screen_pop_tour.py
const TOKEN = "tour-token-12319";
const CALLER = "13912345678";

registry.category("web_tour.tours").add("hotline_screen_pop_tour", {
    url: "/odoo",
    steps: () => [
        {
            content: "The web client is loaded",
            trigger: ".o_main_navbar",
        },
        {
            content: "The PBX bridge reports a call ringing at the operator's extension 1001",
            trigger: ".o_main_navbar",
            async run() {
                const response = await fetch("/hotline/pbx/event", {
                    method: "POST",
                    headers: { Authorization: `Bearer ${TOKEN}`, "Content-Type": "application/json" },
                    body: JSON.stringify({
                        events: [
                            {
                                id: "tour:1795700000.0:ringing:1795700000.2:0",
                                kind: "ringing",
                                time: new Date().toISOString(),
                                linkedid: "1795700000.0",
                                uniqueid: "1795700000.2",
                                caller_number: CALLER,
                                caller_name: "Tour Caller",
                                called_number: "12319",
                                extension: "1001",
                                queue: "hotline",
                                direction: "inbound",
                                channel: "Local/1001@agents-00000001;1",
                            },
                        ],
                    }),
                });
                const body = await response.json();
                if (!body.ok || body.processed !== 1) {
                    throw new Error(`The event was refused: ${JSON.stringify(body)}`);
                }
            },
        },
        {
            content: "The caller card pops up with the caller's name",
            trigger: ".o_hotline_caller_card .o_hotline_caller_name:contains('巡检来电人')",
        },
        {
            content: "The card shows the VIP badge",
            trigger: ".o_hotline_caller_card .o_hotline_badge_vip",
        },
        {
            content: "The card lists the caller's open case",
            trigger: ".o_hotline_caller_card .o_hotline_open_cases:contains('窨井盖缺失')",
        },
        {
            content: "The card says the call is ringing",
            trigger: ".o_hotline_caller_card .o_hotline_call_state:contains('Ringing')",
        },
        {
            content: "New case from the card",
            trigger: ".o_hotline_caller_card .o_hotline_new_case",
            run: "click",
        },
        {
            content: "The case form is prefilled with the caller's phone",
            trigger: `.o_form_view .o_field_widget[name=caller_phone] input:value(${CALLER})`,
        },
        {
            content: "and with the caller",
            trigger: ".o_form_view .o_field_widget[name=partner_id] input:value('巡检来电人')",
        },
        {
            content: "Give the case a summary",
            trigger: ".o_form_view .o_field_widget[name=summary] input",
            run: "edit 路灯不亮",
        },
        {
            content: "Save the case",
            trigger: ".o_form_view .o_form_button_save",
            run: "click",
        },
        {
            content: "The case is saved",
            trigger: ".o_form_view .o_form_saved",
        },
    ],
});
