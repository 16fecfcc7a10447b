"""Texts through a real Kannel (bearerbox + smsbox + Kannel's fake SMSC) and through SMPP.

Kannel runs on free loopback ports from the class setup (tests/kannel_harness.py); its delivery
reports and inbound texts call this test's Odoo HTTP server (web.base.url = the test server).
``make test`` installs Debian's kannel and kannel-extras (scripts/lib.sh ensure_debian_packages).
"""

import time
import urllib.parse
from contextlib import contextmanager
from unittest.mock import patch

from odoo.exceptions import AccessError, UserError
from odoo.tests import HttpCase, new_test_user, tagged

from odoo.addons.hotline_notify.models import hotline_sms_gateway as gateway_module

from . import kannel_harness, smpp_harness

WAIT = 20.0


@tagged("post_install", "-at_install")
class TestSmsGateway(HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        if not kannel_harness.kannel_available():
            raise RuntimeError("Kannel is missing: apt-get install kannel kannel-extras (make test installs them)")
        cls.env = cls.env(context=dict(cls.env.context, tracking_disable=True))
        # only our gateway: demo or other tests' gateways must not take the texts
        cls.env["hotline.sms.gateway"].search([]).action_archive()
        cls.gateway = cls.env["hotline.sms.gateway"].create(
            {
                "name": "市政短信网关（测试）",
                "provider": "kannel",
                "url": "http://127.0.0.1:9/cgi-bin/sendsms",
                "sender": "12319",
                "rate_per_second": 100,
                "retry_max": 3,
            }
        )
        inbound = "{}/hotline/sms/inbound?{}&from=%p&to=%P&text=%a&coding=%c&charset=%C".format(
            cls.base_url(),
            urllib.parse.urlencode({"token": cls.gateway.token}),
        )
        cls.kannel = kannel_harness.KannelHarness(inbound_url=inbound).start()
        cls.addClassCleanup(cls.kannel.stop)
        cls.gateway.write(
            {"url": cls.kannel.sendsms_url, "username": cls.kannel.username, "password": cls.kannel.password}
        )
        cls.citizen = cls.env["res.partner"].create(
            {"name": "王建国", "mobile": "13800138001", "country_id": cls.env.ref("base.cn").id}
        )

    # ------------------------------------------------------------
    # helpers
    # ------------------------------------------------------------

    @contextmanager
    def locked(self):
        """Hold the test cursor's lock: Kannel's calls to the test server wait meanwhile.

        Everything is flushed before the lock is released: the server's requests share the test
        transaction and read the database, not this thread's cache.
        """
        with self.registry.test_lock:
            yield
            self.env.flush_all()

    def new_messages(self, before, count):
        messages = self.kannel.wait_received(before + count, timeout=WAIT)
        return messages[before:]

    def wait_for(self, predicate, timeout=WAIT):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.locked():
                self.env.invalidate_all()
                if predicate():
                    return True
            time.sleep(0.1)
        return False

    def settle(self, records):
        """Wait for the delivery reports of ``records``: none may reach the test server during the next test."""
        self.assertTrue(
            self.wait_for(lambda: set(records.mapped("state")) == {"sent"}),
            f"delivery reports: {records.mapped(lambda sms: (sms.uuid, sms.state))}",
        )
        time.sleep(0.3)  # the reports of the other parts of a long text

    def queue(self, number, body):
        with self.locked():
            return self.env["sms.sms"].create({"number": number, "body": body})

    # ------------------------------------------------------------
    # tests
    # ------------------------------------------------------------

    def test_chatter_text_delivered_through_kannel(self):
        """A chatter text goes to Kannel (never IAP), arrives intact, and the DLR marks it delivered."""
        before = len(self.kannel.received())
        body = "【12319】您反映的路灯问题已受理，工单号2026-000123，请留意回访。"
        with (
            self.locked(),
            patch(
                "odoo.addons.sms.tools.sms_api.SmsApi._send_sms_batch", side_effect=AssertionError("IAP called")
            ) as iap,
        ):
            message = self.citizen._message_sms(body, partner_ids=self.citizen.ids)
            sms = self.env["sms.sms"].search([("mail_message_id", "=", message.id)])
            notification = message.notification_ids
            self.assertEqual(len(sms), 1)
            self.assertEqual(sms.state, "pending", "accepted by Kannel: Sent")
            self.assertEqual(notification.notification_status, "pending")
            self.assertEqual(sms.hotline_gateway_id, self.gateway)
        iap.assert_not_called()
        received = self.new_messages(before, 1)
        self.assertEqual(len(received), 1)
        self.assertEqual(received[0].receiver, sms.number)
        self.assertEqual(received[0].sender, "12319")
        self.assertEqual(received[0].text(), body, "Chinese text intact (UCS-2)")
        self.assertTrue(
            self.wait_for(lambda: sms.state == "sent"),
            "the delivery report came back: {}".format(self.kannel.log_tail("smsbox.log")),
        )
        self.assertEqual(notification.notification_status, "sent", "the chatter shows Delivered")
        self.assertTrue(sms.hotline_report_date)

    def test_sms_campaign_traces_get_per_number_results(self):
        """A mass_mailing_sms campaign: each number's trace goes Sent, then Delivered with its report."""
        second = self.env["res.partner"].create(
            {"name": "李秀英", "mobile": "13800138031", "country_id": self.env.ref("base.cn").id}
        )
        partners = self.citizen | second
        before = len(self.kannel.received())
        with self.locked():
            mailing = self.env["mailing.mailing"].create(
                {
                    "name": "东城区停水通知",
                    "subject": "东城区停水通知",
                    "mailing_type": "sms",
                    "body_plaintext": "【12319】东城区明日8时至18时停水，请提前储水。",
                    "mailing_model_id": self.env["ir.model"]._get_id("res.partner"),
                    "mailing_domain": repr([("id", "in", partners.ids)]),
                    "sms_force_send": True,
                    "sms_allow_unsubscribe": False,
                }
            )
            mailing.action_send_sms()
            traces = mailing.mailing_trace_ids
            self.assertEqual(len(traces), 2)
            self.assertEqual(set(traces.mapped("trace_status")), {"pending"})
        received = self.new_messages(before, 2)
        self.assertEqual(len(received), 2)
        self.assertTrue(
            self.wait_for(lambda: set(traces.mapped("trace_status")) == {"sent"}),
            "per-number delivery in the campaign's traces",
        )

    def test_long_chinese_text_split_and_complete(self):
        body = (
            "尊敬的市民："
            + "因供水管网改造，本市东城区部分路段将于明日上午八时至下午六时停水，请提前做好储水准备。" * 3
        )
        self.assertGreater(len(body), 134)
        before = len(self.kannel.received())
        sms = self.queue("13800138002", body)
        with self.locked():
            sms.send()
            self.assertEqual(sms.state, "pending")
        parts_expected = gateway_module.kannel.part_count(body)
        self.assertGreater(parts_expected, 1)
        parts = self.new_messages(before, parts_expected)
        self.assertEqual(len(parts), parts_expected)
        self.assertTrue(all(part.concat() for part in parts), "concatenation UDH on every part")
        self.assertEqual(kannel_harness.join_parts(parts), [("13800138002", body)])
        self.settle(sms)

    def test_gateway_down_keeps_text_queued_then_sends_once(self):
        self.kannel.stop_smsbox()
        try:
            sms = self.queue("13800138003", "停电通知：明日9时至12时检修。")
            cron = self.env.ref("sms.ir_cron_sms_scheduler_action")
            triggers = self.env["ir.cron.trigger"].search_count([("cron_id", "=", cron.id)])
            with self.locked():
                self.env["sms.sms"]._process_queue()
                self.assertEqual(sms.state, "outgoing", "still queued, not lost")
                self.assertEqual(sms.hotline_attempts, 1)
                self.assertTrue(self.gateway.last_error)
                self.assertGreater(
                    self.env["ir.cron.trigger"].search_count([("cron_id", "=", cron.id)]), triggers, "retried later"
                )
        finally:
            self.kannel.start_smsbox()
        before = len(self.kannel.received())
        with self.locked():
            self.env["sms.sms"]._process_queue()
            self.assertEqual(sms.state, "pending")
            # a second run must not send it again
            self.env["sms.sms"]._process_queue()
        received = self.new_messages(before, 1)
        time.sleep(1.0)
        received = [m for m in self.kannel.received()[before:] if m.receiver == "13800138003"]
        self.assertEqual(len(received), 1, "sent exactly once")
        self.assertEqual(received[0].text(), "停电通知：明日9时至12时检修。")
        self.settle(sms)

    def test_gateway_down_too_long_marks_error(self):
        self.gateway.retry_max = 2
        self.kannel.stop_smsbox()
        try:
            sms = self.queue("13800138004", "测试")
            with self.locked():
                self.env["sms.sms"]._process_queue()
                self.assertEqual(sms.state, "outgoing")
                self.env["sms.sms"]._process_queue()
                self.assertEqual(sms.state, "error")
                self.assertEqual(sms.failure_type, "sms_server")
                self.assertEqual(sms.hotline_attempts, 2)
        finally:
            self.kannel.start_smsbox()

    def test_rate_limit_batches_and_pacing(self):
        """5 texts at 2/s: batches of 2, 2, 1 and one half-second wait per full batch (fake clock)."""
        self.gateway.rate_per_second = 2
        clock = {"now": 1000.0}
        sleeps = []

        def fake_sleep(delay):
            sleeps.append(round(delay, 6))
            clock["now"] += delay

        records = self.env["sms.sms"]
        for index in range(5):
            records |= self.queue(f"1380013810{index}", f"第{index}条限速测试短信")
        before = len(self.kannel.received())
        with (
            self.locked(),
            patch.object(gateway_module, "_monotonic", lambda: clock["now"]),
            patch.object(gateway_module, "_sleep", fake_sleep),
            patch.object(type(records), "_send", autospec=True, side_effect=type(records)._send) as send_batch,
        ):
            self.assertEqual([len(batch) for batch in records._split_batch()], [2, 2, 1])
            records.send()
            self.assertEqual(send_batch.call_count, 3, "one batch per second of sending")
            self.assertEqual(set(records.mapped("state")), {"pending"})
        self.assertEqual(sleeps, [0.5, 0.5], "the second text of each full batch waits for its slot")
        self.assertEqual(clock["now"], 1001.0)
        self.assertEqual(len(self.new_messages(before, 5)), 5)
        self.settle(records)

    def test_dlr_token_and_unknown_text(self):
        sms = self.queue("13800138005", "测试回执")
        with self.locked():
            sms.write({"state": "pending"})
        url = "/hotline/sms/dlr?%s"
        bad = self.url_open(
            url % urllib.parse.urlencode({"token": "wrong-token-123456", "uuid": sms.uuid, "status": 1})
        )
        self.assertEqual(bad.status_code, 403)
        missing = self.url_open(url % urllib.parse.urlencode({"uuid": sms.uuid, "status": 1}))
        self.assertEqual(missing.status_code, 403)
        with self.locked():
            self.env.invalidate_all()
            self.assertEqual(sms.state, "pending", "a refused report changes nothing")
        unknown = self.url_open(
            url % urllib.parse.urlencode({"token": self.gateway.token, "uuid": "0" * 32, "status": 1})
        )
        self.assertEqual(unknown.status_code, 404)
        malformed = self.url_open(url % urllib.parse.urlencode({"token": self.gateway.token, "uuid": "x", "status": 1}))
        self.assertEqual(malformed.status_code, 400)
        failed = self.url_open(
            url
            % urllib.parse.urlencode(
                {"token": self.gateway.token, "uuid": sms.uuid, "status": 16, "answer": "NACK/0x0b"}
            )
        )
        self.assertEqual(failed.status_code, 200)
        with self.locked():
            self.env.invalidate_all()
            self.assertEqual(sms.state, "error")
            self.assertEqual(sms.hotline_error, "NACK/0x0b")

    def test_report_after_gateway_archived(self):
        sms = self.queue("13800138007", "归档后回执")
        with self.locked():
            sms.write({"state": "pending"})
            self.gateway.action_archive()
        query = urllib.parse.urlencode({"token": self.gateway.token, "uuid": sms.uuid, "status": 1})
        self.assertEqual(self.url_open("/hotline/sms/dlr?" + query).status_code, 200)
        with self.locked():
            self.env.invalidate_all()
            self.assertEqual(sms.state, "sent")

    def test_results_never_overwrite_an_earlier_report(self):
        """A delivery report that beat the batch's own result: the text stays delivered."""
        sms = self.queue("13800138008", "回执先到")
        with self.locked():
            claimed = sms._hotline_claim(self.gateway)
            self.assertEqual(sms.state, "process")
            self.assertTrue(self.env["sms.sms"]._hotline_process_report(sms.uuid, 1))
            self.assertEqual(sms.state, "sent")
            claimed._hotline_apply_results(self.gateway, {sms.id: ("accepted", "0: Accepted for delivery")})
            self.assertEqual(sms.state, "sent")
            self.assertTrue(sms.hotline_sent_date)
            self.assertTrue(sms.to_delete)

    def test_interrupted_batch_is_never_resent(self):
        """A text left in process by a crash: not taken by the queue again; failed after a day."""
        sms = self.queue("13800138009", "中断测试")
        before = len(self.kannel.received())
        with self.locked():
            sms._hotline_claim(self.gateway)
            self.env["sms.sms"]._process_queue()
            self.assertEqual(sms.state, "process", "not sent again")
            self.env.flush_all()
            self.env.cr.execute("UPDATE sms_sms SET write_date = now() - interval '25 hours' WHERE id = %s", [sms.id])
            self.env.invalidate_all()
            with self.assertLogs("odoo.addons.hotline_notify.models.sms_sms", "WARNING"):
                self.env["sms.sms"]._process_queue()
            self.assertEqual(sms.state, "error")
            self.assertEqual(sms.failure_type, "sms_server")
        time.sleep(0.5)
        self.assertFalse([m for m in self.kannel.received()[before:] if m.receiver == "13800138009"])

    def test_supervisor_reads_the_text_list(self):
        supervisor = new_test_user(
            self.env, login="zhao.min", name="赵敏", groups="hotline_base.group_hotline_supervisor"
        )
        sms = self.queue("13800138040", "督办通知")
        action = self.env.ref("hotline_notify.sms_sms_action_hotline")
        self.assertEqual(action.res_model, "sms.sms")
        fields_shown = ["number", "state", "failure_type", "hotline_error", "create_date", "hotline_sent_date"]
        rows = self.env["sms.sms"].with_user(supervisor).search_read([("id", "=", sms.id)], fields_shown)
        self.assertEqual(rows[0]["state"], "outgoing")
        with self.assertRaises(AccessError):
            self.env["hotline.sms.gateway"].with_user(supervisor).search([])

    def test_send_test_text_button(self):
        self.gateway.test_number = "13800138020"
        before = len(self.kannel.received())
        with self.locked():
            action = self.gateway.action_send_test()
        self.assertEqual(action["params"]["type"], "success")
        received = self.new_messages(before, 1)
        self.assertEqual([m.receiver for m in received], ["13800138020"])
        with self.locked():
            sms = self.env["sms.sms"].search([("number", "=", "13800138020")])
        self.settle(sms)

    def test_inbound_text_reaches_case_handler(self):
        calls = []

        def fake_inbound(cases, gateway, sender, text):
            calls.append((gateway.id, sender, text))
            return cases.browse()

        text = "我家楼下的路灯坏了三天了"
        payload = urllib.parse.quote_from_bytes(text.encode("utf-16-be"))
        before = len(self.kannel.received())
        with patch.object(type(self.env["hotline.case"]), "_hotline_sms_inbound", fake_inbound, create=True):
            self.kannel.start_fakesmsc([f"13900139000 12319 ucs2 {payload}"])
            self.assertTrue(
                self.wait_for(lambda: calls),
                "Kannel called /hotline/sms/inbound: {}".format(self.kannel.log_tail("smsbox.log")),
            )
        self.assertEqual(calls, [(self.gateway.id, "13900139000", text)])
        time.sleep(0.5)
        replies = [m for m in self.kannel.received()[before:] if m.receiver == "13900139000"]
        self.assertFalse(replies, "Kannel texts nothing back to the citizen")

    def test_inbound_refuses_bad_token_and_bad_input(self):
        response = self.url_open("/hotline/sms/inbound?token=nope-nope-nope-nope&from=13900139000&text=hi")
        self.assertEqual(response.status_code, 403)
        query = urllib.parse.urlencode({"token": self.gateway.token, "from": "", "text": "路灯坏了"})
        self.assertEqual(self.url_open("/hotline/sms/inbound?" + query).status_code, 400, "no sender")

        def refuse(cases, gateway, sender, text):
            raise UserError(cases.env._("The text is not a case."))

        query = urllib.parse.urlencode({"token": self.gateway.token, "from": "13900139001", "text": "路灯坏了"})
        with (
            patch.object(type(self.env["hotline.case"]), "_hotline_sms_inbound", refuse, create=True),
            self.assertLogs("odoo.addons.hotline_notify.controllers.sms", "WARNING"),
        ):
            response = self.url_open("/hotline/sms/inbound?" + query)
        self.assertEqual(response.status_code, 400)
        self.assertEqual(response.text, "", "nothing for Kannel to text back")

    def test_no_gateway_keeps_texts_queued_never_iap(self):
        sms = self.queue("13800138006", "无网关")
        with self.locked():
            self.gateway.action_archive()
            with (
                patch("odoo.addons.sms.tools.sms_api.SmsApi._send_sms_batch") as iap,
                self.assertLogs("odoo.addons.hotline_notify.models.sms_sms", "WARNING"),
            ):
                sms.send()
                self.env["sms.sms"]._process_queue()
                with self.assertRaises(UserError):
                    sms.send(raise_exception=True)
            iap.assert_not_called()
            self.assertEqual(sms.state, "outgoing", "it waits for a gateway")
            self.assertFalse(sms.hotline_gateway_id)

    def test_smpp_provider(self):
        server = smpp_harness.FakeSmppServer(undeliverable={"13800138012"}, reject={"13800138013"}).start()
        self.addCleanup(server.stop)
        smpp_gateway = self.env["hotline.sms.gateway"].create(
            {
                "name": "运营商SMSC（SMPP）",
                "provider": "smpp",
                "host": "127.0.0.1",
                "port": server.port,
                "username": server.system_id,
                "password": server.password,
                "sender": "12319",
                "rate_per_second": 50,
                "receipt_wait": 3.0,
            }
        )
        self.gateway.action_archive()
        long_text = "【12319】您的工单已办结，" + "感谢您对城市管理工作的支持与监督，" * 6
        texts = {
            "13800138010": "您好，您反映的问题已转交城管部门处理。",
            "13800138011": long_text,
            "13800138012": "无法送达",
            "13800138013": "号码被拒",
        }
        with self.locked():
            records = self.env["sms.sms"].create([{"number": n, "body": b} for n, b in texts.items()])
            records.send()
        by_number = {sms.number: sms for sms in records}
        self.assertEqual(server.binds, [("hotline", True)])
        self.assertEqual(server.texts(), texts, "every text arrived whole (UCS-2, long one reassembled)")
        self.assertTrue(all(s["data_coding"] == 8 and s["registered_delivery"] for s in server.submits))
        long_parts = [s for s in server.submits if s["destination"] == "13800138011"]
        self.assertGreater(len(long_parts), 1)
        self.assertTrue(all(s["esm_class"] & 0x40 for s in long_parts), "UDH indicator on the parts")
        self.assertEqual(by_number["13800138010"].state, "sent", "receipt DELIVRD read in the session")
        self.assertEqual(by_number["13800138011"].state, "sent")
        self.assertEqual(by_number["13800138012"].state, "error", "receipt UNDELIV")
        self.assertEqual(by_number["13800138013"].state, "error")
        self.assertIn("Invalid Destination", by_number["13800138013"].hotline_error)
        self.assertEqual(smpp_gateway, self.env["hotline.sms.gateway"]._hotline_active())

    def test_smpp_down_keeps_queue(self):
        self.gateway.action_archive()
        self.env["hotline.sms.gateway"].create(
            {"name": "SMSC down", "provider": "smpp", "host": "127.0.0.1", "port": kannel_harness.free_port()}
        )
        sms = self.queue("13800138014", "测试")
        with self.locked():
            sms.send()
            self.assertEqual(sms.state, "outgoing")
            self.assertEqual(sms.hotline_attempts, 1)
