from odoo.tests import HttpCase, new_test_user, tagged

from .common import HotlineKbCommon


@tagged("post_install", "-at_install")
class TestKbTour(HotlineKbCommon, HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.service_type = cls.env["hotline.service.type"].create({"name": "KB 咨询", "code": "t_kb_consult"})
        cls.tour_operator = new_test_user(
            cls.env, login="kb_tour_operator", groups="hotline_base.group_hotline_operator", email=False
        )

    def test_answer_search_screen(self):
        self.start_tour(
            "/odoo/action-hotline_kb.hotline_kb_search_action", "hotline_kb_search_tour", login="kb_tour_operator"
        )
        self.water_outage.invalidate_recordset(["view_count"])
        self.assertEqual(self.water_outage.view_count, 1, "the answer read out was opened once")

    def test_answer_a_consultation_on_the_call(self):
        self.start_tour(
            "/odoo/action-hotline_case.hotline_case_action_new", "hotline_kb_case_tour", login="kb_tour_operator"
        )
        self.env.invalidate_all()
        case = self.env["hotline.case"].search([("summary", "=", "我家小区停水了怎么办")])
        self.assertEqual(len(case), 1)
        self.assertEqual(case.state, "done")
        self.assertEqual(case.resolution_type, "direct")
        self.assertEqual(case.kb_article_ids, self.water_outage)
        self.assertIn("送水车", case.handling_result)
        self.assertEqual(self.water_outage.helpful_count, 1)

    def test_earlier_versions_of_the_answer(self):
        self.heating.with_user(self.editor).body = "<p>本市供暖期为11月10日至次年3月20日。</p>"
        new_test_user(self.env, login="kb_tour_editor", groups="hotline_kb.group_hotline_kb_editor", email=False)
        self.start_tour(
            f"/odoo/action-hotline_kb.hotline_kb_article_action/{self.heating.id}",
            "hotline_kb_history_tour",
            login="kb_tour_editor",
        )
