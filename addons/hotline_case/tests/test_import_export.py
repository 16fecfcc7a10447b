import base64
import io
import re
import zipfile

from odoo.exceptions import AccessError
from odoo.tests import tagged
from odoo.tools import mute_logger

from .common import HotlineCaseCommon


@tagged("post_install", "-at_install")
class TestImportExport(HotlineCaseCommon):
    # ------------------------------------------------------------
    # import of earlier registrations (base_import)
    # ------------------------------------------------------------

    def _import(self, rows):
        return self._import_earlier_cases(rows, quoted=True)

    def _imported(self):
        return self.env["hotline.case"].search([("name", "=like", "12319-2023-IMP%")])

    def test_import_matches_reference_data_by_code_or_name(self):
        result = self._import(
            [
                # category by code, the others by code
                [
                    "12319-2023-IMP001",
                    "2023-03-05 09:30:00",
                    "王女士",
                    "13800138001",
                    "停水",
                    "东湖路 1 号",
                    "T-C-WATER-LEAK",
                    "T-COMPLAINT",
                    "T-DH",
                    "T-WATER",
                ],
                # category by its full path, the others by name
                [
                    "12319-2023-IMP002",
                    "2023-03-06 10:00:00",
                    "李先生",
                    "13800138002",
                    "漏水",
                    "西山路 2 号",
                    "Water (test) / Leak (test)",
                    "Consultation (test)",
                    "西山区 (test)",
                    "Gas (test)",
                ],
                # a subcategory by its own name, a sub-district by code
                [
                    "12319-2023-IMP003",
                    "2023-03-07 11:00:00",
                    "赵先生",
                    "13800138003",
                    "水压低",
                    "湖滨街 3 号",
                    "Leak (test)",
                    "T-CONSULT",
                    "T-DH-HB",
                    "T-ROADS",
                ],
            ]
        )
        self.assertFalse([m for m in result["messages"] if m["type"] == "error"], result["messages"])
        cases = self._imported().sorted("name")
        self.assertEqual(cases.mapped("name"), ["12319-2023-IMP001", "12319-2023-IMP002", "12319-2023-IMP003"])
        self.assertEqual(cases.category_id, self.cat_water_leak)
        self.assertEqual(cases.mapped("service_type_id"), self.type_complaint | self.type_consult)
        self.assertEqual(cases.mapped("district_id"), self.district_a | self.district_b | self.district_a_street)
        self.assertEqual(cases.mapped("department_id"), self.dept_water | self.dept_gas | self.dept_roads)
        self.assertEqual(cases[0].reported_at.date().isoformat(), "2023-03-05")
        self.assertEqual(set(cases.mapped("state")), {"new"})

    def test_import_bad_row_imports_nothing(self):
        count_before = self.env["hotline.case"].search_count([])
        result = self._import(
            [
                [
                    "12319-2023-IMP101",
                    "2023-04-01 08:00:00",
                    "王女士",
                    "13800138001",
                    "停水",
                    "东湖路 1 号",
                    "T-C-WATER",
                    "T-COMPLAINT",
                    "T-DH",
                    "T-WATER",
                ],
                [
                    "12319-2023-IMP102",
                    "2023-04-02 08:00:00",
                    "李先生",
                    "13800138002",
                    "漏气",
                    "西山路 2 号",
                    "不存在的分类",
                    "T-COMPLAINT",
                    "T-XS",
                    "T-GAS",
                ],
                [
                    "12319-2023-IMP103",
                    "2023-04-03 08:00:00",
                    "赵先生",
                    "13800138003",
                    "堵路",
                    "湖滨街 3 号",
                    "T-C-OTHER",
                    "T-COMPLAINT",
                    "T-DH",
                    "T-ROADS",
                ],
            ]
        )
        errors = [m for m in result["messages"] if m["type"] == "error"]
        self.assertEqual(len(errors), 1, result["messages"])
        self.assertEqual(errors[0]["rows"]["from"], 1)
        self.assertTrue(errors[0]["message"].startswith("Row 2: "), errors[0]["message"])
        self.assertIn("不存在的分类", errors[0]["message"])
        self.assertFalse(result["ids"])
        self.assertFalse(self._imported(), "no row of a file with an error is imported")
        self.assertEqual(self.env["hotline.case"].search_count([]), count_before)

    @mute_logger("odoo.sql_db")
    def test_import_duplicate_number_imports_nothing(self):
        self.env["hotline.case"].create({"name": "12319-2023-IMP201", "summary": "已有工单"})
        result = self._import(
            [
                [
                    "12319-2023-IMP202",
                    "2023-05-01 08:00:00",
                    "王女士",
                    "13800138001",
                    "停水",
                    "东湖路 1 号",
                    "T-C-WATER",
                    "T-COMPLAINT",
                    "T-DH",
                    "T-WATER",
                ],
                [
                    "12319-2023-IMP201",
                    "2023-05-02 08:00:00",
                    "李先生",
                    "13800138002",
                    "漏气",
                    "西山路 2 号",
                    "T-C-GAS",
                    "T-COMPLAINT",
                    "T-XS",
                    "T-GAS",
                ],
            ]
        )
        errors = [m for m in result["messages"] if m["type"] == "error"]
        self.assertTrue(errors, result["messages"])
        self.assertFalse(result["ids"])
        self.assertEqual(self._imported().mapped("name"), ["12319-2023-IMP201"])

    # ------------------------------------------------------------
    # batch export to xlsx
    # ------------------------------------------------------------

    def _cases(self, count=3, **extra):
        Case = self.env["hotline.case"].with_user(self.operator)
        return Case.create(
            [
                {
                    "summary": f"导出测试 EXPORT-{index}",
                    "caller_name": "张三",
                    "caller_phone": "13800138000",
                    "category_id": self.cat_water.id,
                    "service_type_id": self.type_complaint.id,
                    "district_id": self.district_a.id,
                    "address": f"人民路 {index} 号",
                    **extra,
                }
                for index in range(count)
            ]
        )

    @staticmethod
    def _xlsx_strings(data):
        """The text of an xlsx file's cells (shared strings), read with zipfile (no extra library)."""
        with zipfile.ZipFile(io.BytesIO(data)) as workbook:
            names = workbook.namelist()
            text = workbook.read("xl/sharedStrings.xml").decode() if "xl/sharedStrings.xml" in names else ""
            sheet = workbook.read("xl/worksheets/sheet1.xml").decode()
        return re.findall(r"<t[^>]*>([^<]*)</t>", text), sheet.count("<row ")

    def test_export_selection_to_xlsx(self):
        cases = self._cases(3)
        wizard = (
            self.env["hotline.case.export"]
            .with_user(self.operator)
            .with_context(active_model="hotline.case", active_ids=cases.ids)
            .create({})
        )
        self.assertEqual(wizard.case_count, 3)
        action = wizard.action_export()
        self.assertEqual(action["type"], "ir.actions.act_url")
        self.assertTrue(wizard.file_name.endswith(".xlsx"))
        strings, row_count = self._xlsx_strings(base64.b64decode(wizard.file_data))
        self.assertEqual(row_count, 4, "a header row and one row per case")
        for case in cases:
            self.assertIn(case.name, strings)
            self.assertIn(case.summary, strings)
        self.assertIn("138****8000", strings)
        self.assertNotIn("13800138000", strings)
        self.assertIn("Case Number", strings)

    def test_export_headers_in_chinese(self):
        self.env["res.lang"]._activate_lang("zh_CN")
        cases = self._cases(1)
        wizard = self.env["hotline.case.export"].with_user(self.operator).create({"case_ids": cases.ids})
        data = wizard.with_context(lang="zh_CN")._hotline_xlsx(cases)
        strings, _rows = self._xlsx_strings(data)
        self.assertIn("工单编号", strings)
        self.assertIn("问题摘要", strings)
        self.assertIn(cases.name, strings)

    def test_export_respects_access(self):
        outside = self._cases(1, district_id=self.district_b.id)
        wizard = self.env["hotline.case.export"].with_user(self.district_operator).create({})
        with self.assertRaises(AccessError):
            wizard._hotline_xlsx(outside.with_user(self.district_operator))

    def test_operators_cannot_unmask_the_export(self):
        cases = self._cases(1)
        Export = self.env["hotline.case.export"].with_user(self.operator)
        with self.assertRaises(AccessError):
            Export.create({"case_ids": cases.ids, "mask_phones": False})
        wizard = Export.create({"case_ids": cases.ids})
        self.assertFalse(wizard.can_unmask)
        with self.assertRaises(AccessError):
            wizard.write({"mask_phones": False})
        # a flag set past the check (by the superuser) still does not unmask for an operator
        wizard.sudo().mask_phones = False
        strings, _rows = self._xlsx_strings(wizard._hotline_xlsx(cases.with_user(self.operator)))
        self.assertIn("138****8000", strings)
        self.assertNotIn("13800138000", strings)

    def test_supervisors_may_unmask_the_export(self):
        cases = self._cases(1) | self._cases(1, anonymous=True)
        wizard = (
            self.env["hotline.case.export"]
            .with_user(self.supervisor)
            .create({"case_ids": cases.ids, "mask_phones": False})
        )
        self.assertTrue(wizard.can_unmask)
        strings, _rows = self._xlsx_strings(wizard._hotline_xlsx(cases.with_user(self.supervisor)))
        self.assertIn("13800138000", strings)
        self.assertIn("138****8000", strings, "an anonymous caller's number stays masked")
