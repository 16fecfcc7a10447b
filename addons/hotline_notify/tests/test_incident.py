from unittest.mock import patch
from urllib.parse import parse_qs

from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import AccessError, UserError
from odoo.tests import Form, HttpCase, TransactionCase, new_test_user, tagged

TOKEN = "c2-incident-token-12319"
MESSAGE = "江滨路因管道抢修停水，预计18时恢复。"
LOGGER = "odoo.addons.hotline_notify.models.hotline_incident"


class IncidentCommon:
    """Districts (one with a sub-district), categories, users without e-mail, callers and a PBX of its own."""

    @classmethod
    def setUpIncidents(cls):
        cls.env = cls.env(context=dict(cls.env.context, no_reset_password=True, tracking_disable=False))
        cls.env.company.country_id = cls.env.ref("base.cn")
        # only this test's incidents are active
        cls.env["hotline.incident"].search([("state", "=", "active")]).sudo().write({"state": "closed"})
        District = cls.env["hotline.district"]
        cls.district_east = District.create({"name": "江东区 (test)", "code": "C2-JD"})
        cls.district_east_street = District.create(
            {"name": "滨江街道 (test)", "code": "C2-JD-BJ", "parent_id": cls.district_east.id}
        )
        cls.district_west = District.create({"name": "西湖区 (test)", "code": "C2-XH"})
        Category = cls.env["hotline.category"]
        cls.cat_water = Category.create({"name": "供水 (test)", "code": "C2-WATER"})
        cls.cat_water_cut = Category.create(
            {"name": "停水 (test)", "code": "C2-WATER-CUT", "parent_id": cls.cat_water.id}
        )
        cls.cat_gas = Category.create({"name": "供气 (test)", "code": "C2-GAS"})
        # like most hotline staff, they have no e-mail address
        cls.operator = new_test_user(
            cls.env, login="c2_operator", name="王丽", groups="hotline_base.group_hotline_operator", email=False
        )
        cls.supervisor = new_test_user(
            cls.env, login="c2_supervisor", name="陈刚", groups="hotline_base.group_hotline_supervisor", email=False
        )
        Partner = cls.env["res.partner"]
        cls.caller_east = Partner.create({"name": "刘洋 (test)", "mobile": "13800138000"})
        cls.caller_west = Partner.create({"name": "赵敏 (test)", "mobile": "13900139000"})

    @classmethod
    def create_incident(cls, **values):
        vals = {
            "name": "江滨路停水 (test)",
            "category_id": cls.cat_water.id,
            "district_ids": [Command.set(cls.district_east.ids)],
            "message": MESSAGE,
            "date_start": "2026-03-02 01:00:00",
            "date_end": "2026-03-02 10:00:00",
        }
        vals.update(values)
        return cls.env["hotline.incident"].with_user(cls.supervisor).create(vals)

    @classmethod
    def create_case(cls, **values):
        vals = {"summary": "家里没水了", "caller_phone": "13800138000", "category_id": cls.cat_water_cut.id}
        vals.update(values)
        return cls.env["hotline.case"].create(vals)

    @classmethod
    def fake_tts(cls, fail=False):
        """Stand in for B1's text-to-speech: a sound path, or the engine's error."""

        def render(self, text, name):
            if fail:
                raise OSError("espeak-ng is not installed")
            return f"/var/lib/asterisk/sounds/hotline-notify/{name}"

        model = type(cls.env["hotline.voice.notice"])
        return patch.object(model, "_hotline_render_sound", render, create=True)

    @classmethod
    def activate(cls, incident):
        with cls.fake_tts():
            incident.with_user(cls.supervisor).action_activate()
        return incident


