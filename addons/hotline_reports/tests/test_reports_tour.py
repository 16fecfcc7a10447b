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
