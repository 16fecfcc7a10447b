from odoo import _, api, fields, models
from odoo.exceptions import ValidationError


class HotlineReminder(models.Model):
    _name = "hotline.reminder"
    _description = "Reminder"
    _order = "remind_at"

    name = fields.Char(string="Text", required=True)
    remind_at = fields.Datetime(string="Remind At", required=True, index=True)
    user_id = fields.Many2one(
        "res.users", required=True, default=lambda self: self.env.user, index=True, ondelete="cascade"
    )
    record_ref = fields.Reference(selection="_selection_record_model", string="Record")
    state = fields.Selection(
        [("pending", "Pending"), ("sent", "Shown"), ("cancel", "Cancelled")],
        default="pending",
        required=True,
        index=True,
    )

    @api.model
    def _selection_record_model(self):
        models_ = self.env["ir.model"].sudo().search([("is_mail_thread", "=", True), ("transient", "=", False)])
        # sudo: reading the list of model names is harmless and ir.model is admin-only
        return [(model.model, model.name) for model in models_]

    # ------------------------------------------------------------
    # CONSTRAINTS AND CRUD
    # ------------------------------------------------------------

    @api.constrains("name")
    def _check_name(self):
        if any(not reminder.name.strip() for reminder in self):
            raise ValidationError(_("A reminder needs a text."))

    @api.model_create_multi
    def create(self, vals_list):
        reminders = super().create(vals_list)
        reminders._schedule_cron()
        return reminders

    def write(self, vals):
        result = super().write(vals)
        if "remind_at" in vals or vals.get("state") == "pending":
            self._schedule_cron()
        return result

    # ------------------------------------------------------------
    # ACTIONS
    # ------------------------------------------------------------

    def action_cancel(self):
        self.write({"state": "cancel"})

    def action_open_record(self):
        self.ensure_one()
        if not self.record_ref:
            return False
        return {
            "type": "ir.actions.act_window",
            "res_model": self.record_ref._name,
            "res_id": self.record_ref.id,
            "views": [(False, "form")],
        }

    # ------------------------------------------------------------
    # BUSINESS
    # ------------------------------------------------------------

    def _schedule_cron(self):
        """Wakes the reminder cron at each reminder's time instead of polling."""
        cron = self.env.ref("hotline_base.ir_cron_hotline_reminder", raise_if_not_found=False)
        if not cron:
            return
        times = {reminder.remind_at for reminder in self if reminder.state == "pending"}
        # sudo: operators may schedule reminders without the right to manage crons
        cron.sudo()._trigger(sorted(times))

    def _prepare_notification(self):
        self.ensure_one()
        return {
            "id": self.id,
            "title": _("Reminder"),
            "message": self.name,
            "remind_at": fields.Datetime.to_string(self.remind_at),
            "res_model": self.record_ref._name if self.record_ref else False,
            "res_id": self.record_ref.id if self.record_ref else False,
            "record_name": self.record_ref.display_name if self.record_ref else False,
        }

    @api.model
    def _cron_send_due(self):
        """Shows every due reminder as a sticky notification in its user's web client."""
        due = self.search([("state", "=", "pending"), ("remind_at", "<=", fields.Datetime.now())])
        for reminder in due:
            reminder.user_id._bus_send("hotline/reminder", reminder._prepare_notification())
        due.write({"state": "sent"})
        return due