@tagged("post_install", "-at_install")
class TestIncident(IncidentCommon, TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.setUpIncidents()

    # ------------------------------------------------------------
    # activation and closing
    # ------------------------------------------------------------

    def test_activation_stores_the_sound(self):
        incident = self.create_incident(date_start=False)
        with self.fake_tts():
            incident.with_user(self.supervisor).action_activate()
        self.assertEqual(incident.state, "active")
        self.assertEqual(incident.announcement_sound, f"incident_{incident.id}")
        self.assertTrue(incident.date_start, "the start is set on activation")
        self.assertTrue(incident.closing_message, "a closing text is proposed, to edit before closing")
        with self.assertRaises(UserError):
            incident.with_user(self.supervisor).action_activate()

    def test_tts_failure_does_not_block(self):
        incident = self.create_incident()
        with self.fake_tts(fail=True), self.assertLogs(LOGGER, "WARNING"):
            incident.with_user(self.supervisor).action_activate()
        self.assertEqual(incident.state, "active", "the text still goes out")
        self.assertFalse(incident.announcement_sound)
        self.assertIn("espeak-ng is not installed", incident.message_ids[:1].body)
        self.assertEqual(incident._hotline_announcement(), {"announcement": MESSAGE, "announcement_sound": ""})

    def test_changed_message_is_spoken_again(self):
        incident = self.activate(self.create_incident())
        with self.fake_tts(fail=True), self.assertLogs(LOGGER, "WARNING"):
            incident.with_user(self.supervisor).message = "江滨路恢复供水时间推迟至20时。"
        self.assertFalse(incident.announcement_sound, "never a stale recording")
        with self.fake_tts():
            incident.with_user(self.supervisor).message = "江滨路恢复供水时间推迟至21时。"
        self.assertEqual(incident.announcement_sound, f"incident_{incident.id}")

    def test_closing_texts_each_reporter_once(self):
        incident = self.activate(self.create_incident())
        first = self.create_case(partner_id=self.caller_east.id, district_id=self.district_east.id)
        again = self.create_case(caller_phone="138 0013 8000", district_id=self.district_east.id)
        other = self.create_case(caller_phone="13900139000", district_id=self.district_east_street.id)
        no_phone = self.create_case(caller_phone=False)
        unrelated = self.create_case(caller_phone="13700137000")
        (first | again | other | no_phone).incident_id = incident
        merged = self.create_case(caller_phone="13600136000", duplicate_of_id=first.id)
        self.assertEqual(incident.case_count, 4)
        self.assertEqual(incident.reporter_count, 3, "a number counts once; merged duplicates count")

        incident.with_user(self.supervisor).closing_message = "江滨路已恢复供水，感谢您的反映。"
        incident.with_user(self.supervisor).action_close()
        self.assertEqual(incident.state, "closed")
        self.assertTrue(incident.date_end)
        mailing = incident.mailing_id
        self.assertEqual(mailing.mailing_type, "sms")
        self.assertEqual(mailing.mailing_model_real, "hotline.case")
        self.assertEqual(mailing.state, "in_queue")

        self.env["mailing.mailing"]._process_mass_mailing_queue()
        sms = self.env["sms.sms"].search([("mailing_id", "=", mailing.id)])
        outgoing = sms.filtered(lambda message: message.state == "outgoing")
        self.assertEqual(sorted(outgoing.mapped("number")), ["+8613600136000", "+8613800138000", "+8613900139000"])
        self.assertTrue(all(body.startswith("江滨路已恢复供水") for body in outgoing.mapped("body")))
        self.assertNotIn("STOP", outgoing[0].body, "no opt-out link in a public service notice")
        traces = mailing.mailing_trace_ids
        self.assertEqual(set(traces.mapped("res_id")), {first.id, again.id, other.id, no_phone.id, merged.id})
        self.assertNotIn(unrelated.id, traces.mapped("res_id"))
        duplicate = traces.filtered(lambda trace: trace.failure_type == "sms_duplicate")
        self.assertEqual(len(duplicate), 1)
        self.assertIn(duplicate.res_id, (first | again).ids)
        self.assertEqual(traces.filtered(lambda t: t.res_id == no_phone.id).trace_status, "cancel")

    def test_close_needs_a_text_and_an_active_incident(self):
        incident = self.activate(self.create_incident())
        incident.with_user(self.supervisor).closing_message = " "
        with self.assertRaises(UserError):
            incident.with_user(self.supervisor).action_close()
        self.assertEqual(incident.state, "active")
        incident.with_user(self.supervisor).closing_message = "已恢复供水。"
        incident.with_user(self.supervisor).action_close()
        self.assertFalse(incident.mailing_id, "no case: nobody to text")
        self.assertIn("no text was sent", incident.message_ids[:1].body)
        with self.assertRaises(UserError):
            incident.with_user(self.supervisor).action_close()

    # ------------------------------------------------------------
    # cases
    # ------------------------------------------------------------

    def test_suggested_incident_and_link(self):
        incident = self.activate(self.create_incident())
        case = self.create_case(district_id=self.district_east_street.id)
        self.assertEqual(case.suggested_incident_id, incident, "sub-category in a sub-district")
        self.assertFalse(self.create_case(district_id=self.district_west.id).suggested_incident_id, "other district")
        self.assertFalse(
            self.create_case(district_id=self.district_east.id, category_id=self.cat_gas.id).suggested_incident_id,
            "other category",
        )
        self.assertFalse(self.create_case(district_id=False).suggested_incident_id, "district unknown")

        case.with_user(self.operator).action_link_incident()
        self.assertEqual(case.incident_id, incident)
        self.assertFalse(case.suggested_incident_id, "nothing more to suggest")
        self.assertIn(case, incident.case_ids)
        with self.assertRaises(UserError):
            elsewhere = self.create_case(caller_phone="13700137000", district_id=self.district_west.id)
            elsewhere.with_user(self.operator).action_link_incident()

    def test_city_wide_incident_matches_any_district(self):
        incident = self.activate(self.create_incident(district_ids=[Command.clear()]))
        self.assertTrue(incident.is_city_wide)
        self.assertEqual(self.create_case(district_id=self.district_west.id).suggested_incident_id, incident)
        self.assertEqual(self.create_case(district_id=False).suggested_incident_id, incident)

    def test_duplicate_detection_suggests_the_incident(self):
        incident = self.activate(self.create_incident())
        first = self.create_case(caller_phone="13900139000", district_id=self.district_east.id)
        first.incident_id = incident
        # same caller, reported as gas in another district: only the duplicate tells it is the incident
        second = self.create_case(caller_phone="13900139000", category_id=self.cat_gas.id)
        self.assertIn(first, second.possible_duplicate_ids)
        self.assertEqual(second.suggested_incident_id, incident)
        incident.with_user(self.supervisor).closing_message = "已恢复供水。"
        incident.with_user(self.supervisor).action_close()
        second.invalidate_recordset(["suggested_incident_id"])
        self.assertFalse(second.suggested_incident_id, "closed incidents are not suggested")

    def test_registration_banner(self):
        incident = self.activate(self.create_incident())
        new_case = self.create_case(category_id=False, district_id=self.district_east_street.id)
        self.assertIn(MESSAGE, new_case.incident_notice, "read to the caller whatever the category")
        self.assertIn(incident.name, new_case.incident_notice)
        elsewhere = self.create_case(caller_phone="13700137000", district_id=self.district_west.id)
        self.assertFalse(elsewhere.incident_notice)
        # no district typed yet: the caller's earlier case tells where they live
        self.create_case(caller_phone="13500135000", district_id=self.district_east.id)
        known = self.create_case(caller_phone="135 0013 5000", district_id=False, category_id=False)
        self.assertIn(MESSAGE, known.incident_notice)

    def test_registration_form(self):
        incident = self.activate(self.create_incident())
        with Form(self.env["hotline.case"].with_user(self.operator)) as form:
            form.summary = "停水"
            form.caller_phone = "13700137000"
            self.assertFalse(form.incident_notice)
            form.district_id = self.district_east_street
            self.assertIn(MESSAGE, form.incident_notice)
            form.category_id = self.cat_water_cut
            self.assertEqual(form.suggested_incident_id, incident)
            form.incident_id = incident
        self.assertEqual(form.record.incident_id, incident)
        arch = self.env["hotline.case"].with_user(self.operator).get_views([(False, "form")])["views"]["form"]["arch"]
        self.assertIn("action_link_incident", arch)
        views = (
            self.env["hotline.incident"]
            .with_user(self.operator)
            .get_views([(False, "list"), (False, "kanban"), (False, "form"), (False, "search")])
        )
        self.assertNotIn("action_close", views["views"]["form"]["arch"], "operators read")
        arch = self.env["hotline.incident"].with_user(self.supervisor).get_views([(False, "form")])["views"]["form"]
        self.assertIn("action_close", arch["arch"])

    # ------------------------------------------------------------
    # access and time
    # ------------------------------------------------------------

    def test_operator_reads_supervisor_acts(self):
        incident = self.create_incident()
        as_operator = incident.with_user(self.operator)
        self.assertEqual(as_operator.read(["name", "case_count"])[0]["name"], incident.name)
        with self.assertRaises(AccessError):
            as_operator.action_activate()
        with self.assertRaises(AccessError):
            self.env["hotline.incident"].with_user(self.operator).create(
                {"name": "x", "category_id": self.cat_water.id, "message": MESSAGE}
            )
        self.activate(incident)
        with self.assertRaises(AccessError):
            as_operator.action_close()
        with self.assertRaises(AccessError):
            incident.with_user(self.supervisor).write({"state": "closed"})
        self.assertEqual(incident.state, "active", "the state changes only through the buttons")
        with self.assertRaises(AccessError):
            self.env["hotline.incident"].with_user(self.supervisor).create(
                {"name": "x", "category_id": self.cat_water.id, "message": MESSAGE, "state": "active"}
            )

    def test_past_end_is_flagged_and_reminded_once(self):
        incident = self.activate(self.create_incident())
        Incident = self.env["hotline.incident"]
        with freeze_time("2026-03-02 09:00:00"):
            incident.invalidate_recordset(["is_past_end"])
            self.assertFalse(incident.is_past_end)
            Incident._cron_remind_past_end()
            self.assertFalse(incident.activity_ids)
        with freeze_time("2026-03-02 11:00:00"):
            incident.invalidate_recordset(["is_past_end"])
            self.assertTrue(incident.is_past_end)
            self.assertIn(incident, Incident.search([("is_past_end", "=", True)]))
            Incident._cron_remind_past_end()
            Incident._cron_remind_past_end()
            self.assertEqual(len(incident.activity_ids), 1)
            self.assertEqual(incident.activity_ids.user_id, self.supervisor)
            self.assertEqual(incident.state, "active", "not closed by the clock")


@tagged("post_install", "-at_install")
class TestIncidentRoute(IncidentCommon, HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.setUpIncidents()
        cls.pbx = cls.env["hotline.pbx"].create({"name": "Incident PBX", "token": TOKEN})
        cls.incident = cls.activate(cls.create_incident())
        cls.sound = f"incident_{cls.incident.id}"
        # the east caller has an open case in the east's sub-district; the west caller in the west
        cls.create_case(partner_id=cls.caller_east.id, district_id=cls.district_east_street.id)
        cls.create_case(partner_id=cls.caller_west.id, caller_phone="13900139000", district_id=cls.district_west.id)

    def route(self, caller, **params):
        self.env.flush_all()
        query = "&".join(f"{key}={value}" for key, value in {"caller": caller, **params}.items())
        response = self.url_open(f"/hotline/pbx/route?{query}", headers={"Authorization": f"Bearer {TOKEN}"})
        self.assertEqual(response.status_code, 200)
        return response

    def test_announcement_by_district(self):
        answer = self.route("13800138000", called="12319").json()
        self.assertEqual(answer["action"], "queue")
        self.assertEqual(answer["announcement"], MESSAGE)
        self.assertEqual(answer["announcement_sound"], self.sound)
        west = self.route("13900139000").json()
        self.assertEqual((west["announcement"], west["announcement_sound"]), ("", ""))
        unknown = self.route("13700137000").json()
        self.assertEqual((unknown["announcement"], unknown["announcement_sound"]), ("", ""))
        blacklisted = self.env["res.partner"].create(
            {"name": "孙强 (test)", "mobile": "13500135000", "hotline_blacklisted": True}
        )
        self.create_case(partner_id=blacklisted.id, caller_phone="13500135000", district_id=self.district_east.id)
        rejected = self.route("13500135000").json()
        self.assertEqual(rejected["action"], "reject")
        self.assertEqual((rejected["announcement"], rejected["announcement_sound"]), ("", ""))

    def test_known_by_the_latest_case(self):
        case = self.create_case(caller_phone="13600136000", district_id=self.district_east.id)
        case.sudo()._hotline_write({"state": "cancel"})
        self.assertEqual(self.route("13600136000").json()["announcement"], MESSAGE, "their address")

    def test_city_wide_and_newest_first(self):
        city = self.activate(
            self.create_incident(
                name="全市燃气检修 (test)",
                category_id=self.cat_gas.id,
                district_ids=[Command.clear()],
                message="全市燃气管网今晚检修。",
                date_start="2026-03-02 02:00:00",
            )
        )
        self.assertEqual(self.route("13700137000").json()["announcement_sound"], f"incident_{city.id}")
        self.assertEqual(self.route("13800138000").json()["announcement"], "全市燃气管网今晚检修。", "newest first")
        city.with_user(self.supervisor).closing_message = "检修完毕。"
        city.with_user(self.supervisor).action_close()
        self.assertEqual(self.route("13800138000").json()["announcement"], MESSAGE)
        self.assertEqual(self.route("13700137000").json()["announcement"], "")

    def test_closed_incident_is_not_announced(self):
        self.incident.with_user(self.supervisor).closing_message = "已恢复供水。"
        self.incident.with_user(self.supervisor).action_close()
        answer = self.route("13800138000").json()
        self.assertEqual((answer["announcement"], answer["announcement_sound"]), ("", ""))

    def test_hash_format(self):
        response = self.route("13800138000", format="hash")
        answer = parse_qs(response.text, keep_blank_values=True)
        self.assertEqual(answer["announcement_sound"], [self.sound])
        self.assertEqual(answer["announcement"], [MESSAGE])
        self.assertEqual(answer["action"], ["queue"])
        answer = parse_qs(self.route("13900139000", format="hash").text, keep_blank_values=True)
        self.assertEqual(answer["announcement_sound"], [""])

    def test_few_queries(self):
        """Asked on every call: the announcement costs a handful of indexed queries, however many cases."""
        for _index in range(30):
            self.create_case(partner_id=self.caller_east.id, district_id=self.district_west.id)
        self.env.flush_all()
        self.env.invalidate_all()
        before = self.env.cr.sql_log_count
        answer = self.pbx._hotline_route_announcement("13800138000", self.caller_east.id)
        queries = self.env.cr.sql_log_count - before
        self.assertEqual(answer["announcement"], MESSAGE)
        # savepoint, active incidents, their districts, the caller's open and latest cases, districts, release
        self.assertLessEqual(queries, 9)

    def test_error_means_no_announcement(self):
        model = type(self.env["hotline.incident"])
        with (
            patch.object(model, "_hotline_incident_for_caller", side_effect=RuntimeError("boom")),
            self.assertLogs("odoo.addons.hotline_notify.models.hotline_pbx", "ERROR"),
        ):
            answer = self.route("13800138000").json()
        self.assertEqual(answer["action"], "queue", "the call goes on")
        self.assertEqual((answer["announcement"], answer["announcement_sound"]), ("", ""))
