from odoo.tests import tagged

from .common import ATTRIBUTE_FIELDS, SERVICE_FIELDS, Open311Common


@tagged("post_install", "-at_install")
class TestOpen311Services(Open311Common):
    def test_discovery_json_and_xml(self):
        discovery = self._json(self._open("discovery", "json"))
        self.assertEqual(list(discovery), ["changeset", "contact", "key_service", "endpoints"])
        endpoint = discovery["endpoints"][0]
        self.assertEqual(endpoint["specification"], "http://wiki.open311.org/GeoReport_v2")
        self.assertTrue(endpoint["url"].endswith("/open311/v2"))
        self.assertEqual(endpoint["type"], "production")
        self.assertEqual(endpoint["formats"], ["text/xml", "application/json"])

        root = self._xml(self._open("discovery", "xml"))
        self.assertEqual(root.tag, "discovery")
        self.assertEqual([child.tag for child in root], ["changeset", "contact", "key_service", "endpoints"])
        endpoint_xml = root.find("endpoints/endpoint")
        self.assertEqual(endpoint_xml.findtext("specification"), endpoint["specification"])
        self.assertEqual([f.text for f in endpoint_xml.find("formats")], ["text/xml", "application/json"])
        self.assertEqual(root.findtext("contact"), discovery["contact"])

    def test_services_list_json(self):
        services = self._json(self._open("services", "json"))
        by_code = {service["service_code"]: service for service in services}
        self.assertNotIn("T311-INTERNAL", by_code, "a category that is not public is not a service")
        self.assertNotIn("T311-UTIL", by_code)
        water = by_code["T311-WATER"]
        self.assertEqual(list(water), SERVICE_FIELDS)
        self.assertEqual(
            water,
            {
                "service_code": "T311-WATER",
                "service_name": "Water (test)",
                "description": "No water, low pressure, leaks",
                "metadata": True,
                "type": "realtime",
                "keywords": "water,leak",
                "group": "Utilities (test)",
            },
        )
        roads = by_code["T311-ROADS"]
        self.assertIs(roads["metadata"], False)
        self.assertEqual(roads["type"], "batch")
        self.assertIsNone(roads["group"])

    def test_services_list_xml(self):
        root = self._xml(self._open("services", "xml"))
        self.assertEqual(root.tag, "services")
        self.assertTrue(all(item.tag == "service" for item in root))
        items = {item["service_code"]: item for item in self._xml_items(root)}
        water = items["T311-WATER"]
        self.assertEqual(list(water), SERVICE_FIELDS)
        self.assertEqual(water["service_name"], "Water (test)")
        self.assertEqual(water["metadata"], "true")
        self.assertEqual(water["type"], "realtime")
        self.assertEqual(water["group"], "Utilities (test)")
        self.assertEqual(items["T311-ROADS"]["metadata"], "false")
        self.assertEqual(items["T311-ROADS"]["group"], "")
        self.assertNotIn("T311-INTERNAL", items)

    def test_service_definition_json(self):
        definition = self._json(self._open("services/T311-WATER", "json"))
        self.assertEqual(list(definition), ["service_code", "attributes"])
        self.assertEqual(definition["service_code"], "T311-WATER")
        meter, problem = definition["attributes"]
        self.assertEqual(list(meter), ATTRIBUTE_FIELDS)
        self.assertEqual(
            meter,
            {
                "variable": True,
                "code": "METER_NO",
                "datatype": "string",
                "required": False,
                "datatype_description": "8 to 12 digits",
                "order": 1,
                "description": "Meter number",
                "values": [],
            },
        )
        self.assertEqual(problem["datatype"], "singlevaluelist")
        self.assertIs(problem["required"], True)
        self.assertEqual(problem["values"], [{"key": "no_water", "name": "No water"}, {"key": "leak", "name": "Leak"}])

    def test_service_definition_xml(self):
        root = self._xml(self._open("services/T311-WATER", "xml"))
        self.assertEqual(root.tag, "service_definition")
        self.assertEqual(root.findtext("service_code"), "T311-WATER")
        attributes = root.findall("attributes/attribute")
        self.assertEqual(len(attributes), 2)
        self.assertEqual([child.tag for child in attributes[0]], ATTRIBUTE_FIELDS)
        self.assertEqual(attributes[0].findtext("variable"), "true")
        self.assertEqual(attributes[0].findtext("required"), "false")
        self.assertEqual(attributes[0].findtext("order"), "1")
        values = attributes[1].findall("values/value")
        self.assertEqual(
            [(v.findtext("key"), v.findtext("name")) for v in values], [("no_water", "No water"), ("leak", "Leak")]
        )

    def test_unknown_or_private_service_is_404(self):
        for fmt in ("json", "xml"):
            self._assert_error(self._open("services/NO-SUCH-CODE", fmt), 404, fmt)
            self._assert_error(self._open("services/T311-INTERNAL", fmt), 404, fmt)

    def test_unknown_method_is_a_spec_error(self):
        self._assert_error(self._open("nothing/here", "json"), 404, "json")
        self._assert_error(self._open("services/T311-WATER/extra", "xml"), 404, "xml")

    def test_service_names_in_the_requesters_language(self):
        self.env["res.lang"]._activate_lang("zh_CN")
        self.cat_water.with_context(lang="zh_CN").name = "供水 (test)"
        self.cat_water.with_context(lang="zh_CN").open311_description = "停水、水压低、漏水"
        self.cat_water.open311_attribute_ids[0].with_context(lang="zh_CN").description = "水表编号"

        def water(params):
            services = self._json(self._open("services", "json", params=params, locale=None))
            return next(s for s in services if s["service_code"] == "T311-WATER")

        # Chinese by default, the locale asked for otherwise
        self.assertEqual(water({})["service_name"], "供水 (test)")
        self.assertEqual(water({})["description"], "停水、水压低、漏水")
        self.assertEqual(water({"locale": "en"})["service_name"], "Water (test)")
        self.assertEqual(water({"locale": "en-US"})["service_name"], "Water (test)")
        self.assertEqual(water({"locale": "zh-CN"})["service_name"], "供水 (test)")
        self.assertEqual(water({"locale": "xx"})["service_name"], "供水 (test)")
        definition = self._json(self._open("services/T311-WATER", "json", locale=None))
        self.assertEqual(definition["attributes"][0]["description"], "水表编号")
        root = self._xml(self._open("services", "xml", locale="zh_CN"))
        names = {item["service_code"]: item["service_name"] for item in self._xml_items(root)}
        self.assertEqual(names["T311-WATER"], "供水 (test)")

    def test_status_notes_and_errors_in_chinese_by_default(self):
        self.env["res.lang"]._activate_lang("zh_CN")
        self.env["ir.module.module"]._load_module_terms(["hotline_open311"], ["zh_CN"], overwrite=True)
        case = self._submit()
        item = self._json(self._open(f"requests/{case.name}", "json", locale=None))[0]
        self.assertEqual(item["status_notes"], "已登记，等待热线中心受理。")
        english = self._json(self._open(f"requests/{case.name}", "json", locale="en"))[0]
        self.assertEqual(english["status_notes"], "Registered; waiting to be accepted by the centre.")
        description = self._assert_error(self._open("services/NO-SUCH-CODE", "xml", locale=None), 404, "xml")
        self.assertEqual(description, "未知的 service_code：NO-SUCH-CODE")

    def test_jurisdiction(self):
        self.env["ir.config_parameter"].sudo().set_param("hotline_open311.jurisdiction_id", "yunjiang.example.city")
        for fmt in ("json", "xml"):
            self._assert_error(self._open("services", fmt, params={"jurisdiction_id": "elsewhere.example"}), 404, fmt)
        ours = self._json(self._open("services", "json", params={"jurisdiction_id": "yunjiang.example.city"}))
        self.assertIn("T311-WATER", [service["service_code"] for service in ours])
        self.assertEqual(self._open("services", "json").status_code, 200, "jurisdiction_id is optional")
