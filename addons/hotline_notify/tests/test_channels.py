import base64

from odoo.tests import tagged

from odoo.addons.mail.tests.common import MailCommon

from .test_case_texts import HotlineNotifyCommon

ATTACHMENT = base64.b64encode(b"%PDF-1.4 photo of the broken pipe").decode()
# a citizen's e-mail with a text body and a photo; placeholders filled by MailCommon.format()
MAIL_WITH_ATTACHMENT = (
    """Return-Path: {return_path}
To: {to}
cc: {cc}
From: {email_from}
Subject: {subject}
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="hotline-boundary"
Date: Fri, 10 Aug 2012 14:16:26 +0000
Message-ID: {msg_id}
{extra}

--hotline-boundary
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: 8bit

湖滨路 3 号门前的水管漏水两天了，请派人来修。

--hotline-boundary
Content-Type: application/pdf; name="pipe.pdf"
Content-Disposition: attachment; filename="pipe.pdf"
Content-Transfer-Encoding: base64

"""
    + ATTACHMENT
    + """
--hotline-boundary--
"""
)

MAIL_REPLY = """Return-Path: {return_path}
To: {to}
cc: {cc}
From: {email_from}
Subject: {subject}
MIME-Version: 1.0
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: 8bit
Date: Fri, 10 Aug 2012 15:16:26 +0000
Message-ID: {msg_id}
{extra}

补充一下：晚上漏得更厉害。
"""


@tagged("post_install", "-at_install")
class TestCaseChannel(HotlineNotifyCommon):
    def test_channel_from_source(self):
        expected = {
            "hotline": "phone",
            "leader_mailbox": "email",
            "web": "web",
            "open311": "open311",
            "sms": "sms",
            "supervisor": "phone",
        }
        for source, channel in expected.items():
            case = self._create_case(source=source)
            self.assertEqual(case.channel, channel, source)
        case = self._create_case(source="hotline", channel="portal")
        self.assertEqual(case.channel, "portal", "a channel given is kept")

    def test_inbound_sms_new_case_then_joins_it(self):
        Case = self.env["hotline.case"].with_user(self.env.ref("base.public_user"))
        text = "东湖路与湖滨路交叉口的井盖丢失了，晚上很危险，请尽快处理"
        case = Case._hotline_sms_inbound(None, "13900001111", text)
        case = self.env["hotline.case"].browse(case.id)
        self.assertEqual(case.source, "sms")
        self.assertEqual(case.channel, "sms")
        self.assertEqual(case.state, "new")
        self.assertEqual(case.caller_phone, "13900001111")
        self.assertTrue(text.startswith(case.summary.rstrip("…")))
        self.assertLessEqual(len(case.summary), 31)
        self.assertIn("请尽快处理", case.description)
        self.assertFalse(case.user_id, "the duty operator picks it up")
        self.assertEqual(len(self._texts(case, "13900001111")), 1, "the registration text goes back by SMS")

        again = Case._hotline_sms_inbound(None, "+86 139 0000 1111", "补充：在 12 号楼前")
        self.assertEqual(again.id, case.id, "a text from the same number joins the recent open case")
        self.assertTrue(case.message_ids.filtered(lambda m: "12 号楼前" in (m.body or "")))
        self.assertEqual(self.env["hotline.case"].search_count([("caller_phone", "=", "13900001111")]), 1)

    def test_inbound_sms_survey_answer(self):
        case = self._to_return_visit(self._create_case())
        self.assertEqual(case.survey_state, "sent")
        Case = self.env["hotline.case"].with_user(self.env.ref("base.public_user"))
        answered = Case._hotline_sms_inbound(None, "17700002222", " 1 ")
        self.assertEqual(answered.id, case.id)
        self.assertEqual(case.state, "done")
        self.assertEqual(case.satisfaction, "satisfied")
        self.assertEqual(case.survey_state, "answered")
        self.assertEqual(case.rating_ids.filtered("consumed").rating, 5)

    def test_inbound_sms_old_case_opens_a_new_one(self):
        old = self._create_case(caller_phone="13900002222")
        self.env.flush_all()
        self.env.cr.execute(
            "UPDATE hotline_case SET write_date = write_date - interval '30 days' WHERE id = %s", [old.id]
        )
        old.invalidate_recordset()
        Case = self.env["hotline.case"].with_user(self.env.ref("base.public_user"))
        case = Case._hotline_sms_inbound(None, "13900002222", "路灯不亮")
        self.assertNotEqual(case.id, old.id)
        self.assertEqual(case.sudo().summary, "路灯不亮")


