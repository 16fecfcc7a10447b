from odoo import _, api, fields, models
from odoo.exceptions import UserError

OPERATOR = "hotline_base.group_hotline_operator"


class HotlineCase(models.Model):
    """Cases about an incident link to it: suggested from its category and district, or from a possible
    duplicate already linked; a banner gives operators the announcement to read to the caller."""

    _inherit = "hotline.case"

    # ------------------------------------------------------------
    # FIELDS
    # ------------------------------------------------------------

    incident_id = fields.Many2one(
        "hotline.incident",
        string="Incident",
        index="btree_not_null",
        tracking=True,
        copy=False,
        ondelete="set null",
        groups=OPERATOR,
        help="The known incident this case reports; its callers get the closing text when it is closed.",
    )
    suggested_incident_id = fields.Many2one(
        "hotline.incident",
        string="Suggested Incident",
        compute="_compute_suggested_incident_id",
        groups=OPERATOR,
        help="An active incident of the case's category covering its district (or the whole city), "
        "or the incident of a possible duplicate.",
    )
    incident_notice = fields.Text(
        string="Incident Announcement",
        compute="_compute_incident_notice",
        groups=OPERATOR,
        help="Active incidents in the caller's area, to read to the caller while registering.",
    )

    # ------------------------------------------------------------
    # COMPUTES
    # ------------------------------------------------------------

    @api.depends("incident_id", "category_id", "district_id", "caller_phone", "address", "state")
    def _compute_suggested_incident_id(self):
        active = self.env["hotline.incident"]._hotline_active_incidents()
        for case in self:
            suggested = active.browse()
            if active and not case.incident_id and case.state not in ("done", "cancel"):
                suggested = case._hotline_suggest_incident(active)
            case.suggested_incident_id = suggested

    @api.depends("incident_id", "suggested_incident_id", "district_id", "partner_id", "caller_phone", "state")
    def _compute_incident_notice(self):
        active = self.env["hotline.incident"]._hotline_active_incidents()
        for case in self:
            incidents = case._hotline_notice_incidents(active) if active and case.state == "new" else active.browse()
            case.incident_notice = "\n".join(f"{incident.name}: {incident.message.strip()}" for incident in incidents)

    # ------------------------------------------------------------
    # ACTIONS
    # ------------------------------------------------------------

    def action_link_incident(self):
        """Link the case to its suggested incident (one click from the form)."""
        self.ensure_one()
        incident = self.suggested_incident_id
        if not incident:
            raise UserError(_("No active incident matches case %s: pick one in the Incident field.", self.name))
        self.incident_id = incident
        return True

    # ------------------------------------------------------------
    # BUSINESS
    # ------------------------------------------------------------

    def _hotline_suggest_incident(self, active):
        """Among ``active`` incidents (newest first): a possible duplicate's, else the newest matching one."""
        self.ensure_one()
        from_duplicates = self.possible_duplicate_ids.incident_id
        incident = active.filtered(lambda incident: incident in from_duplicates)[:1]
        if not incident:
            incident = active._hotline_match_category(self.category_id)._hotline_match_districts(self.district_id)[:1]
        return incident

    def _hotline_notice_incidents(self, active):
        """The active incidents to read to this case's caller: its own, else those covering its area."""
        self.ensure_one()
        if self.incident_id.state == "active":
            return self.incident_id
        if self.suggested_incident_id:
            return self.suggested_incident_id
        districts = self.district_id or self.env["hotline.incident"]._hotline_caller_districts(
            self.partner_id._origin, self.caller_phone
        )
        return active._hotline_match_districts(districts)
