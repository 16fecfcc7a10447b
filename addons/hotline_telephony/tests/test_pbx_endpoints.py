import json

from odoo.tests import HttpCase, new_test_user, tagged

from .common import TOKEN, TelephonyCommon


class EndpointCase(TelephonyCommon, HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.setUpTelephony()

    def post(self, path, body, token=TOKEN, raw=None):
        headers = {"Content-Type": "application/json"}
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        data = raw if raw is not None else json.dumps(body)
        self.env.flush_all()
        response = self.url_open(path, data=data, headers=headers)
        self.env.invalidate_all()
        return response

    def get_route(self, token=TOKEN, **params):
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        query = "&".join(f"{key}={value}" for key, value in params.items())
        self.env.flush_all()
        return self.url_open(f"/hotline/pbx/route?{query}", headers=headers)

    def calls(self):
        return self.env["hotline.call"].search([("pbx_id", "=", self.pbx.id)])


@tagged("post_install", "-at_install")
class TestEventEndpoint(EndpointCase):
    def test_authentication(self):
        body = {"events": [self.event("ringing", extension="1001")]}
        for token in (None, "wrong-token", TOKEN[:-1]):
            response = self.post("/hotline/pbx/event", body, token=token)
            self.assertEqual(response.status_code, 401, token)
            self.assertFalse(response.json()["ok"])
        self.assertFalse(self.calls(), "nothing is applied without the right token")
        self.pbx.active = False
        self.assertEqual(self.post("/hotline/pbx/event", body).status_code, 401, "an archived PBX has no access")
        self.pbx.active = True
        self.assertEqual(self.post("/hotline/pbx/event", body).status_code, 200)

    def test_token_change_applies_at_once(self):
        """The PBXs' tokens are cached per worker: a new token replaces the old one at once."""
        body = {"events": [self.event("ringing", extension="1001")]}
        self.assertEqual(self.post("/hotline/pbx/event", body).status_code, 200)
        self.pbx.token = "new-test-token-12319"
        self.assertEqual(self.post("/hotline/pbx/event", body).status_code, 401, "the old token is refused")
        response = self.post("/hotline/pbx/event", body, token="new-test-token-12319")
        self.assertEqual(response.json(), {"ok": True, "processed": 0, "duplicates": 1})

    def test_agents_changes_apply_at_once(self):
        """The agents by extension are cached per worker: a new extension, a new agent, an agent
        archived count from the next event."""

        def ring(linkedid, extension):
            event = self.event("ringing", linkedid=linkedid, extension=extension, id=f"{linkedid}:ringing")
            self.assertEqual(self.post("/hotline/pbx/event", {"events": [event]}).status_code, 200)
            return self.env["hotline.call.event"].search([("event_id", "=", f"{linkedid}:ringing")]).user_id

        self.assertEqual(ring("1795652000.0", "1001"), self.operator)
        self.operator.hotline_extension = "1011"
        self.assertFalse(ring("1795652001.0", "1001"), "the old extension is nobody's")
        self.assertEqual(ring("1795652002.0", "1011"), self.operator)
        newcomer = new_test_user(
            self.env,
            login="tel_newcomer",
            groups="hotline_base.group_hotline_operator",
            hotline_extension="1012",
            hotline_pbx_id=self.pbx.id,
        )
        self.assertEqual(ring("1795652003.0", "1012"), newcomer)
        newcomer.active = False
        self.assertFalse(ring("1795652004.0", "1012"), "an archived user is no agent")

    def test_call_lifecycle_and_idempotency(self):
        events = [
            self.event(
                "ringing",
                extension="1001",
                uniqueid="1795651774.2",
                time="2026-11-26T00:09:34+00:00",
                channel="Local/1001@agents-00000001;1",
            ),
            self.event(
                "answered",
                extension="1001",
                uniqueid="1795651774.2",
                wait_seconds=1,
                time="2026-11-26T00:09:35+00:00",
                channel="Local/1001@agents-00000001;1",
            ),
            self.event(
                "hangup",
                extension="1001",
                disposition="answered",
                wait_seconds=1,
                talk_seconds=4,
                time="2026-11-26T00:09:39+00:00",
                recording_file="hotline-x-1795651774.1.wav",
            ),
        ]
        response = self.post("/hotline/pbx/event", {"events": events})
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.json(), {"ok": True, "processed": 3, "duplicates": 0})
        call = self.calls()
        self.assertEqual(len(call), 1)
        self.assertRecordValues(
            call,
            [
                {
                    "linkedid": "1795651774.0",
                    "direction": "inbound",
                    "state": "ended",
                    "disposition": "answered",
                    "user_id": self.operator.id,
                    "extension": "1001",
                    "partner_id": self.caller.id,
                    "wait_seconds": 1,
                    "talk_seconds": 4,
                    "recording_file": "hotline-x-1795651774.1.wav",
                }
            ],
        )
        self.assertEqual(str(call.answer_time), "2026-11-26 00:09:35")
        event_count = self.env["hotline.call.event"].search_count([("pbx_id", "=", self.pbx.id)])
        # the same batch again (the bridge replays its spool): nothing new
        response = self.post("/hotline/pbx/event", {"events": events})
        self.assertEqual(response.json(), {"ok": True, "processed": 0, "duplicates": 3})
        self.assertEqual(self.calls(), call)
        self.assertEqual(self.env["hotline.call.event"].search_count([("pbx_id", "=", self.pbx.id)]), event_count)
        self.assertEqual(call.state, "ended", "a replayed ringing event does not reopen the call")

    def test_abandoned_from_hangup_event(self):
        events = [
            self.event(
                "hangup",
                linkedid="1795651783.0",
                caller_number="13800138002",
                disposition="abandoned",
                wait_seconds=6,
                talk_seconds=0,
            ),
        ]
        self.assertEqual(self.post("/hotline/pbx/event", {"events": events}).status_code, 200)
        call = self.calls()
        self.assertRecordValues(call, [{"disposition": "abandoned", "wait_seconds": 6, "user_id": False}])

    def test_agent_state_event(self):
        event = {
            "id": "agent:1001:hotline:1795651783000:0",
            "kind": "agent_state",
            "time": "2026-11-26T00:09:43+00:00",
            "extension": "1001",
            "queue": "hotline",
            "state": "paused",
            "pause_reason": "meeting",
        }
        response = self.post("/hotline/pbx/event", {"events": [event]})
        self.assertEqual(response.json()["processed"], 1)
        self.assertEqual(self.operator.hotline_agent_state, "paused")
        self.assertEqual(self.operator.hotline_pause_reason, "meeting")
        log = self.env["hotline.agent.state.log"].search([("user_id", "=", self.operator.id)])
        self.assertEqual(log.mapped("state"), ["paused"])
        channel = json.dumps([self.env.cr.dbname, "res.partner", self.operator.partner_id.id], separators=(",", ":"))
        messages = [json.loads(row.message) for row in self.env["bus.bus"].sudo().search([("channel", "=", channel)])]
        self.assertIn(
            ("hotline/agent_state", "paused", "meeting"),
            [(msg["type"], msg["payload"].get("state"), msg["payload"].get("pause_reason")) for msg in messages],
            "the agent's panel is told",
        )
        # an unknown extension is acknowledged (the bridge must not retry it) but changes nothing
        stranger = dict(event, id="agent:7777:hotline:1:0", extension="7777")
        self.assertEqual(self.post("/hotline/pbx/event", {"events": [stranger]}).json()["processed"], 1)

    def test_malformed(self):
        good = self.event("ringing", extension="1001")
        cases = {
            "not json": (None, "{events: ["),
            "no list": ({"events": "x"}, None),
            "missing key": ({"cdrs": []}, None),
            "not an object": ({"events": [good, 3]}, None),
            "unknown kind": ({"events": [good, dict(good, id="x2", kind="exploded")]}, None),
            "bad time": ({"events": [good, dict(good, id="x3", time="yesterday")]}, None),
            "no linkedid": ({"events": [good, dict(good, id="x4", linkedid="")]}, None),
            "no id": ({"events": [good, dict(good, id="")]}, None),
            "bad seconds": ({"events": [good, dict(good, id="x5", wait_seconds="long")]}, None),
            "bad agent state": (
                {
                    "events": [
                        good,
                        {
                            "id": "x6",
                            "kind": "agent_state",
                            "time": good["time"],
                            "extension": "1001",
                            "state": "sleeping",
                        },
                    ]
                },
                None,
            ),
        }
        for name, (body, raw) in cases.items():
            with self.subTest(name):
                response = self.post("/hotline/pbx/event", body, raw=raw)
                self.assertEqual(response.status_code, 400)
                answer = response.json()
                self.assertFalse(answer["ok"])
                self.assertTrue(answer["error"])
        self.assertIn("events[1]", self.post("/hotline/pbx/event", cases["unknown kind"][0]).json()["error"])
        self.assertFalse(self.calls(), "a malformed batch applies nothing, not even its good events")
        self.assertFalse(self.env["hotline.call.event"].search([("pbx_id", "=", self.pbx.id)]))


