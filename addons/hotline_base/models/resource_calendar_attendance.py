from odoo import api, models


class ResourceCalendarAttendance(models.Model):
    _inherit = "resource.calendar.attendance"

    @api.model_create_multi
    def create(self, vals_list):
        attendances = super().create(vals_list)
        self.env.registry.clear_cache()  # resource.calendar._hotline_year_work_time
        return attendances

    def write(self, vals):
        result = super().write(vals)
        self.env.registry.clear_cache()  # resource.calendar._hotline_year_work_time
        return result

    def unlink(self):
        result = super().unlink()
        self.env.registry.clear_cache()  # resource.calendar._hotline_year_work_time
        return result
