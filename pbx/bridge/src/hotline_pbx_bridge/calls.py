"""Logical calls, followed from AMI events.

A logical call is what an operator calls "a call": every channel sharing one
``Linkedid`` (the uniqueid of the call's first channel).  :class:`CallTracker`
keeps the calls in progress and turns AMI events into the payloads delivered
to Odoo: ``("event", {...})`` for ``ringing`` / ``answered`` / ``hangup`` and
``("cdr", {...})`` for each ``Cdr`` event.  It does no I/O: every method takes
an AMI message (any case-insensitive mapping, e.g. panoramisk's ``Message``)
and returns a list of payloads.

What the recordings in ``tests/fixtures`` show and this module relies on:

* a queued caller is the ``;2`` leg of ``Local/12319@from-pstn``; Queue* and
  Agent* events name it in ``Channel`` and the agent leg in ``DestChannel``;
* the hotline answers before queueing, so abandonment comes only from
  ``QueueCallerAbandon`` (the CDR says ANSWERED);
* a queue dial shows DialBegin/DialEnd *and* AgentCalled/AgentConnect: while
  the caller is in a queue the Agent* events are used, the Dial* ones skipped;
* ``Cdr`` events carry no Linkedid: it comes from the channels seen earlier;
* after a Redirect, the first agent's ``AgentComplete`` arrives when the
  caller hangs up, without Channel/Linkedid.
"""

import re
import time
from collections import Counter, OrderedDict
from dataclasses import dataclass, field
from datetime import UTC, datetime

UNKNOWN = ("", "<unknown>", "<null>", "(null)")
DIAL_DISPOSITIONS = {
    "BUSY": "busy",
    "CONGESTION": "failed",
    "CHANUNAVAIL": "failed",
    "INVALIDARGS": "failed",
    "NOANSWER": "no_answer",
    "CANCEL": "no_answer",
}
EVENT_FIELDS = {
    "id": "",
    "kind": "",
    "time": "",
    "raw_event": "",
    "linkedid": "",
    "uniqueid": "",
    "channel": "",
    "caller_channel": "",  # the caller's (outside party's) channel, in ringing / answered
    "caller_number": "",
    "caller_name": "",
    "called_number": "",
    "extension": "",
    "queue": "",
    "direction": "",
    "wait_seconds": None,
    "talk_seconds": None,
    "disposition": "",
    "recording_file": "",
    "service": "",
}
CDR_FIELDS = (
    # (payload key, AMI header of the Cdr event)
    ("accountcode", "AccountCode"),
    ("src", "Source"),
    ("dst", "Destination"),
    ("dcontext", "DestinationContext"),
    ("clid", "CallerID"),
    ("channel", "Channel"),
    ("dstchannel", "DestinationChannel"),
    ("lastapp", "LastApplication"),
    ("lastdata", "LastData"),
    ("start", "StartTime"),
    ("answer", "AnswerTime"),
    ("end", "EndTime"),
    ("duration", "Duration"),
    ("billsec", "BillableSeconds"),
    ("disposition", "Disposition"),
    ("amaflags", "AMAFlags"),
    ("uniqueid", "UniqueID"),
    ("userfield", "UserField"),
)
MEMORY = 20000  # uniqueids remembered after their call ended (late Cdr events)


# -- small helpers ---------------------------------------------------------


def value(event, key):
    """Header ``key`` of an AMI message, stripped, '' when absent."""
    raw = event.get(key)
    if raw is None:
        return ""
    if isinstance(raw, list):  # a repeated header: keep the last one
        raw = raw[-1]
    return str(raw).strip()


def clean(text):
    """Drop Asterisk's placeholders for 'no value'."""
    text = (text or "").strip()
    return "" if text in UNKNOWN else text


def to_int(text, default=None):
    try:
        return int(float(text))
    except (TypeError, ValueError):
        return default


