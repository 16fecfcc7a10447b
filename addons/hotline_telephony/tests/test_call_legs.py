from odoo.tests import TransactionCase, tagged

from .common import TelephonyCommon

# a forced transfer as recorded on Asterisk 22 (pbx/bridge/tests/fixtures/13_live_transfer): the
# caller's channel is the call's first (uniqueid = linkedid); agent 1001's leg ends and writes its
# CDRs while the caller goes on talking to agent 1002
LINKEDID = "1796028911.10"
AGENT_LEG = "1796028915.13"


@tagged("post_install", "-at_install")
class TestCallLegs(TelephonyCommon, TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.setUpTelephony()

    def cdr(self, uniqueid, sequence, **values):
        row = {
            "accountcode": "12319",
            "src": "13800138000",
            "dst": "1001",
            "dcontext": "agents",
            "clid": '"Zhang San" <13800138000>',
            "channel": "Local/1001@agents-00000004;2",
            "dstchannel": "Local/1001@fake-phone-00000005;1",
            "lastapp": "Dial",
            "lastdata": "PJSIP/1001,15",
            "start": "2026-11-30 08:55:15",
            "answer": "2026-11-30 08:55:16",
            "end": "2026-11-30 08:55:18",
            "duration": 3,
            "billsec": 2,
            "disposition": "ANSWERED",
            "amaflags": "DOCUMENTATION",
            "uniqueid": uniqueid,
            "userfield": "",
            "linkedid": LINKEDID,
            "sequence": sequence,
        }
        row.update(values)
        return row

    def test_an_ended_agent_leg_does_not_end_the_call(self):
        Call, Cdr = self.env["hotline.call"], self.env["hotline.call.cdr"]
        Call._hotline_process_events(
            self.pbx,
            [
                self.event("ringing", LINKEDID, uniqueid=AGENT_LEG, extension="1001"),
                self.event("answered", LINKEDID, uniqueid=AGENT_LEG, extension="1001", wait_seconds=1),
                self.event("answered", LINKEDID, uniqueid="1796028918.18", extension="1002", wait_seconds=1),
            ],
        )
        call = Call.search([("pbx_id", "=", self.pbx.id), ("linkedid", "=", LINKEDID)])
        self.assertEqual(call.state, "answered")
        ringing = self.cdr(AGENT_LEG, 9, answer="", end="2026-11-30 08:55:16", duration=1, billsec=0)
        Cdr._hotline_process_payloads(self.pbx, [ringing, self.cdr(AGENT_LEG, 12)])
        self.assertEqual(len(call.cdr_ids), 2)
        self.assertEqual(call.state, "answered", "the caller still talks to 1002: the call goes on")
        # the caller hangs up: the CDR of the call's first channel ends it
        root = self.cdr(
            LINKEDID,
            6,
            dst="3",
            dcontext="hotline-ivr",
            channel="Local/12319@from-trunk-00000003;2",
            dstchannel="",
            lastapp="Queue",
            lastdata="hotline,t,,,300",
            start="2026-11-30 08:55:12",
            end="2026-11-30 08:55:26",
            duration=14,
            billsec=14,
        )
        Cdr._hotline_process_payloads(self.pbx, [root])
        self.assertEqual(call.state, "ended")
        self.assertEqual(len(call.cdr_ids), 3)
