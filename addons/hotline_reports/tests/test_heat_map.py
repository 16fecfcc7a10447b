from datetime import timedelta

from odoo import Command, fields
from odoo.exceptions import AccessError, ValidationError
from odoo.tests import HttpCase, new_test_user, tagged


@tagged("post_install", "-at_install")
class TestHeatMap(HttpCase):
    """Where the cases of a category and period come from, on a ~100 m grid, as the user may see them."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(context=dict(cls.env.context, no_reset_password=True, tracking_disable=True))
        env = cls.env
        cls.district = env["hotline.district"].create({"name": "Heat District", "code": "T-HEAT"})
        cls.other_district = env["hotline.district"].create({"name": "Heat Other", "code": "T-HEAT-O"})
        cls.water = env["hotline.category"].create({"name": "Heat Water", "code": "T-HEAT-W"})
        cls.leak = env["hotline.category"].create({"name": "Heat Leak", "code": "T-HEAT-WL", "parent_id": cls.water.id})
        cls.noise = env["hotline.category"].create({"name": "Heat Noise", "code": "T-HEAT-N"})
        cls.supervisor = new_test_user(
            env, login="heat_supervisor", groups="hotline_base.group_hotline_supervisor", email=False
        )
        cls.district_supervisor = new_test_user(
            env,
            login="heat_district_supervisor",
            groups="hotline_base.group_hotline_supervisor",
            hotline_district_ids=[Command.set(cls.district.ids)],
        )
        cls.operator = new_test_user(env, login="heat_operator", groups="hotline_base.group_hotline_operator")
        now = fields.Datetime.now()
        cls.today = fields.Date.context_today(env.user)
        # two leaks 30 m apart (one grid cell), one water case elsewhere, one noise case, one old leak, one unlocated
        cls._case(cls.leak, 41.80001, 123.40001, now)
        cls._case(cls.leak, 41.80021, 123.40011, now)
        cls._case(cls.water, 41.81, 123.41, now, district=cls.other_district)
        cls._case(cls.noise, 41.80, 123.40, now)
        cls._case(cls.leak, 41.80, 123.40, now - timedelta(days=60))
        cls._case(cls.leak, 0, 0, now)

    @classmethod
    def _case(cls, category, latitude, longitude, reported_at, district=None):
        return cls.env["hotline.case"].create(
            {
                "summary": "heat map test",
                "category_id": category.id,
                "district_id": (district or cls.district).id,
                "latitude": latitude,
                "longitude": longitude,
                "reported_at": reported_at,
            }
        )

    def _points(self, user, **kwargs):
        kwargs.setdefault("date_from", self.today - timedelta(days=29))
        kwargs.setdefault("date_to", self.today)
        return self.env["hotline.report.case.heat"].with_user(user).get_heat_points(**kwargs)

    def test_points_by_category_and_period(self):
        data = self._points(self.supervisor, category_id=self.water.id)
        self.assertEqual(data["points"], [[41.8, 123.4, 2], [41.81, 123.41, 1]])
        self.assertEqual((data["total"], data["max"]), (3, 2))
        noise = self._points(self.supervisor, category_id=self.noise.id)
        self.assertEqual(noise["points"], [[41.8, 123.4, 1]])
        a_year = self._points(self.supervisor, category_id=self.leak.id, date_from=self.today - timedelta(days=364))
        self.assertEqual(a_year["total"], 3, "the leak of two months ago counts over a year")

    def test_district_scope_applies(self):
        data = self._points(self.district_supervisor, category_id=self.water.id)
        self.assertEqual(data["points"], [[41.8, 123.4, 2]])

    def test_for_supervisors_only_and_bad_dates_refused(self):
        with self.assertRaises(AccessError):
            self._points(self.operator)
        with self.assertRaises(ValidationError):
            self._points(self.supervisor, date_from="last week")

    def test_heat_map_in_the_browser(self):
        self.env["ir.config_parameter"].sudo().set_param("hotline_case.map_tile_url", False)
        self.start_tour("/odoo/hotline-heat-map", "hotline_reports_heat_map_tour", login="heat_supervisor")
