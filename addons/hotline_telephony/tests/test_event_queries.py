from odoo.tests import TransactionCase, tagged

from .common import TOKEN, TelephonyCommon


@tagged("post_install", "-at_install")
class TestEventQueries(TelephonyCommon, TransactionCase):
    """The bridge's events are on the screen pop's path: their SQL queries are counted so that the
    path stays lean (docs/BENCHMARKS.md, Telephony). Counted: finding the PBX by its token, applying
    the event, the caller card, and the bus notifications stored at commit."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.setUpTelephony()

    def setUp(self):
        super().setUp()
        self.env["hotline.case"].create(
            {"partner_id": self.caller.id, "caller_phone": "13800138000", "summary": "No water"}
        )
        self.Call = self.env["hotline.call"]

    def receive(self, *events):
        pbx = self.env["hotline.pbx"]._hotline_find_by_token(TOKEN)
        self.Call._hotline_process_events(pbx, list(events))
        self.env.cr.precommit.run()  # the bus notifications are stored when the request commits

    def call_events(self, linkedid):
        common = {"linkedid": linkedid, "extension": "1001", "channel": "Local/1001@agents-00000001;1"}
        return [self.event(kind, id=f"{linkedid}:{kind}", **common) for kind in ("ringing", "answered", "hangup")]

    def test_queries_per_event(self):
        for event in self.call_events("1795950000.0"):  # the caches every request shares get warm
            self.receive(event)
        self.env.invalidate_all()  # each request starts with an empty record cache
        ringing, answered, hangup = self.call_events("1795950001.0")
        # PBX, known events, calls, agents (with their language), caller, INSERT call, INSERT event,
        # caller card, INSERT bus
        with self.assertQueryCount(9):
            self.receive(ringing)
        self.env.invalidate_all()
        # PBX, known events, call, agents, agents shown the card, caller, caller card, INSERT event,
        # UPDATE call, INSERT bus
        with self.assertQueryCount(10):
            self.receive(answered)
        self.env.invalidate_all()
        # PBX, known events, call, agents, agents shown the card, INSERT event, UPDATE call, INSERT bus
        with self.assertQueryCount(8):
            self.receive(hangup)
        call = self.Call.search([("linkedid", "=", "1795950001.0")])
        self.assertRecordValues(call, [{"state": "ended", "user_id": self.operator.id, "disposition": "answered"}])
