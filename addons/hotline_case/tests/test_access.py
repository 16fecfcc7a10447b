from odoo import Command
from odoo.exceptions import AccessError
from odoo.tests import tagged

from .common import HotlineCaseCommon


@tagged("post_install", "-at_install")
class TestAccess(HotlineCaseCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.case_a = cls._make_case(cls.district_a)
        cls.case_a_street = cls._make_case(cls.district_a_street)
        cls.case_b = cls._make_case(cls.district_b)

    @classmethod
    def _make_case(cls, district):
        return cls.env["hotline.case"].create(
            {"summary": "test", "district_id": district.id, "category_id": cls.cat_water.id}
        )

    def test_district_scoped_user_sees_only_their_districts(self):
        Case = self.env["hotline.case"].with_user(self.district_operator)
        visible = Case.search([("id", "in", (self.case_a | self.case_a_street | self.case_b).ids)])
        self.assertEqual(visible, self.case_a | self.case_a_street, "own district and its streets")
        with self.assertRaises(AccessError):
            self.case_b.with_user(self.district_operator).read(["summary"])

    def test_unscoped_user_sees_the_whole_city(self):
        Case = self.env["hotline.case"].with_user(self.operator)
        visible = Case.search([("id", "in", (self.case_a | self.case_a_street | self.case_b).ids)])
        self.assertEqual(len(visible), 3)

    def test_district_scope_applies_to_supervisors_too(self):
        self.supervisor.hotline_district_ids = [Command.set(self.district_b.ids)]
        Case = self.env["hotline.case"].with_user(self.supervisor)
        visible = Case.search([("id", "in", (self.case_a | self.case_b).ids)])
        self.assertEqual(visible, self.case_b)

    def test_operator_creates_and_writes_but_cannot_delete(self):
        case = self._create_case()
        case.with_user(self.operator).summary = "改"
        with self.assertRaises(AccessError):
            case.with_user(self.operator).unlink()

    def test_portal_reads_only_their_department(self):
        water_case = self._dispatch(self._create_case())
        gas_case = self._dispatch(self._create_case(category_id=self.cat_gas.id))
        not_dispatched = self._accept(self._create_case())
        Case = self.env["hotline.case"].with_user(self.staff_water)
        self.assertEqual(Case.search([]), water_case)
        self.assertEqual(not_dispatched.department_id, self.dept_water)
        water_case.with_user(self.staff_water).read(["summary", "caller_phone_display", "deadline"])
        with self.assertRaises(AccessError):
            gas_case.with_user(self.staff_water).read(["summary"])
        with self.assertRaises(AccessError):
            not_dispatched.with_user(self.staff_water).read(["summary"])
        with self.assertRaises(AccessError):
            water_case.with_user(self.staff_water).write({"summary": "改"})

    def test_portal_of_an_assisting_department_reads(self):
        case = self._create_case()
        self._accept(case)
        case.with_user(self.supervisor).assist_department_ids = [Command.set(self.dept_gas.ids)]
        self._dispatch(case)
        self.assertEqual(self.env["hotline.case"].with_user(self.staff_gas).search([]), case)

    def test_portal_without_department_reads_nothing(self):
        self._dispatch(self._create_case())
        self.staff_water.hotline_department_id = False
        self.assertFalse(self.env["hotline.case"].with_user(self.staff_water).search([]))

    def test_portal_cannot_read_other_departments_attachments(self):
        gas_case = self._dispatch(self._create_case(category_id=self.cat_gas.id))
        attachment = self.env["ir.attachment"].create(
            {"name": "现场照片.jpg", "raw": b"secret", "res_model": "hotline.case", "res_id": gas_case.id}
        )
        gas_case.attachment_ids = [Command.link(attachment.id)]
        with self.assertRaises(AccessError):
            attachment.with_user(self.staff_water).read(["name", "datas"])
        with self.assertRaises(AccessError):
            gas_case.with_user(self.staff_water).attachment_ids.mapped("datas")
        # even with the rights on attachments an internal user has, the case's rule decides
        self.assertFalse(attachment.with_user(self.staff_water).sudo(False).has_access("read"))

    def test_caller_phone_is_masked_for_departments(self):
        case = self._dispatch(self._create_case(caller_phone="17700001111"))
        as_staff = case.with_user(self.staff_water)
        self.assertEqual(as_staff.caller_phone_display, "177****1111")
        with self.assertRaises(AccessError):
            as_staff.read(["caller_phone"])
        self.assertEqual(case.with_user(self.operator).caller_phone_display, "17700001111")
        self.env["ir.config_parameter"].sudo().set_param("hotline_case.portal_show_phone", "True")
        as_staff.invalidate_recordset(["caller_phone_display"])
        self.assertEqual(as_staff.caller_phone_display, "17700001111")

    def test_portal_reads_stage_log_of_own_cases_only(self):
        water_case = self._dispatch(self._create_case())
        gas_case = self._dispatch(self._create_case(category_id=self.cat_gas.id))
        logs = self.env["hotline.case.stage.log"].with_user(self.staff_water).search([])
        self.assertEqual(logs.case_id, water_case)
        self.assertNotIn(gas_case, logs.case_id)
