from odoo import api, models


class HotlineCase(models.Model):
    """What department staff (portal users) see of a case and how they talk about it."""

    _inherit = "hotline.case"

    # Department staff only read cases (record rules), yet they discuss them with the centre
    # in the portal chatter: reading a case is enough to post on it.
    _mail_post_access = "read"

    def _compute_access_url(self):
        super()._compute_access_url()
        for case in self:
            case.access_url = f"/my/hotline/{case.id}"

    def _mail_get_partner_fields(self, introspect_fields=False):
        # The caller is a citizen, not a customer with a portal account: messages on the case never
        # go to them, and department staff (who may not read partner_id) post without reading it.
        return []

    @api.model
    def _hotline_mask_phone(self):
        """Whether the current user sees callers' phones masked (department staff, unless allowed)."""
        if not self.env.user.share:
            return False
        # sudo: a harmless setting that portal users cannot read themselves
        show = self.env["ir.config_parameter"].sudo().get_param("hotline_case.portal_show_phone")
        return not show or show in ("False", "0")

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
