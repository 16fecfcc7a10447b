from datetime import datetime

from freezegun import freeze_time

from odoo.exceptions import ValidationError
from odoo.tests import TransactionCase, tagged

from .common import TelephonyCommon


@tagged("post_install", "-at_install")
class TestAgentState(TelephonyCommon, TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.setUpTelephony()

    def logs(self, user):
        return self.env["hotline.agent.state.log"].search([("user_id", "=", user.id)], order="date_start, id")

    def test_every_change_is_logged_with_its_duration(self):
        with freeze_time("2026-11-26 08:00:00"):
            self.operator._hotline_set_agent_state("available")
        with freeze_time("2026-11-26 08:30:00"):
            self.operator._hotline_set_agent_state("paused", "Meal")
        with freeze_time("2026-11-26 08:45:00"):
            self.operator._hotline_set_agent_state("available")
        logs = self.logs(self.operator)
        self.assertEqual(logs.mapped("state"), ["available", "paused", "available"])
        self.assertEqual(logs.mapped("duration_seconds"), [1800, 900, 0])
        self.assertAlmostEqual(logs[0].duration, 0.5)
        self.assertEqual(logs[1].pause_reason, "Meal")
        self.assertEqual(logs[1].date_end, datetime(2026, 11, 26, 8, 45))
        self.assertFalse(logs[2].date_end, "the current state is still open")
        self.assertEqual(self.operator.hotline_agent_state_since, datetime(2026, 11, 26, 8, 45))

    def test_repeated_and_late_changes_are_ignored(self):
        self.operator._hotline_set_agent_state("available", when=datetime(2026, 11, 26, 9, 0))
        self.assertFalse(self.operator._hotline_set_agent_state("available", when=datetime(2026, 11, 26, 9, 1)))
        late = self.operator._hotline_set_agent_state("paused", "x", when=datetime(2026, 11, 26, 8, 0))
        self.assertFalse(late, "an event older than the current state does not override it")
        self.assertEqual(self.operator.hotline_agent_state, "available")
        self.assertEqual(len(self.logs(self.operator)), 1)

    def test_operators_read_their_own_log(self):
        self.operator._hotline_set_agent_state("available")
        self.operator2._hotline_set_agent_state("available")
        Log = self.env["hotline.agent.state.log"]
        self.assertEqual(Log.with_user(self.operator).search([]).user_id, self.operator)
        self.assertEqual(Log.with_user(self.supervisor).search([]).user_id >= self.operator | self.operator2, True)

    def test_extension_unique_per_pbx(self):
        with self.assertRaisesRegex(ValidationError, "already used"):
            self.operator2.hotline_extension = "1001"
        with self.assertRaises(ValidationError):
            self.operator2.hotline_extension = "10a1"
        other_pbx = self.env["hotline.pbx"].create({"name": "Branch PBX", "token": "branch-token-1"})
        self.operator2.write({"hotline_pbx_id": other_pbx.id, "hotline_extension": "1001"})
        self.assertEqual(self.pbx._hotline_users_by_extension({"1001"}), {"1001": self.operator})
        self.assertEqual(other_pbx._hotline_users_by_extension({"1001"}), {"1001": self.operator2})
