import logging
import os
import re

from odoo import _, api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tools import SQL

from odoo.addons.hotline_case.models.hotline_case import OPEN_STATES

_logger = logging.getLogger(__name__)

SOUND_NAME_RE = re.compile(r"^[A-Za-z0-9_]{1,64}$")
STATES = [("draft", "Draft"), ("active", "Active"), ("closed", "Closed")]
SUPERVISOR = "hotline_base.group_hotline_supervisor"
# Changed only by the incident's buttons: a direct write (RPC, import) would skip the speech and the texts.
WORKFLOW_FIELDS = frozenset({"state", "announcement_sound", "mailing_id"})


class HotlineIncident(models.Model):
    """A known problem many people call about (a burst main, a power cut): while it is active, callers from the
    area hear its announcement before the menu, cases about it link to it, and closing it texts its reporters."""

    _name = "hotline.incident"
    _description = "Hotline Incident"
    _inherit = ["hotline.mail.mixin", "mail.thread", "mail.activity.mixin"]
    _order = "state_sequence, date_start desc, id desc"

    # ------------------------------------------------------------
    # FIELDS
    # ------------------------------------------------------------

    name = fields.Char(required=True, tracking=True)
    category_id = fields.Many2one(
        "hotline.category",
        string="Category",
        required=True,
        index=True,
        tracking=True,
        help="Cases of this category (or one of its sub-categories) are suggested for this incident.",
    )
    district_ids = fields.Many2many(
        "hotline.district",
        string="Districts",
        tracking=True,
        help="The affected districts (with their sub-districts). Empty: the whole city.",
    )
    is_city_wide = fields.Boolean(string="Whole City", compute="_compute_is_city_wide")
    message = fields.Text(
        string="Announcement",
        required=True,
        tracking=True,
        help="What callers from the area hear before the menu, and what operators read to them, "
        "e.g. 'XX路段因管道抢修停水，预计18时恢复'.",
    )
    closing_message = fields.Text(
        tracking=True,
        help="The text sent to everyone who reported the incident when it is closed; edit it before closing.",
    )
    date_start = fields.Datetime(string="Start", tracking=True, help="Set on activation when empty.")
    date_end = fields.Datetime(
        string="End",
        tracking=True,
        help="While active: when the problem is expected to be over (the incident is flagged past this time, "
        "it is not closed by itself). Once closed: when it was closed.",
    )
    state = fields.Selection(STATES, required=True, default="draft", readonly=True, copy=False, tracking=True)
    state_sequence = fields.Integer(compute="_compute_state_sequence", store=True)
    user_id = fields.Many2one(
        "res.users",
        string="Responsible",
        default=lambda self: self.env.user,
        tracking=True,
        help="The supervisor reminded to close the incident once it is past its end.",
    )
    is_past_end = fields.Boolean(
        string="Past its End",
        compute="_compute_is_past_end",
        search="_search_is_past_end",
        help="Active although its expected end has passed: check it and close it.",
    )
    announcement_sound = fields.Char(
        readonly=True,
        copy=False,
        help="Base name of the announcement's WAV file in the sound folder, played by the IVR. "
        "Empty: the text could not be turned into speech; callers hear the menu only.",
    )
    case_ids = fields.One2many("hotline.case", "incident_id", string="Cases")
    case_count = fields.Integer(compute="_compute_case_counts")
    reporter_count = fields.Integer(
        string="Reporters",
        compute="_compute_case_counts",
        help="Different callers (phone numbers) who reported the incident, merged duplicates included.",
    )
    mailing_id = fields.Many2one(
        "mailing.mailing", string="Closing Texts", readonly=True, copy=False, index="btree_not_null"
    )

    _sql_constraints = [
        (
            "date_check",
            "CHECK(date_end IS NULL OR date_start IS NULL OR date_end >= date_start)",
            "An incident cannot end before it starts.",
        ),
    ]

    # ------------------------------------------------------------
    # COMPUTES
    # ------------------------------------------------------------

    @api.depends("district_ids")
    def _compute_is_city_wide(self):
        for incident in self:
            incident.is_city_wide = not incident.district_ids

    @api.depends("state")
    def _compute_state_sequence(self):
        order = {"active": 1, "draft": 2, "closed": 3}
        for incident in self:
            incident.state_sequence = order.get(incident.state, 9)

    @api.depends("state", "date_end")
    def _compute_is_past_end(self):
        now = fields.Datetime.now()
        for incident in self:
            incident.is_past_end = bool(incident.state == "active" and incident.date_end and incident.date_end < now)

    def _search_is_past_end(self, operator, value):
        if operator not in ("=", "!=") or not isinstance(value, bool):
            raise NotImplementedError(_("Unsupported search on 'Past its End'."))
        domain = [("state", "=", "active"), ("date_end", "<", fields.Datetime.now())]
        return domain if (operator == "=") == value else ["!", *domain]

    def _compute_case_counts(self):
        case_counts = dict(
            self.env["hotline.case"]._read_group([("incident_id", "in", self.ids)], ["incident_id"], ["__count"])
        )
        reporter_counts = self._hotline_reporter_counts()
        for incident in self:
            incident.case_count = case_counts.get(incident, 0)
            incident.reporter_count = reporter_counts.get(incident.id, 0)

    # ------------------------------------------------------------
    # CONSTRAINTS
    # ------------------------------------------------------------

    @api.constrains("message")
    def _check_message(self):
        for incident in self:
            if not (incident.message or "").strip():
                raise ValidationError(_("Incident %s needs an announcement text.", incident.name))

    @api.constrains("announcement_sound")
    def _check_announcement_sound(self):
        for incident in self:
            if incident.announcement_sound and not SOUND_NAME_RE.match(incident.announcement_sound):
                raise ValidationError(_("The announcement's sound name may hold only letters, digits and '_'."))

    # ------------------------------------------------------------
    # CRUD
    # ------------------------------------------------------------

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            given = {name for name in WORKFLOW_FIELDS & vals.keys() if vals[name] and vals[name] != "draft"}
            if given and not self.env.su:
                raise AccessError(_("A new incident starts as a draft: activate it with its button."))
        return super().create(vals_list)

    def write(self, vals):
        if WORKFLOW_FIELDS & vals.keys() and not self.env.su:
            raise AccessError(_("An incident's state changes only through its buttons (activate, close)."))
        result = super().write(vals)
        if "message" in vals:
            # callers must never hear a stale announcement: speak the new text again
            self.filtered(lambda incident: incident.state == "active")._hotline_render_announcement()
        return result

    @api.ondelete(at_uninstall=False)
    def _unlink_only_drafts(self):
        if self.filtered(lambda incident: incident.state != "draft"):
            raise UserError(_("Only draft incidents can be deleted: close the others."))

    # ------------------------------------------------------------
    # ACTIONS
    # ------------------------------------------------------------

    def action_activate(self):
        self._check_supervisor(_("activate an incident"))
        for incident in self:
            if incident.state != "draft":
                raise UserError(_("Incident %s is not a draft: it cannot be activated.", incident.name))
            incident._hotline_write(incident._prepare_activate_vals())
            incident._hotline_render_announcement()
        return True

    def action_close(self):
        self._check_supervisor(_("close an incident"))
        for incident in self:
            if incident.state != "active":
                raise UserError(_("Incident %s is not active: it cannot be closed.", incident.name))
            if not (incident.closing_message or "").strip():
                raise UserError(
                    _(
                        "Write the closing text of incident %s first: it goes to everyone who reported it.",
                        incident.name,
                    )
                )
            incident._hotline_write({"state": "closed", "date_end": fields.Datetime.now()})
            incident._hotline_text_reporters()
        return True

    def action_reset_draft(self):
        self._check_supervisor(_("reset an incident to draft"))
        for incident in self:
            if incident.state != "closed":
                raise UserError(_("Only a closed incident can be reset to draft."))
        self._hotline_write({"state": "draft", "date_end": False, "announcement_sound": False})
        return True

    def action_view_cases(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("hotline_case.hotline_case_action")
        action.update(
            {
                "domain": [("incident_id", "=", self.id)],
                "context": {
                    "default_incident_id": self.id,
                    "default_category_id": self.category_id.id,
                },
            }
        )
        return action

    def action_view_mailing(self):
        self.ensure_one()
        if not self.mailing_id:
            raise UserError(_("No closing texts were sent for incident %s.", self.name))
        return {
            "type": "ir.actions.act_window",
            "res_model": "mailing.mailing",
            "res_id": self.mailing_id.id,
            "view_mode": "form",
            "context": {"default_mailing_type": "sms"},
        }

    # ------------------------------------------------------------
    # BUSINESS: workflow helpers
    # ------------------------------------------------------------

    def _check_supervisor(self, action_label):
        if not self.env.su and not self.env.user.has_group(SUPERVISOR):
            raise AccessError(_("Only a shift supervisor may %s.", action_label))
        self.check_access("write")

    def _hotline_write(self, vals):
        """The buttons' own write, past the guard on the workflow fields: the button checked state and role."""
        self.check_access("write")
        # sudo: past the guard only (the user stays the author of the change and of its tracking)
        return self.sudo().write(vals)

    def _prepare_activate_vals(self):
        self.ensure_one()
        vals = {"state": "active", "date_start": self.date_start or fields.Datetime.now()}
        if self.date_end and self.date_end < vals["date_start"]:
            vals["date_end"] = False
        if not self.closing_message:
            vals["closing_message"] = _(
                "%(name)s: the problem you reported to the 12319 hotline has been dealt with. Thank you.",
                name=self.name,
            )
        return vals

    def _hotline_render_announcement(self):
        """Turn each announcement into speech for the IVR; a failure is told in the chatter and never blocks:
        the text still goes out (route answer, operators' banner), callers hear the menu only."""
        for incident in self:
            sound = ""
            try:
                with self.env.cr.savepoint():
                    path = self.env["hotline.voice.notice"]._hotline_render_sound(
                        incident.message, f"incident_{incident.id}"
                    )
                sound = os.path.basename(path or "")
                if not SOUND_NAME_RE.match(sound):
                    raise UserError(_("The speech engine returned an unusable file name: %s", path))
            except Exception as exc:  # noqa: BLE001 - any TTS failure (engine, disk, missing helper) is reported
                _logger.warning("Incident %s: the announcement could not be turned into speech: %s", incident.id, exc)
                incident.message_post(
                    body=_(
                        "The announcement could not be turned into speech (%(error)s): callers hear the menu "
                        "without it; operators still read the text.",
                        error=str(exc) or exc.__class__.__name__,
                    )
                )
                sound = ""
            incident._hotline_write({"announcement_sound": sound})

    def _hotline_reporter_counts(self):
        """``{incident id: number of different callers}`` over the cases and the duplicates merged into them; a
        caller is their phone number, else their partner. A count only: no case data leaves the query."""
        if not self.ids:
            return {}
        self.env["hotline.case"].flush_model(
            ["incident_id", "duplicate_of_id", "caller_phone_normalized", "partner_id"]
        )
        self.env.cr.execute(
            SQL(
                """
                SELECT COALESCE(c.incident_id, m.incident_id),
                       COUNT(DISTINCT COALESCE(c.caller_phone_normalized, 'partner-' || c.partner_id))
                  FROM hotline_case c
             LEFT JOIN hotline_case m ON m.id = c.duplicate_of_id
                 WHERE c.incident_id = ANY(%(ids)s) OR m.incident_id = ANY(%(ids)s)
              GROUP BY 1
                """,
                ids=self.ids,
            )
        )
        return dict(self.env.cr.fetchall())

    def _get_reporter_case_domain(self):
        """The cases of these incidents and the duplicates merged into them: everyone who reported them."""
        return ["|", ("incident_id", "in", self.ids), ("duplicate_of_id.incident_id", "in", self.ids)]

    def _hotline_text_reporters(self):
        """Text the closing message to each caller of the incident's cases once, as an SMS mailing."""
        self.ensure_one()
        if not self.env["hotline.case"].search_count(self._get_reporter_case_domain(), limit=1):
            self.message_post(body=_("Closed: no case is linked to this incident, no text was sent."))
            return self.env["mailing.mailing"]
        mailing = self.env["mailing.mailing"].create(self._prepare_closing_mailing_vals())
        self._hotline_write({"mailing_id": mailing.id})
        mailing.action_launch()
        self.message_post(body=_("Closed: the closing text is being sent to %s caller(s).", self.reporter_count))
        return mailing

    def _prepare_closing_mailing_vals(self):
        self.ensure_one()
        return {
            "subject": _("Incident closed: %s", self.name),
            "mailing_type": "sms",
            "mailing_model_id": self.env["ir.model"]._get_id("hotline.case"),
            "mailing_domain": repr(self._get_reporter_case_domain()),
            "body_plaintext": self.closing_message.strip(),
            "sms_allow_unsubscribe": False,
            "keep_archives": True,
        }

    # ------------------------------------------------------------
    # BUSINESS: matching callers and cases
    # ------------------------------------------------------------

    @api.model
    def _hotline_active_incidents(self):
        """Active incidents, newest first."""
        return self.search([("state", "=", "active")], order="date_start desc, id desc")

    def _hotline_match_districts(self, districts):
        """Those of these incidents that cover one of ``districts`` (or the whole city), in the same order."""
        ancestors = districts._hotline_lineage_ids()
        return self.filtered(lambda incident: not incident.district_ids or ancestors & set(incident.district_ids.ids))

    def _hotline_match_category(self, category):
        """Those of these incidents of ``category`` or one of its parents."""
        if not category:
            return self.browse()
        parents = category._hotline_lineage_ids()
        return self.filtered(lambda incident: incident.category_id.id in parents)

    @api.model
    def _hotline_caller_districts(self, partner, number):
        """The districts a caller is known by: their open cases' and their latest case's (their address)."""
        domain = self.env["hotline.case"]._hotline_caller_domain(partner, number)
        if not domain:
            return self.env["hotline.district"]
        domain = domain + [("district_id", "!=", False)]
        Case = self.env["hotline.case"]
        open_districts = [
            district for (district,) in Case._read_group([*domain, ("state", "in", OPEN_STATES)], ["district_id"])
        ]
        latest = Case.search_fetch(domain, ["district_id"], order="reported_at desc, id desc", limit=1)
        return latest.district_id.union(*open_districts)

    @api.model
    def _hotline_incident_for_caller(self, partner, number):
        """The newest active incident covering the caller's area, else an empty recordset."""
        incidents = self._hotline_active_incidents()
        if incidents[:1] and not incidents[:1].district_ids:
            # the newest is city-wide: no need to know where the caller lives
            return incidents[:1]
        if incidents:
            incidents = incidents._hotline_match_districts(self._hotline_caller_districts(partner, number))
        return incidents[:1]

    def _hotline_announcement(self):
        """The route answer's announcement keys for this incident (or none)."""
        sound = self[:1].announcement_sound or ""
        return {
            "announcement": (self[:1].message or "").strip(),
            "announcement_sound": sound if SOUND_NAME_RE.match(sound) else "",
        }

    # ------------------------------------------------------------
    # CRON
    # ------------------------------------------------------------

    @api.model
    def _cron_remind_past_end(self):
        """Remind the responsible of each active incident past its end to close it, once per incident.

        Incidents are never closed by the clock: closing texts every reporter, which a person decides.
        """
        incidents = self.search([("is_past_end", "=", True), ("user_id", "!=", False)])
        todo = self.env.ref("mail.mail_activity_data_todo")
        reminded = self.env["mail.activity"].search(
            [("res_model", "=", self._name), ("res_id", "in", incidents.ids), ("activity_type_id", "=", todo.id)]
        )
        reminded_ids = set(reminded.mapped("res_id"))
        for incident in incidents.filtered(lambda incident: incident.id not in reminded_ids):
            incident.activity_schedule(
                "mail.mail_activity_data_todo",
                user_id=incident.user_id.id,
                summary=_("Close the incident?"),
                note=_(
                    "Incident %s is past its expected end: close it (its reporters get the closing text).",
                    incident.name,
                ),
            )
        return True
