from psycopg2 import IntegrityError

from odoo.tests import tagged
from odoo.tools import mute_logger

from .common import HotlineBaseCommon


@tagged("post_install", "-at_install")
class TestReferenceData(HotlineBaseCommon):
    def test_seed_categories_and_service_types(self):
        top = self.env["hotline.category"].search(
            [
                ("parent_id", "=", False),
                (
                    "code",
                    "in",
                    [
                        "WATER_SUPPLY",
                        "POWER_SUPPLY",
                        "GAS_SUPPLY",
                        "HEATING_SUPPLY",
                        "MUNICIPAL_ADMINISTRATION",
                        "REAL_ESTATE_MANAGEMENT",
                        "ADMINISTRATIVE_LAW_ENFORCEMENT",
                        "ENVIRONMENTAL_PROTECTION",
                        "URBAN_PLANNING",
                        "CITY_APPEARANCE_SANITATION",
                        "LANDSCAPING",
                        "PROPERTY_MANAGEMENT",
                        "BUILDING_QUALITY",
                        "OTHERS",
                    ],
                ),
            ]
        )
        self.assertEqual(len(top), 14)
        codes = set(self.env["hotline.service.type"].search([]).mapped("code"))
        self.assertLessEqual(
            {"consultation", "complaint", "criticism_suggestion", "incident_report", "praise", "other"}, codes
        )

    def test_codes_are_unique(self):
        with mute_logger("odoo.sql_db"), self.assertRaises(IntegrityError), self.cr.savepoint():
            self.env["hotline.department"].create({"name": "Copy", "code": "T-WATER"})

    def test_hierarchy_names_and_default_department(self):
        parent = self.env["hotline.category"].create(
            {"name": "Water", "code": "T-CAT-W", "department_id": self.department_water.id}
        )
        child = self.env["hotline.category"].create({"name": "Burst pipe", "code": "T-CAT-W1", "parent_id": parent.id})
        self.assertEqual(child.complete_name, "Water / Burst pipe")
        self.assertEqual(child._hotline_default_department(), self.department_water)
        self.assertEqual(self.district_east_street.complete_name, "East / Lakeside Street")

    def test_path_is_shown_in_the_users_language(self):
        self.env["res.lang"]._activate_lang("zh_CN")
        parent = self.env["hotline.category"].create({"name": "Water", "code": "T-CAT-W"})
        child = self.env["hotline.category"].create({"name": "Burst pipe", "code": "T-CAT-W1", "parent_id": parent.id})
        parent.with_context(lang="zh_CN").name = "供水"
        child.with_context(lang="zh_CN").name = "爆管"
        self.assertEqual(child.with_context(lang="zh_CN").display_name, "供水 / 爆管")
        self.assertEqual(child.with_context(lang="en_US").display_name, "Water / Burst pipe")

    def test_department_calendar_falls_back_to_the_company(self):
        self.assertEqual(self.department_water._hotline_get_calendar(), self.env.company.resource_calendar_id)
        calendar = self.env["resource.calendar"].create({"name": "24/7"})
        self.department_water.calendar_id = calendar
        self.assertEqual(self.department_water._hotline_get_calendar(), calendar)

    def test_calendar_day_overrides(self):
        Day = self.env["hotline.calendar.day"]
        Day.create({"date": "2031-10-01", "name": "National Day"})
        Day.create({"date": "2031-10-11", "day_type": "workday", "name": "Make-up day"})
        overrides = Day._hotline_overrides("2031-10-01", "2031-10-31")
        self.assertEqual({str(k): v for k, v in overrides.items()}, {"2031-10-01": "holiday", "2031-10-11": "workday"})

    def test_blacklist_expires(self):
        partner = self.env["res.partner"].create(
            {"name": "Nuisance", "hotline_blacklisted": True, "hotline_blacklist_until": "2000-01-01"}
        )
        self.assertFalse(partner.hotline_blacklist_active)
        partner.hotline_blacklist_until = False
        self.assertTrue(partner.hotline_blacklist_active)
        partner.action_hotline_blacklist_lift()
        self.assertFalse(partner.hotline_blacklisted)
