import re
from datetime import datetime, time

import pytz

from odoo import _, api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError

from ..tools import imbus

AGENT_STATES = [
    ("offline", "Offline"),
    ("available", "Available"),
    ("paused", "Paused"),
    ("ringing", "Ringing"),
    ("on_call", "On a Call"),
    ("wrap_up", "Wrap-up"),
]
AGENT_ACTIONS = ("login", "logout", "pause", "available")
SUPERVISOR = "hotline_base.group_hotline_supervisor"
OPERATOR = "hotline_base.group_hotline_operator"


class ResUsers(models.Model):
    _inherit = "res.users"

    hotline_pbx_id = fields.Many2one(
        "hotline.pbx", string="PBX", help="The PBX of this agent's phone; empty: the first PBX of the company."
    )
    hotline_extension = fields.Char(
        string="Extension", copy=False, index=True, help="The agent's phone extension on the PBX, e.g. 1001."
    )
    hotline_work_number = fields.Char(
        string="Work Number", copy=False, help="Announced to the caller when this agent answers (if enabled)."
    )
    hotline_agent_state = fields.Selection(
        AGENT_STATES, string="Agent State", default="offline", readonly=True, copy=False
    )
    hotline_pause_reason = fields.Char(string="Pause Reason", readonly=True, copy=False)
    hotline_agent_state_since = fields.Datetime(string="Agent State Since", readonly=True, copy=False)
    hotline_call_today_count = fields.Integer(string="Calls Today", compute="_compute_hotline_call_today_count")

    @property
    def SELF_READABLE_FIELDS(self):
        return super().SELF_READABLE_FIELDS + [
            "hotline_pbx_id",
            "hotline_extension",
            "hotline_work_number",
            "hotline_agent_state",
            "hotline_pause_reason",
            "hotline_agent_state_since",
            "hotline_call_today_count",
        ]

    # ------------------------------------------------------------
    # COMPUTES
    # ------------------------------------------------------------

    @api.depends_context("uid")
    def _compute_hotline_call_today_count(self):
        start = self._hotline_today_start()
        # sudo: a count of the agent's own calls, shown on the agent panel and the agents list
        counts = dict(
            self.env["hotline.call"]
            .sudo()
            ._read_group(
                [("user_id", "in", self.ids), ("start_time", ">=", start), ("monitoring", "=", False)],
                ["user_id"],
                ["__count"],
            )
        )
        for user in self:
            user.hotline_call_today_count = counts.get(user._origin, 0)

    # ------------------------------------------------------------
    # CONSTRAINTS
    # ------------------------------------------------------------

    @api.constrains("hotline_extension", "hotline_pbx_id", "company_id")
    def _check_hotline_extension(self):
        agents = self.filtered("hotline_extension")
        for user in agents:
            if not re.fullmatch(r"\d{2,6}", user.hotline_extension):
                raise ValidationError(_("An extension is 2 to 6 digits, e.g. 1001."))
        if not agents:
            return
        others = self.search([("hotline_extension", "in", agents.mapped("hotline_extension"))])
        for user in agents:
            pbx = user._hotline_get_pbx()
            for other in others:
                if other == user or other.hotline_extension != user.hotline_extension:
                    continue
                if other._hotline_get_pbx() == pbx and (pbx or other.company_id == user.company_id):
                    raise ValidationError(
                        _(
                            "Extension %(extension)s is already used by %(user)s on the same PBX.",
                            extension=user.hotline_extension,
                            user=other.name,
                        )
                    )

    # ------------------------------------------------------------
    # CRUD
    # ------------------------------------------------------------

    @api.model_create_multi
    def create(self, vals_list):
        users = super().create(vals_list)
        if any(vals.get("hotline_extension") for vals in vals_list):
            self.env.registry.clear_cache()  # hotline.pbx's _hotline_agents_by_extension
        return users

    def _get_invalidation_fields(self):
        # hotline.pbx's _hotline_agents_by_extension (groups, activity and company are there already)
        return super()._get_invalidation_fields() | {"hotline_extension", "hotline_pbx_id"}

    # ------------------------------------------------------------
    # ACTIONS (agent panel, wallboard)
    # ------------------------------------------------------------

    @api.model
    def hotline_agent_panel_data(self):
        """What the agent panel in the systray shows for the current user."""
        user = self.env.user
        state = user.hotline_agent_state or "offline"
        return {
            "is_agent": bool(user.hotline_extension),
            "is_supervisor": user.has_group(SUPERVISOR),
            "extension": user.hotline_extension or "",
            "work_number": user.hotline_work_number or "",
            "state": state,
            "state_label": dict(self._fields["hotline_agent_state"]._description_selection(self.env))[state],
            "pause_reason": user.hotline_pause_reason or "",
            "since": fields.Datetime.to_string(user.hotline_agent_state_since)
            if user.hotline_agent_state_since
            else "",
            "calls_today": user.hotline_call_today_count,
        }

    @api.model
    def hotline_agent_action(self, action, reason=False):
        """The current user logs in to / out of the queue, pauses (with a reason) or becomes available."""
        user = self.env.user
        if not user.has_group(OPERATOR):
            raise AccessError(_("Only hotline operators can log in to the queue."))
        user._hotline_agent_do(action, reason)
        return self.hotline_agent_panel_data()

    def action_hotline_agent_login(self):
        return self.hotline_supervisor_agent_action("login")

    def action_hotline_agent_logout(self):
        return self.hotline_supervisor_agent_action("logout")

    def action_hotline_agent_pause(self):
        return self.hotline_supervisor_agent_action("pause", _("Paused by the supervisor"))

    def action_hotline_agent_unpause(self):
        return self.hotline_supervisor_agent_action("available")

    def hotline_supervisor_agent_action(self, action, reason=False):
        """A supervisor logs agents in or out, pauses or unpauses them (wallboard)."""
        self.env["hotline.call"]._hotline_check_supervisor()
        for user in self:
            user._hotline_agent_do(action, reason)
        return True

    def hotline_supervisor_spy(self, mode="listen"):
        """The supervisor listens to, whispers to or barges into this agent's phone (ChanSpy)."""
        self.ensure_one()
        if mode not in ("listen", "whisper", "barge"):
            raise UserError(_("Unknown listening mode: %s", mode))
        supervisor = self.env["hotline.call"]._hotline_check_supervisor()
        pbx = supervisor._hotline_check_agent()
        if not self.hotline_extension or self._hotline_get_pbx() != pbx:
            raise UserError(_("%s has no phone on your PBX.", self.name))
        payload = {
            "supervisor_extension": supervisor.hotline_extension,
            "target_extension": self.hotline_extension,
            "mode": mode,
        }
        pbx._hotline_bridge_request("POST", "/spy", payload)
        self.env["hotline.audit.log"]._hotline_log(mode, self, detail=self.hotline_extension)
        return True

    # ------------------------------------------------------------
    # BUSINESS
    # ------------------------------------------------------------

    def _hotline_get_pbx(self):
        """The agent's PBX: their own, else the first active PBX of their company."""
        self.ensure_one()
        if self.hotline_pbx_id:
            return self.hotline_pbx_id
        # sudo: any user may learn which PBX their phone is on; the record is returned without sudo
        pbx = self.env["hotline.pbx"].sudo().search([("company_id", "=", self.company_id.id)], limit=1)
        return self.env["hotline.pbx"].browse(pbx.ids)

    def _hotline_check_agent(self):
        """The agent's PBX, or a UserError saying what is missing to phone."""
        self.ensure_one()
        if not self.hotline_extension:
            raise UserError(
                _("%s has no phone extension: an administrator sets it on the user (Hotline tab).", self.name)
            )
        pbx = self._hotline_get_pbx()
        if not pbx:
            raise UserError(_("No PBX is configured: an administrator adds one under Hotline > Configuration > PBX."))
        return pbx

    def _hotline_originate(self, number):
        """Ask the bridge to ring this user's phone and then dial ``number`` (click-to-call)."""
        self.ensure_one()
        pbx = self._hotline_check_agent()
        dial = pbx._hotline_dial_number(number)
        record = self.env["res.config.settings"]._hotline_recording_mode() == "all"
        payload = {
            "extension": self.hotline_extension,
            "number": dial,
            "variables": {"HOTLINE_RECORD": "1" if record else "0", "HOTLINE_USER_ID": str(self.id)},
        }
        if pbx.outbound_context:
            payload["context"] = pbx.outbound_context
        answer = pbx._hotline_bridge_request("POST", "/originate", payload)
        return {"number": dial, "extension": self.hotline_extension, "action_id": answer.get("action_id") or ""}

    def _hotline_agent_do(self, action, reason=False):
        """Queue member actions through the bridge, then the new state here."""
        self.ensure_one()
        if action not in AGENT_ACTIONS:
            raise UserError(_("Unknown agent action: %s", action))
        pbx = self._hotline_check_agent()
        interface = pbx._hotline_interface(self.hotline_extension)
        if action == "login":
            payload = {"queue": pbx.queue, "interface": interface, "member_name": f"Agent {self.hotline_extension}"}
            pbx._hotline_bridge_request("POST", "/queue/add", payload, accept_errors=("Already there",))
            self._hotline_set_agent_state("available")
        elif action == "logout":
            payload = {"queue": pbx.queue, "interface": interface}
            pbx._hotline_bridge_request("POST", "/queue/remove", payload, accept_errors=("Not there",))
            self._hotline_set_agent_state("offline")
        else:
            paused = action == "pause"
            payload = {"interface": interface, "paused": paused}
            if paused and reason:
                payload["reason"] = reason
            pbx._hotline_bridge_request("POST", "/queue/pause", payload)
            self._hotline_set_agent_state("paused" if paused else "available", reason if paused else False)

    def _hotline_set_agent_state(self, state, reason=False, when=None, pbx=None):
        """Set the agents' state as of ``when`` (default now), log the change and tell their web clients.
        ``pbx``: the PBX that reported the change (default: each agent's own).

        Unchanged states and changes older than the current state are ignored (PBX events may come
        late or twice). Returns the users whose state changed.
        """
        when = when or fields.Datetime.now()
        reason = (reason or False) if state == "paused" else False
        changed = self.filtered(
            lambda user: (
                ((user.hotline_agent_state or "offline"), user.hotline_pause_reason or False) != (state, reason)
                and (not user.hotline_agent_state_since or user.hotline_agent_state_since <= when)
            )
        )
        if not changed:
            return changed
        self.env["hotline.agent.state.log"]._hotline_record(changed, state, reason, when, pbx)
        # sudo: agents change their own state, a field res.users does not let them write
        changed.sudo().write(
            {"hotline_agent_state": state, "hotline_pause_reason": reason, "hotline_agent_state_since": when}
        )
        for user in changed:
            # as _bus_send, for less: on the bridge's events, next to the screen pop (tools/imbus.py)
            imbus.send(
                self.env,
                [user.partner_id.id],
                "hotline/agent_state",
                {
                    "user_id": user.id,
                    "state": state,
                    "pause_reason": reason or "",
                    "since": fields.Datetime.to_string(when),
                },
            )
        return changed

    @api.model
    def _hotline_today_start(self):
        """Midnight today in the user's time zone, as naive UTC."""
        tz = pytz.timezone(self.env.user.tz or "UTC")
        today = datetime.now(tz).date()
        return tz.localize(datetime.combine(today, time.min)).astimezone(pytz.utc).replace(tzinfo=None)
