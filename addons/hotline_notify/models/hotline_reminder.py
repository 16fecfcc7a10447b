from odoo import api, fields, models


class HotlineReminder(models.Model):
    _inherit = "hotline.reminder"

    hotline_callback = fields.Boolean(
        string="Callback Promised",
        help="The operator promised to call the caller of the linked case back at this time: "
        "the caller gets a text saying when (if the setting is on).",
    )

    @api.model_create_multi
    def create(self, vals_list):
        reminders = super().create(vals_list)
        reminders._hotline_text_callbacks()
        return reminders

    def write(self, vals):
        result = super().write(vals)
        if "remind_at" in vals or vals.get("hotline_callback"):
            self._hotline_text_callbacks()
        return result

    def _hotline_text_callbacks(self):
        for reminder in self.filtered(lambda r: r.hotline_callback and r.state == "pending"):
            record = reminder.record_ref
            if record and record._name == "hotline.case":
                record._hotline_text_callback()
