import json
from datetime import timedelta

from odoo import fields
from odoo.tests import HttpCase, tagged

TOKEN = "health-test-3f9c2a7d"


@tagged("post_install", "-at_install")
class TestHealth(HttpCase):
    def setUp(self):
        super().setUp()
        self.params = self.env["ir.config_parameter"].sudo()
        self.params.set_param("hotline_base.health_token", TOKEN)
        # no scheduled action is late, no text waits, unless a test makes it so
        self.env["ir.cron"].search([]).write({"nextcall": fields.Datetime.now() + timedelta(minutes=5)})
        if "sms.sms" in self.env:
            self.env["sms.sms"].search([("state", "=", "outgoing")]).write({"state": "canceled"})

    def _get(self, query="", headers=None):
        return self.url_open(f"/hotline/health{query}", headers=headers or {}, allow_redirects=False)

    def assert_hidden(self, response):
        self.assertEqual(response.status_code, 404)
        for word in ("database", "crons", "replica", "problems", "bridges"):
            self.assertNotIn(word, response.text)

    def test_without_the_right_token_it_answers_like_an_unknown_url(self):
        self.assert_hidden(self._get())
        self.assert_hidden(self._get("?token=wrong"))
        self.assert_hidden(self._get(headers={"Authorization": "Bearer wrong"}))
        self.assert_hidden(self._get(headers={"Authorization": f"Basic {TOKEN}"}))
        self.assert_hidden(self._get(f"?token={TOKEN[:-1]}"))

    def test_without_a_configured_token_it_is_off(self):
        self.params.set_param("hotline_base.health_token", False)
        self.assert_hidden(self._get("?token="))
        self.assert_hidden(self._get(headers={"Authorization": "Bearer "}))

    def test_with_the_token_it_reports_every_section(self):
        for response in (self._get(f"?token={TOKEN}"), self._get(headers={"Authorization": f"Bearer {TOKEN}"})):
            self.assertEqual(response.status_code, 200, response.text)
            report = json.loads(response.text)
            self.assertEqual(report["status"], "ok")
            self.assertEqual(report["problems"], [])
            self.assertTrue(report["database"]["ok"])
            self.assertEqual(report["replica"], {"configured": False, "in_use": False, "lag_seconds": None})
            self.assertGreater(report["crons"]["active"], 0)
            self.assertEqual(report["crons"]["late"], [])
            self.assertLess(report["crons"]["max_lag_seconds"], 1)

    def test_a_late_scheduled_action_makes_it_fail(self):
        cron = self.env.ref("hotline_base.ir_cron_hotline_reminder")
        cron.write({"nextcall": fields.Datetime.now() - timedelta(hours=2), "active": True})
        response = self._get(f"?token={TOKEN}")
        self.assertEqual(response.status_code, 503)
        report = json.loads(response.text)
        self.assertEqual(report["status"], "degraded")
        self.assertEqual(report["crons"]["late"], [cron.name])
        self.assertGreaterEqual(report["crons"]["max_lag_seconds"], 7000)
        self.assertIn("late", report["problems"][0])
        # a larger threshold tolerates it
        self.params.set_param("hotline_base.health_cron_lag_max", "10800")
        self.assertEqual(self._get(f"?token={TOKEN}").status_code, 200)

    def test_a_failing_scheduled_action_is_named(self):
        cron = self.env.ref("hotline_base.ir_cron_hotline_reminder")
        cron.failure_count = 2
        report = json.loads(self._get(f"?token={TOKEN}").text)
        self.assertIn(cron.name, report["crons"]["failing"])

    def test_queued_texts_when_the_texts_are_installed(self):
        if "sms.sms" not in self.env:
            self.assertNotIn("texts", json.loads(self._get(f"?token={TOKEN}").text))
            return
        sms = self.env["sms.sms"].create({"number": "13800138000", "body": "测试", "state": "outgoing"})
        self.env.cr.execute(
            "UPDATE sms_sms SET create_date = %s WHERE id = %s", (fields.Datetime.now() - timedelta(hours=1), sms.id)
        )
        response = self._get(f"?token={TOKEN}")
        report = json.loads(response.text)
        self.assertEqual(response.status_code, 503)
        self.assertEqual(report["texts"]["queued"], 1)
        self.assertGreaterEqual(report["texts"]["oldest_seconds"], 3500)
        self.assertIn("texts", report["problems"][0])

    def test_bridges_when_the_telephony_is_installed(self):
        if "hotline.call.event" not in self.env:
            self.assertNotIn("bridges", json.loads(self._get(f"?token={TOKEN}").text))
            return
        quiet, busy = self.env["hotline.pbx"].create(
            [
                {"name": "健康检查 PBX 1", "token": "health-pbx-token-1234567890"},
                {"name": "健康检查 PBX 2", "token": "health-pbx-token-0987654321"},
            ]
        )
        self.env["hotline.call.event"].create({"pbx_id": busy.id, "event_id": "health-1", "kind": "agent_state"})
        response = self._get(f"?token={TOKEN}")
        report = json.loads(response.text)
        bridges = {item["pbx_id"]: item for item in report["bridges"]}
        self.assertIsNone(bridges[quiet.id]["last_event_at"])
        self.assertIsNone(bridges[quiet.id]["last_event_seconds"])
        self.assertTrue(bridges[busy.id]["last_event_at"])
        self.assertLess(bridges[busy.id]["last_event_seconds"], 60)
        self.assertEqual(response.status_code, 200, "a quiet bridge is no problem")
