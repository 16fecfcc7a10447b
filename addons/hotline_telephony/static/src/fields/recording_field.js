/** @odoo-module **/

import { Component } from "@odoo/owl";
import { _t } from "@web/core/l10n/translation";
import { registry } from "@web/core/registry";
import { standardFieldProps } from "@web/views/fields/standard_field_props";

/** A call's recording: an HTML5 player and a download link (the URL is access-checked by the server). */
export class HotlineRecordingField extends Component {
    static template = "hotline_telephony.RecordingField";
    static props = { ...standardFieldProps };

    get url() {
        return this.props.record.data[this.props.name];
    }
}

registry.category("fields").add("hotline_recording", {
    component: HotlineRecordingField,
    displayName: _t("Call recording"),
    supportedTypes: ["char"],
});
