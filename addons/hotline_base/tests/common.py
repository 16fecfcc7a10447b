from odoo.tests import TransactionCase, new_test_user


class HotlineBaseCommon(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(context=dict(cls.env.context, tracking_disable=True))
        cls.env["ir.config_parameter"].sudo().set_param("hotline_base.phone_region", "CN")
        cls.env["ir.config_parameter"].sudo().set_param("hotline_base.area_code", "755")
        cls.district_east = cls.env["hotline.district"].create({"name": "East", "code": "T-EAST"})
        cls.district_east_street = cls.env["hotline.district"].create(
            {"name": "Lakeside Street", "code": "T-EAST-1", "parent_id": cls.district_east.id}
        )
        cls.district_west = cls.env["hotline.district"].create({"name": "West", "code": "T-WEST"})
        cls.department_water = cls.env["hotline.department"].create({"name": "Water", "code": "T-WATER"})
        cls.operator = new_test_user(
            cls.env, login="t_operator", groups="hotline_base.group_hotline_operator", name="Test Operator"
        )
        cls.supervisor = new_test_user(
            cls.env, login="t_supervisor", groups="hotline_base.group_hotline_supervisor", name="Test Supervisor"
        )
        cls.admin = new_test_user(
            cls.env, login="t_hotline_admin", groups="hotline_base.group_hotline_admin", name="Test Admin"
        )
        cls.portal_water = new_test_user(
            cls.env, login="t_portal_water", groups="base.group_portal", name="Water Staff"
        )
        cls.portal_water.hotline_department_id = cls.department_water
