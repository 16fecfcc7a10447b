from ast import literal_eval
from datetime import timedelta

from odoo import fields
from odoo.tests import tagged

from .test_case_texts import HotlineNotifyCommon


@tagged("post_install", "-at_install")
class TestGroupSms(HotlineNotifyCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # no per-case texts here: only the campaign's
        cls.env["ir.config_parameter"].sudo().set_param("hotline_notify.sms_registered", False)
        cls.cases_a = cls.env["hotline.case"]
        for phone in ("13800000001", "13800000001", "138 0000 0002", False):
            cls.cases_a |= cls._create_case_cls(phone, cls.district_a_street)
        cls.case_b = cls._create_case_cls("13800000003", cls.district_b)

    @classmethod
    def _create_case_cls(cls, phone, district):
        return cls.env["hotline.case"].create(
            {
                "summary": "停水通知 (test)",
                "caller_name": "居民",
                "caller_phone": phone,
                "category_id": cls.cat_water.id,
                "service_type_id": cls.type_consult.id,
                "district_id": district.id,
            }
        )

    def _mailing(self, **values):
        vals = {
            "name": "东湖区停水通知",
            "subject": "东湖区停水通知",
            "mailing_type": "sms",
            "mailing_model_id": self.env["ir.model"]._get_id("hotline.case"),
            "mailing_domain": repr([("district_id", "child_of", self.district_a.id)]),
            "body_plaintext": "12319：东湖区明日 9 时至 17 时停水，请提前储水。",
        }
        vals.update(values)
        return self.env["mailing.mailing"].with_user(self.supervisor).create(vals)

    def test_action_shows_case_sms_mailings(self):
        action = (
            self.env["ir.actions.act_window"]
            .with_user(self.supervisor)
            ._for_xml_id("hotline_notify.mailing_mailing_action_hotline_sms")
        )
        self.assertEqual(action["res_model"], "mailing.mailing")
        self.assertIn("hotline.case", action["domain"])
        mailing = self._mailing()
        self.assertIn(mailing, self.env["mailing.mailing"].search(literal_eval(action["domain"])))
        self.assertTrue(self.env["ir.model"]._get("hotline.case").is_mailing_enabled)

    def test_campaign_to_a_district_once_per_number(self):
        mailing = self._mailing()
        mailing.with_user(self.supervisor).action_send_sms()
        traces = mailing.mailing_trace_ids
        self.assertEqual(len(traces), 4, "one result per case of the district (the other district's is left out)")
        self.assertNotIn(self.case_b.id, traces.mapped("res_id"))
        outgoing = traces.filtered(lambda t: t.trace_status == "outgoing")
        self.assertEqual(sorted(n[-11:] for n in outgoing.mapped("sms_number")), ["13800000001", "13800000002"])
        duplicate = traces.filtered(lambda t: t.failure_type == "sms_duplicate")
        self.assertEqual(len(duplicate), 1, "the same number is texted once per campaign")
        self.assertEqual(duplicate.trace_status, "cancel")
        missing = traces.filtered(lambda t: t.failure_type == "sms_number_missing")
        self.assertEqual(len(missing), 1, "a case without a number gets a result, not a text")
        sms = self.env["sms.sms"].sudo().search([("mailing_id", "=", mailing.id), ("state", "=", "outgoing")])
        self.assertEqual(len(sms), 2)
        self.assertTrue(all("停水" in body for body in sms.mapped("body")))
        # sending again reaches nobody twice
        mailing.with_user(self.supervisor).action_send_sms()
        self.assertEqual(len(mailing.mailing_trace_ids), 4)

    def test_campaign_at_a_set_time(self):
        mailing = self._mailing(schedule_type="scheduled", schedule_date=fields.Datetime.now() + timedelta(hours=3))
        mailing.with_user(self.supervisor).action_schedule()
        self.assertEqual(mailing.state, "in_queue")
        self.env["mailing.mailing"]._process_mass_mailing_queue()
        self.assertFalse(mailing.mailing_trace_ids, "not before its time")
        mailing.schedule_date = fields.Datetime.now() - timedelta(minutes=1)
        self.env["mailing.mailing"]._process_mass_mailing_queue()
        self.assertEqual(len(mailing.mailing_trace_ids.filtered(lambda t: t.trace_status == "outgoing")), 2)

    def test_pick_by_category(self):
        gas_case = self._create_case_cls("13800000009", self.district_b)
        gas_case.category_id = self.cat_gas
        mailing = self._mailing(mailing_domain=repr([("category_id", "=", self.cat_gas.id)]))
        mailing.with_user(self.supervisor).action_send_sms()
        self.assertEqual(mailing.mailing_trace_ids.mapped("res_id"), gas_case.ids)
