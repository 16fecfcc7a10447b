import re

from odoo.tests import HttpCase, new_test_user, tagged


@tagged("post_install", "-at_install")
class TestComponentPortal(HttpCase):
    """Department staff keep their own components up to date through the portal, and see no other's."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(context=dict(cls.env.context, no_reset_password=True))
        env = cls.env
        cls.water = env["hotline.department"].create({"name": "Portal Water (components)", "code": "T-PC-W"})
        cls.gas = env["hotline.department"].create({"name": "Portal Gas (components)", "code": "T-PC-G"})
        cover = env["hotline.component.type"].create({"code": "T-PC-0101", "name": "上水井盖 (portal test)"})
        cls.mine = env["hotline.component"].create(
            {
                "code": "T-PC-WATER-01",
                "type_id": cover.id,
                "latitude": 30.58,
                "longitude": 114.30,
                "department_id": cls.water.id,
            }
        )
        cls.theirs = env["hotline.component"].create(
            {
                "code": "T-PC-GAS-SECRET",
                "type_id": cover.id,
                "latitude": 30.59,
                "longitude": 114.31,
                "department_id": cls.gas.id,
            }
        )
        cls.staff = new_test_user(
            env, login="pc_staff_water", groups="base.group_portal", hotline_department_id=cls.water.id
        )

    def setUp(self):
        super().setUp()
        self.authenticate("pc_staff_water", "pc_staff_water")

    def _save(self, component, data):
        page = self.url_open(f"/my/hotline/components/{component.id}")
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)[1]
        return self.url_open(f"/my/hotline/components/{component.id}/save", data=dict(data, csrf_token=token))

    def test_list_shows_only_the_departments_components(self):
        page = self.url_open("/my/hotline/components?filterby=all")
        self.assertEqual(page.status_code, 200)
        self.assertIn("T-PC-WATER-01", page.text)
        self.assertNotIn("T-PC-GAS-SECRET", page.text)
        self.assertEqual(self.url_open(f"/my/hotline/components/{self.theirs.id}").status_code, 404)
        self.assertIn("T-PC-WATER-01", self.url_open("/my/hotline/components?search=WATER").text)

    def test_staff_update_state_and_position(self):
        response = self._save(
            self.mine, {"state": "damaged", "address": "湖滨路 18 号", "latitude": "30.5812", "longitude": "114.3021"}
        )
        self.assertEqual(response.status_code, 200)
        self.assertIn("o_hotline_message", response.text)
        self.assertEqual(self.mine.state, "damaged")
        self.assertEqual(self.mine.address, "湖滨路 18 号")
        self.assertAlmostEqual(self.mine.latitude, 30.5812)

    def test_bad_coordinates_are_refused_and_change_nothing(self):
        response = self._save(self.mine, {"state": "removed", "address": "X", "latitude": "north", "longitude": "1"})
        self.assertEqual(response.status_code, 400)
        self.assertIn("o_hotline_error", response.text)
        self.assertIn('value="north"', response.text, "what was typed is kept in the form")
        self.mine.invalidate_recordset()
        self.assertEqual(self.mine.state, "in_use")
        out_of_range = self._save(self.mine, {"state": "in_use", "address": "", "latitude": "95", "longitude": "1"})
        self.assertEqual(out_of_range.status_code, 400)
        self.assertIn("out of range", out_of_range.text)
        self.mine.invalidate_recordset()
        self.assertAlmostEqual(self.mine.latitude, 30.58)

    def test_no_saving_another_departments_component(self):
        token_page = self.url_open(f"/my/hotline/components/{self.mine.id}")
        token = re.search(r'name="csrf_token" value="([^"]+)"', token_page.text)[1]
        response = self.url_open(
            f"/my/hotline/components/{self.theirs.id}/save",
            data={"state": "removed", "latitude": "1", "longitude": "1", "csrf_token": token},
        )
        self.assertEqual(response.status_code, 404)
        self.assertEqual(self.theirs.state, "in_use")
