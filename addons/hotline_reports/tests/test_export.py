import base64
import io
import json
import re
import zipfile
from datetime import timedelta
from unittest.mock import patch

import openpyxl

from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import TransactionCase, new_test_user, tagged
from odoo.tools import mute_logger

from .report_data import ReportDataMixin

SHEETS = [
    "District-Category",
    "Cases by Week",
    "Appeal Types",
    "Processing Situation",
    "Satisfaction",
    "Traffic by Day",
    "Traffic by Week",
    "Traffic by Agent",
    "Department Ranking",
]
HEADER_ROW = 4
REPORT_FIELDS = [
    "include_case_district_category",
    "include_case_week",
    "include_case_appeal_type",
    "include_case_processing",
    "include_case_satisfaction",
    "include_call_day",
    "include_call_week",
    "include_call_agent",
    "include_department_ranking",
]


@tagged("post_install", "-at_install")
class TestExport(ReportDataMixin, TransactionCase):
    """The xlsx export of the hand-counted figures: sheets, values, totals, charts, scope and guards."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_report_data()
        env = cls.env
        calls = env["hotline.call"].search([("pbx_id", "=", cls.pbx.id)])
        # the traffic of the district: the 50 calls are about one of its cases
        calls.write({"case_id": cls.cases[0].id})
        cls.agent = new_test_user(
            env, login="rep_agent", groups="hotline_base.group_hotline_operator", name="Report Agent", email=False
        )
        answered = calls.filtered(lambda call: call.direction == "inbound" and call.disposition == "answered")
        answered.write({"user_id": cls.agent.id})
        # the agent: 8 h logged in, 6 of them busy (occupancy 75 %), then 3 h offline
        start = cls.t0 + timedelta(hours=7)
        logs = []
        for state, hours in [("available", 2), ("on_call", 5), ("wrap_up", 1), ("offline", 3)]:
            logs.append(
                {
                    "user_id": cls.agent.id,
                    "state": state,
                    "date_start": start,
                    "date_end": start + timedelta(hours=hours),
                }
            )
            start += timedelta(hours=hours)
        env["hotline.agent.state.log"].create(logs)
        # the other district's traffic: 2 calls answered, 2 abandoned about its case
        other_pbx = env["hotline.pbx"].create({"name": "Report PBX Other", "token": "report-token-other"})
        env["hotline.call"].create(
            [
                {
                    "pbx_id": other_pbx.id,
                    "linkedid": f"report.other.{index}",
                    "direction": "inbound",
                    "queue": "hotline",
                    "start_time": cls.t0 + timedelta(hours=9, minutes=index),
                    "disposition": "answered" if index < 2 else "abandoned",
                    "answer_time": cls.t0 + timedelta(hours=9) if index < 2 else False,
                    "wait_seconds": 15,
                    "case_id": cls.other_case.id,
                }
                for index in range(4)
            ]
        )
        cls.today = cls.now.date()

    # ------------------------------------------------------------

    def _export(self, user, **values):
        vals = {"date_from": self.month_start.date(), "date_to": self.today}
        vals.update(values)
        export = self.env["hotline.report.export"].with_user(user).create(vals)
        export._build()
        self.assertEqual(export.state, "done", export.error_message)
        return export

    def _content(self, export):
        return base64.b64decode(export.file)

    def _workbook(self, export, data_only=True):
        return openpyxl.load_workbook(io.BytesIO(self._content(export)), data_only=data_only)

    def _table(self, sheet):
        """(header, {first cell: row}) of a sheet; the totals row is under its label "Total"."""
        header = [cell.value for cell in sheet[HEADER_ROW]]
        rows = {row[0]: row for row in sheet.iter_rows(min_row=HEADER_ROW + 1, values_only=True)}
        return header, {label: dict(zip(header, row, strict=True)) for label, row in rows.items()}

    def _all_values(self, workbook):
        return [str(value) for sheet in workbook for row in sheet.iter_rows(values_only=True) for value in row]

    # ------------------------------------------------------------

    def test_sheets_values_and_totals(self):
        export = self._export(self.manager, district_id=self.district.id)
        self.assertEqual(export.progress, 100)
        self.assertTrue(export.filename.endswith(".xlsx"))
        workbook = self._workbook(export)
        self.assertEqual(workbook.sheetnames, SHEETS)

        sheet = workbook["District-Category"]
        self.assertEqual(sheet["A1"].value, "Cases by District and Category")
        self.assertIn("Report District", sheet["A2"].value)
        self.assertTrue(sheet.cell(HEADER_ROW, 1).font.b, "a bold header")
        self.assertEqual(sheet.cell(HEADER_ROW, 1).border.left.style, "thin")
        header, rows = self._table(sheet)
        self.assertEqual(header, ["District", "Report Category", "Total"])
        self.assertEqual(rows["Report District"]["Total"], 30)
        self.assertEqual(rows["Total"]["Report Category"], 30)

        _header, rows = self._table(workbook["Cases by Week"])
        totals = rows["Total"]
        self.assertEqual((totals["Cases"], totals["Completed"], totals["Overdue"]), (30, 24, 3))
        self.assertAlmostEqual(totals["Completion Rate"], 24 / 30)
        self.assertAlmostEqual(totals["On-time Rate"], 0.9)

        header, rows = self._table(workbook["Processing Situation"])
        self.assertEqual(header[1:5], ["New", "In Progress", "Done", "Voided"])
        self.assertEqual(rows["Report Dept A"]["Done"], 8)
        self.assertEqual(rows["Report Dept B"]["In Progress"], 3)
        self.assertEqual((rows["Not Dispatched"]["Done"], rows["Not Dispatched"]["New"]), (12, 2))
        self.assertEqual(rows["Total"]["Total"], 30)

        _header, rows = self._table(workbook["Satisfaction"])
        totals = rows["Total"]
        self.assertEqual((totals["Completed"], totals["Satisfied"], totals["General"]), (24, 7, 4))
        self.assertAlmostEqual(totals["Satisfaction Rate"], 8 / 12, msg="from the totals: 8 of 12 answered")
        self.assertAlmostEqual(totals["Return-visit Rate"], 11 / 12)

        _header, rows = self._table(workbook["Appeal Types"])
        self.assertEqual(rows["Total"]["Cases"], 30)
        self.assertAlmostEqual(rows["Total"]["Closed on the Call"], 0.4)

    def test_traffic_and_ranking(self):
        workbook = self._workbook(self._export(self.manager, district_id=self.district.id))
        for name in ("Traffic by Day", "Traffic by Week"):
            _header, rows = self._table(workbook[name])
            totals = rows["Total"]
            self.assertEqual(
                (totals["Calls"], totals["Offered"], totals["Answered"], totals["Abandoned"]), (50, 44, 36, 8)
            )
            self.assertAlmostEqual(totals["Answer Rate"], 36 / 44, msg="81.8 %: answered / offered")
            self.assertAlmostEqual(totals["Service Level"], 30 / 44)
            self.assertAlmostEqual(totals["Average Speed of Answer (s)"], (30 * 10 + 6 * 40) / 36)
            self.assertEqual(totals["Longest Wait (s)"], 90)
        sheet = workbook["Traffic by Day"]
        total_row = sheet.max_row
        self.assertEqual(sheet.cell(total_row, 6).number_format, "0.0%")
        self.assertEqual(f"{sheet.cell(total_row, 6).value:.1%}", "81.8%")
        formulas = self._workbook(self._export(self.manager, district_id=self.district.id), data_only=False)
        self.assertEqual(
            formulas["Traffic by Day"].cell(total_row, 6).value,
            f"=IF((C{total_row})=0,0,(D{total_row})/(C{total_row}))",
        )
        self.assertEqual(formulas["Traffic by Day"].cell(total_row, 2).value, f"=SUM(B5:B{total_row - 1})")

        _header, rows = self._table(workbook["Traffic by Agent"])
        agent = rows["Report Agent"]
        self.assertEqual((agent["Answered"], agent["Logged In (h)"], agent["Busy (h)"]), (36, 8.0, 6.0))
        self.assertAlmostEqual(agent["Occupancy"], 0.75)
        self.assertEqual((rows["No Agent"]["Calls"], rows["No Agent"]["Answered"]), (14, 0))
        self.assertAlmostEqual(rows["Total"]["Occupancy"], 0.75)

        _header, rows = self._table(workbook["Department Ranking"])
        dept_a, dept_b = rows["Report Dept A"], rows["Report Dept B"]
        self.assertEqual((dept_a["Rank"], dept_a["Score"]), (1, 77.5))
        self.assertEqual(
            (dept_b["Rank"], dept_b["Score"]), (2, round((40 * 100 * 4 / 7 + 40 * 50 + 20 * 100) / 100, 2))
        )
        self.assertAlmostEqual(dept_a["On-time Rate"], 0.75)
        self.assertAlmostEqual(rows["Total"]["On-time Rate"], 10 / 15, msg="10 of the 15 dispatched cases on time")

    def test_one_chart_per_sheet(self):
        content = self._content(self._export(self.manager, district_id=self.district.id))
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            names = set(archive.namelist())
            charts = sorted(name for name in names if re.fullmatch(r"xl/charts/chart\d+\.xml", name))
            self.assertEqual(len(charts), len(SHEETS))
            for number, sheet_name in enumerate(SHEETS, 1):
                self.assertIn(f"xl/drawings/drawing{number}.xml", names)
                self.assertIn(f"xl/drawings/_rels/drawing{number}.xml.rels", names)
                sheet_rels = archive.read(f"xl/worksheets/_rels/sheet{number}.xml.rels").decode()
                self.assertIn(f"../drawings/drawing{number}.xml", sheet_rels)
                chart = archive.read(f"xl/charts/chart{number}.xml").decode()
                self.assertIn(sheet_name, chart, "the chart draws its sheet's table")
            self.assertIn("<c:lineChart>", archive.read("xl/charts/chart2.xml").decode())
            self.assertIn("<c:barChart>", archive.read("xl/charts/chart6.xml").decode())

    def test_district_scope(self):
        workbook = self._workbook(self._export(self.district_supervisor))
        self.assertIn("All your districts", workbook["District-Category"]["A2"].value)
        _header, rows = self._table(workbook["District-Category"])
        self.assertEqual(set(rows), {"Report Other", "Total"})
        self.assertEqual(rows["Total"]["Total"], 1)
        _header, rows = self._table(workbook["Traffic by Day"])
        self.assertEqual((rows["Total"]["Calls"], rows["Total"]["Answered"]), (4, 2))
        self.assertAlmostEqual(rows["Total"]["Answer Rate"], 0.5)
        values = self._all_values(workbook)
        for other in ("Report District", "Report Dept A", "Report Dept B", "Report Agent"):
            self.assertFalse([value for value in values if other in value], f"{other} is not in its scope")
        # naming a district out of its scope gives nothing more
        workbook = self._workbook(self._export(self.district_supervisor, district_id=self.district.id))
        _header, rows = self._table(workbook["District-Category"])
        self.assertEqual(rows["Total"]["Total"], 0)

    def test_bad_input_is_refused(self):
        Export = self.env["hotline.report.export"].with_user(self.supervisor)
        with self.assertRaises(ValidationError) as caught:
            Export.create({"date_from": self.today, "date_to": self.today - timedelta(days=1)})
        self.assertIn("ends before it starts", str(caught.exception))
        with self.assertRaises(ValidationError) as caught:
            Export.create(dict.fromkeys(REPORT_FIELDS, False))
        self.assertIn("at least one report", str(caught.exception))
        with self.assertRaises(UserError):
            Export.create({"state": "done"})
        with self.assertRaises(UserError):
            Export.create({"user_id": self.manager.id})
        self.assertFalse(Export.sudo().search([]), "nothing was created")

    def test_queue_access_and_notification(self):
        export = self.env["hotline.report.export"].with_user(self.supervisor).create({"include_call_week": False})
        export.action_export()
        self.assertEqual((export.state, export.progress), ("running", 0))
        cron = self.env.ref("hotline_reports.ir_cron_hotline_report_export")
        self.assertTrue(self.env["ir.cron.trigger"].search([("cron_id", "=", cron.id)]))
        with self.assertRaises(UserError):
            export.action_export()
        with self.assertRaises(UserError):
            export.write({"state": "done"})
        with self.assertRaises(UserError):
            export.write({"date_from": self.today})
        with self.assertRaises(UserError):
            export.unlink()
        # managers read everyone's exports, without changing them; other supervisors do not see them
        self.assertEqual(self.env["hotline.report.export"].with_user(self.manager).search([]), export)
        with self.assertRaises(AccessError):
            export.with_user(self.manager).action_export()
        self.assertFalse(self.env["hotline.report.export"].with_user(self.district_supervisor).search([]))

        export._build()
        self.assertEqual(export.state, "done")
        self.assertEqual(len(self._workbook(export).sheetnames), len(SHEETS) - 1)
        self.assertEqual(export.action_download()["type"], "ir.actions.act_url")
        messages = [json.loads(values["message"]) for values in self.env.cr.precommit.data.get("bus.bus.values", [])]
        notifications = [message["payload"] for message in messages if message["type"] == "simple_notification"]
        self.assertTrue(notifications)
        self.assertEqual(notifications[-1]["type"], "success")
        self.assertIn(export.name, notifications[-1]["message"])

    def test_failed_build(self):
        export = self.env["hotline.report.export"].with_user(self.supervisor).create({})
        failing = patch.object(
            type(self.env["hotline.report.export"]), "_table_case_week", side_effect=ValueError("no disk left")
        )
        with failing, mute_logger("odoo.addons.hotline_reports.models.hotline_report_export"):
            export._build()
        self.assertEqual((export.state, export.progress), ("failed", 0))
        self.assertIn("no disk left", export.error_message)
        self.assertFalse(export.file)
        export.action_export()
        self.assertEqual(export.state, "running", "a failed export may be started again")
