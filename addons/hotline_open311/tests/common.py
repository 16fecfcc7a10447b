import json
import re

from lxml import etree

from odoo import Command
from odoo.tests import HttpCase, new_test_user

# GeoReport v2: the fields of each document, in the spec's order
REQUEST_FIELDS = [
    "service_request_id",
    "status",
    "status_notes",
    "service_name",
    "service_code",
    "description",
    "agency_responsible",
    "service_notice",
    "requested_datetime",
    "updated_datetime",
    "expected_datetime",
    "address",
    "address_id",
    "zipcode",
    "lat",
    "long",
    "media_url",
]
SERVICE_FIELDS = ["service_code", "service_name", "description", "metadata", "type", "keywords", "group"]
ATTRIBUTE_FIELDS = [
    "variable",
    "code",
    "datatype",
    "required",
    "datatype_description",
    "order",
    "description",
    "values",
]
SUBMITTED_FIELDS = ["service_request_id", "token", "service_notice", "account_id"]
# ISO 8601 with the time zone's offset, as the spec writes them: 2010-04-14T06:37:38-08:00
ISO_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}[+-]\d{2}:\d{2}$")


class Open311Common(HttpCase):
    """Categories, departments, users and an API key of their own; nothing from the demo data."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(context=dict(cls.env.context, no_reset_password=True))
        cls.env["hotline.sla.policy"].search([]).write({"active": False})
        cls.env["hotline.routing.rule"].search([]).write({"active": False})
        cls.env["ir.config_parameter"].sudo().set_param("hotline_case.default_sla_policy_id", False)
        cls.env.company.resource_calendar_id.tz = "Asia/Shanghai"

        Department = cls.env["hotline.department"]
        cls.dept_water = Department.create({"name": "云江水务 (test)", "code": "T311-WATER"})
        cls.dept_roads = Department.create({"name": "市政道路 (test)", "code": "T311-ROADS"})

        Category = cls.env["hotline.category"]
        cls.cat_utilities = Category.create({"name": "Utilities (test)", "code": "T311-UTIL"})
        cls.cat_water = Category.create(
            {
                "name": "Water (test)",
                "code": "T311-WATER",
                "parent_id": cls.cat_utilities.id,
                "department_id": cls.dept_water.id,
                "open311_public": True,
                "open311_description": "No water, low pressure, leaks",
                "open311_keywords": "water,leak",
                "open311_notice": "Handled within 24 hours.",
                "open311_attribute_ids": [
                    Command.create(
                        {
                            "sequence": 1,
                            "code": "METER_NO",
                            "description": "Meter number",
                            "datatype": "string",
                            "datatype_description": "8 to 12 digits",
                        }
                    ),
                    Command.create(
                        {
                            "sequence": 2,
                            "code": "PROBLEM",
                            "description": "Problem",
                            "datatype": "singlevaluelist",
                            "required": True,
                            "value_ids": [
                                Command.create({"key": "no_water", "name": "No water"}),
                                Command.create({"key": "leak", "name": "Leak"}),
                            ],
                        }
                    ),
                ],
            }
        )
        cls.cat_roads = Category.create(
            {
                "name": "Roads (test)",
                "code": "T311-ROADS",
                "department_id": cls.dept_roads.id,
                "open311_public": True,
                "open311_type": "batch",
            }
        )
        cls.cat_private = Category.create(
            {"name": "Internal (test)", "code": "T311-INTERNAL", "department_id": cls.dept_roads.id}
        )
        cls.policy = cls.env["hotline.sla.policy"].create(
            {
                "name": "Open311 test, round the clock",
                "sequence": 1,
                "category_ids": [Command.set((cls.cat_water | cls.cat_roads | cls.cat_private).ids)],
                "accept_hours": 2.0,
                "dispatch_hours": 2.0,
                "handle_hours": 24.0,
                "return_visit_hours": 8.0,
                "working_time": False,
                "warning_ratio": 0.5,
            }
        )

        # most operators of a hotline have no e-mail address
        cls.operator = new_test_user(
            cls.env, login="t311_operator", groups="hotline_base.group_hotline_operator", email=False
        )
        cls.supervisor = new_test_user(
            cls.env, login="t311_supervisor", groups="hotline_base.group_hotline_supervisor", email=False
        )
        cls.manager = new_test_user(cls.env, login="t311_manager", groups="hotline_base.group_hotline_manager")
        cls.admin = new_test_user(cls.env, login="t311_admin", groups="hotline_base.group_hotline_admin")
        cls.staff_water = new_test_user(
            cls.env, login="t311_staff_water", groups="base.group_portal", hotline_department_id=cls.dept_water.id
        )
        cls.owner = cls.env["res.partner"].create({"name": "云江市大数据局 (test)", "is_company": True})
        cls.client = cls.env["hotline.open311.client"].create(
            {"name": "市民通 (test)", "owner_id": cls.owner.id, "rate_limit": 50}
        )
        cls.api_key = cls.client.api_key

    # ------------------------------------------------------------
    # HELPERS
    # ------------------------------------------------------------

    def _url(self, path, fmt):
        return f"/open311/v2/{path}.{fmt}"

    def _open(self, path, fmt="json", params=None, data=None, headers=None, locale="en_US"):
        """GET (or POST ``data``); in English unless told otherwise, whichever languages the database has."""
        url = self.base_url() + self._url(path, fmt)
        params = dict(params or {})
        if locale:
            params.setdefault("locale", locale)
        if data is None:
            return self.opener.get(url, params=params, timeout=30, allow_redirects=False)
        return self.opener.post(url, params=params, data=data, headers=headers, timeout=30)

    def _post(self, fmt="json", **data):
        values = {"api_key": self.api_key, **data}
        return self._open("requests", fmt, data=values)

    def _water_request(self, **extra):
        values = {
            "service_code": "T311-WATER",
            "lat": "30.2741",
            "long": "120.1551",
            "address_string": "云江市东湖区湖滨路 18 号",
            "description": "小区停水半天\n整栋楼都没水",
            "attribute[PROBLEM]": "no_water",
            "attribute[METER_NO]": "12345678",
            "media_url": "https://img.example.city/photos/leak-1.jpg",
            "first_name": "小明",
            "last_name": "王",
            "phone": "13912345678",
            "email": "wangxm@example.com",
        }
        values.update(extra)
        return values

    def _submit(self, fmt="json", **extra):
        response = self._post(fmt, **self._water_request(**extra))
        self.assertEqual(response.status_code, 200, response.text)
        if fmt == "json":
            return self.env["hotline.case"].search([("name", "=", response.json()[0]["service_request_id"])])
        number = etree.fromstring(response.content).findtext("request/service_request_id")
        return self.env["hotline.case"].search([("name", "=", number)])

    def _json(self, response, status=200):
        self.assertEqual(response.status_code, status, response.text)
        self.assertTrue(response.headers["Content-Type"].startswith("application/json"))
        return json.loads(response.content)

    def _xml(self, response, status=200):
        self.assertEqual(response.status_code, status, response.text)
        self.assertTrue(response.headers["Content-Type"].startswith("text/xml"))
        self.assertTrue(response.content.startswith(b"<?xml"))
        return etree.fromstring(response.content)

    def _assert_error(self, response, status, fmt="json"):
        """The spec's error list: [{code, description}] / <errors><error><code/><description/></error></errors>."""
        self.assertEqual(response.status_code, status, response.text)
        self.assertNotIn(b"Traceback", response.content)
        self.assertNotIn(b"<html", response.content.lower())
        if fmt == "json":
            errors = self._json(response, status)
            self.assertEqual(len(errors), 1)
            self.assertEqual(list(errors[0]), ["code", "description"])
            self.assertEqual(errors[0]["code"], status)
            self.assertTrue(errors[0]["description"])
            return errors[0]["description"]
        root = self._xml(response, status)
        self.assertEqual(root.tag, "errors")
        error = root.find("error")
        self.assertEqual([child.tag for child in error], ["code", "description"])
        self.assertEqual(error.findtext("code"), str(status))
        self.assertTrue(error.findtext("description"))
        return error.findtext("description")

    def _case_count(self):
        return self.env["hotline.case"].sudo().with_context(active_test=False).search_count([])

    @staticmethod
    def _xml_items(root):
        """An XML list as dicts of its items' children's text (nested lists as elements)."""
        return [{child.tag: (child.text or "") if len(child) == 0 else child for child in item} for item in root]
