from odoo.tests import tagged

from .common import HotlineCaseCommon


@tagged("post_install", "-at_install")
class TestBatchPaths(HotlineCaseCommon):
    """The batched paths of registration and import give what the one-by-one paths give."""

    def test_batched_caller_lookup_matches_the_single_one(self):
        other = self.env["res.partner"].create({"name": "李四 (test)", "phone": "0571-88001122"})
        vals_list = [
            {"summary": "停水", "caller_phone": "177 0000 1111"},
            {"summary": "停电", "caller_phone": "057188001122"},
            {"summary": "漏气", "caller_phone": "13912345678"},
            {"summary": "噪音", "caller_phone": "17700001111", "anonymous": True},
        ]
        cases = self.env["hotline.case"].with_user(self.operator).create(vals_list)
        self.assertEqual(cases.mapped("partner_id"), self.caller | other)
        self.assertEqual(cases[0].caller_name, self.caller.name)
        self.assertFalse(cases[2].partner_id)
        self.assertFalse(cases[3].partner_id, "an anonymous caller is not looked up")
        self.assertEqual(cases.mapped("reporter_count"), [1, 1, 1, 1])

    def test_import_with_a_bad_line_in_the_middle_creates_nothing(self):
        rows = [
            [
                f"12319-2022-B{index:03d}",
                f"2022-06-{1 + index % 28:02d} 09:00:00",
                "王女士",
                f"1380013{index:04d}",
                "路灯不亮",
                f"人民路 {index} 号",
                "NO-SUCH-CATEGORY" if index == 17 else "T-C-WATER",
                "T-COMPLAINT",
                "T-DH",
                "T-WATER",
            ]
            for index in range(1, 31)
        ]
        count_before = self.env["hotline.case"].search_count([])
        logs_before = self.env["hotline.case.stage.log"].search_count([])
        result = self._import_earlier_cases(rows)
        errors = [message for message in result["messages"] if message["type"] == "error"]
        self.assertEqual(len(errors), 1, result["messages"])
        self.assertTrue(errors[0]["message"].startswith("Row 17: "), errors[0]["message"])
        self.assertFalse(result["ids"])
        self.assertEqual(self.env["hotline.case"].search_count([]), count_before)
        self.assertEqual(self.env["hotline.case.stage.log"].search_count([]), logs_before)
        self.assertFalse(self.env["hotline.case"].search([("name", "=like", "12319-2022-B%")]))
