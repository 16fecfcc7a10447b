/** @odoo-module **/

import { Component, markup, onWillStart, useState } from "@odoo/owl";
import { _t } from "@web/core/l10n/translation";
import { registry } from "@web/core/registry";
import { useDebounced } from "@web/core/utils/timing";
import { useService } from "@web/core/utils/hooks";

/**
 * The operators' answer search: results update as they type (debounced), the
 * chosen answer opens beside the list, ready to be read out.
 */
export class HotlineKbSearch extends Component {
    static template = "hotline_kb.Search";
    static props = ["*"];

    setup() {
        this.orm = useService("orm");
        this.action = useService("action");
        this.state = useState({ query: "", results: [], article: null, searched: false, loading: false });
        this.debouncedSearch = useDebounced(() => this.search(), 250);
        onWillStart(() => this.search());
    }

    onInput(ev) {
        this.state.query = ev.target.value;
        this.debouncedSearch();
    }

    async search() {
        const query = this.state.query.trim();
        if (!query) {
            this.state.results = [];
            this.state.searched = false;
            return;
        }
        this.state.loading = true;
        const results = await this.orm.call("hotline.kb.article", "search_articles", [query], { limit: 20 });
        if (query !== this.state.query.trim()) {
            return; // a newer search is on its way
        }
        this.state.results = results.map((result) => ({ ...result, snippet: markup(result.snippet) }));
        this.state.searched = true;
        this.state.loading = false;
        if (results.length && (!this.state.article || !results.some((r) => r.id === this.state.article.id))) {
            await this.open(results[0].id);
        }
    }

    async open(articleId) {
        const article = await this.orm.call("hotline.kb.article", "hotline_kb_open", [articleId]);
        this.state.article = { ...article, body: markup(article.body) };
    }

    openForm() {
        this.action.doAction({
            type: "ir.actions.act_window",
            res_model: "hotline.kb.article",
            res_id: this.state.article.id,
            views: [[false, "form"]],
            name: _t("Article"),
        });
    }
}

registry.category("actions").add("hotline_kb_search", HotlineKbSearch);
