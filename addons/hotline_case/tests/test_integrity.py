from datetime import timedelta

from odoo import Command, fields
from odoo.api import call_kw
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import Form, tagged
from odoo.tools import mute_logger

from .common import HotlineCaseCommon


@tagged("post_install", "-at_install")
class TestWorkflowGuard(HotlineCaseCommon):
    """State, stage dates, deadlines, overdue flags, numbers and logs move only through the workflow."""

    def test_operator_cannot_close_or_void_by_writing_the_state(self):
        case = self._create_case()
        for state in ("done", "cancel", "accepted"):
            with self.subTest(state=state), self.assertRaises(AccessError):
                case.with_user(self.operator).write({"state": state})
        self.assertEqual(case.state, "new")
        self.assertEqual(case.stage_log_ids.mapped("state"), ["new"])

    def test_nobody_but_the_superuser_writes_time_limits_and_stage_data(self):
        case = self._dispatch(self._create_case())
        later = fields.Datetime.now() + timedelta(days=30)
        attempts = {
            "deadline": later,
            "handle_deadline": later,
            "warning_at": later,
            "stage_start": later,
            "is_overdue": True,
            "overdue_state": "overdue",
            "handle_overdue": True,
            "processing_number": "FORGED-1",
            "dispatched_at": later,
            "closed_at": later,
            "return_count": 5,
        }
        before = case.read(list(attempts))[0]
        for user in (self.operator, self.supervisor, self.manager, self.admin):
            for name, value in attempts.items():
                with self.subTest(user=user.login, field=name), self.assertRaises(AccessError):
                    case.with_user(user).write({name: value})
        self.assertEqual(case.read(list(attempts))[0], before, "nothing was changed")
        case.sudo().write({"deadline": later})
        self.assertEqual(case.deadline, later, "the superuser (migrations, the cron) still may")

    def test_stage_log_cannot_be_rewritten_through_the_case(self):
        case = self._create_case()
        log = case.stage_log_ids
        with self.assertRaises(AccessError):
            case.with_user(self.supervisor).write({"stage_log_ids": [Command.unlink(log.id)]})
        with self.assertRaises(AccessError):
            case.with_user(self.supervisor).write(
                {"stage_log_ids": [Command.create({"state": "done", "date_in": fields.Datetime.now()})]}
            )
        self.assertEqual(case.stage_log_ids, log)

    def test_a_case_cannot_be_registered_past_its_first_stage(self):
        Case = self.env["hotline.case"].with_user(self.operator)
        for values in ({"state": "done"}, {"deadline": fields.Datetime.now()}, {"processing_number": "X-1"}):
            with self.subTest(values=values), self.assertRaises(AccessError):
                Case.create({"summary": "路灯不亮", **values})
        case = Case.create({"summary": "路灯不亮", "state": "new", "overdue_state": "on_time"})
        self.assertEqual(case.state, "new")

    def test_department_changes_after_dispatch_only_by_transfer(self):
        case = self._accept(self._create_case())
        case.with_user(self.supervisor).department_id = self.dept_gas
        self.assertEqual(case.department_id, self.dept_gas, "free until dispatched")
        case.with_user(self.supervisor).action_dispatch()
        with self.assertRaisesRegex(UserError, "transfer it"):
            case.with_user(self.supervisor).department_id = self.dept_water
        self.assertEqual(case.department_id, self.dept_gas)
        case.with_user(self.supervisor)._hotline_transfer(self.dept_water, "属供水管网")
        self.assertEqual(case.department_id, self.dept_water)

    def test_content_stays_editable(self):
        case = self._dispatch(self._create_case())
        case.with_user(self.operator).write({"summary": "水管爆裂，已关阀", "address": "湖滨路 2 号"})
        self.assertEqual(case.summary, "水管爆裂，已关阀")


