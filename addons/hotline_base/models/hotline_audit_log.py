from odoo import api, fields, models
from odoo.exceptions import AccessError
from odoo.http import request

AUDIT_ACTIONS = [
    ("phone_view", "Unmasked Phone Viewed"),
    ("recording_play", "Recording Played"),
    ("recording_download", "Recording Downloaded"),
    ("listen", "Call Listened To"),
    ("whisper", "Whispered to an Agent"),
    ("barge", "Barged into a Call"),
    ("case_delete", "Case Deleted"),
]


class HotlineAuditLog(models.Model):
    """Who reached which personal data, and when: written by the code, read by administrators."""

    _name = "hotline.audit.log"
    _description = "Personal Data Access Log"
    _order = "at desc, id desc"
    _rec_name = "action"
    _log_access = False

    user_id = fields.Many2one("res.users", string="User", required=True, index=True, readonly=True, ondelete="restrict")
    action = fields.Selection(AUDIT_ACTIONS, required=True, index=True, readonly=True)
    res_model = fields.Char(string="Document Model", index=True, readonly=True)
    res_id = fields.Many2oneReference(string="Document ID", model_field="res_model", index=True, readonly=True)
    res_name = fields.Char(string="Document", readonly=True)
    detail = fields.Char(readonly=True)
    ip_address = fields.Char(string="IP Address", readonly=True)
    at = fields.Datetime(string="When", required=True, default=fields.Datetime.now, index=True, readonly=True)

    @api.model
    def _hotline_log(self, action, records, detail=False):
        """Record that the current user reached personal data of ``records`` (one line each)."""
        logs = self.browse()
        for record in records:
            # sudo: the name of a record the user has just been allowed to reach
            name = record.sudo().display_name
            logs |= self._hotline_log_access(action, record._name, record.id, name, detail=detail)
        return logs

    @api.model
    def _hotline_log_access(self, action, res_model, res_id, res_name, detail=False):
        values = {
            "user_id": self.env.uid,
            "action": action,
            "res_model": res_model,
            "res_id": res_id,
            "res_name": res_name,
            "detail": detail,
            "ip_address": request.httprequest.remote_addr if request else False,
        }
        # sudo: every user leaves a trace here; only administrators may read it, nobody may change it
        return self.sudo().create(values).sudo(False)

    def write(self, vals):
        if self.env.su:
            return super().write(vals)
        raise AccessError(self.env._("The personal data access log cannot be changed."))

    @api.ondelete(at_uninstall=True)
    def _unlink_never(self):
        if not self.env.su:
            raise AccessError(self.env._("The personal data access log cannot be deleted."))
