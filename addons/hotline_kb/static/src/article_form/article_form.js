/** @odoo-module **/

import { HistoryDialog } from "@html_editor/components/history_dialog/history_dialog";
import { ConfirmationDialog } from "@web/core/confirmation_dialog/confirmation_dialog";
import { _t } from "@web/core/l10n/translation";
import { registry } from "@web/core/registry";
import { useService } from "@web/core/utils/hooks";
import { FormController } from "@web/views/form/form_controller";
import { formView } from "@web/views/form/form_view";

/** The article form, with every earlier version of the answer in its action menu. */
export class HotlineKbArticleFormController extends FormController {
    setup() {
        super.setup();
        this.notification = useService("notification");
    }

    getStaticActionMenuItems() {
        return {
            ...super.getStaticActionMenuItems(),
            openHistoryDialog: {
                sequence: 50,
                icon: "fa fa-history",
                description: _t("Earlier Versions of the Answer"),
                callback: () => this.openHistoryDialog(),
            },
        };
    }

    async openHistoryDialog() {
        const record = this.model.root;
        const historyMetadata = record.data.html_field_history_metadata?.body;
        if (!historyMetadata) {
            this.notification.add(_t("The answer has not been changed yet."));
            return;
        }
        this.dialogService.add(HistoryDialog, {
            title: _t("Earlier Versions of the Answer"),
            recordId: record.resId,
            recordModel: this.props.resModel,
            versionedFieldName: "body",
            historyMetadata,
            restoreRequested: (html, close) => {
                this.dialogService.add(ConfirmationDialog, {
                    title: _t("Restore this version?"),
                    body: _t("The answer goes back to this version; the current one stays in the history."),
                    confirm: () => {
                        record.update({ body: html });
                        close();
                    },
                    confirmLabel: _t("Restore"),
                });
            },
        });
    }
}

registry.category("views").add("hotline_kb_article_form", {
    ...formView,
    Controller: HotlineKbArticleFormController,
});