@tagged("post_install", "-at_install")
class TestCdrEndpoint(EndpointCase):
    def cdr(self, **values):
        row = {
            "accountcode": "12319",
            "src": "13800138002",
            "dst": "12319",
            "dcontext": "from-pstn",
            "clid": '"Wang Wu" <13800138002>',
            "channel": "Local/12319@from-pstn-00000000;2",
            "dstchannel": "",
            "lastapp": "Queue",
            "lastdata": "hotline,,,,120",
            "start": "2026-11-26 00:09:43",
            "answer": "2026-11-26 00:09:43",
            "end": "2026-11-26 00:09:49",
            "duration": 6,
            "billsec": 6,
            "disposition": "ANSWERED",
            "amaflags": "DOCUMENTATION",
            "uniqueid": "1795651783.1",
            "userfield": "hotline12319;type=normal;prio=0",
            "linkedid": "1795651783.0",
            "sequence": 0,
        }
        row.update(values)
        return row

    def test_cdrs_idempotent_and_grouped(self):
        cdrs = [
            self.cdr(),
            self.cdr(
                accountcode="",
                channel="Local/12319@from-pstn-00000000;1",
                lastapp="Wait",
                lastdata="60",
                uniqueid="1795651783.0",
                userfield="",
            ),
        ]
        response = self.post("/hotline/pbx/cdr", {"cdrs": cdrs})
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.json(), {"ok": True, "processed": 2, "duplicates": 0})
        call = self.calls()
        self.assertEqual(len(call), 1)
        self.assertEqual(len(call.cdr_ids), 2)
        self.assertEqual(call.disposition, "abandoned", "ANSWERED in the CDR, but nobody took the queued call")
        response = self.post("/hotline/pbx/cdr", {"cdrs": cdrs})
        self.assertEqual(response.json(), {"ok": True, "processed": 0, "duplicates": 2})
        self.assertEqual(self.env["hotline.call.cdr"].search_count([("pbx_id", "=", self.pbx.id)]), 2)
        self.assertEqual(self.calls(), call)

    def test_cdrs_complete_the_call_of_the_events(self):
        events = [
            self.event(
                "hangup",
                linkedid="1795651783.0",
                caller_number="13800138002",
                disposition="abandoned",
                wait_seconds=6,
                talk_seconds=0,
                time="2026-11-26T00:09:49+00:00",
            ),
        ]
        self.post("/hotline/pbx/event", {"events": events})
        call = self.calls()
        self.post("/hotline/pbx/cdr", {"cdrs": [self.cdr()]})
        self.assertEqual(self.calls(), call, "the CDRs join the call the events created (same linkedid)")
        self.assertEqual(call.cdr_ids.uniqueid, "1795651783.1")
        self.assertEqual(call.disposition, "abandoned")
        self.assertEqual(call.queue, "hotline")

    def test_malformed_cdrs(self):
        cases = {
            "no uniqueid": [self.cdr(uniqueid="")],
            "bad start": [self.cdr(), self.cdr(uniqueid="1795651783.0", start="not a date")],
            "bad duration": [self.cdr(duration="six")],
            "not an object": ["x"],
        }
        for name, cdrs in cases.items():
            with self.subTest(name):
                response = self.post("/hotline/pbx/cdr", {"cdrs": cdrs})
                self.assertEqual(response.status_code, 400)
                self.assertTrue(response.json()["error"].startswith("cdrs["))
        self.assertFalse(self.env["hotline.call.cdr"].search([("pbx_id", "=", self.pbx.id)]))
        self.assertEqual(self.post("/hotline/pbx/cdr", {"cdrs": [self.cdr()]}, token="nope").status_code, 401)


