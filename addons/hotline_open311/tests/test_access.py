from odoo.exceptions import AccessError
from odoo.tests import tagged

from .common import Open311Common


@tagged("post_install", "-at_install")
class TestOpen311Access(Open311Common):
    def test_only_administrators_manage_keys(self):
        Client = self.env["hotline.open311.client"]
        values = {"name": "Partner system (test)", "owner_id": self.owner.id}
        for user in (self.operator, self.supervisor, self.manager):
            with self.assertRaises(AccessError):
                Client.with_user(user).create(values)
            with self.assertRaises(AccessError):
                self.client.with_user(user).write({"rate_limit": 0})
            with self.assertRaises(AccessError):
                self.client.with_user(user).action_revoke()
            with self.assertRaises(AccessError):
                self.client.with_user(user).unlink()
            with self.assertRaises(AccessError):
                self.client.with_user(user).read(["api_key"])
            with self.assertRaises(AccessError):
                self.env["hotline.open311.log"].with_user(user).search([])
        self.assertEqual(self.client.state, "active")

        client = Client.with_user(self.admin).create(values)
        self.assertTrue(client.api_key)
        self.assertNotEqual(client.api_key, self.api_key)
        client.action_revoke()
        self.assertEqual(client.state, "revoked")
        self.assertTrue(client.revoked_at)
        self.env["hotline.open311.log"].with_user(self.admin).search([])

    def test_operators_read_the_client_name_not_the_key(self):
        client = self.client.with_user(self.operator)
        self.assertEqual(client.name, "市民通 (test)")
        with self.assertRaises(AccessError):
            client.api_key  # noqa: B018

    def test_department_staff_see_no_client(self):
        with self.assertRaises(AccessError):
            self.client.with_user(self.staff_water).read(["name"])

    def test_service_setup_is_for_administrators(self):
        attribute = self.cat_water.open311_attribute_ids[0]
        for user in (self.operator, self.supervisor):
            with self.assertRaises(AccessError):
                attribute.with_user(user).write({"required": True})
            with self.assertRaises(AccessError):
                self.cat_private.with_user(user).write({"open311_public": True})
        attribute.with_user(self.admin).write({"required": True})
        self.cat_private.with_user(self.admin).write({"open311_public": True})
        self.assertTrue(self.cat_private.open311_public)

    def test_submission_fields_are_set_by_the_api_only(self):
        case = self._submit()
        for user in (self.operator, self.supervisor, self.admin):
            with self.assertRaises(AccessError):
                case.with_user(user).write({"open311_media_url": "https://evil.example.com/x.jpg"})
        with self.assertRaises(AccessError):
            self.env["hotline.case"].with_user(self.operator).create(
                {"summary": "伪造 (test)", "category_id": self.cat_water.id, "open311_client_id": self.client.id}
            )
        self.assertEqual(case.open311_media_url, "https://img.example.city/photos/leak-1.jpg")
        # the case's own fields stay the operators' to edit
        case.with_user(self.operator).address = "云江市东湖区湖滨路 20 号"
        self.assertEqual(case.address, "云江市东湖区湖滨路 20 号")

    def test_department_reads_the_report_not_the_submitter(self):
        case = self._submit()
        case.with_user(self.supervisor).action_accept()
        case.with_user(self.supervisor).action_dispatch()
        staff_case = case.with_user(self.staff_water)
        values = staff_case.read(["open311_description", "open311_media_url", "open311_attributes_text"])[0]
        self.assertEqual(values["open311_media_url"], "https://img.example.city/photos/leak-1.jpg")
        self.assertIn("Meter number: 12345678", values["open311_attributes_text"])
        for field_name in ("open311_client_id", "open311_email", "open311_account_id", "open311_device_id"):
            with self.assertRaises(AccessError):
                staff_case.read([field_name])
