from odoo.exceptions import AccessError
from odoo.tests import HttpCase, new_test_user, tagged

from .common import TelephonyCommon


class AccessCommon(TelephonyCommon):
    @classmethod
    def setUpAccess(cls):
        cls.setUpTelephony()
        District = cls.env["hotline.district"]
        cls.east = District.create({"name": "East", "code": "TEL-E"})
        cls.west = District.create({"name": "West", "code": "TEL-W"})
        cls.west_operator = new_test_user(
            cls.env,
            login="tel_west",
            groups="hotline_base.group_hotline_operator",
            hotline_district_ids=[(6, 0, cls.west.ids)],
        )
        cls.case = cls.env["hotline.case"].create(
            {
                "partner_id": cls.caller.id,
                "caller_phone": "13800138000",
                "summary": "Pipe burst",
                "district_id": cls.east.id,
                "user_id": cls.operator.id,
            }
        )
        cls.write_recording("hotline-20261126-000934-1795651774.1.wav", b"RIFF-recorded-voice")
        Call = cls.env["hotline.call"]
        cls.call = Call.create(
            {
                "pbx_id": cls.pbx.id,
                "linkedid": "1795651774.0",
                "user_id": cls.operator.id,
                "case_id": cls.case.id,
                "disposition": "answered",
                "recording_file": "/var/spool/asterisk/monitor/hotline-20261126-000934-1795651774.1.wav",
            }
        )
        cls.other_call = Call.create(
            {"pbx_id": cls.pbx.id, "linkedid": "1795651775.0", "user_id": cls.operator2.id, "disposition": "answered"}
        )
        cls.missing = Call.create(
            {
                "pbx_id": cls.pbx.id,
                "linkedid": "1795651776.0",
                "user_id": cls.operator.id,
                "recording_file": "hotline-gone-1795651776.1.wav",
            }
        )


@tagged("post_install", "-at_install")
class TestAccess(AccessCommon, HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.setUpAccess()

    def test_portal_users_never_see_calls(self):
        with self.assertRaises(AccessError):
            self.env["hotline.call"].with_user(self.portal_user).search([])
        with self.assertRaises(AccessError):
            self.call.with_user(self.portal_user).read(["caller_number"])
        with self.assertRaises(AccessError):
            self.env["hotline.call.cdr"].with_user(self.portal_user).search([])

    def test_operators_see_their_calls_supervisors_all(self):
        visible = self.env["hotline.call"].with_user(self.operator2).search([("pbx_id", "=", self.pbx.id)])
        self.assertIn(self.other_call, visible)
        self.assertIn(self.call, visible, "a call of a case the operator may see")
        self.assertNotIn(
            self.call,
            self.env["hotline.call"].with_user(self.west_operator).search([]),
            "not the calls of another district's case",
        )
        self.assertEqual(
            self.env["hotline.call"].with_user(self.supervisor).search([("pbx_id", "=", self.pbx.id)]),
            self.call | self.other_call | self.missing,
        )
        with self.assertRaises(AccessError):
            self.env["hotline.call.cdr"].with_user(self.operator).search([])

    def test_secrets_for_administrators_only(self):
        with self.assertRaises(AccessError):
            self.pbx.with_user(self.supervisor).read(["token"])
        with self.assertRaises(AccessError):
            self.pbx.with_user(self.operator).read(["ami_secret"])
        self.assertEqual(self.pbx.with_user(self.operator).read(["name"])[0]["name"], "Test PBX")
        admin = new_test_user(self.env, login="tel_admin", groups="hotline_base.group_hotline_admin")
        self.assertTrue(self.pbx.with_user(admin).token)

    def test_recording_download(self):
        self.authenticate("tel_operator", "tel_operator")
        response = self.url_open(f"/hotline/call/{self.call.id}/recording")
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.content, b"RIFF-recorded-voice")
        response = self.url_open(f"/hotline/call/{self.call.id}/recording?download=1")
        self.assertIn("attachment", response.headers["Content-Disposition"])
        logs = self.env["hotline.audit.log"].search([("user_id", "=", self.operator.id)], order="id")
        self.assertEqual(logs.mapped("action"), ["recording_play", "recording_download"])
        self.assertEqual(set(logs.mapped("res_id")), {self.case.id}, "the recording belongs to the case")

    def test_recording_denied_without_the_case(self):
        self.authenticate("tel_west", "tel_west")
        response = self.url_open(f"/hotline/call/{self.call.id}/recording")
        self.assertEqual(response.status_code, 403)
        self.assertFalse(self.env["hotline.audit.log"].search([("user_id", "=", self.west_operator.id)]))
        self.assertNotIn(b"RIFF", response.content)
        self.authenticate("tel_portal", "tel_portal")
        response = self.url_open(f"/hotline/call/{self.call.id}/recording")
        self.assertNotEqual(response.status_code, 200)
        self.assertNotIn(b"RIFF", response.content)

    def test_recording_missing(self):
        self.authenticate("tel_operator", "tel_operator")
        response = self.url_open(f"/hotline/call/{self.missing.id}/recording")
        self.assertEqual(response.status_code, 404)
        self.assertIn("missing", response.text)

    def test_recording_path_traversal(self):
        self.missing.recording_file = "../../../../etc/passwd"
        self.assertIsNone(self.missing._hotline_recording_path())
        self.missing.recording_file = "/etc/passwd"
        self.assertIsNone(self.missing._hotline_recording_path())
