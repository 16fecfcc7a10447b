from odoo.tests import HttpCase, new_test_user, tagged


@tagged("post_install", "-at_install")
class TestBulletinTour(HttpCase):
    def test_operator_sees_the_bulletin_on_the_home_screen(self):
        board = self.env.ref("hotline_base.hotline_bulletin_board_action")
        operator = new_test_user(
            self.env, login="tour_operator", groups="hotline_base.group_hotline_operator", name="Tour Operator"
        )
        operator.action_id = board.id
        self.env["hotline.bulletin"].search([]).active = False
        self.env["hotline.bulletin"].create(
            {"name": "东区周六停水", "pinned": True, "body": "<p>请告知来电市民停水时间。</p>"}
        )
        self.env["hotline.bulletin"].create({"name": "Heating season", "body": "<p>x</p>"})
        self.env["hotline.bulletin"].create(
            {
                "name": "仅限值班长",
                "group_ids": [(6, 0, self.env.ref("hotline_base.group_hotline_supervisor").ids)],
            }
        )
        self.env["hotline.bulletin"].create({"name": "Expired", "date_start": "2020-01-01", "date_end": "2020-01-02"})
        self.start_tour("/odoo", "hotline_bulletin_tour", login="tour_operator")
