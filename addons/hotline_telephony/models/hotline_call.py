import glob
import logging
import os
import re
from datetime import timedelta

from odoo import _, api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import SQL

from odoo.addons.hotline_base.tools import normalize_phone
from odoo.addons.hotline_case.models.hotline_case import OPEN_STATES

from ..tools import payload as check
from ..tools.bulk import bulk_insert
from ..tools.cdr import UNIQUEID_RE
from .hotline_call_event import EVENT_KINDS
from .res_users import AGENT_STATES

_logger = logging.getLogger(__name__)

DIRECTIONS = [("inbound", "Inbound"), ("outbound", "Outbound"), ("internal", "Internal")]
DISPOSITIONS = [
    ("answered", "Answered"),
    ("no_answer", "No Answer"),
    ("busy", "Busy"),
    ("failed", "Failed"),
    ("abandoned", "Abandoned"),
]
CALL_STATES = [("ringing", "Ringing"), ("answered", "In Progress"), ("ended", "Ended")]
SPY_MODES = ("listen", "whisper", "barge")
SUPERVISOR = "hotline_base.group_hotline_supervisor"
EVENT_TEXT_KEYS = (
    "linkedid",
    "uniqueid",
    "caller_number",
    "caller_name",
    "called_number",
    "extension",
    "queue",
    "recording_file",
    "raw_event",
    "channel",
    "caller_channel",
    "pause_reason",
)
# the columns of the bulk insert of calls made from CDRs: (field, SQL type)
CDR_CALL_COLUMNS = (
    ("linkedid", "varchar"),
    ("direction", "varchar"),
    ("caller_number", "varchar"),
    ("caller_name", "varchar"),
    ("called_number", "varchar"),
    ("remote_number", "varchar"),
    ("partner_id", "int4"),
    ("user_id", "int4"),
    ("extension", "varchar"),
    ("queue", "varchar"),
    ("start_time", "timestamp"),
    ("answer_time", "timestamp"),
    ("end_time", "timestamp"),
    ("wait_seconds", "int4"),
    ("talk_seconds", "int4"),
    ("duration_seconds", "int4"),
    ("disposition", "varchar"),
)
LIVE_HOURS = 4  # a call without a hangup event for that long is not shown as live any more
RECENT_MINUTES = 10  # an ended call's card is restored that long
MAX_CARDS = 4
# a case registered by the answering agent this long around the call was taken on it
CASE_BEFORE = timedelta(minutes=2)
CASE_AFTER = timedelta(minutes=30)


def _sql_value(value):
    """NULL for the ORM's empty values (False, ''), the value otherwise (0 stays 0)."""
    return None if value is None or value is False or value == "" else value


