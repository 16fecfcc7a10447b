from odoo.tests import HttpCase, new_test_user, tagged


@tagged("post_install", "-at_install")
class TestMapTour(HttpCase):
    """In the browser: a case registered by a click on the map, routed to the nearest cover's owner, on the map."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(context=dict(cls.env.context, no_reset_password=True))
        env = cls.env
        env["hotline.routing.rule"].search([]).write({"active": False})
        params = env["ir.config_parameter"].sudo()
        params.set_param("hotline_case.map_tile_url", False)  # offline: no tiles, the map says so
        params.set_param("hotline_case.geocoder_url", False)
        params.set_param("hotline_case.map_center", "31.2,121.5,17")
        cls.water = env["hotline.department"].create({"name": "巡回测试自来水公司", "code": "T-TOUR-MAP-W"})
        cls.roads = env["hotline.department"].create({"name": "巡回测试市政处", "code": "T-TOUR-MAP-R"})
        cover = env["hotline.component.type"].create(
            {"code": "T-TOUR-C0101", "name": "巡回测试上水井盖", "department_id": cls.water.id}
        )
        lamp = env["hotline.component.type"].create(
            {"code": "T-TOUR-C0122", "name": "巡回测试路灯", "department_id": cls.roads.id}
        )
        Component = env["hotline.component"]
        # 10 m and 60 m from the map's centre: the cover is the nearest
        cls.cover = Component.create(
            {
                "code": "T-TOUR-COVER-1",
                "name": "巡回测试井盖",
                "type_id": cover.id,
                "latitude": 31.20009,
                "longitude": 121.5,
            }
        )
        Component.create(
            {
                "code": "T-TOUR-LAMP-1",
                "name": "巡回测试路灯",
                "type_id": lamp.id,
                "latitude": 31.2,
                "longitude": 121.50063,
            }
        )
        new_test_user(env, login="map_operator", groups="hotline_base.group_hotline_operator", email=False)

    def test_register_on_the_map_and_see_it(self):
        self.start_tour(
            "/odoo/action-hotline_case.hotline_case_action_new",
            "hotline_case_map_register_tour",
            login="map_operator",
            timeout=180,
        )
        case = self.env["hotline.case"].search([("summary", "like", "TOUR-MAP")])
        self.assertEqual(len(case), 1)
        self.assertEqual(case.component_id, self.cover)
        self.assertEqual(case.department_id, self.water)
        self.assertAlmostEqual(case.latitude, 31.2, delta=0.0005, msg="the point clicked, in WGS-84")
        self.assertAlmostEqual(case.longitude, 121.5, delta=0.0005)
        self.start_tour(
            "/odoo/action-hotline_case.hotline_case_action_map",
            "hotline_case_map_view_tour",
            login="map_operator",
            timeout=180,
        )
