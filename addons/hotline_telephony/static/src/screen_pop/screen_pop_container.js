/** @odoo-module **/

import { Component } from "@odoo/owl";
import { CallerCard } from "./caller_card";

export class ScreenPopContainer extends Component {
    static template = "hotline_telephony.ScreenPopContainer";
    static components = { CallerCard };
    static props = {
        state: Object,
        dismiss: Function,
    };
}
