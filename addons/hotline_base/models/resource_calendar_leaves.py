from odoo import api, models


class ResourceCalendarLeaves(models.Model):
    _inherit = "resource.calendar.leaves"

    @api.model_create_multi
    def create(self, vals_list):
        leaves = super().create(vals_list)
        if leaves._hotline_change_work_time():
            self.env.registry.clear_cache()  # resource.calendar._hotline_year_work_time
        return leaves

    def write(self, vals):
        changes_work_time = self._hotline_change_work_time()
        result = super().write(vals)
        if changes_work_time or self._hotline_change_work_time():
            self.env.registry.clear_cache()  # resource.calendar._hotline_year_work_time
        return result

    def unlink(self):
        changes_work_time = self._hotline_change_work_time()
        result = super().unlink()
        if changes_work_time:
            self.env.registry.clear_cache()  # resource.calendar._hotline_year_work_time
        return result

    def _hotline_change_work_time(self):
        """Whether these leaves are part of a calendar's working time (a resource's own are not)."""
        return any(not leave.resource_id for leave in self)
