/** @odoo-module **/

import { reactive } from "@odoo/owl";
import { browser } from "@web/core/browser/browser";
import { registry } from "@web/core/registry";
import { user } from "@web/core/user";
import { ScreenPopContainer } from "./screen_pop_container";

const MAX_CARDS = 4;
// when the bus websocket is not connected (blocked by a proxy, test mode), ask the server instead
const POLL_DELAY = 2000;

/**
 * Caller cards of the calls ringing at (or answered on) the user's phone.
 *
 * The server sends bus notifications of type "hotline/screen_pop"; a call's
 * later notifications (answered, ended) update its card, keyed by linkedid.
 * A notification carries what the pop shows at once (caller, badges, the open
 * cases' ids): a new card asks the server for its case lists.
 * On start, and while the bus is not connected, the calls in progress are
 * fetched from the server so that a reload or a missing websocket loses none.
 */
export const hotlineScreenPopService = {
    dependencies: ["bus_service", "orm"],

    start(env, { bus_service, orm }) {
        const state = reactive({ cards: [] });
        const dismissed = new Set();
        let connected = false;
        let pollTimer = null;
        let enabled = false;

        function merge(linkedid, values) {
            const index = state.cards.findIndex((card) => card.linkedid === linkedid);
            if (index >= 0) {
                state.cards[index] = { ...state.cards[index], ...values };
            }
            return index >= 0;
        }

        async function fetchCaseLists(callId) {
            try {
                const lists = await orm.silent.call("hotline.call", "hotline_screen_pop_card", [[callId]]);
                merge(lists.linkedid, lists);
            } catch {
                // the card shows without its case lists
            }
        }

        function upsert(payload) {
            if (!payload || !payload.linkedid || dismissed.has(payload.linkedid)) {
                return;
            }
            if (!merge(payload.linkedid, payload)) {
                state.cards.unshift({ ...payload });
                state.cards.splice(MAX_CARDS);
                // the server sends what the pop shows at once: the case lists are asked for now
                if (payload.call_id) {
                    fetchCaseLists(payload.call_id);
                }
            }
        }

        function dismiss(linkedid) {
            dismissed.add(linkedid);
            const index = state.cards.findIndex((card) => card.linkedid === linkedid);
            if (index >= 0) {
                state.cards.splice(index, 1);
            }
        }

        async function fetchActive() {
            try {
                const payloads = await orm.silent.call("hotline.call", "hotline_screen_pop_active", []);
                for (const payload of payloads) {
                    upsert(payload);
                }
            } catch {
                // the next poll tries again
            }
        }

        function schedulePoll() {
            browser.clearTimeout(pollTimer);
            if (!enabled || connected) {
                return;
            }
            pollTimer = browser.setTimeout(async () => {
                await fetchActive();
                schedulePoll();
            }, POLL_DELAY);
        }

        bus_service.subscribe("hotline/screen_pop", (payload) => upsert(payload));
        for (const event of ["connect", "reconnect"]) {
            bus_service.addEventListener(event, () => {
                connected = true;
                browser.clearTimeout(pollTimer);
                if (enabled) {
                    fetchActive();
                }
            });
        }
        for (const event of ["disconnect", "reconnecting"]) {
            bus_service.addEventListener(event, () => {
                connected = false;
                schedulePoll();
            });
        }
        bus_service.start();

        user.hasGroup("hotline_base.group_hotline_operator").then((isOperator) => {
            enabled = isOperator;
            if (enabled) {
                fetchActive();
                schedulePoll();
            }
        });

        registry.category("main_components").add("hotline_telephony.ScreenPopContainer", {
            Component: ScreenPopContainer,
            props: { state, dismiss },
        });

        return { state, upsert, dismiss, fetchActive };
    },
};

registry.category("services").add("hotline_screen_pop", hotlineScreenPopService);
