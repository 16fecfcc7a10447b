from odoo import models


class HotlineDepartment(models.Model):
    _inherit = "hotline.department"

    def unlink(self):
        # its routing rules go with it (ondelete cascade, in the database): drop the cached rule table
        self.env.registry.clear_cache()
        return super().unlink()

    def _hotline_member_users(self):
        """The staff and managers of these departments."""
        # sudo: department members are not readable by every user
        departments = self.sudo()
        return (departments.member_ids | departments.manager_user_id).sudo(False)

    def _hotline_member_partners_by_department(self):
        """{department id: partner ids of its members and manager}: who hears about its cases."""
        return {department.id: department._hotline_member_partners().ids for department in self}
