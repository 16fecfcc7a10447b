from datetime import timedelta

from odoo.tests import tagged

from .common import Open311Common


@tagged("post_install", "-at_install")
class TestOpen311Workflow(Open311Common):
    def _status(self, case, fmt="json"):
        if fmt == "json":
            item = self._json(self._open(f"requests/{case.name}", "json"))[0]
            return item["status"], item["status_notes"], item["agency_responsible"]
        request = self._xml(self._open(f"requests/{case.name}", "xml")).find("request")
        return request.findtext("status"), request.findtext("status_notes"), request.findtext("agency_responsible")

    def test_submitted_request_reaches_the_operators_list(self):
        case = self._submit()
        Case = self.env["hotline.case"].with_user(self.operator)
        found = Case.search([("source", "=", "open311"), ("state", "=", "new")])
        self.assertIn(case, found)
        rows = Case.search_read([("id", "=", case.id)], ["name", "summary", "category_id", "state", "source"])
        self.assertEqual(rows[0]["summary"], "小区停水半天")
        self.assertEqual(rows[0]["source"], "open311")
        # the operator reads the submission on the form, the client's name included
        self.assertEqual(case.with_user(self.operator).open311_client_id.name, "市民通 (test)")
        self.assertEqual(case.with_user(self.operator).open311_media_url, "https://img.example.city/photos/leak-1.jpg")

    def test_status_follows_the_case_to_closed(self):
        case = self._submit()
        self.assertEqual(self._status(case), ("open", "Registered; waiting to be accepted by the centre.", None))

        case.with_user(self.supervisor).action_accept()
        self.assertEqual(
            self._status(case),
            ("open", "Accepted by the centre; being sent to the responsible department.", "云江水务 (test)"),
        )
        case.with_user(self.supervisor).action_dispatch()
        self.assertEqual(self._status(case, "xml"), ("open", "Sent to the responsible department.", "云江水务 (test)"))
        expected = self._json(self._open(f"requests/{case.name}", "json"))[0]["expected_datetime"]
        self.assertEqual(expected[:19], (case.handle_deadline + timedelta(hours=8)).isoformat(timespec="seconds"))

        # department staff act through the portal, whose controllers work past the access rights
        staff_case = case.with_user(self.staff_water).sudo()
        staff_case.action_start()
        self.assertEqual(self._status(case)[:2], ("open", "Being handled by the responsible department."))
        staff_case._hotline_submit_feedback("已更换破损阀门，恢复供水")
        self.assertEqual(self._status(case)[:2], ("open", "Handled; the centre is checking the result."))
        case.with_user(self.supervisor).action_verify()
        self.assertEqual(
            self._status(case, "xml")[:2], ("open", "Handled; the centre is calling back for your satisfaction.")
        )
        case.with_user(self.operator).satisfaction = "satisfied"
        case.with_user(self.operator).action_return_visit()
        self.assertEqual(case.state, "done")
        self.assertEqual(self._status(case), ("closed", "已更换破损阀门，恢复供水", "云江水务 (test)"))
        self.assertEqual(self._status(case, "xml"), ("closed", "已更换破损阀门，恢复供水", "云江水务 (test)"))

    def test_voided_and_merged_requests_are_closed(self):
        master = self._submit()
        duplicate = self._submit(description="又停水了")
        duplicate.with_user(self.supervisor)._hotline_merge_into(master)
        status, notes, _agency = self._status(duplicate)
        self.assertEqual(status, "closed")
        self.assertIn(master.name, notes)
        self.assertEqual(self._status(master)[0], "open")
