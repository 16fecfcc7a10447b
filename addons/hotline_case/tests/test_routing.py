from odoo import Command
from odoo.tests import tagged

from .common import HotlineCaseCommon


@tagged("post_install", "-at_install")
class TestRouting(HotlineCaseCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Rule = cls.env["hotline.routing.rule"]

    def _rule(self, department, sequence=10, **values):
        vals = {"name": f"Rule {sequence}", "sequence": sequence, "department_id": department.id}
        vals.update(values)
        return self.Rule.create(vals)

    def test_category_default_without_rules(self):
        case = self._create_case()
        self.assertEqual(case._hotline_find_department(), self.dept_water)

    def test_subcategory_inherits_the_parent_default(self):
        case = self._create_case(category_id=self.cat_water_leak.id)
        self.assertEqual(case._hotline_find_department(), self.dept_water)

    def test_no_rule_and_no_default(self):
        case = self._create_case(category_id=self.cat_other.id)
        self.assertFalse(case._hotline_find_department())

    def test_first_matching_rule_by_sequence_wins(self):
        self._rule(self.dept_gas, sequence=20, category_ids=[Command.set(self.cat_water.ids)])
        self._rule(self.dept_roads, sequence=10, category_ids=[Command.set(self.cat_water.ids)])
        case = self._create_case()
        self.assertEqual(case._hotline_find_department(), self.dept_roads)

    def test_rule_on_parent_category_matches_subcategory(self):
        self._rule(self.dept_roads, category_ids=[Command.set(self.cat_water.ids)])
        case = self._create_case(category_id=self.cat_water_leak.id)
        self.assertEqual(case._hotline_find_department(), self.dept_roads)
        # a rule on the subcategory does not catch the parent category
        self.Rule.search([]).unlink()
        self._rule(self.dept_roads, category_ids=[Command.set(self.cat_water_leak.ids)])
        self.assertEqual(self._create_case()._hotline_find_department(), self.dept_water)

    def test_district_rule_includes_sub_districts(self):
        self._rule(self.dept_roads, district_ids=[Command.set(self.district_a.ids)])
        street_case = self._create_case(district_id=self.district_a_street.id)
        other_case = self._create_case(district_id=self.district_b.id)
        self.assertEqual(street_case._hotline_find_department(), self.dept_roads)
        self.assertEqual(other_case._hotline_find_department(), self.dept_water)

    def test_service_type(self):
        self._rule(self.dept_roads, service_type_ids=[Command.set(self.type_consult.ids)])
        self.assertEqual(self._create_case()._hotline_find_department(), self.dept_water)
        consult = self._create_case(service_type_id=self.type_consult.id)
        self.assertEqual(consult._hotline_find_department(), self.dept_roads)

    def test_keywords(self):
        self._rule(self.dept_gas, keywords="燃气, 煤气味，液化气")
        smell = self._create_case(summary="楼道有煤气味", category_id=self.cat_other.id)
        in_details = self._create_case(
            summary="异味", description="<p>疑似<b>液化气</b>泄漏</p>", category_id=self.cat_other.id
        )
        unrelated = self._create_case(summary="路灯不亮", category_id=self.cat_other.id)
        self.assertEqual(smell._hotline_find_department(), self.dept_gas)
        self.assertEqual(in_details._hotline_find_department(), self.dept_gas)
        self.assertFalse(unrelated._hotline_find_department())

    def test_all_criteria_must_match(self):
        self._rule(
            self.dept_roads,
            category_ids=[Command.set(self.cat_water.ids)],
            district_ids=[Command.set(self.district_b.ids)],
            keywords="爆管",
        )
        case = self._create_case(summary="爆管", district_id=self.district_a.id)
        self.assertEqual(case._hotline_find_department(), self.dept_water)
        case.district_id = self.district_b
        self.assertEqual(case._hotline_find_department(), self.dept_roads)

    def test_archived_rule_is_ignored(self):
        self._rule(self.dept_roads, active=False)
        self.assertEqual(self._create_case()._hotline_find_department(), self.dept_water)

    def test_acceptance_fills_the_department_unless_set(self):
        self._rule(self.dept_roads, keywords="爆管")
        routed = self._accept(self._create_case(summary="主干道爆管"))
        self.assertEqual(routed.department_id, self.dept_roads)
        chosen = self._create_case(summary="主干道爆管", department_id=self.dept_gas.id)
        self._accept(chosen)
        self.assertEqual(chosen.department_id, self.dept_gas)
