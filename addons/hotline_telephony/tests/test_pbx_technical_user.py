import json
from unittest.mock import patch

from odoo.exceptions import AccessError
from odoo.tests import HttpCase, tagged

from odoo.addons.hotline_telephony.models.hotline_call import HotlineCall
from odoo.addons.hotline_telephony.models.hotline_call_cdr import HotlineCallCdr
from odoo.addons.hotline_telephony.models.hotline_pbx import HotlinePbx

from .common import TOKEN, TelephonyCommon


@tagged("post_install", "-at_install")
class TestPbxTechnicalUser(TelephonyCommon, HttpCase):
    """The PBX endpoints check the token first, then run as the PBX's technical user, never as superuser."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.setUpTelephony()
        cls.bridge_user = cls.env.ref("hotline_telephony.user_pbx_bridge")

    def post(self, path, body, token=TOKEN):
        headers = {"Content-Type": "application/json"}
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        self.env.flush_all()
        response = self.url_open(path, data=json.dumps(body), headers=headers)
        self.env.invalidate_all()
        return response

    def get_route(self, token=TOKEN):
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self.env.flush_all()
        return self.url_open("/hotline/pbx/route?caller=13800138000&called=12319", headers=headers)

    def _recording_env(self, model, method):
        """Patch ``model.method`` to note the env it runs with: ``[(uid, su, company ids)]``."""
        seen = []
        original = getattr(model, method)

        def spy(records, *args, **kwargs):
            seen.append((records.env.uid, records.env.su, records.env.companies.ids))
            return original(records, *args, **kwargs)

        self.startPatcher(patch.object(model, method, spy))
        return seen

    # ------------------------------------------------------------
    # the token first
    # ------------------------------------------------------------

    def test_wrong_token_touches_nothing(self):
        applied = self._recording_env(HotlineCall, "_hotline_process_events")
        stored = self._recording_env(HotlineCallCdr, "_hotline_process_payloads")
        routed = self._recording_env(HotlinePbx, "_hotline_route")
        companies = self.bridge_user.company_ids
        event = {"events": [self.event("ringing", extension="1001")]}
        cdr = {"cdrs": [{"uniqueid": "1.1", "start": "2026-11-26 00:09:34"}]}
        for token in (None, "", "wrong-token", TOKEN[:-1], TOKEN + "x"):
            self.assertEqual(self.post("/hotline/pbx/event", event, token=token).status_code, 401, token)
            self.assertEqual(self.post("/hotline/pbx/cdr", cdr, token=token).status_code, 401, token)
            self.assertEqual(self.get_route(token=token).status_code, 401, token)
        self.assertEqual((applied, stored, routed), ([], [], []), "nothing ran behind a wrong token")
        self.assertFalse(self.env["hotline.call"].search([("pbx_id", "=", self.pbx.id)]))
        self.assertFalse(self.env["hotline.call.event"].search([("pbx_id", "=", self.pbx.id)]))
        self.assertEqual(self.bridge_user.company_ids, companies)

    def test_endpoints_run_as_the_technical_user(self):
        applied = self._recording_env(HotlineCall, "_hotline_process_events")
        routed = self._recording_env(HotlinePbx, "_hotline_route")
        events = [
            self.event("ringing", extension="1001", uniqueid="1795651774.2"),
            self.event("answered", extension="1001", uniqueid="1795651774.2", wait_seconds=2),
            self.event("hangup", extension="1001", disposition="answered", talk_seconds=5),
        ]
        response = self.post("/hotline/pbx/event", {"events": events})
        self.assertEqual(response.status_code, 200, response.text)
        self.assertEqual(response.json()["processed"], 3)
        self.assertEqual(self.get_route().status_code, 200)
        expected = (self.bridge_user.id, False, [self.pbx.company_id.id])
        self.assertEqual(applied, [expected])
        self.assertEqual(routed, [expected])
        call = self.env["hotline.call"].search([("pbx_id", "=", self.pbx.id)])
        self.assertRecordValues(call, [{"user_id": self.operator.id, "disposition": "answered"}])
        self.assertEqual(call.create_uid, self.bridge_user, "the call is stored by the technical user")

    def test_a_pbx_of_another_company_gets_the_technical_user_there(self):
        company = self.env["res.company"].create({"name": "Second district centre"})
        pbx = self.env["hotline.pbx"].create(
            {"name": "PBX 2", "token": "second-centre-token", "company_id": company.id}
        )
        self.assertIn(company, self.bridge_user.company_ids, "linked with the PBX, before any request")
        event = self.event("ringing", linkedid="1795650000.0")
        response = self.post("/hotline/pbx/event", {"events": [event]}, token="second-centre-token")
        self.assertEqual(response.status_code, 200, response.text)
        self.assertIn(company, self.bridge_user.company_ids)
        call = self.env["hotline.call"].search([("pbx_id", "=", pbx.id)])
        self.assertEqual(call.company_id, company)

    def test_a_pbx_moved_to_another_company_takes_the_technical_user_along(self):
        company = self.env["res.company"].create({"name": "Third district centre"})
        self.assertNotIn(company, self.bridge_user.company_ids)
        self.pbx.company_id = company
        self.assertIn(company, self.bridge_user.company_ids)

    # ------------------------------------------------------------
    # what the technical user may not do
    # ------------------------------------------------------------

    def test_the_technical_user_has_only_what_the_endpoints_need(self):
        self.assertFalse(self.bridge_user.active, "it cannot log in")
        self.assertFalse(self.bridge_user._is_admin() or self.bridge_user._is_system())
        env = self.env(user=self.bridge_user, context={"allowed_company_ids": [self.pbx.company_id.id]})
        pbx = env["hotline.pbx"].browse(self.pbx.id)
        self.assertEqual(pbx.name, "Test PBX")
        for secret in ("token", "ami_secret", "bridge_url", "recording_path"):
            with self.assertRaises(AccessError, msg=secret):
                pbx.read([secret])
        with self.assertRaises(AccessError):
            pbx.write({"name": "Hijacked"})
        admin = env["res.users"].browse(self.env.ref("base.user_admin").id)
        self.assertFalse(admin.read(["password"])[0]["password"], "never a password hash")
        with self.assertRaises(AccessError):
            admin.write({"login": "hijacked"})
        with self.assertRaises(AccessError):
            env["res.users"].create({"name": "Intruder", "login": "intruder"})
        with self.assertRaises(AccessError):
            env["ir.config_parameter"].get_param("database.secret")
        # cases: read for the route lookup and the screen pop, never written by the technical user itself
        case = self.env["hotline.case"].create({"summary": "路灯不亮", "caller_phone": "13800138000"})
        self.assertEqual(env["hotline.case"].search([("id", "=", case.id)]), case)
        with self.assertRaises(AccessError):
            env["hotline.case"].browse(case.id).write({"description": "changed by the PBX"})
        with self.assertRaises(AccessError):
            env["hotline.case"].create({"summary": "created by the PBX"})
        # calls: created and completed, never deleted
        call = env["hotline.call"].create({"pbx_id": self.pbx.id, "linkedid": "1795659999.0", "direction": "inbound"})
        with self.assertRaises(AccessError):
            call.unlink()
        with self.assertRaises(AccessError):
            env["hotline.call.event"].check_access("unlink")
