import json
from datetime import timedelta

from lxml import etree

from odoo import fields
from odoo.tests import tagged

from .common import ISO_DATETIME, REQUEST_FIELDS, SUBMITTED_FIELDS, Open311Common


@tagged("post_install", "-at_install")
class TestOpen311Requests(Open311Common):
    # ------------------------------------------------------------
    # POST requests
    # ------------------------------------------------------------

    def test_post_json_creates_a_registered_timed_case(self):
        before = self._case_count()
        response = self._post("json", **self._water_request())
        submitted = self._json(response)
        self.assertEqual(len(submitted), 1)
        self.assertEqual(list(submitted[0]), SUBMITTED_FIELDS)
        self.assertEqual(submitted[0]["service_notice"], "Handled within 24 hours.")
        self.assertIsNone(submitted[0]["account_id"])
        self.assertEqual(self._case_count(), before + 1)

        case = self.env["hotline.case"].search([("name", "=", submitted[0]["service_request_id"])])
        self.assertEqual(len(case), 1)
        self.assertEqual(submitted[0]["token"], case.open311_token)
        self.assertEqual(case.source, "open311")
        self.assertEqual(case.state, "new")
        self.assertTrue(case.name.startswith("12319-"), "numbered from the case sequence")
        self.assertEqual(case.category_id, self.cat_water)
        self.assertEqual(case.service_type_id, self.env.ref("hotline_base.hotline_service_type_incident_report"))
        self.assertEqual(case.sla_policy_id, self.policy, "timed like any case")
        self.assertTrue(case.deadline)
        self.assertEqual(case.stage_log_ids.state, "new")
        self.assertEqual(case.summary, "小区停水半天")
        self.assertEqual(case.open311_description, "小区停水半天\n整栋楼都没水")
        self.assertEqual(case.address, "云江市东湖区湖滨路 18 号")
        self.assertAlmostEqual(case.latitude, 30.2741, places=4)
        self.assertAlmostEqual(case.longitude, 120.1551, places=4)
        self.assertEqual(case.open311_media_url, "https://img.example.city/photos/leak-1.jpg")
        self.assertEqual(case.open311_attributes, {"METER_NO": "12345678", "PROBLEM": "no_water"})
        self.assertIn("Problem: No water", case.open311_attributes_text)
        self.assertEqual(case.caller_name, "王小明")
        self.assertEqual(case.caller_phone, "13912345678")
        self.assertEqual(case.open311_email, "wangxm@example.com")
        self.assertEqual(case.open311_client_id, self.client)
        self.assertEqual(case.user_id, self.env.ref("hotline_open311.user_open311"))
        # routed like any case: the department comes with the acceptance
        case.with_user(self.supervisor).action_accept()
        self.assertEqual(case.department_id, self.dept_water)

        log = self.env["hotline.open311.log"].search([("case_id", "=", case.id)])
        self.assertEqual(
            (log.client_id, log.result, log.status, log.service_code), (self.client, "accepted", 200, "T311-WATER")
        )

    def test_post_xml(self):
        response = self._post("xml", **self._water_request(account_id="acct-77"))
        root = self._xml(response)
        self.assertEqual(root.tag, "service_requests")
        request = root.find("request")
        self.assertEqual([child.tag for child in request], SUBMITTED_FIELDS)
        case = self.env["hotline.case"].search([("name", "=", request.findtext("service_request_id"))])
        self.assertEqual(case.source, "open311")
        self.assertEqual(request.findtext("token"), case.open311_token)
        self.assertEqual(request.findtext("account_id"), "acct-77")
        self.assertEqual(request.findtext("service_notice"), "Handled within 24 hours.")

    def test_post_json_body_and_multivalue_attributes(self):
        body = {
            "api_key": self.api_key,
            "service_code": "T311-WATER",
            "address_string": "湖滨路 20 号",
            "description": "水压低",
            "attribute": {"PROBLEM": "leak"},
        }
        response = self._open("requests", "json", data=json.dumps(body), headers={"Content-Type": "application/json"})
        number = self._json(response)[0]["service_request_id"]
        case = self.env["hotline.case"].search([("name", "=", number)])
        self.assertEqual(case.open311_attributes, {"PROBLEM": "leak"})
        self.assertFalse(case.latitude, "an address alone is a location")

    def test_batch_service_answers_with_a_token_then_the_number(self):
        submitted = self._json(
            self._post("json", service_code="T311-ROADS", address_string="人民路口", description="井盖缺失")
        )[0]
        self.assertIsNone(submitted["service_request_id"])
        self.assertTrue(submitted["token"])
        found = self._json(self._open(f"tokens/{submitted['token']}", "json"))
        self.assertEqual(list(found[0]), ["service_request_id", "token"])
        case = self.env["hotline.case"].search([("open311_token", "=", submitted["token"])])
        self.assertEqual(found, [{"service_request_id": case.name, "token": submitted["token"]}])
        root = self._xml(self._open(f"tokens/{submitted['token']}", "xml"))
        self.assertEqual(root.findtext("request/service_request_id"), case.name)
        self.assertEqual(root.findtext("request/token"), submitted["token"])
        for fmt in ("json", "xml"):
            self._assert_error(self._open("tokens/no-such-token", fmt), 404, fmt)

    # ------------------------------------------------------------
    # bad input: the spec's error, nothing created
    # ------------------------------------------------------------

    def _assert_refused(self, status, fmt="json", data=None, **changes):
        before = self._case_count()
        values = {"api_key": self.api_key, **self._water_request()}
        values.update(changes)
        values = {key: value for key, value in values.items() if value is not None}
        if data is None:
            response = self._open("requests", fmt, data=values)
        else:
            response = self._open("requests", fmt, **data)
        description = self._assert_error(response, status, fmt)
        self.assertEqual(self._case_count(), before, "a refused request creates no case")
        return description

    def test_bad_input_gets_the_spec_error_and_creates_nothing(self):
        for fmt in ("json", "xml"):
            self.assertIn("service_code", self._assert_refused(400, fmt, service_code=None))
            self._assert_refused(400, fmt, service_code="")
            self._assert_refused(404, fmt, service_code="NO-SUCH-CODE")
            self._assert_refused(404, fmt, service_code="T311-INTERNAL")
            self.assertIn("lat", self._assert_refused(400, fmt, lat="95"))
            self.assertIn("long", self._assert_refused(400, fmt, long="-181"))
            self._assert_refused(400, fmt, lat="north")
            self._assert_refused(400, fmt, long=None)
            self._assert_refused(400, fmt, lat=None, long=None, address_string=None)
            self._assert_refused(400, fmt, description="漏" * 4001)
            self._assert_refused(400, fmt, media_url="javascript:alert(1)")
            self._assert_refused(400, fmt, email="not-an-address")
            self._assert_refused(400, fmt, **{"attribute[PROBLEM]": None})
            self._assert_refused(400, fmt, **{"attribute[PROBLEM]": "flood"})
            self._assert_refused(400, fmt, **{"attribute[COLOUR]": "red"})

    def test_malformed_bodies(self):
        key = self.api_key
        self._assert_refused(400, data={"data": b"{not json", "headers": {"Content-Type": "application/json"}})
        self._assert_refused(
            400, data={"data": json.dumps(["a", "list"]), "headers": {"Content-Type": "application/json"}}
        )
        self._assert_refused(
            400,
            data={
                "data": json.dumps({"api_key": key, "service_code": {"nested": 1}}),
                "headers": {"Content-Type": "application/json"},
            },
        )
        self._assert_refused(
            400, "xml", data={"data": b"\x00\x01garbage", "headers": {"Content-Type": "application/octet-stream"}}
        )

    def test_keys(self):
        for fmt in ("json", "xml"):
            self.assertIn("api_key", self._assert_refused(403, fmt, api_key=None))
            self._assert_refused(403, fmt, api_key="wrong-key")
        revoked = self.client.copy({"name": "Revoked (test)"})
        revoked.action_revoke()
        self._assert_refused(403, api_key=revoked.api_key)
        self.assertEqual(
            self.env["hotline.open311.log"].search([("client_id", "=", revoked.id)]).mapped("status"),
            [403],
            "a revoked key's attempt is logged with the key",
        )
        limited = self.client.copy({"name": "Roads only (test)", "allowed_category_ids": [(6, 0, self.cat_roads.ids)]})
        self._assert_refused(403, api_key=limited.api_key)
        self.assertEqual(
            self.env["hotline.open311.log"].search([("client_id", "=", limited.id)]).mapped("status"), [403]
        )
        renewed = self.client.copy({"name": "Renewed (test)"})
        old_key = renewed.api_key
        renewed.action_renew_key()
        self._assert_refused(403, api_key=old_key)
        self.assertEqual(self._post("json", **self._water_request(api_key=renewed.api_key)).status_code, 200)

    def test_rate_limit_per_key(self):
        self.client.rate_limit = 2
        other = self.client.copy({"name": "Other app (test)", "rate_limit": 2})
        self._submit()
        self._submit()
        for fmt in ("json", "xml"):
            self._assert_refused(429, fmt)
        # the limit is the key's own: another key still submits
        self.assertEqual(self._post("json", **self._water_request(api_key=other.api_key)).status_code, 200)
        self.assertEqual(self.env["hotline.open311.log"].search_count([("client_id", "=", self.client.id)]), 2)

    def test_every_submission_is_logged_with_its_key(self):
        case = self._submit()
        self._assert_refused(400, lat="95")
        logs = self.env["hotline.open311.log"].search([("client_id", "=", self.client.id)], order="id")
        self.assertEqual(logs.mapped("result"), ["accepted", "refused"])
        self.assertEqual(logs[0].case_id, case)
        self.assertEqual(logs[1].status, 400)
        self.assertIn("lat", logs[1].error)

    # ------------------------------------------------------------
    # GET requests and requests/<id>
    # ------------------------------------------------------------

    def _assert_request_fields(self, item, case):
        self.assertEqual(list(item), REQUEST_FIELDS)
        self.assertEqual(item["service_request_id"], case.name)
        self.assertEqual(item["service_code"], case.category_id.code)
        self.assertEqual(item["service_name"], case.category_id.name)
        for key in ("requested_datetime", "updated_datetime", "expected_datetime"):
            self.assertRegex(item[key], ISO_DATETIME)
            self.assertTrue(item[key].endswith("+08:00"), "in the centre's time zone")
        requested = fields.Datetime.to_datetime(item["requested_datetime"][:19].replace("T", " ")) - timedelta(hours=8)
        self.assertEqual(requested, case.reported_at.replace(microsecond=0))
        deadline = fields.Datetime.to_datetime(item["expected_datetime"][:19].replace("T", " ")) - timedelta(hours=8)
        self.assertEqual(deadline, (case.handle_deadline or case.deadline).replace(microsecond=0))

    def test_get_request_json_field_by_field(self):
        case = self._submit()
        items = self._json(self._open(f"requests/{case.name}", "json"))
        self.assertEqual(len(items), 1)
        item = items[0]
        self._assert_request_fields(item, case)
        self.assertEqual(item["status"], "open")
        self.assertEqual(item["status_notes"], "Registered; waiting to be accepted by the centre.")
        self.assertEqual(item["description"], "小区停水半天\n整栋楼都没水")
        self.assertIsNone(item["agency_responsible"], "routed at the acceptance")
        self.assertEqual(item["service_notice"], "Handled within 24 hours.")
        self.assertEqual(item["address"], "云江市东湖区湖滨路 18 号")
        self.assertAlmostEqual(item["lat"], 30.2741, places=4)
        self.assertAlmostEqual(item["long"], 120.1551, places=4)
        self.assertEqual(item["media_url"], "https://img.example.city/photos/leak-1.jpg")
        self.assertIsNone(item["address_id"])
        self.assertIsNone(item["zipcode"])

    def test_get_request_xml_field_by_field(self):
        case = self._submit(description='<b>水管</b> & "漏水"')
        response = self._open(f"requests/{case.name}", "xml")
        self.assertIn(b"&lt;b&gt;", response.content, "the description is escaped")
        root = self._xml(response)
        self.assertEqual(root.tag, "service_requests")
        item = self._xml_items(root)[0]
        self.assertEqual(list(item), REQUEST_FIELDS)
        self.assertEqual(item["description"], '<b>水管</b> & "漏水"', "returned as submitted")
        self.assertEqual(item["status"], "open")
        self.assertEqual(item["service_request_id"], case.name)
        self.assertRegex(item["requested_datetime"], ISO_DATETIME)
        self.assertEqual(float(item["lat"]), case.latitude)
        self.assertEqual(item["address_id"], "")
        json_item = self._json(self._open(f"requests/{case.name}", "json"))[0]
        for key in REQUEST_FIELDS:
            expected = json_item[key]
            if expected is None:
                expected = ""
            self.assertEqual(item[key], str(expected), key)

    def test_unknown_request_is_404(self):
        phone_case = self.env["hotline.case"].create(
            {"summary": "内部 (test)", "category_id": self.cat_private.id, "caller_phone": "13900001111"}
        )
        for fmt in ("json", "xml"):
            self._assert_error(self._open("requests/12319-1999-000001", fmt), 404, fmt)
            self._assert_error(self._open(f"requests/{phone_case.name}", fmt), 404, fmt)

    def test_no_personal_data(self):
        api_case = self._submit()
        phone_case = self.env["hotline.case"].create(
            {
                "summary": "路灯不亮 (test)",
                "description": "<p>来电人李四 13800138000 说路灯不亮</p>",
                "category_id": self.cat_water.id,
                "caller_name": "李四",
                "caller_phone": "13800138000",
                "anonymous": True,
                "address": "李四家门口",
                "latitude": 30.1,
                "longitude": 120.1,
            }
        )
        for fmt in ("json", "xml"):
            response = self._open("requests", fmt, params={"service_request_id": f"{api_case.name},{phone_case.name}"})
            self.assertEqual(response.status_code, 200)
            body = response.content.decode()
            for secret in ("13912345678", "王", "小明", "wangxm@example.com", "13800138000", "李四"):
                self.assertNotIn(secret, body)
        item = self._json(self._open(f"requests/{phone_case.name}", "json"))[0]
        self.assertEqual(item["description"], "路灯不亮 (test)", "the summary, never the operator's notes")
        self.assertIsNone(item["lat"], "an anonymous caller's position is not published")
        self.assertIsNone(item["address"])

    def _create_case(self, days_ago, category=None, **values):
        return self.env["hotline.case"].create(
            {
                "summary": "测试 (test)",
                "category_id": (category or self.cat_water).id,
                "reported_at": fields.Datetime.now() - timedelta(days=days_ago),
                **values,
            }
        )

    def _numbers(self, params=None, fmt="json"):
        response = self._open("requests", fmt, params=params)
        if fmt == "json":
            return [item["service_request_id"] for item in self._json(response)]
        return [item.findtext("service_request_id") for item in self._xml(response)]

    def test_get_requests_filters(self):
        recent_water = self._create_case(2)
        recent_roads = self._create_case(3, self.cat_roads)
        old_water = self._create_case(100)
        private = self._create_case(1, self.cat_private)
        closed = self._create_case(5)
        closed.with_user(self.operator).write({"cancel_reason": "重复"})
        closed.with_user(self.operator).action_cancel()
        for fmt in ("json", "xml"):
            numbers = self._numbers(fmt=fmt)
            self.assertIn(recent_water.name, numbers)
            self.assertIn(recent_roads.name, numbers)
            self.assertNotIn(old_water.name, numbers, "the default window is 90 days")
            self.assertNotIn(private.name, numbers)
            self.assertLess(numbers.index(recent_water.name), numbers.index(recent_roads.name), "newest first")
        self.assertNotIn(recent_water.name, self._numbers({"service_code": "T311-ROADS"}))
        self.assertIn(recent_roads.name, self._numbers({"service_code": "T311-ROADS,T311-WATER"}))
        self.assertEqual(self._numbers({"service_code": "NOPE"}), [])
        self.assertNotIn(closed.name, self._numbers({"status": "open"}))
        self.assertIn(closed.name, self._numbers({"status": "closed"}))
        self.assertNotIn(recent_water.name, self._numbers({"status": "closed"}))
        self.assertIn(closed.name, self._numbers({"status": "open,closed"}))
        window = {
            "start_date": (fields.Datetime.now() - timedelta(days=120)).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "end_date": (fields.Datetime.now() - timedelta(days=50)).strftime("%Y-%m-%d"),
        }
        self.assertEqual(
            [n for n in self._numbers(window) if n in (old_water.name, recent_water.name)], [old_water.name]
        )
        only_start = {
            "start_date": (fields.Datetime.now() - timedelta(days=101)).isoformat(timespec="seconds") + "+00:00"
        }
        self.assertIn(old_water.name, self._numbers(only_start))
        # service_request_id wins over every other parameter
        ids = {
            "service_request_id": f"{old_water.name},{recent_roads.name}",
            "service_code": "T311-WATER",
            "status": "closed",
        }
        self.assertEqual(sorted(self._numbers(ids)), sorted([old_water.name, recent_roads.name]))

    def test_get_requests_bad_parameters(self):
        now = fields.Datetime.now()
        for fmt in ("json", "xml"):
            self._assert_error(self._open("requests", fmt, params={"status": "pending"}), 400, fmt)
            self._assert_error(self._open("requests", fmt, params={"start_date": "yesterday"}), 400, fmt)
            self._assert_error(
                self._open(
                    "requests",
                    fmt,
                    params={
                        "start_date": (now - timedelta(days=200)).date().isoformat(),
                        "end_date": now.date().isoformat(),
                    },
                ),
                400,
                fmt,
            )
            self._assert_error(
                self._open("requests", fmt, params={"start_date": "2026-03-02", "end_date": "2026-03-01"}), 400, fmt
            )
            self._assert_error(self._open("requests", fmt, params={"page_size": "0"}), 400, fmt)
            self._assert_error(self._open("requests", fmt, params={"page_size": "5000"}), 400, fmt)
            self._assert_error(self._open("requests", fmt, params={"page": "-1"}), 400, fmt)

    def test_pagination(self):
        cases = [self._create_case(1, self.cat_roads, summary=f"分页 {index} (test)") for index in range(3)]
        expected = [case.name for case in sorted(cases, key=lambda c: (c.reported_at, c.id), reverse=True)]
        params = {"service_code": "T311-ROADS", "page_size": "2"}
        first = self._open("requests", "json", params=params)
        self.assertEqual([item["service_request_id"] for item in self._json(first)], expected[:2])
        self.assertIn('rel="next"', first.headers["Link"])
        self.assertIn("page=2", first.headers["Link"])
        second = self._open("requests", "xml", params={**params, "page": "2"})
        self.assertEqual([item.findtext("service_request_id") for item in self._xml(second)], expected[2:])
        self.assertNotIn("Link", second.headers)
        self.assertEqual(self._json(self._open("requests", "json", params={**params, "page": "3"})), [])

    def test_xml_request_list_is_well_formed_for_any_text(self):
        case = self._submit(description="控制字符之外的一切 <>&'\" ]]>")
        root = etree.fromstring(self._open("requests", "xml", params={"service_request_id": case.name}).content)
        self.assertEqual(root.findtext("request/description"), "控制字符之外的一切 <>&'\" ]]>")

    def test_control_characters_do_not_break_the_xml(self):
        case = self._submit(description="水管\x01漏\x0b水")
        self.assertEqual(case.open311_description, "水管\x01漏\x0b水")
        root = self._xml(self._open(f"requests/{case.name}", "xml"))
        self.assertEqual(root.findtext("request/description"), "水管漏水")
        self.assertEqual(self._json(self._open(f"requests/{case.name}", "json"))[0]["description"], "水管\x01漏\x0b水")
