from odoo.tests import HttpCase, new_test_user, tagged

TOUR_TOKEN = "tour-token-12319"  # as in static/src/tests/tours/hotline_screen_pop_tour.js


class TourCommon:
    @classmethod
    def setUpTour(cls):
        pbx = cls.env["hotline.pbx"].create({"name": "Tour PBX", "token": TOUR_TOKEN})
        cls.operator = new_test_user(
            cls.env,
            login="tel_tour_operator",
            name="Tour Operator",
            groups="hotline_base.group_hotline_operator",
            hotline_extension="1001",
            hotline_pbx_id=pbx.id,
            tz="UTC",
        )
        cls.partner = cls.env["res.partner"].create(
            {"name": "巡检来电人", "mobile": "13912345678", "hotline_vip": True}
        )
        cls.env["hotline.case"].create(
            {"partner_id": cls.partner.id, "caller_phone": "13912345678", "summary": "窨井盖缺失"}
        )


@tagged("post_install", "-at_install")
class TestScreenPopTour(TourCommon, HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.setUpTour()

    def test_caller_card_and_new_case(self):
        self.start_tour("/odoo", "hotline_screen_pop_tour", login="tel_tour_operator")
        call = self.env["hotline.call"].search([("linkedid", "=", "1795700000.0")])
        self.assertEqual(len(call), 1)
        self.assertEqual(call.partner_id, self.partner)
        case = call.case_id
        self.assertTrue(case, "the case created from the card is linked to the call")
        self.assertEqual(case.summary, "路灯不亮")
        self.assertEqual(case.partner_id, self.partner)
        self.assertEqual(case.caller_phone, "13912345678")
        self.assertEqual(case.user_id, self.operator)
