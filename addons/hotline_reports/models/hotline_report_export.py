import base64
import datetime
import logging
import os
import tempfile

import xlsxwriter

from odoo import _, api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import format_date

from .xlsx_table import Chart, Column, Overall, Ratio, Table, TableWriter

_logger = logging.getLogger(__name__)

# The reports an export can hold, in the order of its sheets: each has a field include_<key>
# and a method _table_<key> returning the xlsx_table.Table of the sheet.
REPORTS = (
    "case_district_category",
    "case_week",
    "case_appeal_type",
    "case_processing",
    "case_satisfaction",
    "call_day",
    "call_week",
    "call_agent",
    "department_ranking",
)
# Written by the export itself (sudo), never by its user: see write().
BUILD_FIELDS = frozenset({"state", "progress", "file", "filename", "error_message", "date_done", "user_id"})
EDITABLE_STATES = ("draft", "failed")
SATISFIED = ("satisfied", "relatively_satisfied")
ANSWERED_SATISFACTION = ("satisfied", "relatively_satisfied", "general", "unsatisfied")
CALL_MEASURES = [
    "call_count:sum",
    "offered_count:sum",
    "answered_count:sum",
    "abandoned_count:sum",
    "service_level:avg",
    "answer_wait_seconds:avg",
    "talk_seconds:avg",
    "wait_seconds:max",
]


def _percent(value):
    """A 0-100 average of the report views as a fraction, the cell being formatted as a percentage."""
    return None if value is None else value / 100.0


def _day(value):
    return value.date() if isinstance(value, datetime.datetime) else value


