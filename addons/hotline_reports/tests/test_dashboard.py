import json
import re
import types
from datetime import datetime, time, timedelta

import pytz
from dateutil.relativedelta import relativedelta

from odoo import fields
from odoo.models import BaseModel
from odoo.tests import HttpCase, new_test_user, tagged
from odoo.tools.safe_eval import safe_eval

from odoo.addons.spreadsheet.utils.validate_data import odoo_charts

TZ = "Asia/Shanghai"
FORMULA = re.compile(r"PIVOT\.(VALUE|HEADER)\(([^)]*)\)")


def _domain(domain, tz):
    """A data source's domain as the web client evaluates it: a list, or an expression of the user's today."""
    if isinstance(domain, list):
        return domain

    class UserDateTime(datetime):
        def to_utc(self):  # py_js: the naive datetime is in the browser's (the user's) time zone
            return pytz.timezone(tz).localize(self).astimezone(pytz.utc).replace(tzinfo=None)

    today = datetime.now(pytz.timezone(tz)).date()
    context = {
        "context_today": lambda: today,
        "datetime": types.SimpleNamespace(datetime=UserDateTime, time=time),
        "relativedelta": relativedelta,
    }
    return [list(leaf) if isinstance(leaf, tuple) else leaf for leaf in safe_eval(domain, context)]


