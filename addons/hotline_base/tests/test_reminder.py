from freezegun import freeze_time

from odoo.exceptions import ValidationError
from odoo.tests import tagged

from .common import HotlineBaseCommon


@tagged("post_install", "-at_install")
class TestReminder(HotlineBaseCommon):
    def _bus_messages(self, user):
        self.env.cr.precommit.run()  # bus notifications are written when the transaction commits
        return self.env["bus.bus"].search(
            [("channel", "like", f'"res.partner",{user.partner_id.id}]'), ("message", "like", "hotline/reminder")]
        )

    def test_due_reminder_pops_up_for_its_user_only(self):
        with freeze_time("2030-03-04 08:00:00"):
            due = (
                self.env["hotline.reminder"]
                .with_user(self.operator)
                .create(
                    {
                        "name": "Call Mr Zhang back",
                        "remind_at": "2030-03-04 07:59:00",
                        "record_ref": f"res.partner,{self.operator.partner_id.id}",
                    }
                )
            )
            later = (
                self.env["hotline.reminder"]
                .with_user(self.operator)
                .create({"name": "Later", "remind_at": "2030-03-04 09:00:00"})
            )
            sent = self.env["hotline.reminder"]._cron_send_due()
        self.assertEqual(sent, due)
        self.assertEqual(due.state, "sent")
        self.assertEqual(later.state, "pending")
        messages = self._bus_messages(self.operator)
        self.assertEqual(len(messages), 1)
        self.assertIn("Call Mr Zhang back", messages.message)
        self.assertIn('"res_model":"res.partner"', messages.message)
        self.assertFalse(self._bus_messages(self.supervisor))

    def test_reminder_is_shown_once(self):
        with freeze_time("2030-03-04 08:00:00"):
            self.env["hotline.reminder"].with_user(self.operator).create(
                {"name": "Once", "remind_at": "2030-03-04 07:00:00"}
            )
            self.env["hotline.reminder"]._cron_send_due()
            self.assertFalse(self.env["hotline.reminder"]._cron_send_due())
        self.assertEqual(len(self._bus_messages(self.operator)), 1)

    def test_cancelled_reminder_is_not_shown(self):
        with freeze_time("2030-03-04 08:00:00"):
            reminder = (
                self.env["hotline.reminder"]
                .with_user(self.operator)
                .create({"name": "Cancelled", "remind_at": "2030-03-04 07:00:00"})
            )
            reminder.action_cancel()
            self.assertFalse(self.env["hotline.reminder"]._cron_send_due())

    def test_creating_a_reminder_schedules_the_cron_at_its_time(self):
        cron = self.env.ref("hotline_base.ir_cron_hotline_reminder")
        with freeze_time("2030-03-04 08:00:00"):
            self.env["hotline.reminder"].with_user(self.operator).create(
                {"name": "At nine", "remind_at": "2030-03-04 09:00:00"}
            )
        trigger = self.env["ir.cron.trigger"].search(
            [("cron_id", "=", cron.id), ("call_at", "=", "2030-03-04 09:00:00")]
        )
        self.assertTrue(trigger)

    def test_blank_text_is_refused(self):
        with self.assertRaisesRegex(ValidationError, "needs a text"):
            self.env["hotline.reminder"].create({"name": "   ", "remind_at": "2030-03-04 09:00:00"})
