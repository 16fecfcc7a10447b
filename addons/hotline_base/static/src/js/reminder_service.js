/** @odoo-module **/

import { _t } from "@web/core/l10n/translation";
import { registry } from "@web/core/registry";

/**
 * Shows the operator's reminders (bus type "hotline/reminder") as sticky
 * notifications with a button to the record they are about.
 */
export const hotlineReminderService = {
    dependencies: ["bus_service", "notification", "action"],

    start(env, { bus_service, notification, action }) {
        bus_service.subscribe("hotline/reminder", (reminder) => {
            const buttons = [];
            if (reminder.res_model && reminder.res_id) {
                buttons.push({
                    name: reminder.record_name || _t("Open"),
                    icon: "fa-external-link",
                    primary: true,
                    onClick: () =>
                        action.doAction({
                            type: "ir.actions.act_window",
                            res_model: reminder.res_model,
                            res_id: reminder.res_id,
                            views: [[false, "form"]],
                        }),
                });
            }
            notification.add(reminder.message, {
                title: reminder.title || _t("Reminder"),
                type: "warning",
                sticky: true,
                className: "o_hotline_reminder_notification",
                buttons,
            });
        });
        bus_service.start();
    },
};

registry.category("services").add("hotline_reminder", hotlineReminderService);
