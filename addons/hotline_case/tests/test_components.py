import math
from unittest.mock import patch

from odoo import fields
from odoo.exceptions import AccessError, ValidationError
from odoo.tests import Form, tagged

from .common import HotlineCaseCommon
from .import_format import IMPORT_OPTIONS

# A point in the middle of the test's streets, and metres per degree there.
LAT0, LON0 = 31.95, 118.80  # away from the demo city, whose components must not count
M_LAT = 111195.0
M_LON = M_LAT * math.cos(math.radians(LAT0))


def offset(north_m=0.0, east_m=0.0):
    return LAT0 + north_m / M_LAT, LON0 + east_m / M_LON


class HotlineComponentCommon(HotlineCaseCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        Type = cls.env["hotline.component.type"]
        cls.class_public = Type.create({"code": "T-C01", "name": "公用设施 (test)", "kind": "component"})
        cls.type_water_cover = Type.create(
            {
                "code": "T-C0101",
                "name": "上水井盖 (test)",
                "parent_id": cls.class_public.id,
                "department_id": cls.dept_water.id,
            }
        )
        cls.type_lamp = Type.create({"code": "T-C0122", "name": "路灯 (test)", "parent_id": cls.class_public.id})
        cls.class_street = Type.create(
            {"code": "T-E05", "name": "街面秩序 (test)", "kind": "event", "department_id": cls.dept_roads.id}
        )
        cls.type_occupation = Type.create(
            {"code": "T-E0502", "name": "违章占道 (test)", "kind": "event", "parent_id": cls.class_street.id}
        )
        cls.Component = cls.env["hotline.component"]
        cls.near = cls._component("T-NEAR", "water", north_m=50)
        cls.middle = cls._component("T-MIDDLE", "water", east_m=120)
        cls.far = cls._component("T-FAR", "gas", north_m=-127, east_m=-127)  # about 180 m south-west
        cls.outside = cls._component("T-OUTSIDE", "water", north_m=250)
        cls.removed = cls._component("T-REMOVED", "water", north_m=10, state="removed")

    @classmethod
    def _component(cls, code, owner, north_m=0.0, east_m=0.0, state="in_use"):
        latitude, longitude = offset(north_m, east_m)
        return cls.Component.create(
            {
                "code": code,
                "name": f"{code} 井盖",
                "type_id": cls.type_water_cover.id,
                "latitude": latitude,
                "longitude": longitude,
                "address": f"湖滨路 {code}",
                "district_id": cls.district_a.id,
                "department_id": (cls.dept_water if owner == "water" else cls.dept_gas).id,
                "state": state,
            }
        )


@tagged("post_install", "-at_install")
class TestFindNearby(HotlineComponentCommon):
    def test_nearest_first_within_the_radius(self):
        found = self.Component.with_user(self.operator).find_nearby(LAT0, LON0)
        self.assertEqual([row["code"] for row in found], ["T-NEAR", "T-MIDDLE", "T-FAR"])
        distances = [row["distance_m"] for row in found]
        for measured, expected in zip(distances, (50, 120, 180), strict=True):
            self.assertAlmostEqual(measured, expected, delta=2)
        self.assertEqual(found[0]["id"], self.near.id)
        self.assertEqual(found[0]["type"], self.type_water_cover.display_name)
        self.assertEqual(found[0]["name"], "T-NEAR 井盖")

    def test_radius_and_limit(self):
        self.assertEqual(
            [row["code"] for row in self.Component.find_nearby(LAT0, LON0, radius_m=300)],
            ["T-NEAR", "T-MIDDLE", "T-FAR", "T-OUTSIDE"],
        )
        self.assertEqual([row["code"] for row in self.Component.find_nearby(LAT0, LON0, limit=1)], ["T-NEAR"])
        self.assertEqual(self.Component.find_nearby(LAT0, LON0, radius_m=30), [])

    def test_removed_components_are_left_out(self):
        codes = [row["code"] for row in self.Component.find_nearby(*offset(north_m=10), radius_m=20)]
        self.assertEqual(codes, [], "the removed cover 0 m away is no longer there")

    def test_bad_points_are_refused_clearly(self):
        for args in [(91, LON0), (LAT0, 181), ("north", LON0)]:
            with self.assertRaises(ValidationError):
                self.Component.find_nearby(*args)
        with self.assertRaises(ValidationError):
            self.Component.find_nearby(LAT0, LON0, radius_m=0)

    def test_department_staff_find_only_their_components(self):
        found = self.Component.with_user(self.staff_gas).find_nearby(LAT0, LON0)
        self.assertEqual([row["code"] for row in found], ["T-FAR"])


@tagged("post_install", "-at_install")
class TestComponentRouting(HotlineComponentCommon):
    def setUp(self):
        super().setUp()
        # a rule that would send every case to the gas company
        self.env["hotline.routing.rule"].create({"name": "Everything to gas (test)", "department_id": self.dept_gas.id})

    def test_component_owner_beats_the_rules(self):
        case = self._accept(self._create_case(component_id=self.near.id))
        self.assertEqual(case.department_id, self.dept_water)
        without = self._accept(self._create_case())
        self.assertEqual(without.department_id, self.dept_gas, "without a component the rules still apply")

    def test_component_without_owner_routes_by_its_type(self):
        self.middle.department_id = False
        case = self._accept(self._create_case(component_id=self.middle.id))
        self.assertEqual(case.department_id, self.dept_water)

    def test_event_type_routes_by_its_class(self):
        case = self._accept(self._create_case(component_type_id=self.type_occupation.id))
        self.assertEqual(case.department_id, self.dept_roads)

    def test_type_without_owner_falls_back_to_the_rules(self):
        orphan = self.env["hotline.component.type"].create({"code": "T-E99", "name": "其他 (test)", "kind": "event"})
        case = self._accept(self._create_case(component_type_id=orphan.id))
        self.assertEqual(case.department_id, self.dept_gas)

    def test_registration_form_fills_from_the_component(self):
        form = Form(self.env["hotline.case"].with_user(self.operator))
        form.summary = "井盖破损 (test)"
        form.component_id = self.near
        self.assertEqual(form.component_type_id, self.type_water_cover)
        self.assertAlmostEqual(form.latitude, self.near.latitude, places=6)
        self.assertEqual(form.address, self.near.address)
        self.assertEqual(form.district_id, self.district_a)
        self.assertEqual(form.department_id, self.dept_water)
        case = form.save()
        self.assertEqual(case.component_id, self.near)

    def test_changing_the_type_drops_a_component_of_another_type(self):
        form = Form(self.env["hotline.case"].with_user(self.operator))
        form.summary = "路灯不亮 (test)"
        form.component_id = self.near
        form.component_type_id = self.type_lamp
        self.assertFalse(form.component_id)


@tagged("post_install", "-at_install")
class TestComponentDuplicates(HotlineComponentCommon):
    def test_component_with_several_open_cases_is_marked_and_suggested(self):
        first = self._create_case(component_id=self.near.id, caller_phone="17700000001", address="A")
        self.assertFalse(self.near.has_several_open_cases)
        second = self._create_case(component_id=self.near.id, caller_phone="17700000002", address="B")
        self.near.invalidate_recordset()
        self.assertEqual(self.near.open_case_count, 2)
        self.assertTrue(self.near.has_several_open_cases)
        self.assertIn(self.near, self.Component.search([("has_several_open_cases", "=", True)]))
        self.assertNotIn(self.middle, self.Component.search([("has_several_open_cases", "=", True)]))
        third = self._create_case(component_id=self.near.id, caller_phone="17700000003", address="C")
        self.assertTrue(third.component_several_open_cases)
        self.assertEqual(third.possible_duplicate_ids, first | second)

    def test_closed_cases_are_not_suggested(self):
        old = self._create_case(component_id=self.near.id, caller_phone="17700000001", address="A")
        old.with_user(self.operator).action_close_direct()
        new = self._create_case(component_id=self.near.id, caller_phone="17700000002", address="B")
        self.assertFalse(new.possible_duplicate_ids)


@tagged("post_install", "-at_install")
class TestComponentAccess(HotlineComponentCommon):
    def test_operator_reads_but_does_not_maintain(self):
        self.assertEqual(self.near.with_user(self.operator).code, "T-NEAR")
        with self.assertRaises(AccessError):
            self.near.with_user(self.operator).state = "damaged"
        with self.assertRaises(AccessError):
            self.Component.with_user(self.supervisor).create(
                {"code": "T-X", "type_id": self.type_water_cover.id, "latitude": LAT0, "longitude": LON0}
            )
        with self.assertRaises(AccessError):
            self.type_lamp.with_user(self.manager).department_id = self.dept_roads

    def test_administrator_maintains_inventory_and_types(self):
        component = self.Component.with_user(self.admin).create(
            {"code": "T-ADMIN", "type_id": self.type_water_cover.id, "latitude": LAT0, "longitude": LON0}
        )
        self.assertEqual(component.department_id, self.dept_water, "the type's owner by default")
        self.type_lamp.with_user(self.admin).department_id = self.dept_roads
        self.assertEqual(self.type_lamp.component_count, 0)

    def test_department_staff_see_and_edit_only_their_own(self):
        mine = self.Component.with_user(self.staff_water).search([("code", "like", "T-")])
        self.assertEqual(set(mine.mapped("code")), {"T-NEAR", "T-MIDDLE", "T-OUTSIDE", "T-REMOVED"})
        self.near.with_user(self.staff_water).write({"state": "damaged", "address": "湖滨路 18 号"})
        self.assertEqual(self.near.state, "damaged")
        with self.assertRaises(AccessError):
            self.far.with_user(self.staff_water).state = "damaged"
        with self.assertRaises(AccessError):
            self.far.with_user(self.staff_water).read(["code"])

    def test_department_staff_cannot_hand_over_or_create(self):
        for vals in ({"department_id": self.dept_gas.id}, {"type_id": self.type_lamp.id}, {"code": "X"}):
            with self.assertRaises(AccessError):
                self.near.with_user(self.staff_water).write(vals)
        self.assertEqual(self.near.department_id, self.dept_water)
        with self.assertRaises(AccessError):
            self.Component.with_user(self.staff_water).create(
                {"code": "T-P", "type_id": self.type_water_cover.id, "latitude": LAT0, "longitude": LON0}
            )

    def test_bad_coordinates_are_refused(self):
        with self.assertRaises(ValidationError):
            self.near.write({"latitude": 95})


@tagged("post_install", "-at_install")
class TestComponentImport(HotlineComponentCommon):
    FIELDS = ["code", "name", "type_id", "latitude", "longitude", "address", "district_id", "state"]

    def _import(self, rows, dryrun=False):
        content = "\n".join([",".join(self.FIELDS), *(",".join(f'"{value}"' for value in row) for row in rows)])
        importer = (
            self.env["base_import.import"]
            .with_user(self.admin)
            .create(
                {
                    "res_model": "hotline.component",
                    "file": content.encode(),
                    "file_type": "text/csv",
                    "file_name": "components.csv",
                }
            )
        )
        return importer.execute_import(self.FIELDS, self.FIELDS, dict(IMPORT_OPTIONS), dryrun=dryrun)

    def test_import_by_codes_with_the_types_owner(self):
        result = self._import(
            [
                ["T-IMP-1", "东湖路井盖", "T-C0101", "30.5812", "114.3021", "东湖路 1 号", "T-DH", "in_use"],
                ["T-IMP-2", "东湖路路灯", "T-C0122", "30.5815", "114.3035", "东湖路 3 号", "T-DH", "damaged"],
            ]
        )
        self.assertFalse(result["messages"], result["messages"])
        imported = self.Component.search([("code", "like", "T-IMP-")], order="code")
        self.assertEqual(imported.mapped("type_id"), self.type_water_cover | self.type_lamp)
        self.assertEqual(imported[0].department_id, self.dept_water)
        self.assertEqual(imported[1].state, "damaged")
        self.assertAlmostEqual(imported[0].latitude, 30.5812, places=6)

    def test_a_bad_row_is_reported_and_nothing_is_half_imported(self):
        result = self._import(
            [
                ["T-IMP-3", "好的", "T-C0101", "30.58", "114.30", "", "T-DH", "in_use"],
                ["T-IMP-4", "坏的", "T-C0101", "300.58", "114.30", "", "T-DH", "in_use"],
            ]
        )
        self.assertTrue(result["messages"])
        self.assertIn("out of range", " ".join(message["message"] for message in result["messages"]))
        self.assertFalse(self.Component.search([("code", "like", "T-IMP-")]))


@tagged("post_install", "-at_install")
class TestMapData(HotlineComponentCommon):
    def test_case_markers_follow_the_search(self):
        located = self._create_case(latitude=LAT0, longitude=LON0, summary="located (test)")
        self._create_case(summary="not located (test)")
        Case = self.env["hotline.case"].with_user(self.operator)
        data = Case.hotline_map_data([("summary", "like", "(test)")])
        self.assertEqual([list(marker) for marker in data["markers"]], [[located.id, LAT0, LON0, "blue"]])
        self.assertFalse(data["truncated"])
        filtered = Case.hotline_map_data([("state", "=", "done")])
        self.assertNotIn(located.id, [marker[0] for marker in filtered["markers"]])
        [popup] = Case.browse(located.id).hotline_map_popup()
        self.assertEqual((popup["title"], popup["subtitle"]), (located.name, "located (test)"))
        self.assertEqual(popup["deadline"], fields.Datetime.to_string(located.deadline))
        self.assertFalse(popup["overdue"])

    def test_overdue_cases_are_red(self):
        case = self._create_case(latitude=LAT0, longitude=LON0)
        case.sudo().overdue_state = "overdue"
        [marker] = self.env["hotline.case"].with_user(self.operator).hotline_map_data([("id", "=", case.id)])["markers"]
        self.assertEqual(marker[3], "red")
        self.assertTrue(case.with_user(self.operator).hotline_map_popup()[0]["overdue"])

    def test_case_markers_grouped_by_the_search(self):
        water = self._create_case(latitude=LAT0, longitude=LON0, category_id=self.cat_water.id)
        gas = self._create_case(latitude=LAT0, longitude=LON0, category_id=self.cat_gas.id)
        Case = self.env["hotline.case"].with_user(self.operator)
        data = Case.hotline_map_data([("id", "in", (water | gas).ids)], groupby=["category_id"])
        self.assertEqual(
            {marker[0]: marker[4] for marker in data["markers"]}, {water.id: self.cat_water.id, gas.id: self.cat_gas.id}
        )
        self.assertEqual(data["groups"], [[self.cat_gas.id, "Gas (test)"], [self.cat_water.id, "Water (test)"]])
        by_state = Case.hotline_map_data([("id", "=", water.id)], groupby=["state"])
        self.assertEqual(by_state["groups"], [["new", "New"]])
        ungrouped = Case.hotline_map_data([("id", "=", water.id)], groupby=["reported_at:day"])
        self.assertNotIn("groups", ungrouped, "dates are not groups on a map")
        hidden = self.env["hotline.case"].with_user(self.staff_water)
        with self.assertRaises(AccessError):
            hidden.hotline_map_data([], groupby=["category_id"])

    def test_case_markers_are_for_the_centre_only(self):
        with self.assertRaises(AccessError):
            self.env["hotline.case"].with_user(self.staff_water).hotline_map_data([])

    def test_district_operators_see_their_districts_cases_only(self):
        mine = self._create_case(latitude=LAT0, longitude=LON0, district_id=self.district_a.id)
        other = self._create_case(latitude=LAT0, longitude=LON0, district_id=self.district_b.id)
        data = self.env["hotline.case"].with_user(self.district_operator).hotline_map_data([])
        ids = [marker[0] for marker in data["markers"]]
        self.assertIn(mine.id, ids)
        self.assertNotIn(other.id, ids)

    def test_component_markers_mark_busy_components(self):
        self._create_case(component_id=self.near.id, caller_phone="17700000001", address="A")
        self._create_case(component_id=self.near.id, caller_phone="17700000002", address="B")
        Component = self.Component.with_user(self.operator)
        data = Component.hotline_map_data([("code", "in", ["T-NEAR", "T-FAR"])])
        colors = {marker[0]: marker[3] for marker in data["markers"]}
        self.assertEqual(colors, {self.near.id: "orange", self.far.id: "green"})
        popups = {
            popup["title"]: popup for popup in (self.near | self.far).with_user(self.operator).hotline_map_popup()
        }
        self.assertTrue(popups["T-NEAR"]["marked"])
        self.assertFalse(popups["T-FAR"]["marked"])

    def test_settings_without_tiles_and_gaode(self):
        params = self.env["ir.config_parameter"].sudo()
        params.set_param("hotline_case.map_tile_url", False)
        params.set_param("hotline_case.map_center", "30.58,114.30,12")
        settings = self.Component.with_user(self.operator).hotline_map_settings()
        self.assertEqual(settings["tile_url"], "")
        self.assertEqual(settings["center"], {"lat": 30.58, "lon": 114.30, "zoom": 12})
        self.assertFalse(settings["geocoder"])
        params.set_param(
            "hotline_case.map_tile_url", "https://webrd0{s}.is.autonavi.com/appmaptile?style=8&x={x}&y={y}&z={z}"
        )
        self.assertEqual(self.Component.hotline_map_settings()["tile_crs"], "gcj02")

    def test_reverse_geocoder_none_by_default_and_parsed_when_set(self):
        params = self.env["ir.config_parameter"].sudo()
        params.set_param("hotline_case.geocoder_url", False)
        self.assertFalse(self.Component.hotline_reverse_geocode(LAT0, LON0))
        params.set_param("hotline_case.geocoder_url", "https://geo.example.city/reverse?lat={lat}&lon={lon}")
        answer = {"regeocode": {"formatted_address": "云江市东湖区湖滨路 18 号"}}
        with patch("odoo.addons.hotline_case.models.hotline_component.requests.get") as get:
            get.return_value.json.return_value = answer
            address = self.Component.with_user(self.operator).hotline_reverse_geocode(LAT0, LON0)
        self.assertEqual(address, "云江市东湖区湖滨路 18 号")
        self.assertIn(f"lat={LAT0}&lon={LON0}", get.call_args.args[0])
        self.assertEqual(get.call_args.kwargs["timeout"], 5)