@tagged("post_install", "-at_install")
class TestDeletion(HotlineCaseCommon):
    def test_staff_void_cases_instead_of_deleting_them(self):
        case = self._dispatch(self._create_case())
        supervision = (
            self.env["hotline.case.supervision"]
            .with_user(self.supervisor)
            .create({"case_id": case.id, "message": "请尽快处理"})
        )
        for user in (self.operator, self.supervisor, self.manager):
            with self.subTest(user=user.login), self.assertRaises(AccessError):
                case.with_user(user).unlink()
        self.assertTrue(case.exists())
        self.assertTrue(case.stage_log_ids.exists())
        self.assertTrue(case.department_log_ids.exists())
        self.assertTrue(supervision.exists())

    def test_administrator_deletes_only_voided_or_unprocessed_cases(self):
        processed = self._dispatch(self._create_case())
        with self.assertRaisesRegex(UserError, "void it"):
            processed.with_user(self.admin).unlink()
        self.assertTrue(processed.exists())

        accepted_then_returned = self._accept(self._create_case())
        accepted_then_returned.sudo()._hotline_write({"state": "new"})
        with self.assertRaisesRegex(UserError, "void it"):
            accepted_then_returned.with_user(self.admin).unlink()

        mistaken = self._create_case(summary="误建工单")
        voided = self._dispatch(self._create_case())
        voided.with_user(self.supervisor)._hotline_cancel("重复来电")
        names = (mistaken | voided).mapped("name")
        (mistaken | voided).with_user(self.admin).unlink()
        self.assertFalse((mistaken | voided).exists())

        logs = self.env["hotline.audit.log"].search([("action", "=", "case_delete"), ("user_id", "=", self.admin.id)])
        self.assertEqual(len(logs), 2)
        self.assertEqual(set(logs.mapped("res_model")), {"hotline.case"})
        self.assertEqual(set(logs.mapped("res_name")), set(names))


@tagged("post_install", "-at_install")
class TestUsersWithoutEmail(HotlineCaseCommon):
    """Most operators and supervisors have no mailbox: every step works for them."""

    def test_the_whole_workflow_without_an_email_address(self):
        self.assertFalse(self.operator.email)
        self.assertFalse(self.supervisor.email)
        self.staff_water.email = "water-duty@example.city"
        self.env.company.email = "hotline@example.city"
        case = self._dispatch(self._create_case())
        dispatch_message = case.message_ids.filtered(lambda m: m.author_id == self.supervisor.partner_id)[:1]
        self.assertTrue(dispatch_message, "the supervisor's dispatch notice was posted")
        self.assertIn(self.staff_water.partner_id, dispatch_message.notified_partner_ids)
        self.assertIn("hotline@example.city", dispatch_message.email_from)
        self.assertIn(self.supervisor.name, dispatch_message.email_from)

        supervision = (
            self.env["hotline.case.supervision"]
            .with_user(self.supervisor)
            .create({"case_id": case.id, "level": "warn", "message": "今天内处理"})
        )
        self.assertEqual(supervision.state, "open")
        supervision.with_user(self.supervisor).action_close()
        case.with_user(self.staff_water).sudo()._hotline_return_to_center("请重新派单")
        # what the department tells the centre reaches the supervisor's Odoo inbox, not a missing mailbox
        self.assertEqual(self.supervisor.notification_type, "inbox")
        returned = case.message_ids[0]
        notification = returned.notification_ids.filtered(lambda n: n.res_partner_id == self.supervisor.partner_id)
        self.assertEqual(notification.notification_type, "inbox")
        self._dispatch(case, self.dept_water)
        case.with_user(self.staff_water).sudo().action_start()
        case.with_user(self.staff_water).sudo()._hotline_submit_feedback("已修复")
        case.with_user(self.supervisor).action_verify()
        case.with_user(self.operator).write({"satisfaction": "satisfied"})
        case.with_user(self.operator).action_return_visit()
        self.assertEqual(case.state, "done")

    @mute_logger("odoo.addons.mail.models.mail_mail")
    def test_messages_still_go_out_when_the_centre_has_no_address(self):
        # no address to send e-mail from: the e-mails fail (muted), the inbox notifications do not
        self.env.company.email = False
        self.env["ir.config_parameter"].sudo().set_param("mail.default.from", False)
        case = self._dispatch(self._create_case())
        message = case.message_ids.filtered(lambda m: m.author_id == self.supervisor.partner_id)[:1]
        self.assertIn(self.staff_water.partner_id, message.notified_partner_ids)


