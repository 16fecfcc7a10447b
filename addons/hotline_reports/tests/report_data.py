from datetime import timedelta

from odoo import Command, fields
from odoo.tests import new_test_user


class ReportDataMixin:
    """30 cases and 50 calls of this month whose figures were counted by hand (see test_figures.py)."""

    @classmethod
    def _setup_report_data(cls):
        cls.env = cls.env(context=dict(cls.env.context, no_reset_password=True, tracking_disable=True))
        env = cls.env
        env["hotline.sla.policy"].search([]).write({"active": False})
        env["ir.config_parameter"].sudo().set_param("hotline_case.default_sla_policy_id", False)
        cls.now = fields.Datetime.now().replace(microsecond=0)
        # the start of the month, so that every test record falls in "this month" whatever the day
        cls.month_start = cls.now.replace(day=1, hour=0, minute=0, second=0)
        cls.t0 = cls.month_start + timedelta(hours=1)
        District = env["hotline.district"]
        cls.district = District.create({"name": "Report District", "code": "T-REP"})
        cls.other_district = District.create({"name": "Report Other", "code": "T-REP-O"})
        Department = env["hotline.department"]
        cls.dept_a = Department.create({"name": "Report Dept A", "code": "T-REP-A"})
        cls.dept_b = Department.create({"name": "Report Dept B", "code": "T-REP-B"})
        cls.category = env["hotline.category"].create({"name": "Report Category", "code": "T-REP-CAT"})
        cls.manager = new_test_user(
            env, login="rep_manager", groups="hotline_base.group_hotline_manager", email=False, tz="UTC"
        )
        cls.supervisor = new_test_user(
            env, login="rep_supervisor", groups="hotline_base.group_hotline_supervisor", email=False
        )
        cls.district_supervisor = new_test_user(
            env,
            login="rep_district_supervisor",
            groups="hotline_base.group_hotline_supervisor",
            hotline_district_ids=[Command.set(cls.other_district.ids)],
        )
        cls.cases = cls._make_cases()
        cls.pbx = env["hotline.pbx"].create({"name": "Report PBX", "token": "report-token-12319"})
        cls._make_calls()

    @classmethod
    def _case(cls, **values):
        vals = {
            "summary": "report test",
            "category_id": cls.category.id,
            "district_id": cls.district.id,
            "reported_at": cls.t0,
        }
        state_values = {key: values.pop(key) for key in list(values) if key in WORKFLOW_KEYS}
        vals.update(values)
        case = cls.env["hotline.case"].create(vals)
        overdue = state_values.pop("is_overdue", None)
        if state_values:
            # as a migration would: the superuser may write the workflow's fields
            case.write(state_values)
        if overdue is not None:
            # after the state: entering a stage sets its own time-limit status
            case.write({"is_overdue": overdue})
        return case

    @classmethod
    def _done(cls, department, satisfaction, late=False, visited=True):
        return cls._case(
            state="done",
            department_id=department.id,
            resolution_type="handled",
            dispatched_at=cls.t0,
            started_at=cls.t0 + timedelta(hours=2),
            feedback_at=cls.t0 + timedelta(hours=10),
            closed_at=cls.t0 + timedelta(hours=20),
            satisfaction=satisfaction,
            handle_overdue=late,
            return_visit_at=cls.t0 + timedelta(hours=20) if visited else False,
        )

    @classmethod
    def _make_cases(cls):
        cases = cls.env["hotline.case"]
        for _index in range(12):  # answered on the call
            cases |= cls._case(state="done", resolution_type="direct", closed_at=cls.t0)
        # department A: 8 done, 2 late; 5 satisfied, 1 relatively, 2 general; one reopened once
        satisfactions_a = ["satisfied"] * 5 + ["relatively_satisfied"] + ["general"] * 2
        for index, satisfaction in enumerate(satisfactions_a):
            cases |= cls._done(cls.dept_a, satisfaction, late=index < 2)
        cls.reopened = cases[-1]
        cls.env["hotline.case.department.log"].create(
            {"case_id": cls.reopened.id, "event": "reopen", "department_id": cls.dept_a.id}
        )
        # department B: 4 done, 2 late, 2 satisfied, 2 general, one without return visit; 3 in progress, 1 late
        for index, satisfaction in enumerate(["satisfied", "satisfied", "general", "general"]):
            cases |= cls._done(cls.dept_b, satisfaction, late=index < 2, visited=index != 3)
        for index in range(3):
            cases |= cls._case(
                state="in_progress",
                department_id=cls.dept_b.id,
                dispatched_at=cls.t0,
                started_at=cls.t0 + timedelta(hours=4),
                handle_overdue=index == 0,
                is_overdue=index == 0,
            )
        for _index in range(2):  # new, past their acceptance deadline
            cases |= cls._case(is_overdue=True)
        cases |= cls._case(state="cancel", closed_at=cls.t0)
        # not in the district: seen by the district supervisor only
        cls.other_case = cls._case(district_id=cls.other_district.id, state="done", resolution_type="direct")
        return cases

    @classmethod
    def _make_calls(cls):
        Call = cls.env["hotline.call"]
        values = []
        start = cls.t0 + timedelta(hours=8)

        def call(index, **kwargs):
            vals = {
                "pbx_id": cls.pbx.id,
                "linkedid": f"report.{index}",
                "direction": "inbound",
                "queue": "hotline",
                "start_time": start + timedelta(minutes=index),
            }
            vals.update(kwargs)
            values.append(vals)

        index = 0
        for number in range(36):  # answered inbound: 30 after 10 s, 6 after 40 s; talk 120 s or 300 s
            wait = 10 if number < 30 else 40
            talk = 120 if number < 30 else 300
            call(index, disposition="answered", answer_time=start, wait_seconds=wait, talk_seconds=talk)
            index += 1
        for number in range(8):  # abandoned after 25 s, one after 90 s
            call(index, disposition="abandoned", wait_seconds=90 if number == 0 else 25)
            index += 1
        for _number in range(6):  # outbound call-backs
            call(index, direction="outbound", disposition="answered", answer_time=start, talk_seconds=60)
            index += 1
        Call.create(values)


WORKFLOW_KEYS = {
    "state",
    "resolution_type",
    "dispatched_at",
    "started_at",
    "feedback_at",
    "closed_at",
    "handle_overdue",
    "is_overdue",
    "return_visit_at",
}
