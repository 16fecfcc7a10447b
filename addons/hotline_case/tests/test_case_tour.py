from odoo.tests import HttpCase, new_test_user, tagged


@tagged("post_install", "-at_install")
class TestCaseTour(HttpCase):
    """A case's whole life in the browser: operator, shift supervisor, department portal, return visit."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(context=dict(cls.env.context, no_reset_password=True))
        env = cls.env
        # the shipped routing rules must not send the tour's case elsewhere
        env["hotline.routing.rule"].search([]).write({"active": False})
        cls.department = env["hotline.department"].create({"name": "巡回测试水务", "code": "T-TOUR-WATER"})
        cls.category = env["hotline.category"].create(
            {"name": "巡回测试漏水", "code": "T-TOUR-LEAK", "department_id": cls.department.id}
        )
        cls.service_type = env["hotline.service.type"].create({"name": "巡回测试投诉", "code": "t_tour_complaint"})
        cls.caller = env["res.partner"].create({"name": "巡回测试来电人", "phone": "0571-88027316"})
        # the centre's staff have no e-mail address, as most of them
        cls.operator = new_test_user(
            env, login="tour_operator", groups="hotline_base.group_hotline_operator", email=False
        )
        cls.supervisor = new_test_user(
            env, login="tour_supervisor", groups="hotline_base.group_hotline_supervisor", email=False
        )
        cls.staff = new_test_user(
            env, login="tour_staff", groups="base.group_portal", hotline_department_id=cls.department.id
        )

    def test_case_life_in_the_browser(self):
        Case = self.env["hotline.case"]
        self.start_tour(
            "/odoo/action-hotline_case.hotline_case_action_new",
            "hotline_case_register_tour",
            login="tour_operator",
            timeout=180,
        )
        case = Case.search([("summary", "like", "TOUR-CASE")])
        self.assertEqual(len(case), 1)
        self.assertEqual(case.state, "new")
        self.assertEqual(case.partner_id, self.caller, "the caller was found from the typed number")
        self.assertEqual(case.category_id, self.category)
        self.assertEqual(case.service_type_id, self.service_type)
        self.assertEqual(case.user_id, self.operator)
        self.assertTrue(case.name.startswith("12319-"))

        form_url = f"/odoo/action-hotline_case.hotline_case_action/{case.id}"
        self.start_tour(form_url, "hotline_case_dispatch_tour", login="tour_supervisor", timeout=180)
        self.assertEqual(case.state, "assigned")
        self.assertEqual(case.department_id, self.department)
        self.assertEqual(case.accept_user_id, self.supervisor)

        self.start_tour("/my/hotline", "hotline_case_portal_tour", login="tour_staff", timeout=180)
        self.assertEqual(case.state, "feedback")
        self.assertIn("恢复供水", case.handling_result)
        self.assertTrue(case.started_at)

        self.start_tour(form_url, "hotline_case_close_tour", login="tour_supervisor", timeout=180)
        self.assertEqual(case.state, "done")
        self.assertEqual(case.satisfaction, "satisfied")
        self.assertEqual(case.return_visit_user_id, self.supervisor)