def event_time(event):
    """The event's own time (``Timestamp`` with timestampevents=yes) or now."""
    try:
        return float(value(event, "Timestamp"))
    except ValueError:
        return time.time()


def iso(ts):
    """ISO-8601 UTC with milliseconds, e.g. 2026-11-26T00:09:34.282+00:00."""
    if ts is None:
        return ""
    return datetime.fromtimestamp(ts, UTC).isoformat(timespec="milliseconds")


class ExtensionMatcher:
    """Tells which channel names / queue interfaces are the centre's phones."""

    def __init__(self, patterns):
        self.patterns = [re.compile(p) for p in patterns]

    def __call__(self, name):
        name = (name or "").strip()
        for pattern in self.patterns:
            match = pattern.match(name)
            if match:
                return next(g for g in match.groups() if g)
        return ""

    def member(self, event):
        """The agent extension of a Queue*/Agent* event."""
        for key in ("Interface", "StateInterface", "Location", "DestChannel"):
            ext = self(value(event, key))
            if ext:
                return ext
        match = re.search(r"(\d{2,6})$", value(event, "MemberName") or value(event, "Name"))
        return match.group(1) if match else ""


# -- state -----------------------------------------------------------------


@dataclass
class Channel:
    uniqueid: str
    linkedid: str
    name: str
    extension: str


@dataclass
class Call:
    linkedid: str
    start: float
    root_extension: str  # the phone that started the call, '' for an outside caller
    direction: str
    channel: str = ""  # name of the call's first channel
    root_up: bool = False
    caller_number: str = ""
    caller_name: str = ""
    called_number: str = ""
    queue: str = ""
    c2c: bool = False
    channels: set = field(default_factory=set)
    queued: set = field(default_factory=set)  # uniqueids waiting in a queue now
    queue_join: float | None = None
    abandoned: bool = False
    originate_failed: bool = False
    answer_time: float | None = None
    agents: list = field(default_factory=list)  # extensions that answered, in order
    wait_seconds: int | None = None
    talk_seconds: int | None = None
    dial_status: str = ""
    hangup_cause: str = ""
    recording_file: str = ""
    service: str = ""  # HOTLINE_SERVICE set by the IVR (repair, complaint, ...)
    notice: str = ""  # HOTLINE_REFERENCE of a voice notice / survey call (POST /notice)
    rung: set = field(default_factory=set)  # agent legs already reported ringing
    connected: set = field(default_factory=set)  # agent legs already reported answered
    counters: Counter = field(default_factory=Counter)


class _Lru(OrderedDict):
    def remember(self, key, val, size=MEMORY):
        self[key] = val
        self.move_to_end(key)
        while len(self) > size:
            self.popitem(last=False)


