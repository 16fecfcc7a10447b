from datetime import timedelta

from odoo.exceptions import UserError
from odoo.tests import Form, tagged

from .common import HotlineCaseCommon


@tagged("post_install", "-at_install")
class TestDuplicates(HotlineCaseCommon):
    def test_same_phone_is_a_possible_duplicate(self):
        first = self._create_case(caller_phone="17700002222", address="A 路 1 号")
        second = self._create_case(caller_phone="177 0000 2222", address="B 路 2 号", category_id=self.cat_gas.id)
        self.assertEqual(second.possible_duplicate_ids, first)
        self.assertEqual(first.possible_duplicate_ids, second)

    def test_same_address_and_category(self):
        first = self._create_case(caller_phone="17700002222", address="湖滨路 1 号")
        same = self._create_case(caller_phone="17700003333", address=" 湖滨路 1 号 ")
        other_category = self._create_case(
            caller_phone="17700004444", address="湖滨路 1 号", category_id=self.cat_gas.id
        )
        self.assertIn(first, same.possible_duplicate_ids)
        self.assertNotIn(other_category, same.possible_duplicate_ids)
        self.assertNotIn(first, other_category.possible_duplicate_ids)

    def test_window_is_configurable(self):
        now = self._utc(2026, 3, 9, 9, 0)
        old = self._create_case(reported_at=now - timedelta(days=10))
        new = self._create_case(reported_at=now)
        self.assertIn(old, new.possible_duplicate_ids)
        self.env["ir.config_parameter"].sudo().set_param("hotline_case.duplicate_days", "7")
        new.invalidate_recordset(["possible_duplicate_ids"])
        self.assertNotIn(old, new.possible_duplicate_ids)
        self.env["ir.config_parameter"].sudo().set_param("hotline_case.duplicate_days", "0")
        new.invalidate_recordset(["possible_duplicate_ids"])
        self.assertFalse(new.possible_duplicate_ids)

    def test_shown_on_the_registration_form(self):
        first = self._create_case(caller_phone="17700002222")
        with Form(self.env["hotline.case"].with_user(self.operator)) as form:
            form.caller_phone = "17700002222"
            self.assertEqual(form.possible_duplicate_count, 1)
            form.summary = "再次来电"
        self.assertEqual(form.save().possible_duplicate_ids, first)

    def test_merge_into_master(self):
        master = self._accept(self._create_case(caller_phone="17700002222"))
        duplicate = self._create_case(caller_phone="17700003333", address=master.address)
        self.assertIn(master, duplicate.possible_duplicate_ids)
        action = duplicate.with_user(self.supervisor).action_open_merge_wizard()
        self.assertEqual(action["context"]["default_master_id"], master.id)
        wizard = self.env["hotline.case.merge"].with_user(self.supervisor).with_context(action["context"]).create({})
        wizard.action_confirm()
        self.assertEqual(duplicate.duplicate_of_id, master)
        self.assertEqual(duplicate.state, "cancel")
        self.assertEqual(master.reporter_count, 2)
        self.assertEqual(master.state, "accepted")
        self.assertFalse(master.possible_duplicate_ids, "merged cases are no longer suggested")
        third = self._create_case(caller_phone="17700004444", address=master.address)
        third.with_user(self.supervisor)._hotline_merge_into(duplicate)  # goes to the master of the duplicate
        self.assertEqual(third.duplicate_of_id, master)
        self.assertEqual(master.reporter_count, 3)

    def test_merge_is_for_supervisors(self):
        master = self._create_case()
        duplicate = self._create_case()
        with self.assertRaisesRegex(UserError, "not allowed"):
            duplicate.with_user(self.operator)._hotline_merge_into(master)
        with self.assertRaisesRegex(UserError, "itself"):
            master.with_user(self.supervisor)._hotline_merge_into(master)
        self.assertFalse(duplicate.duplicate_of_id)
