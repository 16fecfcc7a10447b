from odoo.tests import Form, tagged

from odoo.addons.hotline_base.tools import mask_phone, normalize_phone

from .common import HotlineBaseCommon


@tagged("post_install", "-at_install")
class TestPhone(HotlineBaseCommon):
    def test_normalize_spellings_of_a_mobile(self):
        spellings = [
            "13800138000",
            "138 0013 8000",
            "138-0013-8000",
            "+86 138 0013 8000",
            "+8613800138000",
            "0086 13800138000",
            "(+86) 138-0013-8000",
            " 138\u30000013 8000 ",
        ]
        for spelling in spellings:
            with self.subTest(spelling=spelling):
                self.assertEqual(normalize_phone(spelling, "CN"), "+8613800138000")

    def test_normalize_spellings_of_a_landline(self):
        for spelling in ["0755-12345678", "0755 1234 5678", "+86 755 1234 5678", "(0755)12345678", "12345678"]:
            with self.subTest(spelling=spelling):
                self.assertEqual(normalize_phone(spelling, "CN", area_code="755"), "+8675512345678")

    def test_local_number_needs_an_area_code(self):
        self.assertFalse(normalize_phone("12345678", "CN"))

    def test_invalid_input_never_raises(self):
        for bad in ["", "   ", "abc", "12", "++--", "1" * 40, "110", None, False, 12345]:
            with self.subTest(bad=bad):
                self.assertFalse(normalize_phone(bad, "CN"))

    def test_unknown_region_does_not_raise(self):
        self.assertFalse(normalize_phone("12345", "ZZ"))

    def test_mask(self):
        self.assertEqual(mask_phone("13800138000"), "138****8000")
        self.assertEqual(mask_phone("+86 138 0013 8000"), "+86 1** **** 8000")
        self.assertEqual(mask_phone("110"), "***")
        self.assertFalse(mask_phone(False))

    def test_partner_normalized_and_found_by_any_spelling(self):
        partner = self.env["res.partner"].create({"name": "Zhang San", "mobile": "138 0013 8000"})
        other = self.env["res.partner"].create({"name": "Li Si", "phone": "0755-8765 4321"})
        self.assertEqual(partner.hotline_phone_normalized, "+8613800138000")
        self.assertEqual(partner.hotline_mobile_normalized, "+8613800138000")
        self.assertFalse(partner.hotline_phone_invalid)
        Partner = self.env["res.partner"]
        for spelling in ["13800138000", "+86 138-0013-8000", "008613800138000"]:
            self.assertEqual(Partner._hotline_find_by_phone(spelling), partner)
        for spelling in ["87654321", "075587654321", "+86 755 8765 4321"]:
            self.assertEqual(Partner._hotline_find_by_phone(spelling), other)
        self.assertFalse(Partner._hotline_find_by_phone("13312345678"))
        self.assertFalse(Partner._hotline_find_by_phone("not a number"))

    def test_find_uses_the_index(self):
        self.env["res.partner"].create({"name": "Zhang San", "mobile": "13800138000"})
        self.env.flush_all()
        with self.assertQueryCount(2):  # the settings, then one indexed lookup
            self.env["res.partner"]._hotline_find_by_phone("138 0013 8000")
        self.env.cr.execute(
            "SELECT indexname FROM pg_indexes WHERE tablename = 'res_partner' AND indexdef LIKE %s",
            ["%hotline_phone_normalized%"],
        )
        self.assertTrue(self.env.cr.fetchall(), "hotline_phone_normalized must be indexed")

    def test_invalid_number_kept_as_typed_and_flagged(self):
        partner = self.env["res.partner"].create({"name": "Typo", "phone": "12-34"})
        self.assertEqual(partner.phone, "12-34")
        self.assertFalse(partner.hotline_phone_normalized)
        self.assertTrue(partner.hotline_phone_invalid)
        partner.phone = "13800138000"
        self.assertFalse(partner.hotline_phone_invalid)

    def test_invalid_number_in_a_form_does_not_crash(self):
        with Form(self.env["res.partner"]) as form:
            form.name = "Form Caller"
            form.phone = "call me maybe"
        self.assertTrue(form.record.hotline_phone_invalid)

    def test_invalid_number_in_an_import_keeps_every_row(self):
        result = self.env["res.partner"].load(
            ["name", "phone"], [["Good", "13800138000"], ["Bad", "phone?"], ["Landline", "0755-12345678"]]
        )
        self.assertFalse(result["messages"])
        partners = self.env["res.partner"].browse(result["ids"])
        self.assertEqual(partners.mapped("hotline_phone_invalid"), [False, True, False])
        self.assertEqual(partners[1].phone, "phone?")

    def test_search_any_spelling_from_the_search_view(self):
        partner = self.env["res.partner"].create({"name": "Zhang San", "mobile": "13800138000"})
        found = self.env["res.partner"].search([("hotline_phone_search", "ilike", "+86 138 0013 8000")])
        self.assertIn(partner, found)

    def test_changing_the_area_code_recomputes_numbers(self):
        partner = self.env["res.partner"].create({"name": "Local", "phone": "87654321"})
        self.assertEqual(partner.hotline_phone_normalized, "+8675587654321")
        settings = self.env["res.config.settings"].create({"hotline_area_code": "571"})
        settings.execute()
        partner.invalidate_recordset()
        self.assertEqual(partner.hotline_phone_normalized, "+8657187654321")

    def test_settings_refuse_a_bad_region(self):
        with self.assertRaisesRegex(Exception, "not a known phone region"):
            self.env["res.config.settings"].create({"hotline_phone_region": "XX"})
