from datetime import timedelta

from odoo import fields
from odoo.exceptions import AccessError
from odoo.tests import tagged

from .common import HotlineBaseCommon


@tagged("post_install", "-at_install")
class TestAccess(HotlineBaseCommon):
    def test_roles_are_chained(self):
        operator_group = self.env.ref("hotline_base.group_hotline_operator")
        self.assertTrue(self.admin.has_group("hotline_base.group_hotline_manager"))
        self.assertTrue(self.admin.has_group("hotline_base.group_hotline_supervisor"))
        self.assertTrue(self.supervisor.has_group("hotline_base.group_hotline_operator"))
        self.assertFalse(self.supervisor.has_group("hotline_base.group_hotline_manager"))
        self.assertFalse(self.operator.has_group("hotline_base.group_hotline_supervisor"))
        self.assertIn(self.env.ref("base.group_user"), operator_group.implied_ids)
        self.assertEqual(
            self.env["res.users"]._hotline_role_groups()[-1], self.env.ref("hotline_base.group_hotline_admin")
        )

    def test_operator_reads_but_cannot_edit_departments(self):
        department = self.department_water.with_user(self.operator)
        self.assertEqual(department.name, "Water")
        with self.assertRaises(AccessError):
            department.write({"name": "Renamed"})
        with self.assertRaises(AccessError):
            self.env["hotline.department"].with_user(self.operator).create({"name": "X", "code": "X"})
        with self.assertRaises(AccessError):
            self.env["hotline.category"].with_user(self.operator).create({"name": "X", "code": "X"})
        self.assertEqual(self.department_water.name, "Water")

    def test_admin_edits_reference_data(self):
        self.department_water.with_user(self.admin).write({"name": "Water Group"})
        self.assertEqual(self.department_water.name, "Water Group")
        category = self.env["hotline.category"].with_user(self.admin).create({"name": "Pipes", "code": "T-PIPES"})
        self.assertTrue(category.exists())

    def test_district_scoped_user_sees_only_its_districts(self):
        self.operator.hotline_district_ids = self.district_east
        visible = self.env["hotline.district"].with_user(self.operator).search([("code", "like", "T-")])
        self.assertEqual(visible, self.district_east | self.district_east_street)
        with self.assertRaises(AccessError):
            self.district_west.with_user(self.operator).read(["name"])

    def test_unscoped_user_sees_the_whole_city(self):
        visible = self.env["hotline.district"].with_user(self.supervisor).search([("code", "like", "T-")])
        self.assertEqual(visible, self.district_east | self.district_east_street | self.district_west)

    def test_removing_the_scope_takes_effect_at_once(self):
        self.operator.hotline_district_ids = self.district_east
        self.assertEqual(len(self.env["hotline.district"].with_user(self.operator).search([("code", "like", "T-")])), 2)
        self.operator.hotline_district_ids = False
        self.assertEqual(len(self.env["hotline.district"].with_user(self.operator).search([("code", "like", "T-")])), 3)

    def test_portal_user_reads_reference_data_only(self):
        self.assertEqual(self.portal_water.hotline_department_id, self.department_water)
        self.assertIn(self.portal_water, self.department_water.member_ids)
        self.assertEqual(self.department_water.with_user(self.portal_water).name, "Water")
        with self.assertRaises(AccessError):
            self.department_water.with_user(self.portal_water).write({"name": "Mine"})
        with self.assertRaises(AccessError):
            self.env["hotline.bulletin"].with_user(self.portal_water).search([])
        with self.assertRaises(AccessError):
            self.env["hotline.reminder"].with_user(self.portal_water).search([])

    def test_bulletin_audience(self):
        Bulletin = self.env["hotline.bulletin"]
        everyone = Bulletin.create({"name": "All", "body": "<p>x</p>"})
        supervisors_only = Bulletin.create(
            {"name": "Sup", "group_ids": [(6, 0, self.env.ref("hotline_base.group_hotline_supervisor").ids)]}
        )
        seen_by_operator = Bulletin.with_user(self.operator).search([("id", "in", (everyone | supervisors_only).ids)])
        self.assertEqual(seen_by_operator, everyone)
        seen_by_supervisor = Bulletin.with_user(self.supervisor).search(
            [("id", "in", (everyone | supervisors_only).ids)]
        )
        self.assertEqual(seen_by_supervisor, everyone | supervisors_only)
        with self.assertRaises(AccessError):
            everyone.with_user(self.operator).write({"name": "Edited"})
        everyone.with_user(self.supervisor).write({"pinned": True})
        self.assertTrue(everyone.pinned)

    def test_reminders_are_private(self):
        Reminder = self.env["hotline.reminder"]
        tomorrow = fields.Datetime.now() + timedelta(days=1)
        mine = Reminder.with_user(self.operator).create({"name": "Call back", "remind_at": tomorrow})
        theirs = Reminder.with_user(self.supervisor).create({"name": "Theirs", "remind_at": tomorrow})
        self.assertEqual(mine.user_id, self.operator)
        self.assertEqual(Reminder.with_user(self.operator).search([("id", "in", (mine | theirs).ids)]), mine)
        with self.assertRaises(AccessError):
            theirs.with_user(self.operator).read(["name"])
        self.assertEqual(Reminder.with_user(self.admin).search([("id", "in", (mine | theirs).ids)]), mine | theirs)

    def test_audit_log_is_read_by_administrators_only(self):
        AuditLog = self.env["hotline.audit.log"]
        log = AuditLog.with_user(self.supervisor)._hotline_log("listen", self.department_water, detail="1001")
        self.assertEqual(log.sudo().user_id, self.supervisor, "any user leaves a trace")
        for user in (self.operator, self.supervisor, self.portal_water):
            with self.subTest(user=user.login), self.assertRaises(AccessError):
                AuditLog.with_user(user).search([("id", "=", log.id)]).read(["action"])
            with self.subTest(user=user.login), self.assertRaises(AccessError):
                AuditLog.with_user(user).create({"user_id": user.id, "action": "listen"})
        as_admin = log.with_user(self.admin)
        self.assertEqual(as_admin.read(["action", "res_model", "res_name"])[0]["res_name"], "Water")
        with self.assertRaises(AccessError):
            as_admin.write({"action": "barge"})
        with self.assertRaises(AccessError):
            as_admin.unlink()
        self.assertEqual(log.sudo().action, "listen")

    def test_portal_users_do_not_read_department_contacts(self):
        self.department_water.write({"email": "water@example.city", "duty_phone": "0710-8888"})
        department = self.department_water.with_user(self.portal_water)
        self.assertEqual(department.display_name, "Water")
        for name in ("email", "duty_phone", "member_ids", "manager_user_id"):
            with self.subTest(field=name), self.assertRaises(AccessError):
                department.read([name])
