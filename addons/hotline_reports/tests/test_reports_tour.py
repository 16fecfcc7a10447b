from odoo import fields
from odoo.tests import HttpCase, tagged

from .report_data import ReportDataMixin


@tagged("post_install", "-at_install")
class TestReportsTour(ReportDataMixin, HttpCase):
    """A manager reads the month's pivot and ranks the departments in the browser."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_report_data()

    def test_manager_reads_the_reports(self):
        self.start_tour(
            "/odoo/action-hotline_reports.hotline_report_case_action_district_category",
            "hotline_reports_manager_tour",
            login="rep_manager",
        )

    def test_manager_exports_the_year(self):
        Export = self.env["hotline.report.export"]
        self.start_tour(
            "/odoo/action-hotline_reports.hotline_report_export_action",
            "hotline_reports_export_tour",
            login="rep_manager",
        )
        export = Export.search([("user_id", "=", self.manager.id)])
        self.assertEqual(len(export), 1)
        self.assertEqual(export.state, "running")
        self.assertEqual(export.date_from, fields.Date.today().replace(month=1, day=1))
        export._build()  # what the background job runs (without its commits)
        self.assertEqual(export.state, "done")
        self.start_tour(
            f"/odoo/action-hotline_reports.hotline_report_export_action/{export.id}",
            "hotline_reports_export_ready_tour",
            login="rep_manager",
        )
