from odoo.tests import Form, tagged

from .common import HotlineCaseCommon


@tagged("post_install", "-at_install")
class TestRegistration(HotlineCaseCommon):
    def test_caller_found_by_phone_as_typed(self):
        with Form(self.env["hotline.case"].with_user(self.operator)) as form:
            form.caller_phone = "177-0000-1111"
            self.assertEqual(form.partner_id, self.caller)
            self.assertEqual(form.caller_name, self.caller.name)
            form.summary = "停水"
            form.category_id = self.cat_water
        case = form.save()
        self.assertEqual(case.partner_id, self.caller)
        self.assertEqual(case.caller_phone_normalized, "+8617700001111")
        self.assertEqual(case.user_id, self.operator)

    def test_unknown_phone_leaves_the_caller_empty(self):
        with Form(self.env["hotline.case"].with_user(self.operator)) as form:
            form.caller_phone = "17700005555"
            self.assertFalse(form.partner_id)
            form.caller_name = "李四"
            form.summary = "咨询"
        self.assertFalse(form.save().partner_id)

    def test_choosing_the_caller_fills_name_and_phone(self):
        with Form(self.env["hotline.case"].with_user(self.operator)) as form:
            form.partner_id = self.caller
            self.assertEqual(form.caller_phone, "17700001111")
            self.assertEqual(form.caller_name, self.caller.name)
            form.summary = "咨询"

    def test_create_from_an_api_finds_the_caller(self):
        case = self._create_case(caller_phone="+86 177 0000 1111", caller_name=False)
        self.assertEqual(case.partner_id, self.caller)
        self.assertEqual(case.caller_name, self.caller.name)
        anonymous = self._create_case(caller_phone="17700001111", anonymous=True)
        self.assertFalse(anonymous.partner_id)

    def test_earlier_cases_of_the_caller_are_shown(self):
        earlier = self._create_case(partner_id=self.caller.id, caller_phone="17700001111")
        by_phone_only = self._create_case(caller_phone="0086 17700001111", anonymous=True)
        self._create_case(caller_phone="17700003333")
        with Form(self.env["hotline.case"].with_user(self.operator)) as form:
            form.caller_phone = "17700001111"
            self.assertEqual(form.partner_case_count, 2)
            form.summary = "又停水了"
        case = form.save()
        self.assertEqual(set(case.partner_case_ids.ids), {earlier.id, by_phone_only.id})
        action = case.action_view_partner_cases()
        self.assertEqual(self.env["hotline.case"].search(action["domain"]), earlier | by_phone_only)

    def test_partner_case_count_and_smart_button(self):
        self._create_case(partner_id=self.caller.id)
        self._create_case(partner_id=self.caller.id)
        self.assertEqual(self.caller.hotline_case_count, 2)
        action = self.caller.action_hotline_view_cases()
        self.assertEqual(self.env["hotline.case"].search(action["domain"]).partner_id, self.caller)
        self.assertEqual(action["context"]["default_partner_id"], self.caller.id)

    def test_attachments_belong_to_the_case(self):
        attachment = self.env["ir.attachment"].with_user(self.operator).create({"name": "photo.jpg", "raw": b"x"})
        case = self._create_case(attachment_ids=[(6, 0, attachment.ids)])
        self.assertEqual((attachment.res_model, attachment.res_id), ("hotline.case", case.id))