@tagged("post_install", "-at_install")
class TestRegistrationNeedsASummary(HotlineCaseCommon):
    def _next_number(self):
        sequence = self.env["ir.sequence"].search([("code", "=", "hotline.case")], limit=1)
        return sequence.number_next_actual

    def test_no_case_without_summary_and_no_number_consumed(self):
        Case = self.env["hotline.case"].with_user(self.operator)
        number = self._next_number()
        for summary in (None, False, "", "   "):
            values = {"caller_phone": "13512319999"}
            if summary is not None:
                values["summary"] = summary
            with self.subTest(summary=summary), self.assertRaises(ValidationError):
                Case.create(values)
        self.assertEqual(self._next_number(), number, "no case number was used up")
        self.assertFalse(Case.search([("caller_phone", "=", "13512319999")]))

    def test_an_untouched_form_is_never_saved(self):
        form = Form(self.env["hotline.case"].with_user(self.operator))
        with self.assertRaisesRegex(AssertionError, "summary"):
            form.save()
        form.summary = "燃气管道异味"
        case = form.save()
        self.assertEqual(case.summary, "燃气管道异味")

    def test_the_summary_cannot_be_emptied(self):
        case = self._create_case()
        with self.assertRaises(ValidationError):
            case.with_user(self.operator).write({"summary": " "})


@tagged("post_install", "-at_install")
class TestHandOver(HotlineCaseCommon):
    """A department that no longer handles a case stops following it; its open supervisions move on."""

    def _supervise(self, case):
        return (
            self.env["hotline.case.supervision"]
            .with_user(self.supervisor)
            .create({"case_id": case.id, "message": "请说明进展"})
        )

    def test_transfer_moves_followers_and_supervisions(self):
        case = self._dispatch(self._create_case())
        self.assertIn(self.staff_water.partner_id, case.message_partner_ids)
        supervision = self._supervise(case)
        self.assertEqual(supervision.department_id, self.dept_water)

        case.with_user(self.supervisor)._hotline_transfer(self.dept_gas, "属燃气管网")

        self.assertNotIn(self.staff_water.partner_id, case.message_partner_ids)
        self.assertIn(self.staff_gas.partner_id, case.message_partner_ids)
        self.assertEqual(supervision.department_id, self.dept_gas)
        self.assertFalse(case.with_user(self.staff_water).search([("id", "=", case.id)]))
        gas_view = supervision.with_user(self.staff_gas)
        self.assertEqual(gas_view.read(["message"])[0]["message"], "请说明进展")
        gas_view.sudo()._hotline_answer("已安排抢修")
        self.assertEqual(supervision.state, "answered")

        case.message_post(body="进展", message_type="comment", subtype_xmlid="mail.mt_comment")
        last = case.message_ids[0]
        self.assertNotIn(self.staff_water.partner_id, last.notified_partner_ids)

    def test_return_to_the_centre_takes_the_supervisions_back(self):
        case = self._dispatch(self._create_case())
        supervision = self._supervise(case)
        case.with_user(self.staff_water).sudo()._hotline_return_to_center("不属本单位职责")
        self.assertNotIn(self.staff_water.partner_id, case.message_partner_ids)
        self.assertFalse(supervision.department_id)
        self.assertFalse(
            self.env["hotline.case.supervision"].with_user(self.staff_water).search([("id", "=", supervision.id)])
        )

    def test_assisting_department_keeps_following(self):
        case = self._accept(self._create_case())
        case.with_user(self.supervisor).assist_department_ids = self.dept_gas
        self._dispatch(case)
        case.with_user(self.supervisor)._hotline_transfer(self.dept_roads, "道路权属")
        self.assertIn(self.staff_gas.partner_id, case.message_partner_ids)
        self.assertNotIn(self.staff_water.partner_id, case.message_partner_ids)


