import socket

from odoo import fields
from odoo.exceptions import AccessError, UserError
from odoo.tests import TransactionCase, tagged

from .common import TOKEN, FakeBridge, TelephonyCommon


def closed_port():
    """A local port nobody listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@tagged("post_install", "-at_install")
class TestClickToCall(TelephonyCommon, TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.setUpTelephony()

    def click_to_call(self, user, number):
        return self.env["hotline.call"].with_user(user).action_click_to_call(number)

    def test_originate_request(self):
        with FakeBridge() as bridge:
            self.pbx.bridge_url = bridge.url
            result = self.click_to_call(self.operator, "+86 138-0013-8000")
        self.assertEqual(len(bridge.requests), 1)
        request = bridge.requests[0]
        self.assertEqual((request["method"], request["path"]), ("POST", "/originate"))
        self.assertEqual(request["authorization"], f"Bearer {TOKEN}")
        body = request["json"]
        self.assertEqual(body["extension"], "1001")
        self.assertEqual(body["number"], "013800138000", "national form behind the trunk prefix")
        self.assertEqual(body["context"], "from-internal")
        self.assertEqual(body["variables"]["HOTLINE_USER_ID"], str(self.operator.id))
        self.assertEqual(result["extension"], "1001")
        self.assertIn("1001", result["message"])

    def test_dial_numbers(self):
        self.assertEqual(self.pbx._hotline_dial_number("1002"), "1002", "an extension is dialled as it is")
        self.assertEqual(self.pbx._hotline_dial_number("0571-8765 4321"), "0057187654321")
        self.assertEqual(self.pbx._hotline_dial_number("+1 650 253 0000"), "0" + "0016502530000")
        with self.assertRaises(UserError):
            self.pbx._hotline_dial_number("call me")

    def test_no_extension(self):
        self.operator.hotline_extension = False
        with FakeBridge() as bridge:
            self.pbx.bridge_url = bridge.url
            with self.assertRaisesRegex(UserError, "no phone extension"):
                self.click_to_call(self.operator, "13800138000")
        self.assertFalse(bridge.requests, "nothing is asked of the PBX")

    def test_bridge_unreachable(self):
        self.pbx.bridge_url = f"http://127.0.0.1:{closed_port()}"
        with (
            self.assertLogs("odoo.addons.hotline_telephony.models.hotline_pbx", "WARNING") as logged,
            self.assertRaisesRegex(UserError, "The PBX bridge is unreachable"),
        ):
            self.click_to_call(self.operator, "13800138000")
        self.assertIn("unreachable", logged.output[0])

    def test_bridge_errors(self):
        replies = {
            "/originate": (502, {"ok": False, "error": "Originate failed"}),
            "/hangup": (503, {"ok": False, "error": "AMI not connected"}),
        }
        with FakeBridge(replies) as bridge:
            self.pbx.bridge_url = bridge.url
            with self.assertRaisesRegex(UserError, "Originate failed"):
                self.click_to_call(self.operator, "13800138000")
            call = self.env["hotline.call"].create(
                {
                    "pbx_id": self.pbx.id,
                    "linkedid": "1.0",
                    "state": "answered",
                    "agent_channel": "Local/1001@agents-1;1",
                }
            )
            with self.assertRaisesRegex(UserError, "AMI down"):
                call.with_user(self.supervisor).action_hotline_hangup()
            self.pbx.token = "another-token"
            bridge.replies["/originate"] = (401, {"ok": False, "error": "missing or wrong bearer token"})
            with self.assertRaisesRegex(UserError, "token"):
                self.click_to_call(self.operator, "13800138000")

    def test_agent_panel_actions(self):
        with FakeBridge(
            {"/queue/add": (502, {"ok": False, "error": "Unable to add interface: Already there"})}
        ) as bridge:
            self.pbx.bridge_url = bridge.url
            Users = self.env["res.users"].with_user(self.operator)
            data = Users.hotline_agent_action("login")
            self.assertEqual(data["state"], "available", "logging in twice is no error")
            data = Users.hotline_agent_action("pause", reason="Meal")
            self.assertEqual((data["state"], data["pause_reason"]), ("paused", "Meal"))
            data = Users.hotline_agent_action("available")
            self.assertEqual(data["state"], "available")
            data = Users.hotline_agent_action("logout")
            self.assertEqual(data["state"], "offline")
        paths = [(request["path"], request["json"]) for request in bridge.requests]
        self.assertEqual(
            paths,
            [
                ("/queue/add", {"queue": "hotline", "interface": "Local/1001@agents/n", "member_name": "Agent 1001"}),
                ("/queue/pause", {"interface": "Local/1001@agents/n", "paused": True, "reason": "Meal"}),
                ("/queue/pause", {"interface": "Local/1001@agents/n", "paused": False}),
                ("/queue/remove", {"queue": "hotline", "interface": "Local/1001@agents/n"}),
            ],
        )
        log = self.env["hotline.agent.state.log"].search([("user_id", "=", self.operator.id)], order="id")
        self.assertEqual(log.mapped("state"), ["available", "paused", "available", "offline"])

    def test_supervisor_actions(self):
        call = self.env["hotline.call"].create(
            {
                "pbx_id": self.pbx.id,
                "linkedid": "1795651839.0",
                "state": "answered",
                "extension": "1001",
                "user_id": self.operator.id,
                "agent_channel": "Local/1001@agents-00000001;1",
                "caller_channel": "Local/12319@from-pstn-00000000;2",
            }
        )
        with FakeBridge() as bridge:
            self.pbx.bridge_url = bridge.url
            with self.assertRaises(AccessError):
                call.with_user(self.operator2).action_hotline_hangup()
            as_supervisor = call.with_user(self.supervisor)
            as_supervisor.action_hotline_spy("whisper")
            as_supervisor.action_hotline_transfer("1002")
            as_supervisor.action_hotline_hangup()
            self.operator.with_user(self.supervisor).hotline_supervisor_spy("listen")
        requests = {request["path"]: request["json"] for request in bridge.requests}
        self.assertEqual(
            requests["/spy"],
            {"supervisor_extension": "8001", "target_extension": "1001", "mode": "listen"},
        )
        self.assertEqual(
            requests["/redirect"],
            {"channel": "Local/12319@from-pstn-00000000;2", "context": "transfer", "exten": "1002", "priority": 1},
        )
        self.assertEqual(requests["/hangup"], {"channel": "Local/12319@from-pstn-00000000;2"})
        self.assertEqual(len(bridge.requests), 4)
        self.assertEqual(bridge.requests[0]["json"]["target_channel"], "Local/1001@agents-00000001;1")
        self.assertEqual(bridge.requests[0]["json"]["mode"], "whisper")
        # listening in is personal data access: logged
        logs = self.env["hotline.audit.log"].search([("user_id", "=", self.supervisor.id)], order="id")
        self.assertEqual(logs.mapped("action"), ["whisper", "listen"])
        self.assertEqual((logs[0].res_model, logs[0].res_id), ("hotline.call", call.id))
        self.assertEqual((logs[1].res_model, logs[1].res_id), ("res.users", self.operator.id))

    def test_pickup(self):
        call = self.env["hotline.call"].create(
            {
                "pbx_id": self.pbx.id,
                "linkedid": "2.0",
                "state": "ringing",
                "extension": "1002",
                "agent_channel": "Local/1002@agents-00000004;1",
            }
        )
        with FakeBridge() as bridge:
            self.pbx.bridge_url = bridge.url
            call.with_user(self.supervisor).action_hotline_pickup()
        self.assertEqual(
            bridge.requests[0]["json"], {"extension": "8001", "target_channel": "Local/1002@agents-00000004;1"}
        )

    def test_wallboard(self):
        self.operator._hotline_set_agent_state("available")
        self.env["hotline.call"].create(
            {
                "pbx_id": self.pbx.id,
                "linkedid": "3.0",
                "state": "answered",
                "extension": "1001",
                "user_id": self.operator.id,
                "start_time": fields.Datetime.now(),
            }
        )
        with self.assertRaises(AccessError):
            self.env["hotline.call"].with_user(self.operator).hotline_wallboard_data()
        data = self.env["hotline.call"].with_user(self.supervisor).hotline_wallboard_data()
        agents = {agent["id"]: agent for agent in data["agents"]}
        self.assertEqual(agents[self.operator.id]["state"], "available")
        self.assertEqual(agents[self.operator.id]["call"]["extension"], "1001")
        self.assertEqual(data["supervisor_extension"], "8001")
        self.assertIn("offered", data["stats"])
        self.env["res.lang"]._activate_lang("zh_CN")
        self.env["ir.module.module"]._load_module_terms(["hotline_telephony"], ["zh_CN"], overwrite=True)
        self.supervisor.lang = "zh_CN"
        data = self.env["hotline.call"].with_user(self.supervisor).with_context(lang="zh_CN").hotline_wallboard_data()
        labels = {agent["id"]: agent["state_label"] for agent in data["agents"]}
        self.assertEqual(labels[self.operator.id], "空闲")
