/** @odoo-module **/

import { Component, onWillStart, onWillUnmount, useState } from "@odoo/owl";
import { Dropdown } from "@web/core/dropdown/dropdown";
import { DropdownItem } from "@web/core/dropdown/dropdown_item";
import { _t } from "@web/core/l10n/translation";
import { registry } from "@web/core/registry";
import { useService } from "@web/core/utils/hooks";

const STATE_CLASSES = {
    offline: "text-muted",
    available: "text-success",
    paused: "text-warning",
    ringing: "text-info",
    on_call: "text-danger",
    wrap_up: "text-warning",
};

/**
 * The agent panel in the systray: the agent's state on the PBX queue, calls
 * today, and log in / log out / pause (with a reason) / available.
 */
export class AgentPanel extends Component {
    static template = "hotline_telephony.AgentPanel";
    static components = { Dropdown, DropdownItem };
    static props = {};

    setup() {
        this.orm = useService("orm");
        this.action = useService("action");
        this.busService = useService("bus_service");
        this.state = useState({ data: null, busy: false });
        this.pauseReasons = [
            _t("Break"),
            _t("Meal"),
            _t("Meeting"),
            _t("Training"),
            _t("After-call work"),
        ];
        this.onAgentState = () => this.load();
        onWillStart(() => this.load());
        this.busService.subscribe("hotline/agent_state", this.onAgentState);
        onWillUnmount(() => this.busService.unsubscribe("hotline/agent_state", this.onAgentState));
    }

    async load() {
        this.state.data = await this.orm.silent.call("res.users", "hotline_agent_panel_data", []);
    }

    get data() {
        return this.state.data || {};
    }

    get stateClass() {
        return STATE_CLASSES[this.data.state] || "text-muted";
    }

    async run(action, reason = false) {
        if (this.state.busy) {
            return;
        }
        this.state.busy = true;
        try {
            this.state.data = await this.orm.call("res.users", "hotline_agent_action", [action], { reason });
        } finally {
            this.state.busy = false;
        }
    }

    openCalls() {
        return this.action.doAction("hotline_telephony.hotline_call_action", {
            additionalContext: { search_default_my_calls: 1 },
        });
    }

    openWallboard() {
        return this.action.doAction("hotline_telephony.hotline_wallboard_action");
    }
}

registry.category("systray").add("hotline_telephony.AgentPanel", { Component: AgentPanel }, { sequence: 40 });