class HotlineCall(models.Model):
    _name = "hotline.call"
    _description = "Hotline Call"
    _order = "start_time desc, id desc"

    # ------------------------------------------------------------
    # FIELDS
    # ------------------------------------------------------------

    pbx_id = fields.Many2one("hotline.pbx", string="PBX", required=True, index=True, ondelete="restrict")
    company_id = fields.Many2one(related="pbx_id.company_id", store=True, index=True)
    linkedid = fields.Char(
        string="Linked ID",
        required=True,
        readonly=True,
        help="The call's id on the PBX: the uniqueid of its first channel.",
    )
    direction = fields.Selection(DIRECTIONS, required=True, default="inbound", index=True)
    state = fields.Selection(CALL_STATES, string="Status", required=True, default="ended", index=True)
    caller_number = fields.Char(index=True)
    caller_name = fields.Char()
    called_number = fields.Char(index=True)
    remote_number = fields.Char(
        string="Number",
        compute="_compute_remote_number",
        store=True,
        index=True,
        help="The other party: the caller of an inbound call, the called number otherwise.",
    )
    partner_id = fields.Many2one("res.partner", string="Caller", index=True, ondelete="set null")
    partner_vip = fields.Boolean(related="partner_id.hotline_vip", string="VIP")
    partner_blacklisted = fields.Boolean(related="partner_id.hotline_blacklist_active", string="Blacklisted")
    user_id = fields.Many2one("res.users", string="Agent", index=True, ondelete="set null", help="Who answered.")
    extension = fields.Char(string="Agent Extension")
    queue = fields.Char(index=True)
    start_time = fields.Datetime(index=True)
    answer_time = fields.Datetime(help="When an agent answered (not when the IVR did).")
    end_time = fields.Datetime()
    wait_seconds = fields.Integer(string="Wait (s)", aggregator="avg")
    talk_seconds = fields.Integer(string="Talk (s)", aggregator="avg")
    duration_seconds = fields.Integer(
        string="Duration (s)", compute="_compute_duration_seconds", store=True, aggregator="avg"
    )
    disposition = fields.Selection(DISPOSITIONS, index=True)
    recording_file = fields.Char()
    has_recording = fields.Boolean(compute="_compute_has_recording", store=True)
    recording_url = fields.Char(compute="_compute_recording_url")
    case_id = fields.Many2one("hotline.case", string="Case", index=True, ondelete="set null")
    cdr_ids = fields.One2many("hotline.call.cdr", "call_id", string="CDR Records")
    cdr_count = fields.Integer(string="CDR Records Count", compute="_compute_cdr_count")
    uniqueid = fields.Char(string="Last Channel", readonly=True, help="The uniqueid of the last channel reported.")
    agent_channel = fields.Char(readonly=True, help="The agent's channel (for listening in, hang-up, pickup).")
    caller_channel = fields.Char(readonly=True, help="The caller's channel (for forced transfer and hang-up).")

    _sql_constraints = [
        ("linkedid_unique", "unique(pbx_id, linkedid)", "A call is recorded once per PBX."),
    ]

    # ------------------------------------------------------------
    # COMPUTES
    # ------------------------------------------------------------

    @api.depends("direction", "caller_number", "called_number")
    def _compute_remote_number(self):
        for call in self:
            call.remote_number = self._hotline_remote_number(call.direction, call.caller_number, call.called_number)

    @api.depends("start_time", "end_time")
    def _compute_duration_seconds(self):
        for call in self:
            call.duration_seconds = self._hotline_duration(call.start_time, call.end_time)

    @api.model
    def _hotline_remote_number(self, direction, caller_number, called_number):
        return caller_number if direction == "inbound" else called_number

    @api.model
    def _hotline_duration(self, start, end):
        return max(int((end - start).total_seconds()), 0) if start and end else 0

    @api.depends("recording_file")
    def _compute_has_recording(self):
        for call in self:
            call.has_recording = bool(call.recording_file)

    def _compute_recording_url(self):
        for call in self:
            call.recording_url = f"/hotline/call/{call.id}/recording" if call.id and call.has_recording else False

    def _compute_cdr_count(self):
        counts = dict(self.env["hotline.call.cdr"]._read_group([("call_id", "in", self.ids)], ["call_id"], ["__count"]))
        for call in self:
            call.cdr_count = counts.get(call, 0)

    @api.depends("remote_number", "partner_id", "direction")
    def _compute_display_name(self):
        arrows = {"inbound": "←", "outbound": "→", "internal": "↔"}
        for call in self:
            number = call.remote_number or _("unknown number")
            label = f"{call.partner_id.name} ({number})" if call.partner_id else number
            call.display_name = f"{arrows.get(call.direction, '')} {label}".strip()

    # ------------------------------------------------------------
    # ACTIONS
    # ------------------------------------------------------------

    @api.model
    def action_click_to_call(self, number):
        """Click-to-call: ring the current user's phone, then dial ``number``."""
        result = self.env.user._hotline_originate(number)
        result["message"] = _(
            "Your phone (%(extension)s) rings: pick it up to call %(number)s.",
            extension=result["extension"],
            number=number,
        )
        return result

    def action_new_case(self):
        """Open a new case for this call's caller, linked to the call."""
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "res_model": "hotline.case",
            "views": [[False, "form"]],
            "target": "current",
            "context": self._hotline_new_case_context(),
        }

    def action_call_back(self):
        self.ensure_one()
        if not self.remote_number:
            raise UserError(_("This call has no number to call back."))
        result = self.action_click_to_call(self.remote_number)
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {"message": result["message"], "type": "info", "sticky": False},
        }

    def action_download_recording(self):
        self.ensure_one()
        if not self.has_recording:
            raise UserError(_("This call has no recording."))
        return {"type": "ir.actions.act_url", "url": f"{self.recording_url}?download=1", "target": "self"}

    def action_view_cdrs(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("hotline_telephony.hotline_call_cdr_action")
        action["domain"] = [("call_id", "=", self.id)]
        return action

    # supervisor actions (wallboard) --------------------------------

    def action_hotline_spy(self, mode="listen"):
        """Listen to, whisper to or barge into the agent's conversation from the supervisor's phone."""
        self.ensure_one()
        if mode not in SPY_MODES:
            raise UserError(_("Unknown listening mode: %s", mode))
        supervisor = self._hotline_check_supervisor()
        pbx = supervisor._hotline_check_agent()
        if not (self.extension or self.agent_channel):
            raise UserError(_("No agent is on this call yet."))
        payload = {"supervisor_extension": supervisor.hotline_extension, "mode": mode}
        if self.agent_channel:
            payload["target_channel"] = self.agent_channel
        else:
            payload["target_extension"] = self.extension
        self._hotline_check_pbx(pbx)
        self.pbx_id._hotline_bridge_request("POST", "/spy", payload)
        self.env["hotline.audit.log"]._hotline_log(mode, self, detail=self.extension or self.agent_channel)
        return True

    def action_hotline_hangup(self):
        """Forced hang-up of the call."""
        self.ensure_one()
        self._hotline_check_supervisor()
        channel = self.caller_channel or self.agent_channel
        if not channel or self.state == "ended":
            raise UserError(_("This call is not in progress."))
        self.pbx_id._hotline_bridge_request("POST", "/hangup", {"channel": channel})
        return True

    def action_hotline_transfer(self, extension):
        """Forced transfer of the caller to another agent's extension."""
        self.ensure_one()
        self._hotline_check_supervisor()
        extension = (extension or "").strip()
        if not re.fullmatch(r"\d{2,6}", extension):
            raise UserError(_("Transfer to which extension? Give 2 to 6 digits, e.g. 1003."))
        if self.state == "ended":
            raise UserError(_("This call is not in progress."))
        if not self.caller_channel:
            raise UserError(
                _("The PBX bridge did not report the caller's channel of this call: it cannot be transferred.")
            )
        payload = {
            "channel": self.caller_channel,
            "context": self.pbx_id.transfer_context or "transfer",
            "exten": extension,
            "priority": 1,
        }
        self.pbx_id._hotline_bridge_request("POST", "/redirect", payload)
        return True

    def action_hotline_pickup(self):
        """Answer a ringing call on behalf of the agent, on the supervisor's phone."""
        self.ensure_one()
        supervisor = self._hotline_check_supervisor()
        pbx = supervisor._hotline_check_agent()
        self._hotline_check_pbx(pbx)
        if self.state != "ringing" or not self.agent_channel:
            raise UserError(_("This call is not ringing at an agent's phone."))
        payload = {"extension": supervisor.hotline_extension, "target_channel": self.agent_channel}
        self.pbx_id._hotline_bridge_request("POST", "/pickup", payload)
        return True

    @api.model
    def hotline_wallboard_data(self):
        """Agents, live calls and today's figures for the supervisors' wallboard."""
        self._hotline_check_supervisor()
        now = fields.Datetime.now()
        agents = self.env["res.users"].search([("hotline_extension", "!=", False), ("share", "=", False)])
        live = self.search(
            [("state", "in", ("ringing", "answered")), ("start_time", ">=", now - timedelta(hours=LIVE_HOURS))]
        )
        by_extension = {}
        for call in live.sorted(lambda c: c.state != "answered"):
            by_extension.setdefault((call.pbx_id.id, call.extension), call)
        states = dict(self.env["res.users"]._fields["hotline_agent_state"]._description_selection(self.env))
        return {
            "now": fields.Datetime.to_string(now),
            "supervisor_extension": self.env.user.hotline_extension or "",
            "agents": [
                {
                    "id": agent.id,
                    "name": agent.name,
                    "extension": agent.hotline_extension,
                    "state": agent.hotline_agent_state or "offline",
                    "state_label": states.get(agent.hotline_agent_state or "offline"),
                    "pause_reason": agent.hotline_pause_reason or "",
                    "since": fields.Datetime.to_string(agent.hotline_agent_state_since or False) or "",
                    "calls_today": agent.hotline_call_today_count,
                    "call": self._hotline_agent_call(agent, by_extension, now),
                }
                for agent in agents.sorted("hotline_extension")
            ],
            "calls": [call._hotline_wallboard_call(now) for call in live],
            "stats": self._hotline_today_stats(),
        }

    @api.model
    def hotline_screen_pop_active(self):
        """The caller cards of the current user's calls: in progress, or ended in the last minutes.

        Restores the cards after a reload, and replaces the bus when the websocket is not connected.
        """
        user = self.env.user
        now = fields.Datetime.now()
        # sudo: the user's own events, i.e. the calls that rang at their phone
        events = (
            self.env["hotline.call.event"]
            .sudo()
            .search(
                [
                    ("user_id", "=", user.id),
                    ("kind", "in", ("ringing", "answered")),
                    ("event_time", ">=", now - timedelta(hours=LIVE_HOURS)),
                ],
                order="id desc",
                limit=50,
            )
        )
        recent = now - timedelta(minutes=RECENT_MINUTES)
        calls = events.call_id.filtered(lambda call: call.state != "ended" or (call.end_time or now) >= recent)
        payloads = []
        for call in calls[:MAX_CARDS]:
            state = call.state
            if state == "answered" and call.user_id and call.user_id != user:
                state = "ended"  # another agent took it
            payloads.append(call._hotline_screen_pop_payload(user, state))
        return payloads

    # ------------------------------------------------------------
    # BUSINESS: helpers
    # ------------------------------------------------------------

    @api.model
    def _hotline_check_supervisor(self):
        if not self.env.user.has_group(SUPERVISOR):
            raise AccessError(_("Only shift supervisors can do this."))
        return self.env.user

    def _hotline_check_pbx(self, pbx):
        if pbx != self.pbx_id:
            raise UserError(_("Your phone is not on the PBX of this call."))

    def _hotline_new_case_context(self):
        self.ensure_one()
        context = {
            "default_caller_phone": self.remote_number or False,
            "default_source": "hotline",
            "hotline_call_id": self.id,
        }
        if self.partner_id:
            context["default_partner_id"] = self.partner_id.id
            context["default_caller_name"] = self.partner_id.name
        elif self.caller_name:
            context["default_caller_name"] = self.caller_name
        return context

    @api.model
    def _hotline_agent_call(self, agent, by_extension, now):
        call = by_extension.get((agent._hotline_get_pbx().id, agent.hotline_extension))
        return call._hotline_wallboard_call(now) if call else False

    def _hotline_wallboard_call(self, now):
        self.ensure_one()
        since = self.answer_time if self.state == "answered" else self.start_time
        return {
            "id": self.id,
            "state": self.state,
            "direction": self.direction,
            "number": self.remote_number or "",
            "partner_name": self.partner_id.name or self.caller_name or "",
            "vip": self.partner_id.hotline_vip,
            "queue": self.queue or "",
            "extension": self.extension or "",
            "agent_name": self.user_id.name or "",
            "seconds": max(int((now - since).total_seconds()), 0) if since else 0,
            "can_transfer": bool(self.caller_channel),
        }

    @api.model
    def _hotline_today_stats(self):
        start = self.env["res.users"]._hotline_today_start()
        domain = [("start_time", ">=", start), ("direction", "=", "inbound")]
        groups = self._read_group(domain, ["disposition"], ["__count", "wait_seconds:sum"])
        counts = {disposition: count for disposition, count, _wait in groups}
        answered_wait = sum(wait for disposition, _count, wait in groups if disposition == "answered")
        answered = counts.get("answered", 0)
        return {
            "offered": sum(counts.values()),
            "answered": answered,
            "abandoned": counts.get("abandoned", 0),
            "average_wait": round(answered_wait / answered) if answered else 0,
        }

    def _hotline_recording_path(self):
        """The recording's file inside the PBX's recording folder, or None (never a path outside it)."""
        self.ensure_one()
        folder = self.pbx_id.sudo().recording_path
        if not folder:
            return None
        folder = os.path.realpath(folder)
        candidates = []
        if self.recording_file:
            name = self.recording_file.strip()
            if os.path.isabs(name):
                candidates.append(name)
            else:
                candidates.append(os.path.join(folder, name))
            # the PBX's own path may differ from where this server mounts the folder
            candidates.append(os.path.join(folder, os.path.basename(name)))
        else:
            for uniqueid in {self.linkedid, *self.cdr_ids.mapped("uniqueid")}:
                if uniqueid and UNIQUEID_RE.match(uniqueid):
                    candidates.extend(sorted(glob.glob(os.path.join(glob.escape(folder), f"*-{uniqueid}.*"))))
        for candidate in candidates:
            path = os.path.realpath(candidate)
            if os.path.commonpath([folder, path]) == folder and path != folder and os.path.isfile(path):
                return path
        return None

    def _hotline_link_cases(self):
        """Link answered inbound calls to the case their agent registered during (or right after) them,
        for the same caller (partner or phone). Set-based: one query finds the candidate pairs."""
        if not self:
            return
        self.flush_model()
        self.env["hotline.case"].flush_model(["user_id", "reported_at", "partner_id", "caller_phone_normalized"])
        # system bookkeeping for the bridge and the import: nothing is shown to anyone
        self.env.cr.execute(
            SQL(
                """
                SELECT call.id, call.remote_number, call.partner_id, hc.id, hc.partner_id, hc.caller_phone_normalized
                  FROM hotline_call call
                  JOIN hotline_case hc ON hc.user_id = call.user_id
                   AND hc.reported_at BETWEEN call.answer_time - %s AND COALESCE(call.end_time, call.answer_time) + %s
                 WHERE call.id = ANY(%s) AND call.case_id IS NULL AND call.direction = 'inbound'
                   AND call.answer_time IS NOT NULL
                   AND NOT EXISTS (SELECT 1 FROM hotline_call other WHERE other.case_id = hc.id)
              ORDER BY call.answer_time, call.id, hc.reported_at, hc.id
                """,
                CASE_BEFORE,
                CASE_AFTER,
                self.ids,
            )
        )
        pairs = self.env.cr.fetchall()
        if not pairs:
            return
        partners, linked, used = self.env["res.partner"], {}, set()
        region, area_code = partners._hotline_phone_settings()
        for call_id, number, partner_id, case_id, case_partner_id, case_phone in pairs:
            if call_id in linked or case_id in used:
                continue
            same_partner = partner_id and partner_id == case_partner_id
            if same_partner or (case_phone and normalize_phone(number, region, area_code) == case_phone):
                linked[call_id] = case_id
                used.add(case_id)
        for call_id, case_id in linked.items():
            self.browse(call_id).case_id = case_id

    @api.model
    def _hotline_insert_from_cdrs(self, pbx, vals_list):
        """Create the calls of a CDR import in one bulk insert (a Master.csv may hold hundreds of
        thousands of calls). ``vals_list``: dicts with the keys of CDR_CALL_COLUMNS but the computed
        ones. Calls already present (same linkedid) are kept. Returns the calls, in ``vals_list`` order.
        """
        if not vals_list:
            return self.browse()
        for vals in vals_list:
            vals["remote_number"] = self._hotline_remote_number(
                vals["direction"], vals["caller_number"], vals["called_number"]
            )
            vals["duration_seconds"] = self._hotline_duration(vals["start_time"], vals["end_time"])
        now, uid = self.env.cr.now(), self.env.uid
        inserted = bulk_insert(
            self.env.cr,
            "hotline_call",
            CDR_CALL_COLUMNS,
            [[_sql_value(vals.get(name)) for name, _kind in CDR_CALL_COLUMNS] for vals in vals_list],
            {
                "pbx_id": pbx.id,
                "company_id": pbx.company_id.id,
                "state": "ended",
                "has_recording": False,
                "create_uid": uid,
                "create_date": now,
                "write_uid": uid,
                "write_date": now,
            },
            ["id", "linkedid"],
        )
        ids = {linkedid: call_id for call_id, linkedid in inserted}
        missing = [vals["linkedid"] for vals in vals_list if vals["linkedid"] not in ids]
        if missing:  # created meanwhile by the bridge's events
            ids.update(
                (call.linkedid, call.id) for call in self.search([("pbx_id", "=", pbx.id), ("linkedid", "in", missing)])
            )
        return self.browse([ids[vals["linkedid"]] for vals in vals_list])

    # ------------------------------------------------------------
    # BUSINESS: events from the bridge
    # ------------------------------------------------------------

    @api.model
    def _hotline_process_events(self, pbx, events):
        """Apply a batch of bridge events; returns ``(processed, duplicates)``.

        The whole batch is checked first: a malformed event raises PayloadError before anything is
        written. Events already received (same id) are counted as duplicates and skipped.
        """
        checked = [self._hotline_check_event(event, index) for index, event in enumerate(events)]
        event_ids = [event["id"] for event in checked]
        known = set(
            self.env["hotline.call.event"]
            .search([("pbx_id", "=", pbx.id), ("event_id", "in", event_ids)])
            .mapped("event_id")
        )
        linkedids = {event["linkedid"] for event in checked if event["kind"] != "agent_state"}
        calls = {
            call.linkedid: call for call in self.search([("pbx_id", "=", pbx.id), ("linkedid", "in", list(linkedids))])
        }
        users = pbx._hotline_users_by_extension({event["extension"] for event in checked})
        processed = duplicates = 0
        for event in checked:
            if event["id"] in known:
                duplicates += 1
                continue
            known.add(event["id"])
            user = users.get(event["extension"], self.env["res.users"])
            call = self.browse()
            if event["kind"] == "agent_state":
                if user:
                    user._hotline_set_agent_state(event["state"], event["pause_reason"], event["time"])
                else:
                    _logger.info("PBX %s: agent state of unknown extension %s", pbx.name, event["extension"])
            else:
                call = self._hotline_apply_event(pbx, event, calls, user)
            self.env["hotline.call.event"].create(self._hotline_prepare_event_vals(pbx, event, call, user))
            if call and user and event["kind"] in ("ringing", "answered"):
                call._hotline_screen_pop(user, event["kind"], event)
            elif call and event["kind"] == "hangup":
                call._hotline_screen_pop(call._hotline_popped_users(), "ended", event)
            processed += 1
        return processed, duplicates

    @api.model
    def _hotline_check_event(self, event, index):
        where = f"events[{index}]"
        if not isinstance(event, dict):
            raise check.PayloadError(f"{where}: must be an object")
        kinds = {kind for kind, _label in EVENT_KINDS}
        values = {
            "id": check.text(event, "id", where, required=True, limit=255),
            "kind": check.choice(event, "kind", where, kinds, required=True),
            "time": check.iso_time(event, "time", where, required=True),
            "direction": check.choice(event, "direction", where, {key for key, _label in DIRECTIONS}),
            "disposition": check.choice(event, "disposition", where, {key for key, _label in DISPOSITIONS}),
            "wait_seconds": check.seconds(event, "wait_seconds", where),
            "talk_seconds": check.seconds(event, "talk_seconds", where),
            "start_time": check.iso_time(event, "start_time", where),
            "answer_time": check.iso_time(event, "answer_time", where),
            "end_time": check.iso_time(event, "end_time", where),
        }
        for key in EVENT_TEXT_KEYS:
            values[key] = check.text(event, key, where)
        if values["kind"] == "agent_state":
            values["state"] = check.choice(event, "state", where, {key for key, _label in AGENT_STATES}, required=True)
            check.text(event, "extension", where, required=True)
        else:
            check.text(event, "linkedid", where, required=True, limit=64)
        values["raw"] = event
        return values

    @api.model
    def _hotline_prepare_event_vals(self, pbx, event, call, user):
        return {
            "pbx_id": pbx.id,
            "event_id": event["id"],
            "kind": event["kind"],
            "event_time": event["time"],
            "call_id": call.id or False,
            "user_id": user.id or False,
            "extension": event["extension"] or False,
            "linkedid": event["linkedid"] or False,
            "payload": event["raw"],
        }

    @api.model
    def _hotline_apply_event(self, pbx, event, calls, user):
        call = calls.get(event["linkedid"])
        if call:
            call.write(call._hotline_prepare_update_vals(event))
        else:
            call = self.create(self._hotline_prepare_call_vals(pbx, event))
            calls[call.linkedid] = call
        handler = getattr(call, f"_hotline_on_{event['kind']}")
        handler(event, user)
        return call

    @api.model
    def _hotline_prepare_call_vals(self, pbx, event):
        direction = event["direction"] or "inbound"
        number = event["caller_number"] if direction == "inbound" else event["called_number"]
        partner = self.env["res.partner"]._hotline_find_by_phone(number) if number else self.env["res.partner"]
        return {
            "pbx_id": pbx.id,
            "linkedid": event["linkedid"],
            "direction": direction,
            "state": "ringing",
            "caller_number": event["caller_number"] or False,
            "caller_name": event["caller_name"] or False,
            "called_number": event["called_number"] or False,
            "queue": event["queue"] or False,
            "start_time": event["start_time"] or event["time"],
            "partner_id": partner.id,
            "recording_file": event["recording_file"] or False,
            "caller_channel": event["caller_channel"] or False,
        }

    def _hotline_prepare_update_vals(self, event):
        """What a later event adds to a known call: only what the call does not know yet."""
        self.ensure_one()
        vals = {}
        for key in ("caller_number", "caller_name", "called_number", "queue", "recording_file", "caller_channel"):
            if event[key] and not self[key]:
                vals[key] = event[key]
        if event["direction"] and event["direction"] != self.direction:
            vals["direction"] = event["direction"]
        start = event["start_time"]
        if start and (not self.start_time or start < self.start_time):
            vals["start_time"] = start
        if not self.partner_id:
            direction = vals.get("direction", self.direction)
            number = (
                vals.get("caller_number", self.caller_number)
                if direction == "inbound"
                else vals.get("called_number", self.called_number)
            )
            partner = self.env["res.partner"]._hotline_find_by_phone(number) if number else False
            if partner:
                vals["partner_id"] = partner.id
        return vals

    def _hotline_on_ringing(self, event, user):
        vals = {"uniqueid": event["uniqueid"] or self.uniqueid}
        if self.state == "ringing":
            vals.update(
                extension=event["extension"] or self.extension, agent_channel=event["channel"] or self.agent_channel
            )
        self.write(vals)

    def _hotline_on_answered(self, event, user):
        vals = {"uniqueid": event["uniqueid"] or self.uniqueid}
        if not self.answer_time:
            start = self.start_time or event["time"]
            wait = event["wait_seconds"]
            if wait is None:
                wait = max(int((event["time"] - start).total_seconds()), 0)
            vals.update(answer_time=event["answer_time"] or event["time"], wait_seconds=wait)
        if not self.user_id:
            vals.update(user_id=user.id or False, extension=event["extension"] or self.extension)
        if event["channel"] and (not self.user_id or self.user_id == user):
            vals["agent_channel"] = event["channel"]
        if self.state != "ended":
            vals["state"] = "answered"
        self.write(vals)
        # agents whose phone rang for this call but did not take it: their card closes
        others = self._hotline_popped_users(("ringing",)) - self._hotline_popped_users(("answered",)) - user
        if others:
            self._hotline_screen_pop(others, "ended", event)

    def _hotline_on_hangup(self, event, user):
        end = event["end_time"] or event["time"]
        answer = self.answer_time or event["answer_time"]
        disposition = event["disposition"] or ("answered" if answer else "no_answer")
        vals = {"state": "ended", "end_time": end, "disposition": disposition}
        if event["answer_time"] and not self.answer_time:
            vals["answer_time"] = event["answer_time"]
        start = self.start_time or end
        if event["wait_seconds"] is not None:
            vals["wait_seconds"] = event["wait_seconds"]
        elif not self.answer_time:
            vals["wait_seconds"] = max(int(((answer or end) - start).total_seconds()), 0)
        if event["talk_seconds"] is not None:
            vals["talk_seconds"] = event["talk_seconds"]
        elif disposition == "answered" and answer:
            vals["talk_seconds"] = max(int((end - answer).total_seconds()), 0)
        if disposition == "answered" and user and not self.user_id:
            vals.update(user_id=user.id, extension=event["extension"])
        if event["recording_file"]:
            vals["recording_file"] = event["recording_file"]
        self.write(vals)

    # ------------------------------------------------------------
    # BUSINESS: screen pop
    # ------------------------------------------------------------

    def _hotline_popped_users(self, kinds=("ringing", "answered")):
        """The agents whose phone rang for (or who answered) this call."""
        self.ensure_one()
        events = self.env["hotline.call.event"].search(
            [("call_id", "=", self.id), ("kind", "in", list(kinds)), ("user_id", "!=", False)]
        )
        return events.user_id | (self.user_id if "answered" in kinds else self.env["res.users"])

    def _hotline_screen_pop(self, users, state, event=None):
        """Send the caller card (bus type ``hotline/screen_pop``) to each of ``users``."""
        self.ensure_one()
        for user in users:
            user._bus_send("hotline/screen_pop", self._hotline_screen_pop_payload(user, state, event))

    def _hotline_screen_pop_payload(self, user, state, event=None):
        """What the caller card shows, read with ``user``'s rights (their cases only)."""
        self.ensure_one()
        partner = self.partner_id
        cases = self.env["hotline.case"].with_user(user).with_context(lang=user.lang, tz=user.tz)
        domain = self._hotline_caller_case_domain()
        open_cases = cases.search(domain + [("state", "in", OPEN_STATES)], limit=10) if domain else cases
        last_cases = cases.search(domain, limit=5, order="reported_at desc, id desc") if domain else cases
        case = cases.browse(self.case_id.id)
        if case and not case.has_access("read"):
            case = cases
        return {
            "call_id": self.id,
            "linkedid": self.linkedid,
            "call_uniqueid": (event or {}).get("uniqueid") or self.uniqueid or self.linkedid,
            "state": state,
            "direction": self.direction,
            "caller_number": self.caller_number or "",
            "caller_name": self.caller_name or "",
            "called_number": self.called_number or "",
            "remote_number": self.remote_number or "",
            "queue": self.queue or "",
            "wait_seconds": self.wait_seconds,
            "partner_id": partner.id or False,
            "partner_name": partner.name or "",
            "vip": bool(partner.hotline_vip),
            "blacklisted": bool(partner.hotline_blacklist_active),
            "blacklist_reason": (partner.hotline_blacklist_reason or "") if partner.hotline_blacklist_active else "",
            "case_count": cases.search_count(domain) if domain else 0,
            "open_case_ids": open_cases.ids,
            "open_cases": [self._hotline_case_card(case) for case in open_cases],
            "last_cases": [self._hotline_case_card(case) for case in last_cases],
            "case_id": case.id or False,
            "case_name": case.name or "",
        }

    def _hotline_caller_case_domain(self):
        self.ensure_one()
        return self.env["hotline.case"]._hotline_caller_domain(self.partner_id, self.remote_number)

    @api.model
    def _hotline_case_card(self, case):
        states = dict(case._fields["state"]._description_selection(case.env))
        return {
            "id": case.id,
            "name": case.name,
            "summary": case.summary or "",
            "category": case.category_id.display_name or "",
            "state": case.state,
            "state_label": states.get(case.state, case.state),
            "reported_at": fields.Datetime.to_string(case.reported_at) if case.reported_at else "",
        }
