from datetime import datetime

from odoo import fields
from odoo.tests import tagged

from .common import HotlineCaseCommon


@tagged("post_install", "-at_install")
class TestCaseNumbers(HotlineCaseCommon):
    """A case is numbered in the year it was reported (imports of earlier registrations)."""

    @staticmethod
    def _serial(case):
        return int(case.name.rsplit("-", 1)[1])

    def test_earlier_registration_numbered_in_its_year(self):
        now = fields.Datetime.now()
        last_year = now.year - 1
        reported = datetime(last_year, 7, 1, 2, 0)
        earlier = self._create_case(reported_at=reported)
        self.assertTrue(earlier.name.startswith(f"12319-{last_year}-"), earlier.name)
        current = self._create_case(reported_at=now)
        self.assertTrue(current.name.startswith(f"12319-{now.year}-"), current.name)
        again = self._create_case(reported_at=reported)
        self.assertEqual(self._serial(again), self._serial(earlier) + 1, "each year counts on its own")

    def test_year_in_the_centres_time_zone(self):
        # 31 December 16:30 UTC is already 1 January 00:30 in the centre (Asia/Shanghai)
        year = fields.Datetime.now().year - 1
        case = self._create_case(reported_at=datetime(year - 1, 12, 31, 16, 30))
        self.assertTrue(case.name.startswith(f"12319-{year}-"), case.name)
        before = self._create_case(reported_at=datetime(year - 1, 12, 31, 15, 30))
        self.assertTrue(before.name.startswith(f"12319-{year - 1}-"), before.name)