@tagged("post_install", "-at_install")
class TestMailChannel(HotlineNotifyCommon, MailCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.alias_leader = cls.env.ref("hotline_notify.mail_alias_leader_mailbox")
        cls.alias_web = cls.env.ref("hotline_notify.mail_alias_web")
        (cls.alias_leader | cls.alias_web).write({"alias_domain_id": cls.mail_alias_domain.id})

    def _mail_in(self, template, to, subject, email_from="刘洋 <liuyang@example.com>", **kwargs):
        with self.mock_mail_gateway():
            return self.format_and_process(
                template, email_from, to, subject=subject, target_model="hotline.case", target_field="summary", **kwargs
            )

    def test_email_to_alias_registers_a_case(self):
        case = self._mail_in(MAIL_WITH_ATTACHMENT, self.alias_leader.alias_full_name, "湖滨路 3 号水管漏水 (mail test)")
        self.assertEqual(len(case), 1)
        self.assertEqual(case.source, "leader_mailbox")
        self.assertRegex(case.name, r"^12319-\d{4}-\d+$", "numbered like any case, not named after the subject")
        self.assertEqual(case.channel, "email")
        self.assertIn("漏水两天", case.description)
        self.assertEqual(case.partner_id.email, "liuyang@example.com", "the sender becomes the caller")
        self.assertEqual(case.caller_name, "刘洋")
        self.assertIn("liuyang@example.com", case.email_from)
        self.assertEqual(case.attachment_ids.mapped("name"), ["pipe.pdf"], "the photo is kept on the case")
        self.assertFalse(self._texts(case), "an e-mail case is answered by e-mail, not by text")
        registered = case.message_ids.filtered(lambda m: case.partner_id in m.partner_ids)
        self.assertTrue(registered, "the registration notice went to the sender")

    def test_web_alias_and_known_sender(self):
        known = self.env["res.partner"].create(
            {"name": "赵敏", "email": "zhaomin@example.com", "mobile": "13700001111"}
        )
        case = self._mail_in(
            MAIL_REPLY, self.alias_web.alias_full_name, "网上留言：噪音扰民", email_from="赵敏 <zhaomin@example.com>"
        )
        self.assertEqual(case.source, "web")
        self.assertEqual(case.channel, "email")
        self.assertEqual(case.partner_id, known, "a known sender is found, not duplicated")
        self.assertEqual(case.caller_phone, "13700001111")

    def test_reply_lands_in_the_chatter(self):
        msg_id = "<hotline-first-1@example.com>"
        case = self._mail_in(MAIL_WITH_ATTACHMENT, self.alias_leader.alias_full_name, "东湖区停水", msg_id=msg_id)
        count = len(case.message_ids)
        with self.mock_mail_gateway():
            self.format_and_process(
                MAIL_REPLY,
                "刘洋 <liuyang@example.com>",
                self.alias_leader.alias_full_name,
                subject="Re: 东湖区停水",
                extra=f"In-Reply-To: {msg_id}\nReferences: {msg_id}",
                target_model="hotline.case",
                target_field="summary",
            )
        self.assertEqual(self.env["hotline.case"].search_count([("summary", "like", "东湖区停水")]), 1)
        self.assertEqual(len(case.message_ids), count + 1)
        self.assertIn("晚上漏得更厉害", case.message_ids[0].body)