class HotlineReportExport(models.Model):
    """An xlsx workbook of the reports over a period, built in the background as its requester."""

    _name = "hotline.report.export"
    _description = "Report Export"
    _order = "id desc"

    name = fields.Char(compute="_compute_name", store=True)
    date_from = fields.Date(
        string="From", required=True, default=lambda self: fields.Date.context_today(self).replace(day=1)
    )
    date_to = fields.Date(string="To", required=True, default=fields.Date.context_today)
    district_id = fields.Many2one(
        "hotline.district", string="District", help="Empty: the whole city, or all the districts you may see."
    )
    include_case_district_category = fields.Boolean(string="Cases by District and Category", default=True)
    include_case_week = fields.Boolean(string="Cases by Week", default=True)
    include_case_appeal_type = fields.Boolean(string="Appeal Types", default=True)
    include_case_processing = fields.Boolean(
        string="Processing Situation", default=True, help="Cases by handling department and status."
    )
    include_case_satisfaction = fields.Boolean(string="Citizens' Satisfaction", default=True)
    include_call_day = fields.Boolean(string="Telephone Traffic by Day", default=True)
    include_call_week = fields.Boolean(string="Telephone Traffic by Week", default=True)
    include_call_agent = fields.Boolean(string="Traffic by Agent", default=True, help="With the agents' occupancy.")
    include_department_ranking = fields.Boolean(string="Department Ranking", default=True)
    state = fields.Selection(
        [("draft", "Draft"), ("running", "Running"), ("done", "Ready"), ("failed", "Failed")],
        string="Status",
        default="draft",
        required=True,
        readonly=True,
        copy=False,
        index=True,
    )
    progress = fields.Integer(readonly=True, copy=False, help="Share of the sheets written, in %.")
    file = fields.Binary(string="Workbook", attachment=True, readonly=True, copy=False)
    filename = fields.Char(readonly=True, copy=False)
    date_done = fields.Datetime(string="Built On", readonly=True, copy=False)
    error_message = fields.Text(string="Error", readonly=True, copy=False)
    user_id = fields.Many2one(
        "res.users",
        string="Requested By",
        required=True,
        readonly=True,
        copy=False,
        index=True,
        ondelete="cascade",
        default=lambda self: self.env.user,
    )

    # ------------------------------------------------------------
    # COMPUTES
    # ------------------------------------------------------------

    @api.depends("date_from", "date_to", "district_id")
    def _compute_name(self):
        for export in self:
            period = f"{export.date_from or ''} ~ {export.date_to or ''}"
            export.name = f"{period} {export.district_id.name}" if export.district_id else period

    # ------------------------------------------------------------
    # CONSTRAINTS
    # ------------------------------------------------------------

    @api.constrains("date_from", "date_to")
    def _check_period(self):
        for export in self:
            if export.date_from > export.date_to:
                raise ValidationError(_("The period of the export ends before it starts: check the dates."))

    @api.constrains(*(f"include_{report}" for report in REPORTS))
    def _check_reports(self):
        for export in self:
            if not export._get_reports():
                raise ValidationError(_("Choose at least one report to export."))

    # ------------------------------------------------------------
    # CRUD
    # ------------------------------------------------------------

    @api.model_create_multi
    def create(self, vals_list):
        if not self.env.su:
            for vals in vals_list:
                self._check_create_vals(vals)
        return super().create(vals_list)

    def write(self, vals):
        if not self.env.su:
            self._check_write_vals(vals)
        return super().write(vals)

    @api.ondelete(at_uninstall=False)
    def _unlink_except_running(self):
        if any(export.state == "running" for export in self):
            raise UserError(_("An export is being built: delete it once it is done or failed."))

    # ------------------------------------------------------------
    # ACTIONS
    # ------------------------------------------------------------

    def action_export(self):
        """Queue the exports for the background job, which builds them and notifies their requester."""
        self._check_can_export()
        # sudo: the status belongs to the build (see write()); write access was checked just above
        self.sudo().write({"state": "running", "progress": 0, "error_message": False, "file": False})
        self.env.ref("hotline_reports.ir_cron_hotline_report_export")._trigger()
        return True

    def action_download(self):
        self.ensure_one()
        if self.state != "done":
            raise UserError(_("The export is not ready yet."))
        return {
            "type": "ir.actions.act_url",
            "url": f"/web/content?model={self._name}&id={self.id}&field=file&filename_field=filename&download=true",
            "target": "self",
        }

    def action_refresh(self):
        """Reload the form, to follow the progress of the build."""
        self.ensure_one()
        return True

    # ------------------------------------------------------------
    # BUILD
    # ------------------------------------------------------------

    @api.model
    def _cron_build(self):
        """Build the queued exports, saving the progress after each sheet."""
        for export in self.search([("state", "=", "running")], order="id"):
            export._build(commit=True)

    def _build(self, commit=False):
        """Write the workbook as the requester (their record rules apply) and notify them.

        ``commit`` is the cron's alone: it commits after each sheet so that the requester sees the
        progress. Without it (tests, shell) the build runs in a savepoint and never commits.
        """
        self.ensure_one()
        export = self._as_requester()
        try:
            if commit:
                content = export._write_workbook(commit=True)
            else:
                with self.env.cr.savepoint():
                    content = export._write_workbook()
        except Exception as error:  # any failure is reported to the requester, and the queue goes on
            export._fail(error, commit)
        else:
            export._finish(content)
        export._notify_requester()
        if commit:
            # cron only: the export's result and the notification are sent now, the next export goes on
            self.env.cr.commit()  # pylint: disable=invalid-commit

    def _as_requester(self):
        user = self.user_id
        return self.with_user(user).with_context(lang=user.lang or "en_US", tz=user.tz or "UTC")

    def _write_workbook(self, commit=False):
        """The xlsx file's content: written to a temporary file, one row at a time."""
        options = {"constant_memory": True, "in_memory": False}
        with tempfile.TemporaryDirectory(prefix="hotline_export_") as directory:
            path = os.path.join(directory, "export.xlsx")
            with xlsxwriter.Workbook(path, dict(options, tmpdir=directory)) as workbook:
                self._write_sheets(TableWriter(workbook), commit)
            with open(path, "rb") as file:
                return file.read()

    def _write_sheets(self, writer, commit=False):
        reports = self._get_reports()
        for index, report in enumerate(reports, 1):
            writer.add_table(getattr(self, f"_table_{report}")())
            self._set_progress(95 * index // len(reports), commit)

    def _set_progress(self, progress, commit=False):
        # sudo: the build's own field (see write()); the requester may not write it
        self.sudo().write({"progress": progress})
        if commit:
            # cron only: the requester sees the progress while the next sheet is built
            self.env.cr.commit()  # pylint: disable=invalid-commit

    def _finish(self, content):
        # sudo: the build's own fields (see write())
        self.sudo().write(
            {
                "state": "done",
                "progress": 100,
                "file": base64.b64encode(content),
                "filename": self._get_filename(),
                "date_done": fields.Datetime.now(),
                "error_message": False,
            }
        )

    def _fail(self, error, commit=False):
        if commit:
            self.env.cr.rollback()
        _logger.warning("Report export %s failed", self.id, exc_info=True)
        if isinstance(error, UserError):
            message = error.args[0]
        else:
            message = _("Unexpected error, detailed in the server's log: %s", error)
        # sudo: the build's own fields (see write())
        self.sudo().write({"state": "failed", "progress": 0, "error_message": message})

    def _notify_requester(self):
        if self.state == "done":
            kind, message = "success", _("Report export %s is ready to download.", self.name)
        else:
            kind, message = "danger", _("Report export %s failed: %s", self.name, self.error_message)
        self.user_id._bus_send(
            "simple_notification",
            {"type": kind, "title": _("Report Export"), "message": message, "sticky": kind == "danger"},
        )

    # ------------------------------------------------------------
    # HELPERS
    # ------------------------------------------------------------

    def _get_reports(self):
        self.ensure_one()
        return [report for report in REPORTS if self[f"include_{report}"]]

    def _get_filename(self):
        return f"hotline12319-reports-{self.date_from}-{self.date_to}.xlsx"

    def _check_create_vals(self, vals):
        own = vals.get("user_id", self.env.uid) == self.env.uid
        built = vals.get("state", "draft") != "draft" or any(
            vals.get(name) for name in BUILD_FIELDS - {"user_id", "state"}
        )
        if not own or built:
            raise UserError(_("An export is requested by yourself and starts as a draft."))

    def _check_write_vals(self, vals):
        if BUILD_FIELDS & vals.keys():
            raise UserError(_("The status and the file of an export are written by the export itself."))
        if any(export.state not in EDITABLE_STATES for export in self):
            raise UserError(_("This export is built or being built: duplicate it to export another period."))

    def _check_can_export(self):
        self.check_access("write")
        for export in self:
            if export.state not in EDITABLE_STATES:
                raise UserError(_("Export %s is already built or being built.", export.name))

    def _get_domain(self, date_field):
        """The export's period (and district) on ``date_field``; the dates include their whole day."""
        start, end = self.env["hotline.report.department"]._period(self.date_from, self.date_to)
        domain = [(date_field, ">=", start), (date_field, "<", end)]
        if self.district_id:
            domain.append(("district_id", "child_of", self.district_id.id))
        return domain

    def _get_subtitle(self):
        if self.district_id:
            district = self.district_id.display_name
        elif self.env.user.hotline_district_ids:
            district = _("All your districts")
        else:
            district = _("Whole city")
        return _(
            "Period: %(date_from)s to %(date_to)s; district: %(district)s",
            date_from=format_date(self.env, self.date_from),
            date_to=format_date(self.env, self.date_to),
            district=district,
        )

    def _make_table(self, sheet_name, title, columns, rows, chart):
        return Table(
            sheet_name=sheet_name,
            title=title,
            subtitle=self._get_subtitle(),
            columns=columns,
            rows=rows,
            chart=chart,
            total_label=_("Total"),
        )

    def _case_labels(self, field_name):
        """{value: label} of a selection of the cases (the report's own copies of them are not translated)."""
        return dict(self.env["hotline.case"]._fields[field_name]._description_selection(self.env))

    # ------------------------------------------------------------
    # SHEETS: cases
    # ------------------------------------------------------------

    def _table_case_district_category(self):
        Report = self.env["hotline.report.case"]
        domain = self._get_domain("reported_at")
        categories = [category for [category] in Report._read_group(domain, ["top_category_id"])]
        cells = {
            (district, category): count
            for district, category, count in Report._read_group(
                domain, ["district_id", "top_category_id"], ["case_count:sum"]
            )
        }
        districts = dict.fromkeys(district for district, _category in cells)
        no_category, no_district = _("No Category"), _("No District")
        columns = [Column(_("District"), "text", total=None, width=28)]
        columns += [Column(category.display_name or no_category) for category in categories]
        columns.append(Column(_("Total")))

        def rows():
            for district in districts:
                counts = [cells.get((district, category), 0) for category in categories]
                yield [district.display_name or no_district, *counts, sum(counts)]

        series = tuple(range(1, len(categories) + 1)) or (1,)
        title = _("Cases by District and Category")
        return self._make_table(_("District-Category"), title, columns, rows(), Chart("column", series, "stacked"))

    def _table_case_week(self):
        groups = self.env["hotline.report.case"]._read_group(
            self._get_domain("reported_at"),
            ["reported_at:week"],
            ["case_count:sum", "completed_count:sum", "overdue_count:sum", "on_time_rate:avg"],
        )
        overall = self._case_overall(["on_time_rate:avg"])
        columns = [
            Column(_("Week Starting"), "date", total=None),
            Column(_("Cases")),
            Column(_("Completed")),
            Column(_("Overdue")),
            Column(_("Completion Rate"), "rate", Ratio((2,), (1,))),
            Column(_("On-time Rate"), "rate", Overall(_percent(overall[0]))),
        ]
        rows = (
            [_day(week), count, completed, overdue, completed / count if count else None, _percent(on_time)]
            for week, count, completed, overdue, on_time in groups
        )
        return self._make_table(_("Cases by Week"), _("Cases by Week"), columns, rows, Chart("line", (1, 2)))

    def _table_case_appeal_type(self):
        groups = self.env["hotline.report.case"]._read_group(
            self._get_domain("reported_at"),
            ["service_type_id"],
            ["case_count:sum", "completed_count:sum", "fcr_rate:avg"],
        )
        overall = self._case_overall(["fcr_rate:avg"])
        columns = [
            Column(_("Appeal Type"), "text", total=None, width=28),
            Column(_("Cases")),
            Column(_("Completed")),
            Column(_("Completion Rate"), "rate", Ratio((2,), (1,))),
            Column(_("Closed on the Call"), "rate", Overall(_percent(overall[0]))),
        ]
        no_kind = _("No Appeal Type")
        rows = (
            [kind.display_name or no_kind, count, completed, completed / count if count else None, _percent(fcr)]
            for kind, count, completed, fcr in groups
        )
        return self._make_table(_("Appeal Types"), _("Cases by Appeal Type"), columns, rows, Chart("column", (1, 2)))

    def _table_case_processing(self):
        Report = self.env["hotline.report.case"]
        domain = self._get_domain("reported_at")
        cells = {
            (department, state): count
            for department, state, count in Report._read_group(domain, ["department_id", "state"], ["case_count:sum"])
        }
        departments = Report._read_group(domain, ["department_id"], ["on_time_rate:avg", "handling_hours:avg"])
        labels = self._case_labels("state")
        states = [state for state in labels if any(key[1] == state for key in cells)]
        overall = self._case_overall(["on_time_rate:avg", "handling_hours:avg"])
        columns = [Column(_("Handling Department"), "text", total=None, width=28)]
        columns += [Column(labels[state]) for state in states]
        columns += [
            Column(_("Total")),
            Column(_("On-time Rate"), "rate", Overall(_percent(overall[0]))),
            Column(_("Handling Time (h)"), "decimal", Overall(overall[1])),
        ]

        not_dispatched = _("Not Dispatched")

        def rows():
            for department, on_time, hours in departments:
                counts = [cells.get((department, state), 0) for state in states]
                name = department.display_name or not_dispatched
                yield [name, *counts, sum(counts), _percent(on_time), hours]

        series = tuple(range(1, len(states) + 1)) or (1,)
        title = _("Processing Situation")
        return self._make_table(title, title, columns, rows(), Chart("column", series, "stacked"))

    def _table_case_satisfaction(self):
        Report = self.env["hotline.report.case"]
        domain = self._get_domain("reported_at") + [("state", "=", "done")]
        cells = {
            (category, level): count
            for category, level, count in Report._read_group(
                domain, ["top_category_id", "satisfaction"], ["case_count:sum"]
            )
        }
        categories = Report._read_group(domain, ["top_category_id"], ["case_count:sum", "return_visit_rate:avg"])
        labels = self._case_labels("satisfaction")
        overall = self._case_overall(["return_visit_rate:avg"], [("state", "=", "done")])
        levels = list(labels)
        columns = [Column(_("Main Category"), "text", total=None, width=28), Column(_("Completed"))]
        columns += [Column(labels[level]) for level in levels]
        satisfied = tuple(2 + levels.index(level) for level in SATISFIED)
        answered = tuple(2 + levels.index(level) for level in ANSWERED_SATISFACTION)
        columns += [
            Column(_("Satisfaction Rate"), "rate", Ratio(satisfied, answered)),
            Column(_("Return-visit Rate"), "rate", Overall(_percent(overall[0]))),
        ]

        no_category = _("No Category")

        def rows():
            for category, count, visited in categories:
                counts = [cells.get((category, level), 0) for level in levels]
                answers = sum(counts[index - 2] for index in answered)
                rate = sum(counts[index - 2] for index in satisfied) / answers if answers else None
                yield [category.display_name or no_category, count, *counts, rate, _percent(visited)]

        chart = Chart("column", tuple(range(2, 2 + len(levels))), "stacked")
        return self._make_table(_("Satisfaction"), _("Citizens' Satisfaction"), columns, rows(), chart)

    def _case_overall(self, measures, domain=None):
        """The measures over all the cases of the export (an average of the whole period, not of the rows)."""
        [row] = self.env["hotline.report.case"]._read_group(
            self._get_domain("reported_at") + (domain or []), [], measures
        )
        return row

    # ------------------------------------------------------------
    # SHEETS: telephone traffic
    # ------------------------------------------------------------

    def _table_call_day(self):
        title = _("Telephone Traffic by Day")
        return self._call_table("start_time:day", _("Traffic by Day"), title, _("Day"), "column")

    def _table_call_week(self):
        title = _("Telephone Traffic by Week")
        return self._call_table("start_time:week", _("Traffic by Week"), title, _("Week Starting"), "line")

    def _call_table(self, groupby, sheet_name, title, period_label, chart_kind):
        Report = self.env["hotline.report.call"]
        domain = self._get_domain("start_time")
        groups = Report._read_group(domain, [groupby], CALL_MEASURES)
        [overall] = Report._read_group(domain, [], CALL_MEASURES)
        columns = [Column(period_label, "date", total=None), *self._call_columns(overall)]
        rows = ([_day(period), *self._call_values(values)] for period, *values in groups)
        return self._make_table(sheet_name, title, columns, rows, Chart(chart_kind, (2, 3)))

    def _call_columns(self, overall):
        """The columns of CALL_MEASURES, from the second one of the table."""
        *_counts, service_level, answer_wait, talk, _wait = overall
        return [
            Column(_("Calls")),
            Column(_("Offered")),
            Column(_("Answered")),
            Column(_("Abandoned")),
            Column(_("Answer Rate"), "rate", Ratio((3,), (2,))),
            Column(_("Service Level"), "rate", Overall(_percent(service_level))),
            Column(_("Average Speed of Answer (s)"), "decimal", Overall(answer_wait)),
            Column(_("Average Handle Time (s)"), "decimal", Overall(talk)),
            Column(_("Longest Wait (s)"), total="max"),
        ]

    def _call_values(self, values):
        calls, offered, answered, abandoned, service_level, answer_wait, talk, wait = values
        answer_rate = answered / offered if offered else None
        return [calls, offered, answered, abandoned, answer_rate, _percent(service_level), answer_wait, talk, wait]

    def _table_call_agent(self):
        measures = ["call_count:sum", "answered_count:sum", "answer_wait_seconds:avg", "talk_seconds:avg"]
        domain = self._get_domain("start_time")
        groups = self.env["hotline.report.call"]._read_group(domain, ["user_id"], measures)
        [overall] = self.env["hotline.report.call"]._read_group(domain, [], measures)
        agents = self.env["res.users"].union(*(agent for agent, *_values in groups))
        agent_domain = self._get_agent_domain(agents)
        hours = {
            agent: (logged, busy)
            for agent, logged, busy in self.env["hotline.report.agent"]._read_group(
                agent_domain, ["user_id"], ["logged_in_hours:sum", "busy_hours:sum"]
            )
        }
        occupancy = self.env["hotline.report.agent"]._occupancy(agent_domain)
        columns = [
            Column(_("Agent"), "text", total=None, width=28),
            Column(_("Calls")),
            Column(_("Answered")),
            Column(_("Average Speed of Answer (s)"), "decimal", Overall(overall[2])),
            Column(_("Average Handle Time (s)"), "decimal", Overall(overall[3])),
            Column(_("Logged In (h)"), "decimal"),
            Column(_("Busy (h)"), "decimal"),
            Column(_("Occupancy"), "rate", Ratio((6,), (5,))),
        ]

        no_agent = _("No Agent")

        def rows():
            for agent, calls, answered, answer_wait, talk in groups:
                logged, busy = hours.get(agent, (0.0, 0.0))
                rate = _percent(occupancy.get(agent)) if agent else None
                yield [agent.display_name or no_agent, calls, answered, answer_wait, talk, logged, busy, rate]

        return self._make_table(_("Traffic by Agent"), _("Traffic by Agent"), columns, rows(), Chart("column", (1, 2)))

    def _get_agent_domain(self, agents):
        start, end = self.env["hotline.report.department"]._period(self.date_from, self.date_to)
        return [("user_id", "in", agents.ids), ("date_start", ">=", start), ("date_start", "<", end)]

    # ------------------------------------------------------------
    # SHEETS: departments
    # ------------------------------------------------------------

    def _table_department_ranking(self):
        Report = self.env["hotline.report.department"]
        results = Report.score_for(self.date_from, self.date_to, self.district_id.id)
        [overall] = Report._read_group(
            self._get_domain("dispatched_at"), [], ["on_time_rate:avg", "satisfaction_rate:avg", "no_reopen_rate:avg"]
        )
        columns = [
            Column(_("Department"), "text", total=None, width=28),
            Column(_("Rank"), total=None),
            Column(_("Score"), "score", total=None),
            Column(_("On-time Rate"), "rate", Overall(_percent(overall[0]))),
            Column(_("Satisfaction Rate"), "rate", Overall(_percent(overall[1]))),
            Column(_("Not Reopened"), "rate", Overall(_percent(overall[2]))),
            Column(_("Spot-check Deductions"), "decimal"),
        ]
        rows = (
            [result["department"], result["rank"], result["score"]]
            + [_percent(result["indicators"].get(code)) for code in ("on_time", "satisfaction", "no_reopen")]
            + [result["deductions"]]
            for result in results
        )
        return self._make_table(_("Department Ranking"), _("Department Ranking"), columns, rows, Chart("column", (2,)))
