/** @odoo-module **/

import { _t } from "@web/core/l10n/translation";
import { registry } from "@web/core/registry";

/**
 * Shows supervisions and time-limit alarms (bus type "hotline/supervision")
 * as sticky notifications with a button to the case.
 */
export const hotlineSupervisionService = {
    dependencies: ["bus_service", "notification", "action"],

    start(env, { bus_service, notification, action }) {
        bus_service.subscribe("hotline/supervision", (payload) => {
            const buttons = [];
            if (payload.case_id) {
                buttons.push({
                    name: payload.case_name || _t("Open the case"),
                    icon: "fa-external-link",
                    primary: true,
                    onClick: () =>
                        action.doAction({
                            type: "ir.actions.act_window",
                            res_model: "hotline.case",
                            res_id: payload.case_id,
                            views: [[false, "form"]],
                        }),
                });
            }
            notification.add(payload.message || "", {
                title: payload.title || _t("Supervision"),
                type: ["red", "overdue"].includes(payload.level) ? "danger" : "warning",
                sticky: true,
                buttons,
            });
        });
        bus_service.start();
    },
};

registry.category("services").add("hotline_supervision", hotlineSupervisionService);
