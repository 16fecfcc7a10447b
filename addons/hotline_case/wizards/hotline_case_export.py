import base64
import io
from urllib.parse import quote

import xlsxwriter

from odoo import _, api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools.misc import format_datetime

from odoo.addons.hotline_base.tools import mask_phone

_BATCH = 2000
# who may export callers' full numbers
UNMASK_GROUP = "hotline_base.group_hotline_supervisor"


class HotlineCaseExport(models.TransientModel):
    _name = "hotline.case.export"
    _description = "Case Export to Excel"

    case_ids = fields.Many2many("hotline.case", string="Cases")
    case_count = fields.Integer(compute="_compute_case_count")
    mask_phones = fields.Boolean(
        string="Mask Callers' Phones",
        default=True,
        help="Hide the middle digits of the callers' numbers (138****8000). "
        "Only shift supervisors and managers may export full numbers.",
    )
    can_unmask = fields.Boolean(compute="_compute_can_unmask")
    file_data = fields.Binary(string="File", readonly=True, attachment=False)
    file_name = fields.Char(readonly=True)

    # ------------------------------------------------------------
    # COMPUTES AND DEFAULTS
    # ------------------------------------------------------------

    @api.depends("case_ids")
    def _compute_case_count(self):
        for wizard in self:
            wizard.case_count = len(wizard.case_ids)

    @api.depends_context("uid")
    def _compute_can_unmask(self):
        for wizard in self:
            wizard.can_unmask = self._hotline_can_unmask()

    @api.model
    def _hotline_can_unmask(self):
        return self.env.su or self.env.user.has_group(UNMASK_GROUP)

    # ------------------------------------------------------------
    # CRUD: the masking holds whatever the client (the view's readonly is not enough)
    # ------------------------------------------------------------

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            self._check_unmask(vals)
        return super().create(vals_list)

    def write(self, vals):
        self._check_unmask(vals)
        return super().write(vals)

    @api.model
    def _check_unmask(self, vals):
        if "mask_phones" in vals and not vals["mask_phones"] and not self._hotline_can_unmask():
            raise AccessError(_("Only shift supervisors and managers may export callers' full phone numbers."))

    @api.model
    def default_get(self, fields_list):
        values = super().default_get(fields_list)
        context = self.env.context
        if "case_ids" in fields_list and context.get("active_model") == "hotline.case":
            if context.get("active_domain") is not None and not context.get("active_ids"):
                values["case_ids"] = [fields.Command.set(self.env["hotline.case"].search(context["active_domain"]).ids)]
            elif context.get("active_ids"):
                values["case_ids"] = [fields.Command.set(context["active_ids"])]
        return values

    # ------------------------------------------------------------
    # ACTIONS
    # ------------------------------------------------------------

    def action_export(self):
        self.ensure_one()
        if not self.case_ids:
            raise UserError(_("Select the cases to export first."))
        self.write(
            {
                "file_data": base64.b64encode(self._hotline_xlsx(self.case_ids)),
                "file_name": _("hotline-cases-%s.xlsx", fields.Date.context_today(self).strftime("%Y%m%d")),
            }
        )
        return {
            "type": "ir.actions.act_url",
            "url": f"/web/content/{self._name}/{self.id}/file_data/{quote(self.file_name)}?download=true",
            "target": "download",
        }

    # ------------------------------------------------------------
    # BUSINESS
    # ------------------------------------------------------------

    def _hotline_columns(self):
        """(header, field name, width) of the exported columns, in order."""
        return [
            (_("Case Number"), "name", 20),
            (_("Reporting Time"), "reported_at", 18),
            (_("Caller"), "caller_name", 12),
            (_("Caller Phone"), "caller_phone", 16),
            (_("Source"), "source", 10),
            (_("Category"), "category_id", 24),
            (_("Service Type"), "service_type_id", 12),
            (_("District"), "district_id", 14),
            (_("Address"), "address", 30),
            (_("Summary"), "summary", 40),
            (_("Priority"), "priority", 8),
            (_("Status"), "state", 10),
            (_("Acceptance Status"), "acceptance_status", 10),
            (_("Handling Department"), "department_id", 24),
            (_("Deadline"), "deadline", 18),
            (_("Overdue"), "is_overdue", 8),
            (_("Handling Result"), "handling_result", 40),
            (_("Resolved At"), "resolved_at", 18),
            (_("Satisfaction"), "satisfaction", 10),
        ]

    def _hotline_cell(self, case, field_name, selections):
        value = case[field_name]
        field = case._fields[field_name]
        if field.type == "many2one":
            return value.display_name or ""
        if field.type == "selection":
            return selections[field_name].get(value, "") if value else ""
        if field.type == "datetime":
            return format_datetime(self.env, value, dt_format="yyyy-MM-dd HH:mm") if value else ""
        if field.type == "boolean":
            return _("Yes") if value else _("No")
        if field_name == "caller_phone" and value and self._hotline_masks_phone(case):
            return mask_phone(value)
        return value or ""

    def _hotline_masks_phone(self, case):
        """Masked unless the wizard says not to and the user may see full numbers (checked again here:
        the flag may come from anywhere); an anonymous caller's number is always masked."""
        return self.mask_phones or case.anonymous or not self._hotline_can_unmask()

    def _hotline_xlsx(self, cases):
        """The cases as an xlsx workbook (bytes), read in batches with the user's access rights."""
        columns = self._hotline_columns()
        Case = self.env["hotline.case"]
        selections = {
            name: dict(Case._fields[name]._description_selection(self.env))
            for _header, name, _width in columns
            if Case._fields[name].type == "selection"
        }
        output = io.BytesIO()
        workbook = xlsxwriter.Workbook(output, {"in_memory": True})
        sheet = workbook.add_worksheet(_("Cases"))
        header_format = workbook.add_format({"bold": True, "bg_color": "#D9E1F2", "border": 1, "text_wrap": True})
        for index, (header, _name, width) in enumerate(columns):
            sheet.write(0, index, header, header_format)
            sheet.set_column(index, index, width)
        sheet.freeze_panes(1, 1)
        row = 1
        for start in range(0, len(cases), _BATCH):
            batch = cases[start : start + _BATCH]
            for case in batch:
                for index, (_header, name, _width) in enumerate(columns):
                    sheet.write_string(row, index, str(self._hotline_cell(case, name, selections)))
                row += 1
            batch.invalidate_recordset()
        sheet.autofilter(0, 0, max(row - 1, 1), len(columns) - 1)
        workbook.close()
        return output.getvalue()
