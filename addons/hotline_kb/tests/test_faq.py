from odoo.tests import HttpCase, tagged

from .common import HotlineKbCommon


@tagged("post_install", "-at_install")
class TestFaq(HotlineKbCommon, HttpCase):
    def test_public_faq_search_and_answer(self):
        page = self.url_open("/hotline/faq?search=" + "我家小区停水了怎么办")
        self.assertEqual(page.status_code, 200)
        self.assertIn(self.water_outage.name, page.text)
        self.assertIn("<mark>停水</mark>", page.text)
        self.assertNotIn(self.water_pressure.name, page.text, "internal answers stay internal")
        self.assertNotIn(self.draft.name, page.text)
        answer = self.url_open(f"/hotline/faq/{self.water_outage.id}")
        self.assertEqual(answer.status_code, 200)
        self.assertIn("送水车", answer.text)

    def test_internal_and_draft_answers_are_not_found(self):
        for article in (self.water_pressure, self.draft, self.outdated):
            response = self.url_open(f"/hotline/faq/{article.id}")
            self.assertEqual(response.status_code, 404)
            self.assertNotIn(article.name, response.text)

    def test_faq_by_category(self):
        page = self.url_open(f"/hotline/faq?category={self.cat_gas.id}")
        self.assertIn(self.gas_leak.name, page.text)
        self.assertNotIn(self.water_outage.name, page.text)
        self.assertIn("No answer found", self.url_open("/hotline/faq?search=火星").text)

    def test_department_staff_also_find_their_categories_answers(self):
        self.authenticate("kb_staff_water", "kb_staff_water")
        page = self.url_open("/hotline/faq?search=水压低")
        self.assertIn(self.water_pressure.name, page.text, "internal, but of the department's category")
        self.assertEqual(self.url_open(f"/hotline/faq/{self.water_pressure.id}").status_code, 200)
        self.assertEqual(self.url_open(f"/hotline/faq/{self.heating.id}").status_code, 404)
        self.assertNotIn(self.heating.name, self.url_open("/hotline/faq?search=供暖期").text)
