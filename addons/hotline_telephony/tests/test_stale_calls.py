import json
from datetime import UTC, datetime, timedelta

from odoo import fields
from odoo.tests import TransactionCase, tagged

from .common import TelephonyCommon


@tagged("post_install", "-at_install")
class TestStaleCalls(TelephonyCommon, TransactionCase):
    """Calls whose hang-up never arrived are closed by the cron, from their CDRs or after the timeout."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.setUpTelephony()

    def setUp(self):
        super().setUp()
        self.Call = self.env["hotline.call"]
        self.now = datetime.now(UTC).replace(microsecond=0)

    def ago(self, **delta):
        return self.now - timedelta(**delta)

    def live_call(self, linkedid, kinds, started, heard=None):
        """A call the bridge reported (ringing at 1001, maybe answered) ``started`` ago, last heard of
        ``heard`` ago (default: when it started)."""
        start = self.ago(**started)
        events = [
            self.event(
                kind,
                linkedid=linkedid,
                uniqueid=f"{linkedid[:-2]}.1",
                extension="1001",
                channel="Local/1001@agents-00000001;1",
                time=(start + timedelta(seconds=2 * index)).isoformat(),
                start_time=start.isoformat(),
                id=f"{linkedid}:{kind}",
            )
            for index, kind in enumerate(kinds)
        ]
        self.Call._hotline_process_events(self.pbx, events)
        call = self.Call.search([("pbx_id", "=", self.pbx.id), ("linkedid", "=", linkedid)])
        self.assertEqual(call.state, "answered" if "answered" in kinds else "ringing")
        self.env.flush_all()
        # what the ORM cannot backdate: when Odoo last heard of the call
        self.env.cr.execute(
            "UPDATE hotline_call SET write_date = %s WHERE id = %s",
            (self.ago(**(heard or started)).replace(tzinfo=None), call.id),
        )
        call.invalidate_recordset()
        return call

    def root_cdr(self, call, answered, ended):
        """The CDR of the call's first channel (uniqueid = linkedid), stored apart from the call."""
        return self.env["hotline.call.cdr"].create(
            {
                "pbx_id": self.pbx.id,
                "uniqueid": call.linkedid,
                "sequence": 0,
                "src": "13800138000",
                "dst": "12319",
                "dcontext": "from-pstn",
                "clid": '"Zhang San" <13800138000>',
                "channel": "PJSIP/trunk-00000001",
                "dstchannel": "Local/1001@agents-00000001;1",
                "lastapp": "Queue",
                "lastdata": "hotline",
                "start": fields.Datetime.to_string(call.start_time),
                "answer": fields.Datetime.to_string(self.ago(**answered).replace(tzinfo=None)),
                "end": fields.Datetime.to_string(self.ago(**ended).replace(tzinfo=None)),
                "disposition": "ANSWERED",
            }
        )

    def last_pop(self, user):
        self.env.cr.precommit.run()  # the bus stores its notifications when the transaction commits
        channel = json.dumps([self.env.cr.dbname, "res.partner", user.partner_id.id], separators=(",", ":"))
        bus = self.env["bus.bus"].sudo().search([("channel", "=", channel)], order="id desc", limit=1)
        return json.loads(bus.message)["payload"] if bus else {}

    def test_timeout_closes_silent_calls(self):
        ringing = self.live_call("1795900001.0", ["ringing"], {"hours": 5})
        answered = self.live_call("1795900002.0", ["ringing", "answered"], {"hours": 5})
        recent = self.live_call("1795900003.0", ["ringing", "answered"], {"minutes": 10})
        self.Call._cron_close_stale_calls()
        self.assertRecordValues(
            ringing | answered | recent,
            [
                {"state": "ended", "disposition": "no_answer", "hangup_missed": True},
                {"state": "ended", "disposition": "answered", "hangup_missed": True},
                {"state": "answered", "disposition": False, "hangup_missed": False},
            ],
        )
        # ended at the last event Odoo received, not when the cron ran
        self.assertEqual(ringing.end_time, ringing.start_time)
        self.assertEqual(answered.end_time, answered.start_time + timedelta(seconds=2))
        self.assertEqual(answered.talk_seconds, 0)
        self.assertEqual(self.last_pop(self.operator).get("state"), "ended", "the agent's card closes")

    def test_timeout_is_a_setting(self):
        recent = self.live_call("1795900004.0", ["ringing", "answered"], {"minutes": 10})
        self.Call._cron_close_stale_calls()
        self.assertEqual(recent.state, "answered", "within the default 4 hours")
        self.env["ir.config_parameter"].sudo().set_param("hotline_telephony.live_call_timeout_minutes", "5")
        self.Call._cron_close_stale_calls()
        self.assertRecordValues(recent, [{"state": "ended", "hangup_missed": True}])

    def test_closed_from_the_first_channel_cdr(self):
        call = self.live_call("1795900005.0", ["ringing", "answered"], {"minutes": 30}, heard={"minutes": 29})
        cdr = self.root_cdr(call, answered={"minutes": 29}, ended={"minutes": 20})
        just_ended = self.live_call("1795900006.0", ["ringing", "answered"], {"minutes": 3})
        self.root_cdr(just_ended, answered={"minutes": 3}, ended={"minutes": 1})
        self.Call._cron_close_stale_calls()
        self.assertRecordValues(
            call,
            [
                {
                    "state": "ended",
                    "disposition": "answered",
                    "hangup_missed": True,
                    "end_time": cdr.end,
                    "talk_seconds": 9 * 60,
                    "cdr_ids": cdr.ids,
                }
            ],
        )
        self.assertEqual(just_ended.state, "answered", "the bridge's hang-up gets a few minutes to arrive first")
