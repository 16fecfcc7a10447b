import re
from datetime import timedelta

from odoo import fields
from odoo.tests import HttpCase, new_test_user, tagged
from odoo.tests.common import JsonRpcException


class HotlinePortalCommon(HttpCase):
    """Two departments with one portal user each, and a case dispatched to each department."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(context=dict(cls.env.context, no_reset_password=True))
        env = cls.env
        cls.department_a = env["hotline.department"].create({"name": "Portal Water Works", "code": "T-PORTAL-A"})
        cls.department_b = env["hotline.department"].create({"name": "Portal Gas Works", "code": "T-PORTAL-B"})
        cls.category = env["hotline.category"].create(
            {"name": "Portal Water Leak", "code": "T-PORTAL-LEAK", "department_id": cls.department_a.id}
        )
        cls.service_type = env["hotline.service.type"].create({"name": "Portal Complaint", "code": "t_portal"})
        cls.supervisor = new_test_user(
            env, login="portal_supervisor", groups="hotline_base.group_hotline_supervisor", tz="Asia/Shanghai"
        )
        cls.staff_a = new_test_user(
            env,
            login="staff_a",
            groups="base.group_portal",
            hotline_department_id=cls.department_a.id,
            tz="Asia/Shanghai",
        )
        cls.staff_b = new_test_user(
            env,
            login="staff_b",
            groups="base.group_portal",
            hotline_department_id=cls.department_b.id,
            tz="Asia/Shanghai",
        )
        cls.case_a = cls._dispatched_case("水管爆裂 A-PORTAL-SUMMARY", "13800138000", cls.department_a)
        cls.case_b = cls._dispatched_case("燃气异味 B-SECRET-SUMMARY", "13900139000", cls.department_b)
        cls.attachment_b = env["ir.attachment"].create(
            {
                "name": "b-secret.txt",
                "raw": b"B-SECRET-CONTENT",
                "res_model": "hotline.case",
                "res_id": cls.case_b.id,
            }
        )
        cls.case_b.attachment_ids = cls.attachment_b

    @classmethod
    def _dispatched_case(cls, summary, phone, department):
        case = (
            cls.env["hotline.case"]
            .with_user(cls.supervisor)
            .create(
                {
                    "summary": summary,
                    "caller_name": "张先生",
                    "caller_phone": phone,
                    "category_id": cls.category.id,
                    "service_type_id": cls.service_type.id,
                    "address": "人民路 12 号",
                }
            )
        )
        case.action_accept()
        case.department_id = department
        case.action_dispatch()
        return case.with_env(cls.env)

    # helpers

    def _csrf(self, case):
        page = self.url_open(f"/my/hotline/{case.id}")
        self.assertEqual(page.status_code, 200)
        match = re.search(r'csrf_token: "([^"]+)"', page.text)
        self.assertTrue(match, "the page carries the session's CSRF token")
        return match[1]

    def _post(self, case, action, data=None, files=None):
        payload = dict(data or {}, csrf_token=self._csrf(case))
        return self.url_open(f"/my/hotline/{case.id}/{action}", data=payload, files=files)

    def _attachment_links(self, case):
        page = self.url_open(f"/my/hotline/{case.id}")
        found = re.findall(
            r'href="(/web/content/\d+\?download=true&amp;access_token=[^"]+)"[^>]*>\s*'
            r'<i class="fa fa-paperclip me-1"></i>([^<]+)<',
            page.text,
        )
        return {url: name.strip() for url, name in found}


@tagged("post_install", "-at_install")
class TestPortal(HotlinePortalCommon):
    # ------------------------------------------------------------
    # the list
    # ------------------------------------------------------------

    def test_list_shows_only_the_department_cases(self):
        self.authenticate("staff_a", "staff_ax")
        response = self.url_open("/my/hotline?filterby=all")
        self.assertEqual(response.status_code, 200)
        self.assertIn(self.case_a.name, response.text)
        self.assertIn("A-PORTAL-SUMMARY", response.text)
        self.assertNotIn(self.case_b.name, response.text)
        self.assertNotIn("B-SECRET-SUMMARY", response.text)

    def test_list_search_filter_and_sort(self):
        other = self._dispatched_case("路灯不亮 OTHER-SUMMARY", "13700137000", self.department_a)
        self.authenticate("staff_a", "staff_ax")
        found = self.url_open("/my/hotline?search=OTHER-SUMMARY&search_in=summary")
        self.assertIn(other.name, found.text)
        self.assertNotIn(self.case_a.name, found.text)
        by_number = self.url_open(f"/my/hotline?search={self.case_a.name}&search_in=name")
        self.assertIn(self.case_a.name, by_number.text)
        self.assertNotIn(other.name, by_number.text)
        # overdue filter: only the case whose deadline has passed, with its mark
        self.case_a.sudo().write({"deadline": fields.Datetime.now() - timedelta(hours=2)})
        overdue = self.url_open("/my/hotline?filterby=overdue")
        self.assertIn(self.case_a.name, overdue.text)
        self.assertNotIn(other.name, overdue.text)
        self.assertIn("o_hotline_overdue", overdue.text)
        # sorting by deadline puts the late case first; an unknown sort falls back to the default
        ordered = self.url_open("/my/hotline?sortby=deadline")
        self.assertLess(ordered.text.index(self.case_a.name), ordered.text.index(other.name))
        self.assertEqual(self.url_open("/my/hotline?sortby=drop_table&filterby=nope").status_code, 200)

    def test_list_pager(self):
        for index in range(21):
            self._dispatched_case(f"批量 PAGER-{index:02d}", "13600136000", self.department_a)
        self.authenticate("staff_a", "staff_ax")
        first = self.url_open("/my/hotline?search=PAGER-&search_in=summary")
        self.assertEqual(first.text.count("o_hotline_case_row"), 20)
        second = self.url_open("/my/hotline/page/2?search=PAGER-&search_in=summary")
        self.assertEqual(second.text.count("o_hotline_case_row"), 1)

    def test_home_counter(self):
        self.authenticate("staff_a", "staff_ax")
        result = self.make_jsonrpc_request("/my/counters", {"counters": ["hotline_case_count"]})
        self.assertEqual(result["hotline_case_count"], 1)
        home = self.url_open("/my/home")
        self.assertIn("/my/hotline", home.text)

    def test_user_without_department_sees_nothing(self):
        new_test_user(self.env, login="nodept", groups="base.group_portal")
        self.authenticate("nodept", "nodeptxx")
        response = self.url_open("/my/hotline?filterby=all")
        self.assertEqual(response.status_code, 200)
        self.assertNotIn(self.case_a.name, response.text)
        self.assertEqual(self.url_open(f"/my/hotline/{self.case_a.id}").status_code, 404)

    # ------------------------------------------------------------
    # access to one case
    # ------------------------------------------------------------

    def test_case_page_masks_the_phone(self):
        self.authenticate("staff_a", "staff_ax")
        page = self.url_open(f"/my/hotline/{self.case_a.id}")
        self.assertEqual(page.status_code, 200)
        self.assertIn("A-PORTAL-SUMMARY", page.text)
        self.assertIn("138****8000", page.text)
        self.assertNotIn("13800138000", page.text)
        self.env["ir.config_parameter"].sudo().set_param("hotline_case.portal_show_phone", "True")
        page = self.url_open(f"/my/hotline/{self.case_a.id}")
        self.assertIn("13800138000", page.text)

    def test_other_department_case_is_not_found(self):
        self.authenticate("staff_a", "staff_ax")
        for url in (f"/my/hotline/{self.case_b.id}", "/my/hotline/987654321"):
            response = self.url_open(url)
            self.assertEqual(response.status_code, 404)
            self.assertNotIn("B-SECRET-SUMMARY", response.text)
            self.assertNotIn(self.case_b.name, response.text)
        # nor can it be acted upon
        csrf = self._csrf(self.case_a)
        response = self.url_open(f"/my/hotline/{self.case_b.id}/start", data={"csrf_token": csrf})
        self.assertEqual(response.status_code, 404)
        self.assertEqual(self.case_b.state, "assigned")

    def test_other_department_attachment_is_not_readable(self):
        self.authenticate("staff_a", "staff_ax")
        for url in (f"/web/content/{self.attachment_b.id}?download=true", f"/web/content/{self.attachment_b.id}"):
            response = self.url_open(url)
            self.assertIn(response.status_code, (403, 404))
            self.assertNotIn("B-SECRET-CONTENT", response.text)
        # the department that handles the case gets it from the case page
        self.authenticate("staff_b", "staff_bx")
        links = {name: url for url, name in self._attachment_links(self.case_b).items()}
        self.assertIn("b-secret.txt", links)
        response = self.url_open(links["b-secret.txt"].replace("&amp;", "&"))
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.content, b"B-SECRET-CONTENT")

    def test_assisting_department_reads_but_does_not_act(self):
        self.case_a.sudo().assist_department_ids = self.department_b
        self.authenticate("staff_b", "staff_bx")
        self.assertIn(self.case_a.name, self.url_open("/my/hotline?filterby=all").text)
        page = self.url_open(f"/my/hotline/{self.case_a.id}")
        self.assertEqual(page.status_code, 200)
        self.assertNotIn("o_hotline_start_form", page.text)
        response = self._post(self.case_a, "start")
        self.assertEqual(response.status_code, 400)
        self.assertIn("o_hotline_error", response.text)
        self.assertEqual(self.case_a.state, "assigned")

    # ------------------------------------------------------------
    # the department's actions
    # ------------------------------------------------------------

    def test_sign_off_and_submit_the_result_with_attachments(self):
        self.authenticate("staff_a", "staff_ax")
        response = self._post(self.case_a, "start")
        self.assertEqual(response.status_code, 200)
        self.assertIn("o_hotline_message", response.text)
        self.assertEqual(self.case_a.state, "in_progress")
        self.assertTrue(self.case_a.started_at)
        response = self._post(
            self.case_a,
            "feedback",
            data={"handling_result": "已更换破损水管，恢复供水。"},
            files=[
                ("attachments", ("photo.jpg", b"\xff\xd8\xff\xe0JPEGDATA", "image/jpeg")),
                ("attachments", ("report.txt", b"REPORT-A", "text/plain")),
            ],
        )
        self.assertEqual(response.status_code, 200)
        self.assertEqual(self.case_a.state, "feedback")
        self.assertEqual(self.case_a.handling_result, "已更换破损水管，恢复供水。")
        attachments = self.case_a.feedback_attachment_ids
        self.assertEqual(sorted(attachments.mapped("name")), ["photo.jpg", "report.txt"])
        self.assertEqual(set(attachments.mapped("res_model")), {"hotline.case"})
        self.assertEqual(set(attachments.mapped("res_id")), {self.case_a.id})
        report = attachments.filtered(lambda a: a.name == "report.txt")
        links = {name: url for url, name in self._attachment_links(self.case_a).items()}
        download = self.url_open(links["report.txt"].replace("&amp;", "&"))
        self.assertEqual(download.content, b"REPORT-A")
        # the other department cannot read the uploaded files
        self.authenticate("staff_b", "staff_bx")
        self.assertIn(self.url_open(f"/web/content/{report.id}?download=true").status_code, (403, 404))

    def test_return_to_the_centre(self):
        self.authenticate("staff_a", "staff_ax")
        response = self._post(self.case_a, "return", data={"reason": "不属于本单位管辖"})
        self.assertEqual(response.status_code, 200)
        self.assertTrue(response.url.endswith("/my/hotline?message=returned"), response.url)
        self.assertIn("o_hotline_message", response.text)
        self.assertEqual(self.case_a.state, "accepted")
        self.assertEqual(self.case_a.return_reason, "不属于本单位管辖")
        self.assertFalse(self.case_a.department_id)

    def test_ask_for_an_extension(self):
        day = fields.Date.today() + timedelta(days=60)
        self.authenticate("staff_a", "staff_ax")
        response = self._post(
            self.case_a, "extension", data={"new_deadline": f"{day}T18:00", "reason": "需协调施工单位"}
        )
        self.assertEqual(response.status_code, 200)
        extension = self.case_a.extension_ids
        self.assertEqual(len(extension), 1)
        self.assertEqual(extension.state, "requested")
        self.assertEqual(extension.reason, "需协调施工单位")
        # 18:00 in Shanghai is 10:00 UTC
        self.assertEqual(extension.requested_deadline, fields.Datetime.to_datetime(f"{day} 10:00:00"))
        self.assertEqual(extension.requested_by_id, self.staff_a)

    def test_answer_a_supervision(self):
        supervision = (
            self.env["hotline.case.supervision"]
            .with_user(self.supervisor)
            .create({"case_id": self.case_a.id, "level": "urge", "message": "请今日内反馈 SUPERVISION-MSG"})
        )
        self.authenticate("staff_a", "staff_ax")
        page = self.url_open(f"/my/hotline/{self.case_a.id}")
        self.assertIn("SUPERVISION-MSG", page.text)
        response = self._post(self.case_a, f"supervision/{supervision.id}/answer", data={"answer": "已安排抢修"})
        self.assertEqual(response.status_code, 200)
        self.assertEqual(supervision.state, "answered")
        self.assertEqual(supervision.answer, "已安排抢修")
        self.assertEqual(supervision.answered_by_id, self.staff_a)

    def test_comment_in_the_chatter(self):
        self.authenticate("staff_a", "staff_ax")
        self.make_jsonrpc_request(
            "/mail/message/post",
            {
                "thread_model": "hotline.case",
                "thread_id": self.case_a.id,
                "post_data": {"body": "PORTAL-COMMENT", "message_type": "comment"},
            },
        )
        self.assertIn("PORTAL-COMMENT", self.case_a.message_ids[0].body)
        self.assertEqual(self.case_a.message_ids[0].author_id, self.staff_a.partner_id)
        with self.assertRaises(JsonRpcException):
            self.make_jsonrpc_request(
                "/mail/message/post",
                {
                    "thread_model": "hotline.case",
                    "thread_id": self.case_b.id,
                    "post_data": {"body": "INTRUDER", "message_type": "comment"},
                },
            )
        self.assertNotIn("INTRUDER", "".join(self.case_b.message_ids.mapped("body")))

    # ------------------------------------------------------------
    # bad input: a clear message, nothing changes
    # ------------------------------------------------------------

    def test_bad_input_changes_nothing(self):
        later = fields.Date.today() + timedelta(days=60)
        earlier = fields.Date.today() - timedelta(days=1)
        self.authenticate("staff_a", "staff_ax")
        cases = [
            ("return", {"reason": "   "}, "Give the reason"),
            ("extension", {"new_deadline": later.strftime("%d/%m/%Y"), "reason": "x"}, "Enter the new deadline"),
            ("extension", {"new_deadline": f"{later}T18:00", "reason": ""}, "Give the reason for the extension"),
            ("extension", {"new_deadline": f"{earlier}T08:00", "reason": "late"}, "must be later"),
            ("feedback", {"handling_result": ""}, "Describe the handling result"),
            # wrong state: a result before signing off
            ("feedback", {"handling_result": "done"}, "o_hotline_error"),
        ]
        for action, data, expected in cases:
            with self.subTest(action=action, data=data):
                response = self._post(self.case_a, action, data=data)
                self.assertEqual(response.status_code, 400)
                self.assertIn("o_hotline_error", response.text)
                self.assertIn(expected, response.text)
                self.case_a.invalidate_recordset()
                self.assertEqual(self.case_a.state, "assigned")
                self.assertFalse(self.case_a.extension_ids)
                self.assertFalse(self.case_a.handling_result)
        # signing off twice: the second is refused with a message
        self._post(self.case_a, "start")
        response = self._post(self.case_a, "start")
        self.assertEqual(response.status_code, 400)
        self.assertIn("o_hotline_error", response.text)
        self.assertEqual(self.case_a.state, "in_progress")

    def test_post_without_csrf_is_refused(self):
        self.authenticate("staff_a", "staff_ax")
        with self.assertLogs("odoo.http", "WARNING") as logged:
            response = self.url_open(f"/my/hotline/{self.case_a.id}/start", data={"csrf_token": "forged"})
        self.assertIn("CSRF validation failed", logged.output[0])
        self.assertEqual(response.status_code, 400)
        self.assertEqual(self.case_a.state, "assigned")


@tagged("post_install", "-at_install")
class TestPortalIntegrity(HotlinePortalCommon):
    """What department staff see on their pages: nothing internal, nobody anonymous, nothing left behind."""

    def test_internal_note_files_stay_internal(self):
        note_file = self.env["ir.attachment"].create(
            {
                "name": "internal-memo.txt",
                "raw": b"INTERNAL-MEMO",
                "res_model": "hotline.case",
                "res_id": self.case_a.id,
            }
        )
        self.case_a.message_post(body="INTERNAL-NOTE-BODY", subtype_xmlid="mail.mt_note", attachment_ids=note_file.ids)
        public_file = self.env["ir.attachment"].create(
            {"name": "site-photo.jpg", "raw": b"PHOTO", "res_model": "hotline.case", "res_id": self.case_a.id}
        )
        self.case_a.message_post(
            body="Photo for the department",
            message_type="comment",
            subtype_xmlid="mail.mt_comment",
            attachment_ids=public_file.ids,
        )
        self.authenticate("staff_a", "staff_ax")
        page = self.url_open(f"/my/hotline/{self.case_a.id}")
        self.assertEqual(page.status_code, 200)
        self.assertNotIn("internal-memo.txt", page.text)
        self.assertNotIn("INTERNAL-NOTE-BODY", page.text)
        links = {name: url for url, name in self._attachment_links(self.case_a).items()}
        self.assertIn("site-photo.jpg", links)
        self.assertNotIn("internal-memo.txt", links)
        response = self.url_open(f"/web/content/{note_file.id}?download=true")
        self.assertIn(response.status_code, (403, 404))
        self.assertNotIn("INTERNAL-MEMO", response.text)

    def test_anonymous_caller_is_hidden_on_the_page(self):
        partner = self.env["res.partner"].create({"name": "匿名来电人 SECRET-NAME", "mobile": "13612345678"})
        self.case_a.sudo().write(
            {"anonymous": True, "caller_name": "SECRET-NAME", "partner_id": partner.id, "caller_phone": "13612345678"}
        )
        self.env["ir.config_parameter"].sudo().set_param("hotline_case.portal_show_phone", True)
        self.authenticate("staff_a", "staff_ax")
        page = self.url_open(f"/my/hotline/{self.case_a.id}")
        self.assertEqual(page.status_code, 200)
        self.assertIn("Anonymous", page.text)
        for secret in ("SECRET-NAME", "13612345678", "136****5678"):
            self.assertNotIn(secret, page.text)
        self.assertFalse(
            self.env["hotline.audit.log"].search([("action", "=", "phone_view"), ("res_id", "=", self.case_a.id)]),
            "no phone was shown, so none is logged",
        )

    def test_unmasked_phone_shown_to_a_department_is_logged(self):
        self.env["ir.config_parameter"].sudo().set_param("hotline_case.portal_show_phone", True)
        self.authenticate("staff_a", "staff_ax")
        page = self.url_open(f"/my/hotline/{self.case_a.id}")
        self.assertIn("13800138000", page.text)
        log = self.env["hotline.audit.log"].search([("action", "=", "phone_view"), ("res_id", "=", self.case_a.id)])
        self.assertEqual(log.user_id, self.staff_a)
        self.assertEqual(log.res_model, "hotline.case")
        # masked numbers are not personal data shown: not logged
        self.env["ir.config_parameter"].sudo().set_param("hotline_case.portal_show_phone", False)
        self.url_open(f"/my/hotline/{self.case_a.id}")
        self.assertEqual(
            self.env["hotline.audit.log"].search_count(
                [("action", "=", "phone_view"), ("res_id", "=", self.case_a.id)]
            ),
            1,
        )

    def test_transferred_case_leaves_the_old_department(self):
        supervision = (
            self.env["hotline.case.supervision"]
            .with_user(self.supervisor)
            .create({"case_id": self.case_a.id, "message": "SUPERVISION-TEXT 请说明进展"})
        )
        self.case_a.with_user(self.supervisor)._hotline_transfer(self.department_b, "属燃气管网")
        self.assertEqual(supervision.department_id, self.department_b)
        self.assertNotIn(self.staff_a.partner_id, self.case_a.message_partner_ids)

        self.authenticate("staff_a", "staff_ax")
        self.assertEqual(self.url_open(f"/my/hotline/{self.case_a.id}").status_code, 404)
        self.assertNotIn(self.case_a.name, self.url_open("/my/hotline?filterby=all").text)

        self.authenticate("staff_b", "staff_bx")
        page = self.url_open(f"/my/hotline/{self.case_a.id}")
        self.assertIn("SUPERVISION-TEXT", page.text)
        response = self._post(self.case_a, f"supervision/{supervision.id}/answer", data={"answer": "燃气公司已接手"})
        self.assertEqual(response.status_code, 200)
        self.assertEqual(supervision.state, "answered")
        self.assertEqual(supervision.answered_by_id, self.staff_b)

    def test_categories_are_shown_in_the_users_language(self):
        self.env["res.lang"]._activate_lang("zh_CN")
        parent = self.env["hotline.category"].create({"name": "Water Supply", "code": "T-PORTAL-WS"})
        parent.with_context(lang="zh_CN").name = "供水"
        self.category.parent_id = parent
        self.staff_a.lang = "zh_CN"
        self.authenticate("staff_a", "staff_ax")
        page = self.url_open(f"/my/hotline/{self.case_a.id}")
        self.assertIn("供水 / Portal Water Leak", page.text)
        self.assertNotIn("Water Supply", page.text)
