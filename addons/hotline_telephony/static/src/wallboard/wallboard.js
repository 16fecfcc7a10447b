/** @odoo-module **/

import { Component, onWillStart, onWillUnmount, useState } from "@odoo/owl";
import { browser } from "@web/core/browser/browser";
import { Dropdown } from "@web/core/dropdown/dropdown";
import { DropdownItem } from "@web/core/dropdown/dropdown_item";
import { _t } from "@web/core/l10n/translation";
import { registry } from "@web/core/registry";
import { useService } from "@web/core/utils/hooks";

const REFRESH = 5000;
const STATE_BADGES = {
    offline: "text-bg-light",
    available: "text-bg-success",
    paused: "text-bg-warning",
    ringing: "text-bg-info",
    on_call: "text-bg-danger",
    wrap_up: "text-bg-warning",
};

/**
 * The supervisors' wallboard: agents with their state and current call, the
 * calls waiting or in progress, today's figures, and the supervisor's actions
 * (listen, whisper, barge, force hang-up, force transfer, pickup, queue
 * log in / out, pause / unpause) through the PBX bridge.
 */
export class Wallboard extends Component {
    static template = "hotline_telephony.Wallboard";
    static components = { Dropdown, DropdownItem };
    static props = ["*"];

    setup() {
        this.orm = useService("orm");
        this.notification = useService("notification");
        this.state = useState({ data: null, busy: false });
        onWillStart(() => this.load());
        this.timer = browser.setInterval(() => this.load(), REFRESH);
        onWillUnmount(() => browser.clearInterval(this.timer));
    }

    async load() {
        this.state.data = await this.orm.silent.call("hotline.call", "hotline_wallboard_data", []);
    }

    get data() {
        return this.state.data || { agents: [], calls: [], stats: {} };
    }

    get waitingCalls() {
        return this.data.calls.filter((call) => call.state === "ringing");
    }

    get liveCalls() {
        return this.data.calls.filter((call) => call.state === "answered");
    }

    badge(state) {
        return STATE_BADGES[state] || "text-bg-light";
    }

    duration(seconds) {
        const minutes = Math.floor(seconds / 60);
        const rest = String(seconds % 60).padStart(2, "0");
        return `${minutes}:${rest}`;
    }

    transferTargets(call) {
        return this.data.agents.filter(
            (agent) => agent.extension !== call.extension && agent.state === "available"
        );
    }

    async run(model, method, ids, args = [], message = "") {
        if (this.state.busy) {
            return;
        }
        this.state.busy = true;
        try {
            await this.orm.call(model, method, [ids, ...args]);
            if (message) {
                this.notification.add(message, { type: "success" });
            }
            await this.load();
        } finally {
            this.state.busy = false;
        }
    }

    spy(agent, mode) {
        return this.run("res.users", "hotline_supervisor_spy", [agent.id], [mode], _t("Your phone rings: pick it up."));
    }

    agentAction(agent, action) {
        return this.run("res.users", "hotline_supervisor_agent_action", [agent.id], [action]);
    }

    hangup(call) {
        return this.run("hotline.call", "action_hotline_hangup", [call.id], [], _t("The call is hung up."));
    }

    transfer(call, agent) {
        return this.run(
            "hotline.call",
            "action_hotline_transfer",
            [call.id],
            [agent.extension],
            _t("The call is transferred.")
        );
    }

    pickup(call) {
        return this.run("hotline.call", "action_hotline_pickup", [call.id], [], _t("Your phone rings: pick it up."));
    }
}

registry.category("actions").add("hotline_wallboard", Wallboard);