@tagged("post_install", "-at_install")
class TestRouteEndpoint(EndpointCase):
    def test_route_auth_and_input(self):
        self.assertEqual(self.get_route(token=None, caller="13800138000").status_code, 401)
        self.assertEqual(self.get_route(token="bad", caller="13800138000").status_code, 401)
        response = self.get_route(called="12319")
        self.assertEqual(response.status_code, 400)
        self.assertIn("caller", response.json()["error"])

    def test_unknown_caller_is_queued(self):
        self.env["ir.config_parameter"].set_param("hotline_telephony.recording_mode", "none")
        self.env["ir.config_parameter"].set_param("hotline_telephony.announce_work_number", "True")
        answer = self.get_route(caller="13999990000", called="12319").json()
        self.assertEqual(answer["action"], "queue")
        self.assertEqual(answer["priority"], 0)
        self.assertEqual(answer["queue"], "hotline")
        self.assertIs(answer["record"], False)
        self.assertIs(answer["announce_work_number"], True)
        self.assertEqual(answer["agent_extension"], "")

    def test_blacklist(self):
        answer = self.get_route(caller="13911110002").json()
        self.assertEqual(answer["action"], "reject")
        # any spelling of the number is the same caller
        self.assertEqual(self.get_route(caller="%2B86%20139%201111%200002").json()["action"], "reject")
        # an expired blacklist no longer applies
        self.assertEqual(self.get_route(caller="13911110003").json()["action"], "queue")

    def test_vip_priority(self):
        self.env["ir.config_parameter"].set_param("hotline_telephony.vip_priority", "7")
        vip = self.get_route(caller="13911110001").json()
        normal = self.get_route(caller="13800138000").json()
        self.assertEqual(vip["action"], "queue")
        self.assertEqual(vip["priority"], 7)
        self.assertGreater(vip["priority"], normal["priority"])
        self.assertIs(vip["vip"], True)

    def test_open_case_prefers_its_operator(self):
        self.env["hotline.case"].create(
            {
                "partner_id": self.caller.id,
                "caller_phone": "13800138000",
                "user_id": self.operator2.id,
                "summary": "Water leak",
            }
        )
        self.operator2._hotline_set_agent_state("available")
        self.assertEqual(self.get_route(caller="13800138000").json()["agent_extension"], "1002")
        self.operator2._hotline_set_agent_state("paused", "meeting")
        self.assertEqual(self.get_route(caller="13800138000").json()["agent_extension"], "", "not when paused")

    def test_hash_format(self):
        response = self.get_route(caller="13911110001", format="hash")
        self.assertEqual(response.headers["Content-Type"], "application/x-www-form-urlencoded")
        self.assertIn("action=queue", response.text)
        self.assertIn("priority=10", response.text)
