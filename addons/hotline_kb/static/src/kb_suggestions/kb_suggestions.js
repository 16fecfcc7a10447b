/** @odoo-module **/

import { Component, markup, useEffect, useExternalListener, useRef, useState } from "@odoo/owl";
import { _t } from "@web/core/l10n/translation";
import { registry } from "@web/core/registry";
import { useDebounced } from "@web/core/utils/timing";
import { useService } from "@web/core/utils/hooks";
import { standardWidgetProps } from "@web/views/widgets/standard_widget_props";

/**
 * Suggested answers on the case form: searched from the summary (keystroke by
 * keystroke) and the category; "Use" puts the standard answer into the
 * case and records the article as used.
 */
export class HotlineKbSuggestions extends Component {
    static template = "hotline_kb.Suggestions";
    static props = { ...standardWidgetProps };

    setup() {
        this.orm = useService("orm");
        this.notification = useService("notification");
        this.state = useState({ results: [], loading: false });
        this.lastKey = null;
        this.typed = null; // what the operator is typing in the summary, before the field is left
        this.debouncedSearch = useDebounced(() => this.search(), 300);
        this.root = useRef("root");
        // the record only changes when the summary field is left: follow the keystrokes themselves
        useExternalListener(document, "input", (ev) => this.onTyping(ev), { capture: true });
        useEffect(
            (summary, categoryId) => {
                const key = `${summary}|${categoryId}`;
                if (key !== this.lastKey) {
                    this.lastKey = key;
                    this.typed = null;
                    this.debouncedSearch();
                }
            },
            () => [this.props.record.data.summary || "", this.props.record.data.category_id?.[0] || false]
        );
    }

    onTyping(ev) {
        const form = this.root.el?.closest(".o_form_view");
        if (form && ev.target.closest?.(".o_field_widget[name=summary]") && form.contains(ev.target)) {
            this.typed = ev.target.value;
            this.debouncedSearch();
        }
    }

    get record() {
        return this.props.record;
    }

    async search() {
        const summary = this.typed ?? (this.record.data.summary || "");
        const categoryId = this.record.data.category_id?.[0] || false;
        if (!summary.trim() && !categoryId) {
            this.state.results = [];
            return;
        }
        const results = await this.orm.silent.call("hotline.kb.article", "search_articles", [summary], {
            category_id: categoryId,
            limit: 5,
        });
        this.state.results = results.map((result) => ({ ...result, snippet: markup(result.snippet) }));
    }

    isUsed(articleId) {
        return this.record.data.kb_article_ids.currentIds.includes(articleId);
    }

    async use(result) {
        const answer = await this.orm.call("hotline.kb.article", "hotline_kb_answer_text", [[result.id]]);
        const current = (this.record.data.handling_result || "").trim();
        await this.record.update({ handling_result: current ? `${current}\n\n${answer}` : answer });
        if (!this.isUsed(result.id)) {
            await this.record.data.kb_article_ids.linkTo(result.id);
        }
        this.notification.add(_t("The standard answer is in the case."), { type: "success" });
    }
}

registry.category("view_widgets").add("hotline_kb_suggestions", {
    component: HotlineKbSuggestions,
    fieldDependencies: [
        { name: "summary", type: "char" },
        { name: "category_id", type: "many2one", relation: "hotline.category" },
        { name: "handling_result", type: "text" },
        { name: "kb_article_ids", type: "many2many", relation: "hotline.kb.article" },
    ],
});
