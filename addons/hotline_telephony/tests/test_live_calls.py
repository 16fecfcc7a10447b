import base64
import json

from freezegun import freeze_time

from odoo.tests import TransactionCase, tagged

from .common import TelephonyCommon, read_data

# what the bridge delivered from the AMI streams of the live suite (tests/asterisk_live on Asterisk
# 22.10.1; pbx/bridge/tests/fixtures/<scenario>.events.raw replayed into the bridge) and the Master.csv
# Asterisk wrote meanwhile
# (the citizen's own channel in the test rig writes its CDR with an agent's number as source: the
# calls are told apart by their linkedid)
TRANSFERRED = "1796030101.10"
PICKED_UP = "1796030130.32"
SPIED = "1796030139.48"


@tagged("post_install", "-at_install")
class TestLiveCalls(TelephonyCommon, TransactionCase):
    """Pickup, transfer and the supervisor's listening sessions as a real Asterisk reports them."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.setUpTelephony()

    def setUp(self):
        super().setUp()
        self.Call = self.env["hotline.call"]

    def replay(self, scenario, cdrs_one_by_one=False):
        """The scenario's events one request each, as the bridge posts them, then its CDRs (together, or
        one request each in the order Asterisk wrote them: an agent's leg before the rest of its call)."""
        recorded = json.loads(read_data(f"live_{scenario}.json"))
        for event in recorded["events"]:
            self.Call._hotline_process_events(self.pbx, [event])
        batches = [[cdr] for cdr in recorded["cdrs"]] if cdrs_one_by_one else [recorded["cdrs"]]
        for batch in batches:
            self.env["hotline.call.cdr"]._hotline_process_payloads(self.pbx, batch)
        return self.Call.search([("pbx_id", "=", self.pbx.id)])

    def import_master_csv(self, scenario):
        wizard = self.env["hotline.cdr.import"].create(
            {
                "pbx_id": self.pbx.id,
                "file": base64.b64encode(read_data(f"live_{scenario}.cdr.csv")),
                "filename": "Master.csv",
            }
        )
        wizard.action_import()
        self.assertEqual(wizard.rejected_count, 0, wizard.rejected_lines)
        return self.Call.search([("pbx_id", "=", self.pbx.id)])

    def screen_pops(self, user):
        self.env.cr.precommit.run()  # the bus notifications are stored when the request commits
        channel = json.dumps([self.env.cr.dbname, "res.partner", user.partner_id.id], separators=(",", ":"))
        notifications = self.env["bus.bus"].sudo().search([("channel", "=", channel)], order="id")
        messages = [json.loads(notification.message) for notification in notifications]
        return [message["payload"] for message in messages if message["type"] == "hotline/screen_pop"]

    def assert_pickup(self, calls):
        call = calls.filtered(lambda c: c.linkedid == PICKED_UP)
        self.assertRecordValues(
            call,
            [{"direction": "inbound", "disposition": "answered", "state": "ended", "monitoring": False}],
        )
        self.assertEqual(call.user_id, self.supervisor, "the supervisor's phone (8001) took the call")
        self.assertEqual(call.extension, "8001")
        session = calls - call
        self.assertEqual(len(session), 1, "the supervisor's PickupChan session")
        self.assertTrue(session.monitoring, "the pickup session is no call of its own")

    def test_pickup_credited_to_the_supervisor(self):
        calls = self.replay("14_live_pickup")
        self.assert_pickup(calls)
        call = calls.filtered(lambda c: c.linkedid == PICKED_UP)
        answered = call.env["hotline.call.event"].search([("call_id", "=", call.id), ("kind", "=", "answered")])
        self.assertEqual(answered.user_id, self.supervisor)
        pops = self.screen_pops(self.supervisor)
        self.assertIn(("answered", call.id), [(pop["state"], pop["call_id"]) for pop in pops], "the caller card pops")

    def test_pickup_from_master_csv(self):
        self.assert_pickup(self.import_master_csv("14_live_pickup"))

    def assert_transfer(self, calls):
        call = calls.filtered(lambda c: c.linkedid == TRANSFERRED)
        self.assertRecordValues(call, [{"disposition": "answered", "state": "ended", "extension": "1002"}])
        self.assertEqual(call.user_id, self.operator2, "the agent the call was transferred to (1002)")
        self.assertEqual(call.answer_time.isoformat(timespec="seconds"), "2026-11-30T09:15:06", "first answer")

    def test_transfer_credited_to_the_new_agent(self):
        calls = self.replay("13_live_transfer")
        self.assertEqual(len(calls), 1)
        self.assert_transfer(calls)
        self.assertEqual(calls.agent_channel, "Local/1002@agents-00000006;1", "hang-up and listening act on 1002")

    def test_transfer_with_cdrs_one_by_one(self):
        calls = self.replay("13_live_transfer", cdrs_one_by_one=True)
        self.assertEqual(len(calls), 1)
        self.assert_transfer(calls)
        self.assertFalse(calls.monitoring, "an agent's leg alone is not the whole call")

    def test_pickup_with_cdrs_one_by_one(self):
        self.assert_pickup(self.replay("14_live_pickup", cdrs_one_by_one=True))

    def test_transfer_from_master_csv(self):
        self.assert_transfer(self.import_master_csv("13_live_transfer"))

    def assert_spy_sessions(self, calls):
        call = calls.filtered(lambda c: c.linkedid == SPIED)
        self.assertRecordValues(call, [{"user_id": self.operator.id, "monitoring": False}])
        sessions = calls - call
        self.assertEqual(len(sessions), 3, "listen, whisper, barge")
        self.assertEqual(set(sessions.mapped("monitoring")), {True})
        self.assertFalse(sessions.partner_id)

    def test_spy_sessions_are_not_calls(self):
        calls = self.replay("08_live_answered")
        self.assert_spy_sessions(calls)
        self.assertEqual(self.screen_pops(self.supervisor), [], "no caller card for the supervisor's own phone")
        self.assertTrue(self.screen_pops(self.operator), "the spied call popped at 1001")
        # the statistics count the hotline's calls only (the sessions took place on 2026-11-30)
        with freeze_time("2026-11-30 12:00:00"):
            self.supervisor.invalidate_recordset(["hotline_call_today_count"])
            self.assertEqual(self.supervisor.hotline_call_today_count, 0)
            self.operator.invalidate_recordset(["hotline_call_today_count"])
            self.assertEqual(self.operator.hotline_call_today_count, 1)

    def test_spy_sessions_from_master_csv(self):
        self.assert_spy_sessions(self.import_master_csv("08_live_answered"))

    def test_click_to_call_is_a_call(self):
        (call,) = self.replay("12_live_click_to_call")
        self.assertRecordValues(
            call,
            [{"direction": "outbound", "monitoring": False, "user_id": self.operator.id, "disposition": "answered"}],
        )
