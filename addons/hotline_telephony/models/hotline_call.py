import glob
import logging
import operator
import os
import re
from datetime import timedelta

import psycopg2.errors

from odoo import _, api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import SQL

from odoo.addons.hotline_base.tools import normalize_phone
from odoo.addons.hotline_case.models.hotline_case import OPEN_STATES

from ..tools import imbus
from ..tools import payload as check
from ..tools.bulk import bulk_copy, bulk_insert, copy_line, reserve_ids
from ..tools.cdr import UNIQUEID_RE, agent_extension, is_monitoring_session
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
    ("monitoring", "bool"),
)
LIVE_HOURS = 4  # a call without a hangup event for that long is not shown as live any more
RECENT_MINUTES = 10  # an ended call's card is restored that long
MAX_CARDS = 4
LIVE_TIMEOUT_PARAM = "hotline_telephony.live_call_timeout_minutes"
LIVE_TIMEOUT_DEFAULT = 240
# the first channel's CDR says the call is over; the bridge's hang-up gets that long to arrive first
CDR_GRACE = timedelta(minutes=5)
# a case registered by the answering agent this long around the call was taken on it
CASE_BEFORE = timedelta(minutes=2)
CASE_AFTER = timedelta(minutes=30)
# what the event path reads of a call and of its caller, loaded with the query that finds them
CALL_FETCH = (
    "linkedid",
    "monitoring",
    "direction",
    "state",
    "caller_number",
    "caller_name",
    "called_number",
    "remote_number",
    "partner_id",
    "user_id",
    "extension",
    "queue",
    "start_time",
    "answer_time",
    "wait_seconds",
    "recording_file",
    "case_id",
    "uniqueid",
    "agent_channel",
    "caller_channel",
)
CALLER_FETCH = ("name", "hotline_vip", "hotline_blacklisted", "hotline_blacklist_until", "hotline_blacklist_reason")
OPEN_CARDS = 10
LAST_CARDS = 5


