from odoo.tests import HttpCase, TransactionCase, tagged

from .common import TOKEN, TelephonyCommon

# the ring of TestEventQueries without the caller's open cases to check against the agent's rules (7),
# and the transaction's clock: the technical user's company is known to the worker, the PBX and the
# agents are cached per worker, the batch runs in the request's transaction (no savepoint)
QUERIES_PER_RING_REQUEST = 8


def roll_up_queries(env):
    """hotline_reports, when installed, notes each created or changed call for its traffic roll-up:
    one INSERT per event, outside this addon's path."""
    return 1 if "hotline.report.call" in env else 0


@tagged("post_install", "-at_install")
class TestEventQueries(TelephonyCommon, TransactionCase):
    """The bridge's events are on the screen pop's path: their SQL queries are counted so that the
    path stays lean (docs/BENCHMARKS.md, Telephony). Counted: finding the PBX by its token (cached per
    worker), applying the event, the caller's open cases, and the bus notifications stored at commit."""

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
        # known events, calls, caller, INSERT call, INSERT event, the caller's open cases, those the agent
        # may read (the caller has one), INSERT bus; the PBX and the agents are cached per worker
        with self.assertQueryCount(8 + roll_up_queries(self.env)):
            self.receive(ringing)
        self.env.invalidate_all()
        # known events, call, agents shown the card, caller, the caller's open cases, those the agent may
        # read, INSERT event, UPDATE call, INSERT bus
        with self.assertQueryCount(9 + roll_up_queries(self.env)):
            self.receive(answered)
        self.env.invalidate_all()
        # known events, call, agents shown the card, INSERT event, UPDATE call, INSERT bus
        with self.assertQueryCount(6 + roll_up_queries(self.env)):
            self.receive(hangup)
        call = self.Call.search([("linkedid", "=", "1795950001.0")])
        self.assertRecordValues(call, [{"state": "ended", "user_id": self.operator.id, "disposition": "answered"}])

    def test_queries_per_agent_state_change(self):
        def state_event(state, number):
            return self.event("agent_state", id=f"agent:{number}", extension="1001", state=state)

        self.receive(state_event("available", 0))  # the caches every request shares get warm
        self.env.invalidate_all()
        # known events, the agent's state, the open state-log line with its start, INSERT line, UPDATE line,
        # UPDATE agent, INSERT event, INSERT bus
        with self.assertQueryCount(8):
            self.receive(state_event("on_call", 1))
        self.assertEqual(self.operator.hotline_agent_state, "on_call")
        lines = self.env["hotline.agent.state.log"].search([("user_id", "=", self.operator.id)], order="id")
        self.assertEqual(lines.mapped("state")[-2:], ["available", "on_call"])
        self.assertTrue(lines[-2].date_end)
        self.assertFalse(lines[-1].date_end)
        self.assertEqual(lines[-1].pbx_id, self.pbx, "the PBX that reported the change")
        self.assertEqual((lines[-1].duration, lines[-1].duration_seconds), (0.0, 0))
        self.assertEqual(lines[-2].duration_seconds, round((lines[-2].date_end - lines[-2].date_start).total_seconds()))


@tagged("post_install", "-at_install")
class TestEventRequestQueries(TelephonyCommon, HttpCase):
    """The whole request of a ring, as the bridge posts it: the token check, the switch to the PBX's
    technical user (no query once this worker knows the user is in the PBX's company), no savepoint."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.setUpTelephony()

    def post(self, event):
        self.post_events(event)

    def test_queries_per_ring_request(self):
        common = {"extension": "1001", "channel": "Local/1001@agents-00000001;1"}
        self.post(self.event("ringing", "1795960000.0", **common))  # warm caches, technical user linked
        with self.assertQueryCount(QUERIES_PER_RING_REQUEST + roll_up_queries(self.env)):
            self.post(self.event("ringing", "1795960001.0", **common))
