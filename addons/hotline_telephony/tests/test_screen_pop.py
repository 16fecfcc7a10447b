import json

from odoo.exceptions import AccessError
from odoo.tests import HttpCase, new_test_user, tagged
from odoo.tests.common import JsonRpcException

from .common import TelephonyCommon

PAYLOAD_KEYS = {
    "call_id",
    "call_uniqueid",
    "linkedid",
    "state",
    "caller_number",
    "partner_id",
    "partner_name",
    "vip",
    "blacklisted",
    "open_case_ids",
}
CARD_LIST_KEYS = {"open_case_ids", "open_cases", "last_cases", "case_count"}


class ScreenPopCommon(TelephonyCommon):
    @classmethod
    def setUpScreenPop(cls):
        cls.setUpTelephony()
        cls.open_case = cls.env["hotline.case"].create(
            {
                "partner_id": cls.vip.id,
                "caller_phone": "13911110001",
                "summary": "Street light out",
                "user_id": cls.operator2.id,
            }
        )
        cls.closed_case = cls.env["hotline.case"].create(
            {
                "partner_id": cls.vip.id,
                "caller_phone": "13911110001",
                "summary": "Old question",
                "user_id": cls.operator2.id,
                "state": "cancel",
            }
        )


@tagged("post_install", "-at_install")
class TestScreenPop(ScreenPopCommon, HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.setUpScreenPop()

    def screen_pops(self, user):
        channel = json.dumps([self.env.cr.dbname, "res.partner", user.partner_id.id], separators=(",", ":"))
        notifications = self.env["bus.bus"].sudo().search([("channel", "=", channel)], order="id")
        messages = [json.loads(notification.message) for notification in notifications]
        return [message["payload"] for message in messages if message["type"] == "hotline/screen_pop"]

    def test_ringing_pops_the_card(self):
        self.post_events(
            self.event(
                "ringing",
                linkedid="1795800000.0",
                uniqueid="1795800000.2",
                extension="1001",
                caller_number="+86 139 1111 0001",
                caller_name="Li",
            )
        )
        pops = self.screen_pops(self.operator)
        self.assertEqual(len(pops), 1, "one notification for the agent whose phone rings")
        pop = pops[0]
        self.assertLessEqual(PAYLOAD_KEYS, set(pop))
        call = self.env["hotline.call"].search([("linkedid", "=", "1795800000.0")])
        self.assertEqual(pop["call_id"], call.id)
        self.assertEqual(pop["call_uniqueid"], "1795800000.2")
        self.assertEqual(pop["state"], "ringing")
        self.assertEqual(pop["partner_id"], self.vip.id)
        self.assertEqual(pop["partner_name"], "VIP Li")
        self.assertIs(pop["vip"], True)
        self.assertIs(pop["blacklisted"], False)
        self.assertEqual(pop["open_case_ids"], [self.open_case.id], "open cases only, not the voided one")
        self.assertNotIn("last_cases", pop, "the lists are asked for when the card is shown")
        self.assertFalse(self.screen_pops(self.operator2), "no card for the other agents")
        card = call.with_user(self.operator).hotline_screen_pop_card()
        self.assertLessEqual(CARD_LIST_KEYS, set(card))
        self.assertEqual(card["linkedid"], "1795800000.0")
        self.assertEqual(card["open_case_ids"], [self.open_case.id])
        self.assertEqual([case["summary"] for case in card["open_cases"]], ["Street light out"])
        self.assertEqual({case["id"] for case in card["last_cases"]}, {self.open_case.id, self.closed_case.id})
        self.assertEqual(card["case_count"], 2)

    def test_a_ringing_call_is_stored_as_create_stores_it(self):
        self.post_events(
            self.event(
                "ringing",
                linkedid="1795800009.0",
                extension="1001",
                caller_number="13911110001",
                recording_file="q-1795800009.wav",
            )
        )
        call = self.env["hotline.call"].search([("linkedid", "=", "1795800009.0")])
        self.assertEqual((call.state, call.partner_id, call.extension), ("ringing", self.vip, "1001"))
        # the stored computes as the ORM computes them on the same values
        draft = self.env["hotline.call"].new(
            {name: call[name] for name in ("pbx_id", "direction", "caller_number", "called_number", "recording_file")}
            | {"start_time": call.start_time}
        )
        for name in ("company_id", "remote_number", "duration_seconds", "has_recording"):
            self.assertEqual(call[name], draft[name], name)
        self.assertEqual(call.company_id, self.pbx.company_id)
        self.assertTrue(call.has_recording)
        self.assertEqual(call.remote_number, "13911110001")
        self.assertEqual(call.create_uid, call.write_uid)
        self.assertTrue(call.create_date)

    def test_later_events_update_the_card(self):
        ringing = [
            self.event("ringing", linkedid="1795800001.0", uniqueid=f"1795800001.{n}", extension=ext, id=f"r{n}")
            for n, ext in ((2, "1001"), (3, "1002"))
        ]
        self.post_events(*ringing)
        self.post_events(
            self.event("answered", linkedid="1795800001.0", uniqueid="1795800001.3", extension="1002", wait_seconds=3)
        )
        pops = self.screen_pops(self.operator2)
        self.assertEqual([pop["state"] for pop in pops], ["ringing", "answered"])
        self.assertEqual({pop["linkedid"] for pop in pops}, {"1795800001.0"}, "same key: the card is updated")
        self.assertEqual(
            [pop["state"] for pop in self.screen_pops(self.operator)],
            ["ringing", "ended"],
            "the card of the agent who did not take the call closes",
        )
        self.post_events(self.event("hangup", linkedid="1795800001.0", extension="1002", disposition="answered"))
        self.assertEqual(self.screen_pops(self.operator2)[-1]["state"], "ended")

    def test_unknown_number_and_blacklist(self):
        self.post_events(self.event("ringing", linkedid="1795800002.0", extension="1001", caller_number="13977776666"))
        pop = self.screen_pops(self.operator)[-1]
        self.assertIs(pop["partner_id"], False)
        self.assertEqual(pop["open_case_ids"], [])
        self.post_events(self.event("ringing", linkedid="1795800003.0", extension="1001", caller_number="13911110002"))
        pop = self.screen_pops(self.operator)[-1]
        self.assertIs(pop["blacklisted"], True)
        self.assertEqual(pop["blacklist_reason"], "Abuse")

    def test_cards_restored_from_the_server(self):
        self.post_events(self.event("ringing", linkedid="1795800004.0", extension="1001", caller_number="13911110001"))
        cards = self.env["hotline.call"].with_user(self.operator).hotline_screen_pop_active()
        self.assertEqual([card["linkedid"] for card in cards], ["1795800004.0"])
        self.assertEqual(cards[0]["state"], "ringing")
        self.assertFalse(self.env["hotline.call"].with_user(self.operator2).hotline_screen_pop_active())

    def test_new_case_from_the_card_links_the_call(self):
        self.post_events(self.event("answered", linkedid="1795800005.0", extension="1001", caller_number="13911110001"))
        call = self.env["hotline.call"].search([("linkedid", "=", "1795800005.0")])
        context = call._hotline_new_case_context()
        self.assertEqual(context["default_partner_id"], self.vip.id)
        self.assertEqual(context["default_caller_phone"], "13911110001")
        case = self.env["hotline.case"].with_user(self.operator).with_context(context).create({"summary": "Lamp"})
        self.assertEqual(case.partner_id, self.vip)
        self.assertEqual(case.caller_phone, "13911110001")
        self.assertEqual(call.case_id, case)
        self.assertEqual(case.call_ids, call)


class CardAccessCommon(ScreenPopCommon):
    @classmethod
    def setUpCardAccess(cls):
        cls.setUpScreenPop()
        District = cls.env["hotline.district"]
        east = District.create({"name": "East", "code": "POP-E"})
        west = District.create({"name": "West", "code": "POP-W"})
        cls.west_operator = new_test_user(
            cls.env,
            login="tel_pop_west",
            groups="hotline_base.group_hotline_operator",
            hotline_extension="1003",
            hotline_pbx_id=cls.pbx.id,
            hotline_district_ids=[(6, 0, west.ids)],
            tz="UTC",
        )
        Case = cls.env["hotline.case"]
        cls.open_case.district_id = east
        cls.closed_case.district_id = east
        cls.west_case = Case.create(
            {"partner_id": cls.vip.id, "caller_phone": "13911110001", "summary": "Bench broken", "district_id": west.id}
        )


@tagged("post_install", "-at_install")
class TestScreenPopCardAccess(CardAccessCommon, HttpCase):
    """The card's lists (asked by the web client) show the cases the operator's record rules let them
    read, no more: an operator of the West district does not see the caller's case of the East."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.setUpCardAccess()

    def ring(self, linkedid, extension):
        self.post_events(self.event("ringing", linkedid=linkedid, extension=extension, caller_number="13911110001"))
        return self.env["hotline.call"].search([("linkedid", "=", linkedid)])

    def pop_of(self, user):
        channel = json.dumps([self.env.cr.dbname, "res.partner", user.partner_id.id], separators=(",", ":"))
        notification = self.env["bus.bus"].sudo().search([("channel", "=", channel)], order="id desc", limit=1)
        return json.loads(notification.message)["payload"]

    def card_rpc(self, call):
        return self.make_jsonrpc_request(
            "/web/dataset/call_kw/hotline.call/hotline_screen_pop_card",
            {"model": "hotline.call", "method": "hotline_screen_pop_card", "args": [call.ids], "kwargs": {}},
        )

    def test_pop_and_card_within_the_operators_rules(self):
        call = self.ring("1795810000.0", "1003")
        self.assertEqual(self.pop_of(self.west_operator)["open_case_ids"], [self.west_case.id])
        card = call.with_user(self.west_operator).hotline_screen_pop_card()
        self.assertEqual(card["open_case_ids"], [self.west_case.id])
        self.assertEqual([case["id"] for case in card["last_cases"]], [self.west_case.id])
        self.assertEqual(card["case_count"], 1)
        self.authenticate("tel_pop_west", "tel_pop_west")
        card = self.card_rpc(call)
        self.assertEqual([case["id"] for case in card["open_cases"]], [self.west_case.id])
        self.assertEqual([case["id"] for case in card["last_cases"]], [self.west_case.id])
        self.assertNotIn(self.open_case.id, card["open_case_ids"])

    def test_operator_without_district_sees_every_case(self):
        call = self.ring("1795810001.0", "1001")
        self.assertEqual(set(self.pop_of(self.operator)["open_case_ids"]), {self.open_case.id, self.west_case.id})
        self.authenticate("tel_operator", "tel_operator")
        card = self.card_rpc(call)
        self.assertEqual(card["case_count"], 3)

    def test_no_card_of_a_call_the_operator_may_not_read(self):
        call = self.env["hotline.call"].create(
            {"pbx_id": self.pbx.id, "linkedid": "1795810002.0", "user_id": self.operator2.id, "partner_id": self.vip.id}
        )
        with self.assertRaises(AccessError):
            call.with_user(self.west_operator).hotline_screen_pop_card()
        self.authenticate("tel_pop_west", "tel_pop_west")
        with self.assertRaises(JsonRpcException):
            self.card_rpc(call)
