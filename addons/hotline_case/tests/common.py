from datetime import datetime, timedelta

from odoo import Command
from odoo.tests import TransactionCase, new_test_user

from .import_format import IMPORT_FIELDS, IMPORT_OPTIONS


class HotlineCaseCommon(TransactionCase):
    """Reference data, users and a Mon-Fri calendar of its own: nothing from the demo data."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(context=dict(cls.env.context, no_reset_password=True))
        # the shipped policies and settings must not interfere with the tests' own
        cls.env["hotline.sla.policy"].search([]).write({"active": False})
        cls.env["hotline.routing.rule"].search([]).write({"active": False})
        cls.env["hotline.calendar.day"].search([]).unlink()
        params = cls.env["ir.config_parameter"].sudo()
        params.set_param("hotline_case.default_sla_policy_id", False)
        params.set_param("hotline_case.duplicate_days", "30")
        params.set_param("hotline_case.portal_show_phone", False)

        cls.calendar = cls._create_calendar("Test office hours", range(5), [(8.5, 12.0), (13.5, 17.5)])
        cls.env.company.resource_calendar_id = cls.calendar

        District = cls.env["hotline.district"]
        cls.district_a = District.create({"name": "东湖区 (test)", "code": "T-DH"})
        cls.district_a_street = District.create(
            {"name": "湖滨街道 (test)", "code": "T-DH-HB", "parent_id": cls.district_a.id}
        )
        cls.district_b = District.create({"name": "西山区 (test)", "code": "T-XS"})

        Department = cls.env["hotline.department"]
        cls.dept_water = Department.create({"name": "Water (test)", "code": "T-WATER"})
        cls.dept_gas = Department.create({"name": "Gas (test)", "code": "T-GAS"})
        cls.dept_roads = Department.create({"name": "Roads (test)", "code": "T-ROADS"})

        Category = cls.env["hotline.category"]
        cls.cat_water = Category.create(
            {"name": "Water (test)", "code": "T-C-WATER", "department_id": cls.dept_water.id}
        )
        cls.cat_water_leak = Category.create(
            {"name": "Leak (test)", "code": "T-C-WATER-LEAK", "parent_id": cls.cat_water.id}
        )
        cls.cat_gas = Category.create({"name": "Gas (test)", "code": "T-C-GAS", "department_id": cls.dept_gas.id})
        cls.cat_other = Category.create({"name": "Other (test)", "code": "T-C-OTHER"})

        ServiceType = cls.env["hotline.service.type"]
        cls.type_complaint = ServiceType.create({"name": "Complaint (test)", "code": "T-COMPLAINT"})
        cls.type_consult = ServiceType.create({"name": "Consultation (test)", "code": "T-CONSULT"})

        # like most operators and supervisors of a hotline, they have no e-mail address
        cls.operator = new_test_user(
            cls.env, login="t_operator", groups="hotline_base.group_hotline_operator", tz="Asia/Shanghai", email=False
        )
        cls.supervisor = new_test_user(
            cls.env,
            login="t_supervisor",
            groups="hotline_base.group_hotline_supervisor",
            tz="Asia/Shanghai",
            email=False,
        )
        cls.manager = new_test_user(
            cls.env, login="t_manager", groups="hotline_base.group_hotline_manager", tz="Asia/Shanghai"
        )
        cls.admin = new_test_user(
            cls.env, login="t_hotline_admin", groups="hotline_base.group_hotline_admin", tz="Asia/Shanghai"
        )
        cls.district_operator = new_test_user(
            cls.env,
            login="t_district_operator",
            groups="hotline_base.group_hotline_operator",
            hotline_district_ids=[Command.set(cls.district_a.ids)],
        )
        cls.staff_water = new_test_user(
            cls.env, login="t_staff_water", groups="base.group_portal", hotline_department_id=cls.dept_water.id
        )
        cls.staff_gas = new_test_user(
            cls.env, login="t_staff_gas", groups="base.group_portal", hotline_department_id=cls.dept_gas.id
        )

        cls.policy = cls.env["hotline.sla.policy"].create(
            {
                "name": "Test standard",
                "sequence": 50,
                "accept_hours": 2.0,
                "dispatch_hours": 2.0,
                "handle_hours": 8.0,
                "return_visit_hours": 4.0,
                "working_time": True,
                "warning_ratio": 0.5,
            }
        )
        cls.caller = cls.env["res.partner"].create({"name": "张三 (test)", "mobile": "17700001111"})

    # ------------------------------------------------------------
    # HELPERS
    # ------------------------------------------------------------

    @classmethod
    def _create_calendar(cls, name, weekdays, periods, tz="Asia/Shanghai"):
        attendances = []
        for weekday in weekdays:
            for index, (hour_from, hour_to) in enumerate(periods):
                attendances.append(
                    Command.create(
                        {
                            "name": f"{weekday}-{index}",
                            "dayofweek": str(weekday),
                            "hour_from": hour_from,
                            "hour_to": hour_to,
                            "day_period": "morning" if hour_from < 12 else "afternoon",
                        }
                    )
                )
        return cls.env["resource.calendar"].create(
            {"name": name, "tz": tz, "attendance_ids": [Command.clear(), *attendances]}
        )

    @staticmethod
    def _utc(*args):
        """A naive UTC datetime from a Shanghai wall-clock time (UTC+8, no daylight saving)."""
        return datetime(*args) - timedelta(hours=8)

    def _create_case(self, user=None, **values):
        vals = {
            "summary": "水管爆裂 (test)",
            "caller_name": "张三",
            "caller_phone": "17700002222",
            "category_id": self.cat_water.id,
            "service_type_id": self.type_complaint.id,
            "district_id": self.district_a.id,
            "address": "云江市东湖区湖滨路 1 号",
        }
        vals.update(values)
        return self.env["hotline.case"].with_user(user or self.operator).create(vals)

    def _import_earlier_cases(self, rows, quoted=False):
        """A supervisor imports ``rows`` (values in IMPORT_FIELDS' order) as a CSV file with base_import."""
        lines = [",".join(f'"{value}"' if quoted else str(value) for value in row) for row in rows]
        content = "\n".join([",".join(IMPORT_FIELDS), *lines])
        importer = (
            self.env["base_import.import"]
            .with_user(self.supervisor)
            .create(
                {
                    "res_model": "hotline.case",
                    "file": content.encode(),
                    "file_type": "text/csv",
                    "file_name": "earlier_cases.csv",
                }
            )
        )
        return importer.execute_import(IMPORT_FIELDS, IMPORT_FIELDS, dict(IMPORT_OPTIONS), dryrun=False)

    def _flush_tracking(self):
        """What the end of a request does before its commit: the chatter's tracking messages."""
        self.env.flush_all()
        self.env.cr.precommit.run()

    def _accept(self, case):
        case.with_user(self.supervisor).action_accept()
        return case

    def _dispatch(self, case, department=None):
        if case.state == "new":
            self._accept(case)
        if department:
            case.with_user(self.supervisor).department_id = department
        case.with_user(self.supervisor).action_dispatch()
        return case

    def _to_in_progress(self, case):
        self._dispatch(case)
        case.with_user(self.staff_water).sudo().action_start()
        return case

    def _to_feedback(self, case):
        self._to_in_progress(case)
        case.with_user(self.staff_water).sudo()._hotline_submit_feedback("已抢修完毕")
        return case

    def _to_return_visit(self, case):
        self._to_feedback(case)
        case.with_user(self.supervisor).action_verify()
        return case
