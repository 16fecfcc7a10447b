import base64
import logging
import time

from odoo import _, api, fields, models
from odoo.exceptions import UserError

from ..tools.bulk import cyclic_gc_paused
from ..tools.cdr import parse_master_csv

_logger = logging.getLogger(__name__)

MAX_REPORTED = 500  # rejected lines listed one by one; the rest are counted


class HotlineCdrImport(models.TransientModel):
    _name = "hotline.cdr.import"
    _description = "Import Asterisk CDRs"

    pbx_id = fields.Many2one(
        "hotline.pbx", string="PBX", required=True, default=lambda self: self.env["hotline.pbx"].search([], limit=1)
    )
    file = fields.Binary(string="Master.csv", attachment=False)
    filename = fields.Char()
    state = fields.Selection([("draft", "Draft"), ("done", "Done")], default="draft", required=True)
    line_count = fields.Integer(string="Rows Read", readonly=True)
    created_count = fields.Integer(string="Created", readonly=True)
    duplicate_count = fields.Integer(string="Already Present", readonly=True)
    rejected_count = fields.Integer(string="Rejected", readonly=True)
    call_count = fields.Integer(string="Calls Created or Completed", readonly=True)
    rejected_lines = fields.Text(string="Rejected Lines", readonly=True)
    call_ids = fields.Many2many("hotline.call", string="Calls", readonly=True)

    # ------------------------------------------------------------
    # ACTIONS
    # ------------------------------------------------------------

    def action_import(self):
        self.ensure_one()
        if not self.file:
            raise UserError(_("Choose the Master.csv file to import."))
        started = time.monotonic()
        with cyclic_gc_paused():
            data = base64.b64decode(self.file)
            rows, errors = parse_master_csv(data, self.pbx_id._hotline_tz())
            parsed = time.monotonic()
            # sudo: the CDR log and the calls are written by the system; the wizard is for administrators
            Cdr = self.env["hotline.call.cdr"].sudo()
            result = Cdr._hotline_import_rows(self.pbx_id.sudo(), rows, source="import")
        self.write(self._prepare_result_vals(rows, errors, result))
        _logger.info(
            "CDR import %s: %d rows, %d created, %d already present, %d rejected, %d calls in %.1f s "
            "(reading the file %.1f s)",
            self.filename or "",
            len(rows) + len(errors),
            result["created"],
            result["duplicates"],
            len(errors),
            len(result["calls"]),
            time.monotonic() - started,
            parsed - started,
        )
        return {
            "type": "ir.actions.act_window",
            "res_model": self._name,
            "res_id": self.id,
            "views": [[False, "form"]],
            "target": "new",
        }

    def action_view_calls(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("hotline_telephony.hotline_call_action")
        action["domain"] = [("id", "in", self.call_ids.ids)]
        return action

    # ------------------------------------------------------------
    # BUSINESS
    # ------------------------------------------------------------

    @api.model
    def _prepare_result_vals(self, rows, errors, result):
        lines = [
            _("Line %(line)s: %(reason)s", line=line, reason=self.env._(reason))
            for line, reason in errors[:MAX_REPORTED]
        ]
        if len(errors) > MAX_REPORTED:
            lines.append(_("... and %s more rejected lines.", len(errors) - MAX_REPORTED))
        calls = result["calls"]
        return {
            "state": "done",
            "file": False,
            "line_count": len(rows) + len(errors),
            "created_count": result["created"],
            "duplicate_count": result["duplicates"],
            "rejected_count": len(errors),
            "call_count": len(calls),
            "rejected_lines": "\n".join(lines) or False,
            "call_ids": [(6, 0, calls.ids[:1000])],
        }
