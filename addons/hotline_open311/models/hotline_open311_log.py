from odoo import api, fields, models


class HotlineOpen311Log(models.Model):
    _name = "hotline.open311.log"
    _description = "Open311 Submission"
    _order = "create_date desc, id desc"

    client_id = fields.Many2one("hotline.open311.client", required=True, index=True, ondelete="cascade")
    case_id = fields.Many2one("hotline.case", index="btree_not_null", ondelete="set null")
    service_code = fields.Char()
    result = fields.Selection([("accepted", "Accepted"), ("refused", "Refused")], required=True)
    status = fields.Integer(string="HTTP Status")
    error = fields.Text()
    remote_addr = fields.Char(string="From Address")

    def init(self):
        # the rate limit counts a client's submissions of the last hour
        self.env.cr.execute(
            "CREATE INDEX IF NOT EXISTS hotline_open311_log_client_date_index"
            " ON hotline_open311_log (client_id, create_date)"
        )

    @api.model
    def _open311_record(self, client, result, status, case=None, service_code=None, error=None, remote_addr=None):
        # sudo: the API writes its own log; nobody but administrators reads it
        return self.sudo().create(
            {
                "client_id": client.id,
                "case_id": case.id if case else False,
                "service_code": service_code,
                "result": result,
                "status": status,
                "error": error,
                "remote_addr": remote_addr,
            }
        )
