/** @odoo-module **/

import { _t } from "@web/core/l10n/translation";
import { registry } from "@web/core/registry";
import { useService } from "@web/core/utils/hooks";
import { formPhoneField, phoneField, PhoneField } from "@web/views/fields/phone/phone_field";

/**
 * Click-to-call: the phone field with a button that asks the PBX bridge to
 * ring the user's phone and then dial the number.
 */
function useClickToCall(component) {
    const orm = useService("orm");
    const notification = useService("notification");
    return async (ev) => {
        ev.preventDefault();
        ev.stopPropagation();
        const number = component.props.record.data[component.props.name];
        if (!number) {
            return;
        }
        const result = await orm.call("hotline.call", "action_click_to_call", [number]);
        notification.add(result.message, { type: "info", title: _t("Calling") });
    };
}

export class HotlinePhoneField extends PhoneField {
    static template = "hotline_telephony.HotlinePhoneField";
    setup() {
        super.setup();
        this.onClickCall = useClickToCall(this);
    }
}

export class HotlineFormPhoneField extends formPhoneField.component {
    static template = "hotline_telephony.HotlineFormPhoneField";
    setup() {
        super.setup();
        this.onClickCall = useClickToCall(this);
    }
}

registry.category("fields").add("hotline_phone", {
    ...phoneField,
    component: HotlinePhoneField,
    displayName: _t("Phone with click-to-call"),
});
registry.category("fields").add("form.hotline_phone", {
    ...formPhoneField,
    component: HotlineFormPhoneField,
    displayName: _t("Phone with click-to-call"),
});
