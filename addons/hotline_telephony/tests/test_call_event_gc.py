from datetime import UTC, datetime, timedelta
from unittest.mock import patch

from odoo.tests import TransactionCase, tagged

from ..models import hotline_call_event
from .common import TelephonyCommon


@tagged("post_install", "-at_install")
class TestCallEventCleanup(TelephonyCommon, TransactionCase):
    """The daily clean-up forgets events older than the retention, by their time, in batches."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.setUpTelephony()

    def receive_at(self, linkedid, when):
        events = [
            self.event(kind, linkedid=linkedid, time=when.isoformat(), start_time=when.isoformat())
            for kind in ("ringing", "answered", "hangup")
        ]
        self.env["hotline.call"]._hotline_process_events(self.pbx, events)

    def test_old_events_go_in_batches_recent_ones_stay(self):
        now = datetime.now(UTC).replace(microsecond=0)
        self.env["ir.config_parameter"].sudo().set_param("hotline_telephony.event_retention_days", "30")
        for index in range(3):
            self.receive_at(f"17950{index}0000.0", now - timedelta(days=40, minutes=index))
        self.receive_at("1795990000.0", now - timedelta(days=2))
        Event = self.env["hotline.call.event"]
        self.assertEqual(Event.search_count([("pbx_id", "=", self.pbx.id)]), 12)

        with (
            patch.object(hotline_call_event, "GC_BATCH_SIZE", 2),
            patch.object(hotline_call_event, "GC_MAX_BATCHES", 3),
        ):
            Event._gc_old_events()  # 3 batches of 2: 6 of the 9 old events this run
        self.env.invalidate_all()
        self.assertEqual(Event.search_count([("pbx_id", "=", self.pbx.id)]), 6)
        with patch.object(hotline_call_event, "GC_BATCH_SIZE", 2):
            Event._gc_old_events()  # the rest the next day
        self.env.invalidate_all()
        kept = Event.search([("pbx_id", "=", self.pbx.id)])
        self.assertEqual(set(kept.mapped("linkedid")), {"1795990000.0"})
        self.assertEqual(len(kept), 3)
        # the calls themselves are not touched by the events' clean-up
        self.assertEqual(self.env["hotline.call"].search_count([("pbx_id", "=", self.pbx.id)]), 4)

    def test_retention_zero_keeps_everything(self):
        self.env["ir.config_parameter"].sudo().set_param("hotline_telephony.event_retention_days", "0")
        self.receive_at("1795980000.0", datetime.now(UTC) - timedelta(days=4000))
        self.env["hotline.call.event"]._gc_old_events()
        self.assertEqual(self.env["hotline.call.event"].search_count([("linkedid", "=", "1795980000.0")]), 3)
