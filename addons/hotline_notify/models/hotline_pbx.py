import logging

from odoo import models

_logger = logging.getLogger(__name__)


class HotlinePbx(models.Model):
    _inherit = "hotline.pbx"

    def _hotline_route(self, caller, called=""):
        """The route answer always carries ``announcement`` and ``announcement_sound`` ("" when none): the
        newest active incident covering the caller's area, which the IVR plays before the menu."""
        answer = super()._hotline_route(caller, called)
        if answer.get("action") == "reject":
            answer.update(announcement="", announcement_sound="")
        else:
            answer.update(self._hotline_route_announcement(caller, answer.get("partner_id")))
        return answer

    def _hotline_route_announcement(self, caller, partner_id):
        """Never fails: the call must go on whatever happens here (an error means no announcement, logged)."""
        empty = {"announcement": "", "announcement_sound": ""}
        try:
            # no flush: the route runs on a read-only cursor and only reads
            with self.env.cr.savepoint(flush=False):
                partner = self.env["res.partner"].browse(partner_id or [])
                incident = self.env["hotline.incident"]._hotline_incident_for_caller(partner, caller)
                return incident._hotline_announcement() if incident else empty
        except Exception:  # noqa: BLE001 - the announcement is optional, the call is not
            _logger.exception("PBX %s: no incident announcement for this call", self.id)
            return empty