class HotlineCall(models.Model):
    _name = "hotline.call"
    _description = "Hotline Call"
    _order = "start_time desc, id desc"

    # ------------------------------------------------------------
    # FIELDS
    # ------------------------------------------------------------

    pbx_id = fields.Many2one("hotline.pbx", string="PBX", required=True, index=True, ondelete="restrict")
    # precomputed: a call the bridge reports is created in one INSERT (no UPDATE after it)
    company_id = fields.Many2one(related="pbx_id.company_id", store=True, index=True, precompute=True)
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
        precompute=True,
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
        string="Duration (s)", compute="_compute_duration_seconds", store=True, precompute=True, aggregator="avg"
    )
    disposition = fields.Selection(DISPOSITIONS, index=True)
    recording_file = fields.Char()
    has_recording = fields.Boolean(compute="_compute_has_recording", store=True, precompute=True)
    recording_url = fields.Char(compute="_compute_recording_url")
    case_id = fields.Many2one("hotline.case", string="Case", index=True, ondelete="set null")
    cdr_ids = fields.One2many("hotline.call.cdr", "call_id", string="CDR Records")
    cdr_count = fields.Integer(string="CDR Records Count", compute="_compute_cdr_count")
    uniqueid = fields.Char(string="Last Channel", readonly=True, help="The uniqueid of the last channel reported.")
    agent_channel = fields.Char(readonly=True, help="The agent's channel (for listening in, hang-up, pickup).")
    caller_channel = fields.Char(readonly=True, help="The caller's channel (for forced transfer and hang-up).")
    monitoring = fields.Boolean(
        string="Monitoring Session",
        readonly=True,
        index=True,
        help="A supervisor's listening, whisper, barge-in or pickup session: the PBX rang the supervisor's "
        "own phone to join another call. Not a call of the hotline: left out of the call statistics.",
    )
    hangup_missed = fields.Boolean(
        string="Hang-up Missed",
        readonly=True,
        help="The PBX never reported the end of this call: it was closed from its CDRs or after the live-call timeout.",
    )

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
            [
                ("state", "in", ("ringing", "answered")),
                ("start_time", ">=", now - timedelta(hours=LIVE_HOURS)),
                ("monitoring", "=", False),
            ]
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

        Restores the cards after a reload, and replaces the bus when the websocket is not connected;
        the bus's payloads (the web client asks for each new card's lists, ``hotline_screen_pop_card``).
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
        calls = events.call_id.filtered(
            lambda call: not call.monitoring and (call.state != "ended" or (call.end_time or now) >= recent)
        )
        payloads = []
        for call in calls[:MAX_CARDS]:
            state = call.state
            if state == "answered" and call.user_id and call.user_id != user:
                state = "ended"  # another agent took it
            payloads.append(call._hotline_screen_pop_payload(user, state))
        return payloads

    def hotline_screen_pop_card(self):
        """The case lists of this call's caller card, read with the current user's rights (their cases
        only): ``{call_id, linkedid, open_case_ids, open_cases, last_cases, case_count}``. Asked by the
        web client when it shows a card the bus announced (the bus carries what the pop shows at once)."""
        self.ensure_one()
        self.check_access("read")
        open_cases, last_cases, case_count = self._hotline_card_cases(self.env.user)
        return {
            "call_id": self.id,
            "linkedid": self.linkedid,
            "case_count": case_count,
            "open_case_ids": [card["id"] for card in open_cases],
            "open_cases": open_cases,
            "last_cases": last_cases,
        }

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
        domain = [("start_time", ">=", start), ("direction", "=", "inbound"), ("monitoring", "=", False)]
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

        The calls are copied straight into the table with ids taken beforehand; when one was created
        meanwhile by the bridge's events (a unique violation), the copy is undone and the calls go
        through a temporary table and an INSERT that skips the ones present.
        """
        if not vals_list:
            return self.browse()
        for vals in vals_list:
            vals["remote_number"] = self._hotline_remote_number(
                vals["direction"], vals["caller_number"], vals["called_number"]
            )
            vals["duration_seconds"] = self._hotline_duration(vals["start_time"], vals["end_time"])
        now = self.env.cr.now()
        # the boolean last; the others' False as NULL (in the COPY, '' is NULL too)
        columns = [column for column in CDR_CALL_COLUMNS if column[0] != "monitoring"]
        values_of = operator.itemgetter(*(name for name, _kind in columns))
        columns.append(("monitoring", "bool"))
        records = [
            (*(None if value is False else value for value in values_of(vals)), bool(vals.get("monitoring")))
            for vals in vals_list
        ]
        constants = {
            "pbx_id": pbx.id,
            "company_id": pbx.company_id.id,
            "state": "ended",
            "has_recording": False,
            # no create_uid / write_uid (the import writes calls, as it writes CDRs): each foreign
            # key costs a trigger per row
            "create_date": now,
            "write_date": now,
        }
        ids = reserve_ids(self.env.cr, "hotline_call", len(records))
        tail = tuple(constants.values())
        try:
            with self.env.cr.savepoint(flush=False):
                bulk_copy(
                    self.env.cr,
                    "hotline_call",
                    ["id", *(name for name, _kind in columns), *constants],
                    (copy_line((call_id, *record, *tail)) for call_id, record in zip(ids, records, strict=True)),
                )
            return self.browse(ids)
        except psycopg2.errors.UniqueViolation:
            pass
        inserted = bulk_insert(self.env.cr, "hotline_call", columns, records, constants, ["id", "linkedid"])
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
        known = self._hotline_known_event_ids(pbx, [event["id"] for event in checked])
        linkedids = list({event["linkedid"] for event in checked if event["kind"] != "agent_state"})
        calls = {}
        if linkedids:
            domain = [("pbx_id", "=", pbx.id), ("linkedid", "in", linkedids)]
            calls = {call.linkedid: call for call in self.search_fetch(domain, CALL_FETCH)}
        answering = self._hotline_answering_extensions(pbx, checked)
        users = pbx._hotline_users_by_extension({event["extension"] for event in checked} | set(answering.values()))
        processed = duplicates = 0
        for index, event in enumerate(checked):
            if event["id"] in known:
                duplicates += 1
                continue
            known.add(event["id"])
            if answering.get(index) in users:
                event["extension"] = answering[index]
            user = users.get(event["extension"], self.env["res.users"])
            call = self.browse()
            if event["kind"] == "agent_state":
                if user:
                    user._hotline_set_agent_state(event["state"], event["pause_reason"], event["time"], pbx)
                else:
                    _logger.info("PBX %s: agent state of unknown extension %s", pbx.name, event["extension"])
            else:
                call = self._hotline_apply_event(pbx, event, calls, user)
            self.env["hotline.call.event"]._hotline_log(self._hotline_prepare_event_vals(pbx, event, call, user))
            if not call or call.monitoring:
                pass  # a supervisor's session on another call: no caller card of its own
            elif user and event["kind"] in ("ringing", "answered"):
                call._hotline_screen_pop(user, event["kind"], event)
            elif event["kind"] == "hangup":
                call._hotline_pop_ended(call._hotline_popped_partners(), event)
            processed += 1
        return processed, duplicates

    @api.model
    def _hotline_answering_extensions(self, pbx, events):
        """``{index: extension}`` of the inbound answers taken at another phone than the one that rang.

        The bridge names the call's queue member (the phone that rang) in ``extension``; the answer's
        ``channel`` is the phone that took the call: another one after a pickup (the supervisor's
        PickupChan) or a transfer.
        """
        answers = {
            index: event["channel"]
            for index, event in enumerate(events)
            if event["kind"] == "answered" and event["channel"] and (event["direction"] or "inbound") == "inbound"
        }
        if not answers:
            return {}
        pattern = pbx._hotline_extension_re()
        found = {index: agent_extension(channel, pattern) for index, channel in answers.items()}
        return {index: ext for index, ext in found.items() if ext and ext != events[index]["extension"]}

    @api.model
    def _hotline_known_event_ids(self, pbx, event_ids):
        """The ids among ``event_ids`` already received from ``pbx`` (one indexed query)."""
        self.env.cr.execute(
            SQL(
                "SELECT event_id FROM hotline_call_event WHERE pbx_id = %s AND event_id = ANY(%s)",
                pbx.id,
                event_ids,
            )
        )
        return {event_id for (event_id,) in self.env.cr.fetchall()}

    @api.model
    def _hotline_find_caller(self, number):
        """The caller for ``number`` (as res.partner's _hotline_find_by_phone), with what the caller
        card shows of them loaded in the same query."""
        Partner = self.env["res.partner"]
        normalized = Partner._hotline_normalize_phone(number) if number else False
        if not normalized:
            return Partner
        domain = ["|", ("hotline_phone_normalized", "=", normalized), ("hotline_mobile_normalized", "=", normalized)]
        # sudo: knowing who calls is the call log's own bookkeeping (what the agent sees of the caller
        # is their card); as the PBX's user, the partners' company rule would cost a query per ring
        found = Partner.sudo().search_fetch(domain, CALLER_FETCH, order="hotline_vip desc, id desc", limit=1)
        return found.with_env(self.env)

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
            vals = call._hotline_prepare_update_vals(event)
            if vals:  # the event's handler writes anyway: no access check for nothing
                call.write(vals)
        elif event["kind"] == "ringing":  # the usual first news of a call: created ringing, in one INSERT
            vals = dict(self._hotline_prepare_call_vals(pbx, event), **self._hotline_ringing_vals(event))
            call = self._hotline_create_ringing(pbx, vals)
            calls[call.linkedid] = call
            return call
        else:
            call = self.create(self._hotline_prepare_call_vals(pbx, event))
            calls[call.linkedid] = call
        handler = getattr(call, f"_hotline_on_{event['kind']}")
        handler(event, user)
        return call

    @api.model
    def _hotline_create_ringing(self, pbx, vals):
        """Create the call a ring announces (``vals`` as for ``create``), its stored computes given.

        On the screen pop's path: ``create`` computes the stored computes on a draft record even when
        they are given (it drops given values of readonly precomputed fields), about half of the 1.9 ms
        it takes (a ring's request is ~7 ms in process). The values are known here; the ORM's own insert
        (``_create``: the row, the cache, the triggers, the constraints, the create rule and the hooks
        of other addons, such as hotline_reports' daily totals) runs as for any create.
        """
        remote_number = self._hotline_remote_number(vals["direction"], vals["caller_number"], vals["called_number"])
        computed = {
            "company_id": pbx.company_id.id,
            "remote_number": remote_number,
            "duration_seconds": 0,
            "has_recording": bool(vals.get("recording_file")),
        }
        if {name for name, field in self._fields.items() if field.precompute} - computed.keys():
            return self.create(vals)  # an addon added a stored compute: let the ORM compute it
        self.check_access("create")
        now = self.env.cr.now()
        stored = self._add_missing_default_values(
            dict(vals, **computed, create_uid=self.env.uid, create_date=now, write_uid=self.env.uid, write_date=now)
        )
        protected = {
            dependent
            for name in computed
            for dependent in self.pool.field_computed.get(self._fields[name], [self._fields[name]])
        }
        return self._create([{"stored": stored, "inversed": {}, "inherited": {}, "protected": protected}])

    @api.model
    def _hotline_prepare_call_vals(self, pbx, event):
        direction = event["direction"] or "inbound"
        number = event["caller_number"] if direction == "inbound" else event["called_number"]
        monitoring = is_monitoring_session(
            direction, event["caller_number"], event["called_number"], event["extension"]
        )
        partner = self.env["res.partner"] if monitoring else self._hotline_find_caller(number)
        return {
            "pbx_id": pbx.id,
            "linkedid": event["linkedid"],
            "monitoring": monitoring,
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
            partner = self._hotline_find_caller(number)
            if partner:
                vals["partner_id"] = partner.id
        return vals

    def _hotline_ringing_vals(self, event):
        """What a ring tells of the call (``self`` empty: a call not created yet, so ringing)."""
        vals = {"uniqueid": event["uniqueid"] or self.uniqueid}
        if not self or self.state == "ringing":
            vals.update(
                extension=event["extension"] or self.extension, agent_channel=event["channel"] or self.agent_channel
            )
        return vals

    def _hotline_on_ringing(self, event, user):
        self.write(self._hotline_ringing_vals(event))

    def _hotline_on_answered(self, event, user):
        vals = {"uniqueid": event["uniqueid"] or self.uniqueid}
        if not self.answer_time:
            start = self.start_time or event["time"]
            wait = event["wait_seconds"]
            if wait is None:
                wait = max(int((event["time"] - start).total_seconds()), 0)
            vals.update(answer_time=event["answer_time"] or event["time"], wait_seconds=wait)
        # a transfer hands the call over: the agent who answered last is the call's agent
        taken_over = bool(user) and self.user_id != user and self.state != "ended"
        if not self.user_id or taken_over:
            vals.update(user_id=user.id or False, extension=event["extension"] or self.extension)
        if event["channel"] and (not self.user_id or self.user_id == user or taken_over):
            vals["agent_channel"] = event["channel"]
        if self.state != "ended":
            vals["state"] = "answered"
        self.write(vals)
        # agents whose phone rang for this call but did not take it: their card closes
        popped = self._hotline_popped_partners()
        others = popped.get("ringing", set()) - popped.get("answered", set()) - {user.partner_id.id}
        self._hotline_pop_ended(others, event)

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
    # BUSINESS: calls whose hang-up was missed
    # ------------------------------------------------------------

    @api.model
    def _cron_close_stale_calls(self):
        """Close the calls left ringing or in progress because their hang-up never arrived (bridge down
        longer than its spool, AMI events lost): from their CDRs once the caller's channel wrote its
        record, else after the live-call timeout (setting, minutes) without news of them."""
        now = fields.Datetime.now()
        live = self.search([("state", "in", ("ringing", "answered"))])
        if not live:
            return
        ended_by_cdr = live._hotline_close_from_cdrs(now - CDR_GRACE)
        silent_since = now - timedelta(minutes=self._hotline_live_timeout_minutes())
        stale = (live - ended_by_cdr).filtered(lambda call: call._hotline_last_news() < silent_since)
        stale._hotline_close_without_hangup()
        closed = ended_by_cdr | stale
        if closed:
            _logger.info(
                "Closed %d calls whose hang-up was missed (%d from their CDRs)", len(closed), len(ended_by_cdr)
            )

    @api.model
    def _hotline_live_timeout_minutes(self):
        # sudo: a housekeeping setting
        value = self.env["ir.config_parameter"].sudo().get_param(LIVE_TIMEOUT_PARAM, LIVE_TIMEOUT_DEFAULT)
        try:
            return max(int(value), 1)
        except ValueError:
            return LIVE_TIMEOUT_DEFAULT

    def _hotline_last_news(self):
        """When Odoo last heard of this call (an event applied, a CDR grouped into it)."""
        self.ensure_one()
        return max(filter(None, (self.write_date, self.answer_time, self.start_time)))

    def _hotline_close_from_cdrs(self, before):
        """Close the calls whose first channel (uniqueid = linkedid) wrote its CDR before ``before``:
        the caller hung up. The call's times and disposition come from its CDRs. Returns the closed calls."""
        Cdr = self.env["hotline.call.cdr"]
        roots = Cdr.search(
            [("pbx_id", "in", self.pbx_id.ids), ("uniqueid", "in", self.mapped("linkedid")), ("end", "<", before)]
        )
        ended = {(cdr.pbx_id.id, cdr.uniqueid) for cdr in roots}
        calls = self.filtered(lambda call: (call.pbx_id.id, call.linkedid) in ended)
        for call in calls:
            rows = Cdr._hotline_fetch_rows(
                SQL(
                    "cdr.pbx_id = %s AND (cdr.call_id IS NULL OR cdr.call_id = %s) "
                    "AND (cdr.call_id = %s OR cdr.uniqueid = %s OR cdr.linkedid = %s)",
                    call.pbx_id.id,
                    call.id,
                    call.id,
                    call.linkedid,
                    call.linkedid,
                )
            )
            loose = [(row.id, call.id) for row in rows if row.call_id != call.id]
            Cdr._hotline_complete_calls(call.pbx_id, {call: rows})
            Cdr._hotline_assign(loose)
            call.hangup_missed = True
            call._hotline_pop_ended(call._hotline_popped_partners())
        return calls

    def _hotline_close_without_hangup(self):
        """End the calls at the last time Odoo heard of them, as a hang-up then would have."""
        if not self:
            return
        last_event = dict(
            self.env["hotline.call.event"]._read_group([("call_id", "in", self.ids)], ["call_id"], ["event_time:max"])
        )
        for call in self:
            times = (last_event.get(call), call.answer_time, call.start_time)
            end = max(filter(None, times), default=fields.Datetime.now())
            vals = {"state": "ended", "end_time": end, "hangup_missed": True}
            if call.answer_time:
                vals.update(disposition="answered", talk_seconds=call._hotline_duration(call.answer_time, end))
            else:
                vals.update(disposition="no_answer", wait_seconds=call._hotline_duration(call.start_time, end))
            call.write(vals)
            call._hotline_pop_ended(call._hotline_popped_partners())

    # ------------------------------------------------------------
    # BUSINESS: screen pop
    # ------------------------------------------------------------

    def _hotline_popped_partners(self):
        """``{"ringing": partner ids, "answered": partner ids}`` of the agents whose phone rang for this
        call and of those who answered it (with the call's agent), in one query."""
        self.ensure_one()
        self.env.cr.execute(
            SQL(
                """
                SELECT event.kind, agent.partner_id
                  FROM hotline_call_event event
                  JOIN res_users agent ON agent.id = event.user_id
                 WHERE event.call_id = %s AND event.kind IN ('ringing', 'answered')
                 UNION
                SELECT 'answered', agent.partner_id FROM res_users agent WHERE agent.id = %s
                """,
                self.id,
                self.user_id.id or None,
            )
        )
        popped = {}
        for kind, partner_id in self.env.cr.fetchall():
            popped.setdefault(kind, set()).add(partner_id)
        return popped

    def _hotline_pop_ended(self, partner_ids, event=None):
        """Close the caller card of these agents (partner ids, or ``{kind: partner ids}``): a short
        notification, the card they have keeps its lists."""
        self.ensure_one()
        if isinstance(partner_ids, dict):
            partner_ids = set().union(*partner_ids.values())
        payload = {
            "call_id": self.id,
            "linkedid": self.linkedid,
            "call_uniqueid": (event or {}).get("uniqueid") or self.uniqueid or self.linkedid,
            "state": "ended",
            "direction": self.direction,
            "caller_number": self.caller_number or "",
            "remote_number": self.remote_number or "",
            "partner_id": self.partner_id.id or False,
            "wait_seconds": self.wait_seconds,
        }
        imbus.send(self.env, sorted(partner_ids), "hotline/screen_pop", payload)

    def _hotline_screen_pop(self, users, state, event=None):
        """Send the caller card (bus type ``hotline/screen_pop``) to each of ``users``: what the pop shows
        at once; the web client asks for the card's case lists (``hotline_screen_pop_card``) when it
        shows a new card."""
        self.ensure_one()
        for user in users:
            payload = self._hotline_screen_pop_payload(user, state, event)
            imbus.send(self.env, [user.partner_id.id], "hotline/screen_pop", payload)

    def _hotline_screen_pop_payload(self, user, state, event=None):
        """What the caller card shows at once, read with ``user``'s rights (their cases only): of the
        caller's cases, the ids of the open ones; the web client asks ``hotline_screen_pop_card`` for
        the card's lists when it shows the card (this payload is built on every ring)."""
        self.ensure_one()
        # the user's time zone says until when a blacklisting lasts (read only when it has an end)
        tz = (user.tz or "UTC") if self.partner_id.hotline_blacklist_until else "UTC"
        partner = self.partner_id.with_context(tz=tz)
        case = self.env["hotline.case"].with_user(user).browse(self.case_id.id)
        if case and not case.has_access("read"):
            case = case.browse()
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
            "open_case_ids": self._hotline_open_case_ids(user),
            "case_id": case.id or False,
            "case_name": case.name or "" if case else "",
        }

    def _hotline_open_case_ids(self, user):
        """The ids of the caller's open cases ``user`` may read, as the card lists them.

        Most callers have no open case: one plain indexed query says so (an ORM search with the user's
        record rules costs a millisecond on every ring); the rules are applied (a search among the
        cases found) only when there are some.
        """
        self.ensure_one()
        # the caller as hotline.case's _hotline_caller_domain knows them: their partner or their number
        number = self.remote_number and self.env["res.partner"]._hotline_normalize_phone(self.remote_number)
        if not (self.partner_id or number):
            return []
        self.env["hotline.case"].flush_model(["partner_id", "caller_phone_normalized", "state"])
        rows = self.env.execute_query(
            SQL(
                "SELECT id FROM hotline_case WHERE (partner_id = %s OR caller_phone_normalized = %s) AND state IN %s",
                self.partner_id.id or None,
                number or None,
                OPEN_STATES,
            )
        )
        ids = [case_id for (case_id,) in rows]
        if not ids:
            return []
        return self.env["hotline.case"].with_user(user).search([("id", "in", ids)], limit=OPEN_CARDS).ids

    def _hotline_card_cases(self, user):
        """``(open cases, last cases, count)`` of the caller's cases that ``user`` may read, as card dicts.

        One query (asked when the web client shows a card): the user's record rules through
        ``_search``, the two lists and the count by window functions, the category's name shown
        (its path, in the user's language) by a subquery.
        """
        self.ensure_one()
        domain = self._hotline_caller_case_domain()
        if not domain:
            return [], [], 0
        cases = self.env["hotline.case"].with_user(user).with_context(lang=user.lang or "en_US")
        lang = cases.env.lang or "en_US"
        visible = cases._search(domain)
        self.env.cr.execute(
            SQL(
                """
                SELECT id, name, summary, state, reported_at, category, total, is_open, last_rank, open_rank
                  FROM (
                    SELECT hc.id, hc.name, hc.summary, hc.state, hc.reported_at,
                           (SELECT string_agg(COALESCE(up.name->>%(lang)s, up.name->>'en_US'), ' / '
                                              ORDER BY length(up.parent_path))
                              FROM hotline_category up
                             WHERE starts_with(cat.parent_path, up.parent_path)) AS category,
                           hc.state IN %(open)s AS is_open,
                           count(*) OVER () AS total,
                           row_number() OVER (ORDER BY hc.reported_at DESC, hc.id DESC) AS last_rank,
                           row_number() OVER (PARTITION BY hc.state IN %(open)s
                                              ORDER BY hc.priority DESC, hc.reported_at DESC, hc.id DESC) AS open_rank
                      FROM hotline_case hc
                      LEFT JOIN hotline_category cat ON cat.id = hc.category_id
                     WHERE hc.id IN %(visible)s
                  ) ranked
                 WHERE last_rank <= %(last)s OR (is_open AND open_rank <= %(open_cards)s)
                """,
                lang=lang,
                open=OPEN_STATES,
                visible=visible.subselect(),
                last=LAST_CARDS,
                open_cards=OPEN_CARDS,
            )
        )
        rows = self.env.cr.dictfetchall()
        states = dict(cases._fields["state"]._description_selection(cases.env))
        cards = {row["id"]: self._hotline_case_card_values(row, states) for row in rows}
        open_cases = [cards[row["id"]] for row in sorted(rows, key=lambda row: row["open_rank"]) if row["is_open"]]
        last_cases = [cards[row["id"]] for row in sorted(rows, key=lambda row: row["last_rank"])]
        return (
            open_cases[:OPEN_CARDS],
            last_cases[:LAST_CARDS],
            rows[0]["total"] if rows else 0,
        )

    @api.model
    def _hotline_case_card_values(self, row, states):
        return {
            "id": row["id"],
            "name": row["name"],
            "summary": row["summary"] or "",
            "category": row["category"] or "",
            "state": row["state"],
            "state_label": states.get(row["state"], row["state"]),
            "reported_at": fields.Datetime.to_string(row["reported_at"]) if row["reported_at"] else "",
        }

    def _hotline_caller_case_domain(self):
        self.ensure_one()
        return self.env["hotline.case"]._hotline_caller_domain(self.partner_id, self.remote_number)
