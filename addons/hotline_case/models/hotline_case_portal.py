from odoo import _, api, models
from odoo.tools.sql import create_index


class HotlineCase(models.Model):
    _inherit = "hotline.case"

    # Department staff only read cases (record rules), yet they discuss them with the centre
    # in the portal chatter: reading a case is enough to post on it.
    _mail_post_access = "read"

    def init(self):
        super().init()
        # The case list opens on the open cases in the model's order: this partial index serves
        # both its first page and its count without reading the (many) closed cases; see
        # docs/BENCHMARKS.md (1,000,000 cases).
        create_index(
            self.env.cr,
            "hotline_case_open_order_index",
            self._table,
            ["priority DESC", "reported_at DESC", "id DESC"],
            # as the ORM writes the list's domain [("state", "not in", ...)]: with "OR state IS NULL"
            where="state NOT IN ('done', 'cancel') OR state IS NULL",
        )

    # ------------------------------------------------------------
    # PORTAL AND MAIL
    # ------------------------------------------------------------

    def _mail_get_partner_fields(self, introspect_fields=False):
        # The caller is a citizen, not a customer with a portal account: messages on the case never
        # go to them, and department staff (who may not read partner_id) post without reading it.
        return []

    def _hotline_portal_attachments(self):
        """The files department staff may open: the case's own, the feedback's, and those of messages
        that are not internal. Internal notes and their files stay with the centre."""
        self.ensure_one()
        # sudo: attachments and messages of a case the portal user was allowed to read
        case = self.sudo()
        messages = case.message_ids.filtered(
            lambda m: not m.is_internal and not m.subtype_id.internal and m.message_type != "user_notification"
        )
        return (case.attachment_ids | case.feedback_attachment_ids | messages.attachment_ids).sorted("id")

    def _hotline_portal_phone_shown(self):
        """Whether department staff see this caller's full number (logged as personal data access)."""
        self.ensure_one()
        return bool(self.caller_phone_display) and not self._hotline_mask_phone()

    # ------------------------------------------------------------
    # IMPORT
    # ------------------------------------------------------------

    @api.model
    def load(self, fields, data):
        """Import of earlier registrations: every error names its row (1 = the first data row).

        ``load`` already imports all rows or none: any error rolls the whole file back.
        """
        result = super().load(fields, data)
        for message in result["messages"]:
            rows = message.get("rows")
            if message.get("type") == "error" and rows and "from" in rows and message.get("message"):
                message["message"] = _("Row %(row)s: %(message)s", row=rows["from"] + 1, message=message["message"])
        return result
