/** @odoo-module **/

import { Component } from "@odoo/owl";
import { _t } from "@web/core/l10n/translation";
import { deserializeDateTime, formatDateTime } from "@web/core/l10n/dates";
import { useService } from "@web/core/utils/hooks";

const MOBILE_RE = /^(\+?86)?1\d{10}$/;

/**
 * The caller card: who calls (or is called), VIP / blacklist badges, open and
 * last cases, and the buttons "New case", "Open caller" / "Create caller".
 */
export class CallerCard extends Component {
    static template = "hotline_telephony.CallerCard";
    static props = {
        card: Object,
        dismiss: Function,
    };

    setup() {
        this.action = useService("action");
    }

    get card() {
        return this.props.card;
    }

    get stateLabel() {
        return (
            {
                ringing: _t("Ringing"),
                answered: _t("On the call"),
                ended: _t("Call ended"),
            }[this.card.state] || this.card.state
        );
    }

    get stateClass() {
        return (
            {
                ringing: "text-bg-warning",
                answered: "text-bg-success",
                ended: "text-bg-secondary",
            }[this.card.state] || "text-bg-secondary"
        );
    }

    get directionLabel() {
        return this.card.direction === "inbound" ? _t("Incoming call") : _t("Outgoing call");
    }

    get number() {
        return this.card.remote_number || this.card.caller_number || "";
    }

    get title() {
        return this.card.partner_name || this.card.caller_name || _t("Unknown caller");
    }

    formatDate(value) {
        return value ? formatDateTime(deserializeDateTime(value)) : "";
    }

    newCase() {
        const context = {
            default_caller_phone: this.number,
            default_source: "hotline",
            hotline_call_id: this.card.call_id,
        };
        if (this.card.partner_id) {
            context.default_partner_id = this.card.partner_id;
            context.default_caller_name = this.card.partner_name;
        } else if (this.card.caller_name) {
            context.default_caller_name = this.card.caller_name;
        }
        return this.action.doAction({
            type: "ir.actions.act_window",
            name: _t("New Case"),
            res_model: "hotline.case",
            views: [[false, "form"]],
            target: "current",
            context,
        });
    }

    openCaller() {
        return this.action.doAction({
            type: "ir.actions.act_window",
            res_model: "res.partner",
            res_id: this.card.partner_id,
            views: [[false, "form"]],
            target: "current",
        });
    }

    createCaller() {
        const key = MOBILE_RE.test(this.number.replace(/[\s-]/g, "")) ? "default_mobile" : "default_phone";
        return this.action.doAction({
            type: "ir.actions.act_window",
            name: _t("New Caller"),
            res_model: "res.partner",
            views: [[false, "form"]],
            target: "current",
            context: { [key]: this.number, default_name: this.card.caller_name || false },
        });
    }

    openCase(caseId) {
        return this.action.doAction({
            type: "ir.actions.act_window",
            res_model: "hotline.case",
            res_id: caseId,
            views: [[false, "form"]],
            target: "current",
        });
    }

    dismiss() {
        this.props.dismiss(this.card.linkedid);
    }
}