@tagged("post_install", "-at_install")
class TestDashboard(HttpCase):
    """The managers' dashboard: its data sources exist, its figures follow today and this week, it renders."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(context=dict(cls.env.context, no_reset_password=True, tracking_disable=True))
        cls.manager = new_test_user(
            cls.env, login="dash_manager", groups="hotline_base.group_hotline_manager", email=False, tz=TZ
        )
        cls.dashboard = cls.env.ref("hotline_reports.spreadsheet_dashboard_hotline_overview")
        cls.data = json.loads(cls.dashboard.spreadsheet_data)

    # ------------------------------------------------------------------ helpers

    @classmethod
    def _make_today(cls):
        """Calls and cases of today (and one call of yesterday, one case of last week), counted by hand."""
        env = cls.env
        env["hotline.sla.policy"].search([]).write({"active": False})
        env["ir.config_parameter"].sudo().set_param("hotline_case.default_sla_policy_id", False)
        now = fields.Datetime.now().replace(microsecond=0)
        cls.now = now
        district = env["hotline.district"].create({"name": "Dashboard District", "code": "T-DASH"})
        cls.department = env["hotline.department"].create({"name": "Dashboard Dept", "code": "T-DASH"})
        cls.main_category = env["hotline.category"].create({"name": "Dashboard Main", "code": "T-DASH"})
        category = env["hotline.category"].create(
            {"name": "Dashboard Sub", "code": "T-DASH-SUB", "parent_id": cls.main_category.id}
        )

        def case(reported_at, **workflow):
            record = env["hotline.case"].create(
                {
                    "summary": "dashboard test",
                    "category_id": category.id,
                    "district_id": district.id,
                    "reported_at": reported_at,
                }
            )
            if workflow:  # as a migration would: the superuser writes the workflow's fields
                overdue = workflow.pop("is_overdue", None)
                record.write(workflow)
                if overdue is not None:
                    record.write({"is_overdue": overdue})
            return record

        case(now, state="done", resolution_type="direct", closed_at=now, satisfaction="satisfied")
        case(
            now,
            state="in_progress",
            department_id=cls.department.id,
            dispatched_at=now,
            started_at=now,
            handle_overdue=True,
            is_overdue=True,
        )
        case(now - timedelta(days=8))
        pbx = env["hotline.pbx"].create({"name": "Dashboard PBX", "token": "dashboard-token-12319"})
        answered = {"disposition": "answered", "answer_time": now, "wait_seconds": 5, "talk_seconds": 60}
        calls = [
            {"start_time": now, **answered},
            {"start_time": now, **answered},
            {"start_time": now, "disposition": "abandoned", "wait_seconds": 30},
            {"start_time": now, "direction": "outbound", **answered},
            {"start_time": now - timedelta(days=1), **answered},
        ]
        env["hotline.call"].create(
            [
                {"pbx_id": pbx.id, "linkedid": f"dashboard.{index}", "queue": "hotline", "direction": "inbound", **vals}
                for index, vals in enumerate(calls)
            ]
        )
        # the report models are SQL views over the cases and calls: what they read must be in the database
        env.flush_all()

    def _groups(self, model, domain, groupby, measures):
        """{group: {measure: value}} of a data source, read as the manager (None: the total)."""
        Model = self.env[model].with_user(self.manager).with_context(tz=TZ)
        aggregates = [f"{measure}:{Model._fields[measure].aggregator}" for measure in measures]
        result = {}
        for row in Model._read_group(_domain(domain, TZ), groupby, aggregates):
            group = row[0] if groupby else None
            result[group.id if isinstance(group, BaseModel) else group] = dict(
                zip(measures, row[len(groupby) :], strict=True)
            )
        return result

    def _pivot_figures(self):
        figures = {}
        for pivot_id, pivot in self.data["pivots"].items():
            measures = [measure["fieldName"] for measure in pivot["measures"]]
            groupby = [":".join(filter(None, [row["fieldName"], row.get("granularity")])) for row in pivot["rows"]]
            figures[pivot_id] = self._groups(pivot["model"], pivot["domain"], [], measures)
            if groupby:
                figures[pivot_id].update(self._groups(pivot["model"], pivot["domain"], groupby, measures))
        return figures

    # ------------------------------------------------------------------ tests

    def test_dashboard_record(self):
        dashboard = self.dashboard
        self.assertEqual(dashboard.name, "Hotline 12319 Overview")
        self.assertEqual(
            dashboard.dashboard_group_id, self.env.ref("hotline_reports.spreadsheet_dashboard_group_hotline")
        )
        self.assertEqual(dashboard.dashboard_group_id.name, "Hotline")
        self.assertEqual(dashboard.group_ids, self.env.ref("hotline_base.group_hotline_supervisor"))
        self.assertTrue(dashboard.is_published)
        self.assertEqual((self.data["version"], self.data["revisionId"]), (21, "START_REVISION"))
        self.assertEqual([sheet["name"] for sheet in self.data["sheets"]], ["总览", "数据"])
        # the standard check of a spreadsheet's models, fields and menus (made in test mode only)
        dashboard._check_spreadsheet_data()
        self.assertTrue(dashboard.with_user(self.manager).get_readonly_dashboard()["snapshot"]["pivots"])
        operator = new_test_user(self.env, login="dash_operator", groups="hotline_base.group_hotline_operator")
        self.assertFalse(self.env["spreadsheet.dashboard"].with_user(operator).search([("id", "=", dashboard.id)]))

    def _source_errors(self, source, model, names, measures=(), field_matching=None):
        """What a data source names and does not exist: its model, fields (chains), measures, global filters."""
        if model not in self.env:
            return [f"{source}: no model {model}"]
        errors = []
        filters = {item["id"] for item in self.data["globalFilters"]}
        errors += [f"{source}: no global filter {key}" for key in (field_matching or {}) if key not in filters]
        names = list(names) + [matching["chain"] for matching in (field_matching or {}).values()]
        for name in names:
            field_model = self.env[model]
            for fname in name.split(":")[0].split("."):
                field = field_model._fields.get(fname)
                if field is None:
                    errors.append(f"{source}: no field {fname} on {field_model._name}")
                    break
                field_model = self.env[field.comodel_name] if field.relational else field_model
        for measure in measures:
            field = self.env[model]._fields.get(measure)
            if measure != "__count" and not (field and field.aggregator):
                errors.append(f"{source}: {measure} is not a measure of {model}")
        return errors

    def test_data_sources_exist(self):
        """Every pivot, list and chart reads an existing model, with its existing fields and measures."""

        def domain_fields(domain):
            return [leaf[0] for leaf in _domain(domain, TZ) if isinstance(leaf, list | tuple)]

        errors = []
        for pivot_id, pivot in self.data["pivots"].items():
            measures = [measure["fieldName"] for measure in pivot["measures"]]
            names = [group["fieldName"] for group in pivot["rows"] + pivot["columns"]]
            names += domain_fields(pivot["domain"])
            if pivot.get("sortedColumn"):
                self.assertIn(pivot["sortedColumn"]["measure"], measures, f"pivot {pivot_id}")
            errors += self._source_errors(f"pivot {pivot_id}", pivot["model"], names, measures, pivot["fieldMatching"])
        for list_id, list_ in self.data["lists"].items():
            names = list_["columns"] + [order["name"] for order in list_["orderBy"]] + domain_fields(list_["domain"])
            errors += self._source_errors(f"list {list_id}", list_["model"], names, (), list_.get("fieldMatching"))
        charts = odoo_charts(self.data)
        self.assertTrue(charts)
        for chart in charts:
            meta, search = chart["metaData"], chart["searchParams"]
            names = meta["groupBy"] + search["groupBy"] + domain_fields(search["domain"])
            errors += self._source_errors(
                f"chart {chart['id']}", meta["resModel"], names, [meta["measure"]], chart.get("fieldMatching")
            )
        self.assertFalse(errors, "\n".join(errors))

    def test_formulas_read_the_pivots(self):
        """Every PIVOT formula names a pivot of the dashboard, one of its measures and its row fields."""
        pivots = self.data["pivots"]
        count = 0
        for sheet in self.data["sheets"]:
            for xc, cell in sheet["cells"].items():
                for function, args in FORMULA.findall(cell.get("content", "")):
                    count += 1
                    args = [arg.strip().strip('"') for arg in args.split(",")]
                    pivot = pivots.get(args[0])
                    self.assertTrue(pivot, f"{sheet['name']}!{xc}: no pivot {args[0]}")
                    rows = {":".join(filter(None, [row["fieldName"], row.get("granularity")])) for row in pivot["rows"]}
                    groups = args[2::2] if function == "VALUE" else args[1::2]
                    if function == "VALUE":
                        self.assertIn(args[1], [measure["id"] for measure in pivot["measures"]], f"{xc}")
                    for group in groups:
                        self.assertIn(group.lstrip("#"), rows, f"{sheet['name']}!{xc}")
        self.assertGreater(count, 80)

    def test_figures_follow_today_and_this_week(self):
        """The pivots' relative domains (today, yesterday, this week) pick the right calls and cases."""
        before = self._pivot_figures()
        self._make_today()
        after = self._pivot_figures()

        def delta(pivot_id, measure, group=None):
            old = before[pivot_id].get(group, {}).get(measure) or 0
            return (after[pivot_id].get(group, {}).get(measure) or 0) - old

        hour = self.now.replace(tzinfo=pytz.utc).astimezone(pytz.timezone(TZ)).hour
        self.assertEqual([delta("1", m) for m in ("offered_count", "answered_count", "abandoned_count")], [3, 2, 1])
        self.assertEqual([delta("1", m, hour) for m in ("offered_count", "answered_count")], [3, 2])
        self.assertEqual([delta("2", m) for m in ("offered_count", "answered_count", "abandoned_count")], [1, 1, 0])
        self.assertEqual((delta("3", "case_count"), delta("4", "case_count")), (2, 0))
        self.assertEqual((delta("5", "completed_count"), delta("6", "completed_count")), (1, 0))
        self.assertEqual(after["7"][self.department.id], {"case_count": 1, "overdue_count": 1})
        self.assertEqual(after["8"][self.main_category.id], {"case_count": 2, "completed_count": 1})
        # the weekly satisfaction of the line chart
        chart = odoo_charts(self.data)[0]
        weeks = self._groups(
            chart["metaData"]["resModel"],
            chart["searchParams"]["domain"],
            chart["metaData"]["groupBy"],
            [chart["metaData"]["measure"]],
        )
        self.assertTrue(weeks)
        self.assertTrue(all(0 <= week["satisfaction_rate"] <= 100 for week in weeks.values()))

    def test_manager_opens_the_dashboard(self):
        self._make_today()
        self.start_tour(
            "/odoo/action-spreadsheet_dashboard.ir_actions_dashboard_action",
            "hotline_dashboard_tour",
            login="dash_manager",
        )