@tagged("post_install", "-at_install")
class TestAnonymousAndReferenceData(HotlineCaseCommon):
    """What department staff read by RPC: no anonymous caller, no one's contact details."""

    def test_anonymous_caller_never_reaches_department_staff(self):
        case = self._dispatch(
            self._create_case(anonymous=True, partner_id=self.caller.id, latitude=30.5, longitude=114.3)
        )
        staff_case = case.with_user(self.staff_water)
        for name in ("caller_name", "caller_phone", "partner_id", "latitude", "longitude", "caller_vip"):
            with self.subTest(field=name), self.assertRaises(AccessError):
                staff_case.read([name])
        with self.assertRaises(AccessError):
            staff_case.search([("caller_name", "ilike", "张")])
        with self.assertRaises(AccessError):
            staff_case.search([("partner_id", "=", self.caller.id)])
        shown = staff_case.read(["caller_name_display", "caller_phone_display"])[0]
        self.assertEqual(shown["caller_name_display"], "Anonymous")
        self.assertFalse(shown["caller_phone_display"])
        # the centre still knows who called
        self.assertEqual(case.with_user(self.operator).caller_name_display, "张三")
        self.assertEqual(case.with_user(self.operator).caller_phone_display, "17700002222")

    def test_named_caller_is_shown_with_a_masked_phone(self):
        case = self._dispatch(self._create_case())
        shown = case.with_user(self.staff_water).read(["caller_name_display", "caller_phone_display"])[0]
        self.assertEqual(shown["caller_name_display"], "张三")
        self.assertNotEqual(shown["caller_phone_display"], "17700002222")
        self.assertTrue(shown["caller_phone_display"].endswith("2222"))

    def test_department_staff_read_names_only(self):
        self.dept_gas.sudo().write({"email": "gas@example.city", "duty_phone": "0710-1234567"})
        department = self.dept_gas.with_user(self.staff_water)
        self.assertEqual(department.read(["display_name"])[0]["display_name"], "Gas (test)")
        for name in ("email", "duty_phone", "member_ids", "manager_user_id", "calendar_id"):
            with self.subTest(field=name), self.assertRaises(AccessError):
                department.read([name])
        with self.assertRaises(AccessError):
            self.policy.with_user(self.staff_water).read(["name"])
        # the centre reads them
        self.assertEqual(self.dept_gas.with_user(self.operator).duty_phone, "0710-1234567")


@tagged("post_install", "-at_install")
class TestAttachmentsAndImport(HotlineCaseCommon):
    def test_someone_elses_pending_upload_cannot_be_taken(self):
        upload = (
            self.env["ir.attachment"]
            .with_user(self.supervisor)
            .create({"name": "photo.jpg", "raw": b"JPEG", "res_model": "mail.compose.message", "res_id": 0})
        )
        case = self._create_case()
        with self.assertRaises(AccessError):
            case.with_user(self.operator).write({"attachment_ids": [Command.link(upload.id)]})
        self.assertEqual(upload.res_model, "mail.compose.message")
        own = (
            self.env["ir.attachment"]
            .with_user(self.operator)
            .create({"name": "mine.jpg", "raw": b"JPEG", "res_model": "mail.compose.message", "res_id": 0})
        )
        case.with_user(self.operator).write({"attachment_ids": [Command.link(own.id)]})
        self.assertEqual((own.res_model, own.res_id), ("hotline.case", case.id))

    def test_load_keeps_the_orm_signature_over_rpc(self):
        fields_ = ["summary", "caller_name", "caller_phone"]
        rows = [["井盖缺失", "李女士", "13800138111"]]
        result = call_kw(self.env["hotline.case"].with_user(self.supervisor), "load", [fields_, rows], {})
        self.assertFalse(result["messages"], result["messages"])
        self.assertEqual(len(result["ids"]), 1)
        self.assertEqual(self.env["hotline.case"].browse(result["ids"]).summary, "井盖缺失")
        bad = call_kw(self.env["hotline.case"].with_user(self.supervisor), "load", [fields_, [["", "x", "1"]]], {})
        self.assertTrue(bad["messages"])
        self.assertFalse(bad["ids"])
