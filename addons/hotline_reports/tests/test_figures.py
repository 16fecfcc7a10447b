from datetime import datetime, timedelta
from unittest.mock import patch

import pytz

from odoo import fields
from odoo.exceptions import AccessError, UserError
from odoo.tests import TransactionCase, new_test_user, tagged

from .report_data import ReportDataMixin

CALL_MEASURES = [
    "call_count:sum",
    "offered_count:sum",
    "answered_count:sum",
    "abandoned_count:sum",
    "answer_rate:avg",
    "service_level:avg",
    "answer_wait_seconds:avg",
    "talk_seconds:avg",
    "wait_seconds:max",
]


@tagged("post_install", "-at_install")
class TestFigures(ReportDataMixin, TransactionCase):
    """30 cases and 50 calls whose figures were counted by hand; every report figure is checked."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_report_data()

    # ------------------------------------------------------------

    def _case_figures(self, user=None, domain=None):
        Report = self.env["hotline.report.case"].with_user(user or self.manager)
        measures = [
            "case_count:sum",
            "completed_count:sum",
            "overdue_count:sum",
            "on_time_rate:avg",
            "fcr_rate:avg",
            "fcr_no_reopen_rate:avg",
            "satisfaction_rate:avg",
            "return_visit_rate:avg",
        ]
        domain = [("district_id", "=", self.district.id)] if domain is None else domain
        [row] = Report._read_group(domain, [], measures)
        return dict(zip([m.split(":")[0] for m in measures], row, strict=True))

    def test_case_figures(self):
        figures = self._case_figures()
        self.assertEqual(figures["case_count"], 30)
        self.assertEqual(figures["completed_count"], 24)
        self.assertEqual(figures["overdue_count"], 3)
        self.assertAlmostEqual(figures["on_time_rate"], 90.0)
        self.assertAlmostEqual(figures["fcr_rate"], 40.0, msg="12 of 30 closed on the call")
        self.assertAlmostEqual(figures["fcr_no_reopen_rate"], 100.0 * 23 / 24, msg="one of 24 completed reopened")
        self.assertAlmostEqual(figures["satisfaction_rate"], 100.0 * 8 / 12, msg="8 of 12 answered satisfied")
        self.assertAlmostEqual(figures["return_visit_rate"], 100.0 * 11 / 12, msg="11 of 12 handled cases")

    def test_case_pivot_by_department_and_state(self):
        Report = self.env["hotline.report.case"].with_user(self.manager)
        groups = Report.read_group(
            [("district_id", "=", self.district.id)], ["case_count:sum"], ["department_id", "state"], lazy=False
        )
        counts = {(g["department_id"] and g["department_id"][0], g["state"]): g["case_count"] for g in groups}
        self.assertEqual(counts[(self.dept_a.id, "done")], 8)
        self.assertEqual(counts[(self.dept_b.id, "done")], 4)
        self.assertEqual(counts[(self.dept_b.id, "in_progress")], 3)
        self.assertEqual(counts[(False, "done")], 12)
        self.assertEqual(counts[(False, "new")], 2)
        self.assertEqual(counts[(False, "cancel")], 1)

    def test_call_figures(self):
        Report = self.env["hotline.report.call"].with_user(self.manager)
        measures = CALL_MEASURES
        [row] = Report._read_group([("pbx_id", "=", self.pbx.id)], [], measures)
        figures = dict(zip([m.split(":")[0] for m in measures], row, strict=True))
        self.assertEqual(figures["call_count"], 50)
        self.assertEqual(figures["offered_count"], 44)
        self.assertEqual(figures["answered_count"], 36)
        self.assertEqual(figures["abandoned_count"], 8)
        self.assertAlmostEqual(figures["answer_rate"], 100.0 * 36 / 44)
        self.assertAlmostEqual(figures["service_level"], 100.0 * 30 / 44, msg="30 answered within 20 s")
        self.assertAlmostEqual(figures["answer_wait_seconds"], (30 * 10 + 6 * 40) / 36)
        self.assertAlmostEqual(figures["talk_seconds"], (30 * 120 + 6 * 300) / 36)
        self.assertEqual(figures["wait_seconds"], 90)
        # hours of the day in the user's time zone: the calls started from 09:00 UTC, 17:00 in 云江市
        by_hour = Report.with_context(tz="Asia/Shanghai")._read_group(
            [("pbx_id", "=", self.pbx.id)], ["start_time:hour_number"], ["call_count:sum"]
        )
        self.assertEqual(dict(by_hour), {17: 50})
        # the service level follows the setting
        self.env["ir.config_parameter"].sudo().set_param("hotline_reports.service_level_seconds", "45")
        self.env.flush_all()
        self.env["hotline.report.call"].invalidate_model()
        [[level]] = Report._read_group([("pbx_id", "=", self.pbx.id)], [], ["service_level:avg"])
        self.assertAlmostEqual(level, 100.0 * 36 / 44)

    def test_department_figures_and_score(self):
        Report = self.env["hotline.report.department"].with_user(self.manager)
        rows = {
            department: (count, on_time, satisfaction, no_reopen, returns)
            for department, count, on_time, satisfaction, no_reopen, returns in Report._read_group(
                [("district_id", "=", self.district.id)],
                ["department_id"],
                [
                    "case_count:sum",
                    "on_time_rate:avg",
                    "satisfaction_rate:avg",
                    "no_reopen_rate:avg",
                    "return_count:sum",
                ],
            )
        }
        self.assertEqual(rows[self.dept_a][:1], (8,))
        self.assertAlmostEqual(rows[self.dept_a][1], 75.0)
        self.assertAlmostEqual(rows[self.dept_a][2], 75.0)
        self.assertAlmostEqual(rows[self.dept_a][3], 87.5)
        self.assertEqual(rows[self.dept_b][0], 7)
        self.assertAlmostEqual(rows[self.dept_b][1], 100.0 * 4 / 7)
        self.assertAlmostEqual(rows[self.dept_b][2], 50.0)
        self.assertAlmostEqual(rows[self.dept_b][3], 100.0)

        Check = self.env["hotline.evaluation.check"]
        rule = self.env.ref("hotline_reports.hotline_evaluation_rule_false_feedback")
        confirmed = Check.with_user(self.supervisor).create(
            {"department_id": self.dept_b.id, "case_id": self.cases[-2].id, "rule_id": rule.id, "note": "反馈不实"}
        )
        Check.with_user(self.supervisor).create(
            {"department_id": self.dept_a.id, "rule_id": rule.id, "note": "draft: not counted"}
        )
        with self.assertRaises(UserError):
            confirmed.with_user(self.supervisor).action_confirm()
        confirmed.with_user(self.manager).action_confirm()
        self.assertEqual(confirmed.points, 5.0)
        with self.assertRaises(UserError):
            confirmed.with_user(self.manager).write({"points": 1.0})

        today = fields.Date.context_today(Report)
        scores = Report.score_for(self.month_start.date(), today, self.district.id)
        by_department = {score["department_id"]: score for score in scores}
        a, b = by_department[self.dept_a.id], by_department[self.dept_b.id]
        self.assertAlmostEqual(a["score"], (40 * 75 + 40 * 75 + 20 * 87.5) / 100)
        self.assertAlmostEqual(b["score"], round((40 * 100 * 4 / 7 + 40 * 50 + 20 * 100) / 100 - 5, 2))
        self.assertEqual(b["deductions"], 5.0)
        self.assertEqual((a["rank"], b["rank"]), (1, 2))
        self.assertEqual(a["indicators"], {"on_time": 75.0, "satisfaction": 75.0, "no_reopen": 87.5})

        ranking = (
            self.env["hotline.evaluation.ranking"]
            .with_user(self.manager)
            .create({"date_from": self.month_start.date(), "date_to": today, "district_id": self.district.id})
        )
        self.assertEqual(ranking.line_ids.mapped("department_id"), self.dept_a | self.dept_b)
        self.assertEqual(ranking.line_ids[0].department_id, self.dept_a)
        html = (
            self.env["ir.actions.report"]
            ._render_qweb_html("hotline_reports.report_hotline_evaluation_ranking", ranking.ids)[0]
            .decode()
        )
        self.assertIn("Report Dept A", html)
        self.assertIn("77.50", html)

    def test_district_scope_holds_in_every_report(self):
        own = self._case_figures(user=self.district_supervisor, domain=[])
        self.assertEqual(own["case_count"], 1, "only the case of its district")
        Report = self.env["hotline.report.case"].with_user(self.district_supervisor)
        self.assertEqual(Report.search([]).case_id, self.other_case)
        groups = Report.read_group([], ["case_count:sum"], ["district_id"])
        self.assertEqual([g["district_id"][0] for g in groups], [self.other_district.id])
        self.assertFalse(
            self.env["hotline.report.department"]
            .with_user(self.district_supervisor)
            .search([("district_id", "=", self.district.id)])
        )
        self.assertFalse(self.env["hotline.report.call"].with_user(self.district_supervisor).search([]))
        with self.assertRaises(AccessError):
            self.env["hotline.report.case"].with_user(
                new_test_user(self.env, login="rep_operator", groups="hotline_base.group_hotline_operator")
            ).search([])

    def test_daily_totals_give_the_view_figures(self):
        """The daily totals (hotline_report_rollup.py) give the view's figures to the last bit: with the
        test data stale, refreshed, after changes through the ORM, and refreshed again."""
        Case = self.env["hotline.report.case"].with_user(self.manager)
        Call = self.env["hotline.report.call"].with_user(self.manager)
        tz = Case._rollup_state()[0]
        self.assertEqual(Call._rollup_state()[0], tz)
        self.env["ir.config_parameter"].sudo().set_param("hotline_reports.rollup_tz", tz)
        zone = pytz.timezone(tz)
        t0 = pytz.utc.localize(self.t0).astimezone(zone)
        next_month = (t0.replace(day=1) + timedelta(days=32)).replace(day=1)

        def utc(day):
            return zone.localize(datetime(day.year, day.month, 1)).astimezone(pytz.utc).replace(tzinfo=None)

        month = [("reported_at", ">=", utc(t0)), ("reported_at", "<", utc(next_month))]
        in_district = ["|", ("district_id", "child_of", self.district.id), ("category_id", "=", False)]
        case_measures = [
            "__count",
            "case_count:sum",
            "completed_count:sum",
            "fcr_rate:avg",
            "satisfaction_rate:avg",
            "return_visit_rate:avg",
            "handle_on_time_rate:avg",
            "handling_hours:avg",
            "handling_hours:max",
        ]
        call_measures = [*CALL_MEASURES, "talk_seconds:count"]
        requests = [
            (Case, [("district_id", "=", self.district.id)], ["district_id", "top_category_id"], case_measures),
            (Case, month, ["reported_at:week", "district_id"], case_measures),
            (Case, in_district, [], case_measures),
            (Call, [("pbx_id", "=", self.pbx.id)], ["start_time:day", "direction"], call_measures),
            (Call, [("direction", "=", "inbound")], ["user_id", "queue"], call_measures),
        ]

        def compare():
            for Report, domain, groupby, aggregates in requests:
                report = Report.with_context(tz=tz)
                self.assertTrue(report._rollup_usable_tz(groupby, aggregates, (), None))
                expected = report.with_context(hotline_report_no_rollup=True)._read_group(domain, groupby, aggregates)
                self.assertTrue(expected)
                cls = type(report)
                with patch.object(cls, "_rollup_source_sql", autospec=True, side_effect=cls._rollup_source_sql) as read:
                    self.assertEqual(report._read_group(domain, groupby, aggregates), expected, f"{groupby} {domain}")
                self.assertTrue(read.called, "read from the totals")

        def stale_count(Report):
            self.env.cr.execute(f"SELECT count(*) FROM {Report._rollup_stale_table}")
            return self.env.cr.fetchone()[0]

        self.assertTrue(stale_count(Case) and stale_count(Call), "the test data are stale")
        compare()
        for Report in (Case, Call):
            Report.sudo()._rollup_refresh()
            self.assertEqual(stale_count(Report), 0)
        self.env.cr.execute("SELECT count(*) FROM hotline_report_case_daily WHERE district_id = %s", [self.district.id])
        self.assertTrue(self.env.cr.fetchone()[0], "the test cases are in the totals")
        compare()
        # changes through the ORM: the days they touch are read from the view until the next refresh
        self.cases[0].write({"district_id": self.other_district.id})
        self.cases[1].write({"state": "cancel"})
        self.cases[2].write({"reported_at": self.t0 - timedelta(days=40)})
        calls = self.env["hotline.call"].search([("pbx_id", "=", self.pbx.id)], order="id")
        calls[0].write({"wait_seconds": 500})
        calls[1].write({"start_time": self.t0 - timedelta(days=3)})
        calls[2].unlink()
        self.env.flush_all()
        self.assertTrue(stale_count(Case) and stale_count(Call))
        compare()
        for Report in (Case, Call):
            Report.sudo()._rollup_refresh()
        compare()
        # another service-level time: the view answers until the totals are built again
        self.env["ir.config_parameter"].sudo().set_param("hotline_reports.service_level_seconds", "45")
        self.env.flush_all()
        self.assertFalse(Call._rollup_usable_tz(["direction"], ["service_level:avg"], (), None))
        Call.sudo()._rollup_refresh()
        compare()