class CallTracker:
    """All calls in progress, fed one AMI event at a time."""

    def __init__(self, extension_patterns):
        self.is_extension = ExtensionMatcher(extension_patterns)
        self.calls = {}  # linkedid -> Call
        self.channels = {}  # uniqueid -> Channel
        self.linked = _Lru()  # uniqueid -> linkedid, outlives the calls (Cdr)
        self.cdr_seen = _Lru()  # uniqueid -> Cdr events seen (sequence fallback)
        self.gone = _Lru()  # uniqueids already hung up: late events must not revive them

    # -- lookup -------------------------------------------------------------

    def _call_of(self, event, prefix=""):
        uid = value(event, prefix + "Uniqueid")
        lid = value(event, prefix + "Linkedid") or self.linked.get(uid, "")
        return self.calls.get(lid)

    def _ensure_channel(self, event, ts, prefix="", create=False):
        """The channel of ``event`` and its call; ``create`` for Newchannel / resync.

        Other events never create channels: a stray event (or garbage) must
        not leave a call that no Hangup will ever end.
        """
        uid = value(event, prefix + "Uniqueid")
        if uid in ("", "none"):  # global VarSet: "Channel: none / Uniqueid: none"
            return None, None
        channel = self.channels.get(uid)
        if channel is None:
            if not create or uid in self.gone:
                return None, None
            lid = value(event, prefix + "Linkedid") or uid
            name = value(event, prefix + "Channel")
            channel = Channel(uid, lid, name, self.is_extension(name))
            self.channels[uid] = channel
            self.linked.remember(uid, lid)
            call = self.calls.get(lid)
            if call is None:
                call = self._new_call(lid, channel, event, ts, prefix)
            call.channels.add(uid)
        call = self.calls.get(channel.linkedid)
        if call is not None:
            self._update_caller(call, channel, event, prefix)
        return channel, call

    def _new_call(self, lid, channel, event, ts, prefix):
        ext = channel.extension
        call = Call(
            linkedid=lid,
            channel=channel.name,
            start=ts,
            root_extension=ext,
            direction="internal" if ext else "inbound",
            called_number=_dialled(value(event, prefix + "Exten")),
        )
        if ext:
            call.caller_number = ext
            if call.called_number == ext:
                call.called_number = ""
        self.calls[lid] = call
        return call

    def _update_caller(self, call, channel, event, prefix=""):
        """The caller is who the call's first channel says it is.

        For a call started by an extension the caller stays that extension,
        even when the dialplan presents the centre's number to the far end.
        """
        if channel.uniqueid != call.linkedid:
            return
        number = clean(value(event, prefix + "CallerIDNum"))
        name = clean(value(event, prefix + "CallerIDName"))
        if number and not call.root_extension:
            call.caller_number = number
        if name:
            call.caller_name = name

    # -- payloads -----------------------------------------------------------

    def _event(self, call, kind, event, ts, uniqueid, **extra):
        n = call.counters[(kind, uniqueid)]
        call.counters[(kind, uniqueid)] += 1
        payload = dict(EVENT_FIELDS)
        payload.update(
            id=f"{call.linkedid}:{kind}:{uniqueid}:{n}",
            kind=kind,
            time=iso(ts),
            raw_event=value(event, "Event"),
            linkedid=call.linkedid,
            uniqueid=uniqueid,
            caller_number=call.caller_number,
            caller_name=call.caller_name,
            called_number=call.called_number,
            queue=call.queue,
            direction=call.direction,
            recording_file=call.recording_file,
            service=call.service,
        )
        payload.update(extra)
        return ("event", payload)

    def _ringing(self, call, event, ts, ext, leg_uid, channel="", caller_channel=""):
        if leg_uid in call.rung:
            return []
        call.rung.add(leg_uid)
        return [
            self._event(
                call, "ringing", event, ts, leg_uid, extension=ext, channel=channel, caller_channel=caller_channel
            )
        ]

    def _answered(self, call, event, ts, ext, leg_uid, channel="", wait=None, caller_channel=""):
        if leg_uid in call.connected:
            return []
        call.connected.add(leg_uid)
        if call.answer_time is None:
            call.answer_time = ts
            if wait is None:
                wait = round(ts - (call.queue_join or call.start))
            call.wait_seconds = wait
        if ext and ext not in call.agents:
            call.agents.append(ext)
        return [
            self._event(
                call,
                "answered",
                event,
                ts,
                leg_uid,
                extension=ext,
                channel=channel,
                caller_channel=caller_channel,
                wait_seconds=wait if wait is not None else call.wait_seconds,
            )
        ]

    # -- channel events -----------------------------------------------------

    def newchannel(self, event):
        self._ensure_channel(event, event_time(event), create=True)
        return []

    def touch(self, event):
        """Newstate, NewCallerid, Bridge*, ...: keep channel and caller up to date."""
        channel, call = self._ensure_channel(event, event_time(event))
        root = call is not None and channel.uniqueid == call.linkedid
        if root and value(event, "ChannelStateDesc") == "Up":
            call.root_up = True
        return []

    def varset(self, event):
        channel, call = self._ensure_channel(event, event_time(event))
        if call is None:
            return []
        # "__NAME" (inherited variables) is reported with its underscores
        var, val = value(event, "Variable").lstrip("_"), value(event, "Value")
        if var == "MIXMONITOR_FILENAME" and val:
            call.recording_file = val
        elif var == "C2C" and val == "1":
            call.c2c = True
            call.direction = "outbound"
        elif var == "HOTLINE_NUMBER" and val:
            call.called_number = val
        elif var == "HOTLINE_SERVICE" and val:
            call.service = val
        elif var == "HOTLINE_REFERENCE" and val:
            # a voice notice or survey call: the centre calls the citizen
            call.notice = val
            call.direction = "outbound"
        return []

    def originate_response(self, event):
        call = self._call_of(event)
        if call is None:
            return []
        if value(event, "Response") == "Failure":
            call.originate_failed = True
        exten = _dialled(value(event, "Exten"))
        if call.root_extension and exten and exten != call.root_extension:
            call.called_number = call.called_number or exten
        return []

    def dial_begin(self, event):
        ts = event_time(event)
        dest_uid = value(event, "DestUniqueid")
        dest_name = value(event, "DestChannel")
        call = self.calls.get(value(event, "DestLinkedid")) or self._call_of(event)
        if call is None or not dest_uid:
            return []
        dest_ext = self.is_extension(dest_name)
        src_uid = value(event, "Uniqueid")
        if not src_uid:  # the first leg of an Originate: the phone itself rings
            if dest_ext and call.c2c and dest_ext == call.root_extension:
                return self._ringing(call, event, ts, dest_ext, dest_uid, dest_name)
            return []
        self._ensure_channel(event, ts)
        if src_uid in call.queued:  # AgentCalled reports queue dials
            return []
        if dest_ext and self.is_extension(value(event, "Channel")) == dest_ext:
            return []  # Local/1001@agents;2 dialling PJSIP/1001: the same phone
        if dest_ext:
            if call.root_extension and not call.c2c and dest_ext != call.root_extension:
                call.direction = "internal"
                call.called_number = dest_ext
            # the dialling channel is the caller's: the outside caller's leg of a
            # direct or transferred call, the calling phone of an internal call
            return self._ringing(call, event, ts, dest_ext, dest_uid, dest_name, value(event, "Channel"))
        if call.root_extension:
            call.direction = "outbound"
            call.called_number = call.called_number or _dialled(value(event, "Exten"))
        return []

    def dial_end(self, event):
        ts = event_time(event)
        call = self.calls.get(value(event, "DestLinkedid")) or self._call_of(event)
        if call is None:
            return []
        status = value(event, "DialStatus").upper()
        src_uid = value(event, "Uniqueid")
        if not src_uid:  # the phone of an Originate answered (or not)
            # (a voice notice's outcome is its Dial to the citizen, which came first)
            if status != "ANSWER" and not (call.notice and call.dial_status):
                call.dial_status = status
            return []
        if src_uid in call.queued:
            return []
        dest_uid = value(event, "DestUniqueid")
        dest_name = value(event, "DestChannel")
        dest_ext = self.is_extension(dest_name)
        if dest_ext and self.is_extension(value(event, "Channel")) == dest_ext:
            return []  # the Local hop to the same phone
        call.dial_status = status
        if status != "ANSWER":
            return []
        if dest_ext:
            return self._answered(
                call, event, ts, dest_ext, dest_uid, dest_name, caller_channel=value(event, "Channel")
            )
        if call.notice and call.answer_time is None:  # the citizen answered a voice notice / survey call
            call.answer_time = ts
            return []
        if call.root_extension:  # the far end of an outbound call answered: that is the other party
            return self._answered(
                call, event, ts, call.root_extension, dest_uid, value(event, "Channel"), caller_channel=dest_name
            )
        return []

    def hangup(self, event):
        ts = event_time(event)
        uid = value(event, "Uniqueid")
        if uid not in self.channels:
            return []
        call = self.calls.get(self.channels[uid].linkedid)
        if call is not None and uid == call.linkedid:
            call.hangup_cause = value(event, "Cause")
        return self._channel_gone(uid, ts, event)

    def _channel_gone(self, uid, ts, event):
        channel = self.channels.pop(uid, None)
        if channel is None:
            return []
        self.gone.remember(uid, True)
        call = self.calls.get(channel.linkedid)
        if call is None:
            return []
        call.channels.discard(uid)
        call.queued.discard(uid)
        if call.channels:
            return []
        return [self._finish(call, event, ts)]

    def _finish(self, call, event, ts):
        del self.calls[call.linkedid]
        disposition = self._disposition(call)
        if disposition == "answered":
            wait = call.wait_seconds
            talk = call.talk_seconds
            if talk is None:
                talk = max(0, round(ts - (call.answer_time or call.start)))
        else:
            wait = call.wait_seconds
            if wait is None:
                wait = max(0, round(ts - (call.queue_join or call.start)))
            talk = 0
        return self._event(
            call,
            "hangup",
            event,
            ts,
            call.linkedid,
            extension=call.agents[0] if call.agents else call.root_extension,
            channel=call.channel,
            agents=list(call.agents),
            disposition=disposition,
            wait_seconds=wait,
            talk_seconds=talk,
            start_time=iso(call.start),
            answer_time=iso(call.answer_time),
            end_time=iso(ts),
            hangup_cause=call.hangup_cause,
        )

    @staticmethod
    def _disposition(call):
        if call.answer_time is not None:
            return "answered"
        if call.abandoned:
            return "abandoned"
        if call.originate_failed:
            return "failed"
        if call.queue_join is not None:
            return "no_answer"
        if call.direction == "internal" and call.root_up and not call.dial_status:
            return "answered"  # e.g. a supervisor's ChanSpy session: nothing was dialled
        if call.hangup_cause == "17":
            return "busy"
        return DIAL_DISPOSITIONS.get(call.dial_status, "no_answer")

    # -- queue events -------------------------------------------------------

    def queue_caller_join(self, event):
        channel, call = self._ensure_channel(event, event_time(event))
        if call is None:
            return []
        call.queue = value(event, "Queue") or call.queue
        call.queued.add(channel.uniqueid)
        if call.queue_join is None:
            call.queue_join = event_time(event)
        return []

    def queue_caller_leave(self, event):
        channel, call = self._ensure_channel(event, event_time(event))
        if call is not None:
            call.queued.discard(channel.uniqueid)
        return []

    def queue_caller_abandon(self, event):
        channel, call = self._ensure_channel(event, event_time(event))
        if call is None:
            return []
        call.abandoned = True
        call.queue = value(event, "Queue") or call.queue
        call.wait_seconds = to_int(value(event, "HoldTime"), call.wait_seconds)
        return []

    def agent_called(self, event):
        ts = event_time(event)
        _, call = self._ensure_channel(event, ts)
        if call is None:
            return []
        call.queue = value(event, "Queue") or call.queue
        ext = self.is_extension.member(event)
        leg = value(event, "DestUniqueid") or f"{value(event, 'Interface')}@{ts}"
        # Channel: the queued caller (Local/12319@from-pstn-...;2 or the trunk channel)
        return self._ringing(call, event, ts, ext, leg, value(event, "DestChannel"), value(event, "Channel"))

    def agent_connect(self, event):
        ts = event_time(event)
        _, call = self._ensure_channel(event, ts)
        if call is None:
            return []
        call.queue = value(event, "Queue") or call.queue
        ext = self.is_extension.member(event)
        leg = value(event, "DestUniqueid") or f"{value(event, 'Interface')}@{ts}"
        wait = to_int(value(event, "HoldTime"))
        return self._answered(
            call, event, ts, ext, leg, value(event, "DestChannel"), wait, caller_channel=value(event, "Channel")
        )

    def agent_complete(self, event):
        call = self._call_of(event) or self._call_of_agent(self.is_extension.member(event))
        talk = to_int(value(event, "TalkTime"))
        if call is not None and talk is not None:
            call.talk_seconds = max(call.talk_seconds or 0, talk)
        return []

    def _call_of_agent(self, ext):
        if not ext:
            return None
        for call in self.calls.values():
            if ext in call.agents:
                return call
        return None

    # -- CDR -----------------------------------------------------------------

    def cdr(self, event):
        row = {key: value(event, header) for key, header in CDR_FIELDS}
        for key in ("duration", "billsec"):
            row[key] = to_int(row[key], 0)
        uid = row["uniqueid"]
        seen = self.cdr_seen.get(uid, 0)
        self.cdr_seen.remember(uid, seen + 1)
        row["linkedid"] = value(event, "LinkedID") or self.linked.get(uid, "")
        row["sequence"] = to_int(value(event, "Sequence"), seen)
        if "PeerAccount" in event:
            row["peeraccount"] = value(event, "PeerAccount")
        row["id"] = f"cdr:{uid}:{row['sequence']}"
        return [("cdr", row)]

    # -- resynchronisation after a reconnect ---------------------------------

    def known_channels(self):
        return frozenset(self.channels)

    def resync_channels(self, entries, known_before):
        """Apply a CoreShowChannels answer.

        ``entries`` are the CoreShowChannel events; ``known_before`` the
        channels known when the action was sent.  Channels Asterisk no longer
        has hung up while the bridge was away: their calls are finished.
        Channels the bridge did not know are adopted, with their calls.
        """
        ts = time.time()
        alive = set()
        for entry in entries:
            uid = value(entry, "Uniqueid")
            if not uid:
                continue
            alive.add(uid)
            if uid not in self.channels:
                self._adopt(entry, ts)
        out = []
        for uid in sorted(known_before - alive):
            if uid in self.channels:
                out.extend(self._channel_gone(uid, ts, {"Event": "CoreShowChannels"}))
        return out

    def _adopt(self, entry, ts):
        seconds = _hms(value(entry, "Duration"))
        started = ts - seconds if seconds else ts
        channel, call = self._ensure_channel(entry, started, create=True)
        if call is None:
            return
        if (
            channel.extension
            and not call.root_extension
            and value(entry, "ChannelStateDesc") == "Up"
            and value(entry, "BridgeId")
            and channel.extension not in call.agents
        ):
            # an agent already talking to an outside caller
            call.agents.append(channel.extension)
            call.connected.add(channel.uniqueid)
            call.answer_time = call.answer_time or ts

    def resync_queue_entries(self, entries, known_before):
        """Apply the QueueEntry events of a QueueStatus answer."""
        waiting = set()
        for entry in entries:
            channel, call = self._ensure_channel(entry, time.time(), create=True)
            if call is None:
                continue
            waiting.add(channel.uniqueid)
            call.queue = value(entry, "Queue") or call.queue
            call.queued.add(channel.uniqueid)
            if call.queue_join is None:
                call.queue_join = time.time() - (to_int(value(entry, "Wait"), 0) or 0)
        for call in self.calls.values():
            call.queued -= set(known_before) - waiting
        return []


def _dialled(exten):
    """The number a channel's dialplan position says was dialled ('' for 's')."""
    exten = clean(exten)
    return "" if exten in ("s", "h", "i", "t") else exten


def _hms(text):
    parts = text.split(":")
    if len(parts) != 3:
        return 0
    try:
        hours, minutes, seconds = (int(p) for p in parts)
    except ValueError:
        return 0
    return hours * 3600 + minutes * 60 + seconds
