"""Call and agent state from the recorded event streams (no sockets)."""

from ami_replay import split_stream
from bridge_testlib import fixture
from panoramisk.message import Message

from hotline_pbx_bridge.agents import AgentTracker, agent_state
from hotline_pbx_bridge.calls import CallTracker, ExtensionMatcher
from hotline_pbx_bridge.config import DEFAULT_EXTENSION_PATTERNS
from hotline_pbx_bridge.handlers import EVENTS

DISPATCH = {
    "Newchannel": "newchannel",
    "Newstate": "touch",
    "NewCallerid": "touch",
    "BridgeEnter": "touch",
    "BridgeLeave": "touch",
    "VarSet": "varset",
    "OriginateResponse": "originate_response",
    "DialBegin": "dial_begin",
    "DialEnd": "dial_end",
    "Hangup": "hangup",
    "Cdr": "cdr",
    "QueueCallerJoin": "queue_caller_join",
    "QueueCallerLeave": "queue_caller_leave",
    "QueueCallerAbandon": "queue_caller_abandon",
    "AgentCalled": "agent_called",
    "AgentConnect": "agent_connect",
    "AgentComplete": "agent_complete",
}
AGENT_EVENTS = {
    "QueueMemberStatus": "member_status",
    "QueueMemberPause": "member_status",
    "QueueMemberAdded": "member_status",
    "QueueMemberRemoved": "member_removed",
}


def messages(name):
    _, blocks = split_stream(fixture(f"{name}.events.raw").read_bytes())
    for block in blocks:
        message = Message.from_line(block.decode().strip())
        if message is not None and "Event" in message:
            yield message


def replay(name):
    calls = CallTracker(DEFAULT_EXTENSION_PATTERNS)
    agents = AgentTracker(DEFAULT_EXTENSION_PATTERNS)
    out = []
    for message in messages(name):
        if message.event in DISPATCH:
            out.extend(getattr(calls, DISPATCH[message.event])(message))
        elif message.event in AGENT_EVENTS:
            out.extend(getattr(agents, AGENT_EVENTS[message.event])(message))
    return calls, out


def events(out, kind=None):
    return [p for k, p in out if k == "event" and (kind is None or p["kind"] == kind)]


def cdrs(out):
    return [p for k, p in out if k == "cdr"]


def test_every_tracked_event_has_a_handler():
    for event in list(DISPATCH) + list(AGENT_EVENTS):
        assert event in EVENTS


def test_extension_matcher_reads_interfaces_and_channels():
    match = ExtensionMatcher(DEFAULT_EXTENSION_PATTERNS)
    assert match("Local/1001@agents/n") == "1001"
    assert match("Local/1001@agents-00000001;1") == "1001"
    assert match("PJSIP/1002") == "1002"
    assert match("PJSIP/1002-0000002a") == "1002"
    assert match("Local/8001@supervisors-00000002;1") == "8001"
    assert match("Local/12319@from-pstn-00000000;2") == ""
    assert match("PJSIP/trunk-00000001") == ""
    assert match("Local/13800138000@pstn-out-00000001;1") == ""


def test_answered_call_gives_ringing_answered_hangup_in_order():
    calls, out = replay("01_answered")
    kinds = [p["kind"] for p in events(out) if p["linkedid"]]
    assert kinds == ["ringing", "answered", "hangup"]
    ringing, answered, hangup = (p for p in events(out) if p["linkedid"])
    assert ringing["extension"] == "1001" and ringing["raw_event"] == "AgentCalled"
    assert answered["wait_seconds"] == 1
    assert hangup["disposition"] == "answered"
    assert hangup["talk_seconds"] == 4  # AgentComplete TalkTime
    assert hangup["caller_number"] == "13800138000"
    assert hangup["caller_name"] == "Zhang San"
    assert hangup["called_number"] == "12319"
    assert hangup["queue"] == "hotline"
    assert hangup["recording_file"].endswith("-1795651774.1.wav")
    assert hangup["id"] == "1795651774.0:hangup:1795651774.0:0"
    assert not calls.calls and not calls.channels  # nothing left in progress


def test_answered_call_reports_the_callers_channel():
    """ringing / answered name the queued caller's channel (Odoo's forced transfer redirects it)."""
    _, out = replay("01_answered")
    ringing, answered, hangup = (p for p in events(out) if p["linkedid"])
    for payload in (ringing, answered):
        assert payload["caller_channel"] == "Local/12319@from-pstn-00000000;2"
        assert payload["channel"] == "Local/1001@agents-00000001;1"  # the agent's leg, not the caller's
    assert hangup["caller_channel"] == ""
    assert all("caller_channel" in p for p in events(out))  # every event has every key


def test_event_ids_are_deterministic():
    _, first_run = replay("01_answered")
    _, second_run = replay("01_answered")
    call_ids = [p["id"] for p in events(first_run) if p["linkedid"]]
    assert call_ids == [p["id"] for p in events(second_run) if p["linkedid"]]
    assert len(set(call_ids)) == len(call_ids)


def test_cdrs_share_the_callers_linkedid():
    _, out = replay("01_answered")
    rows = cdrs(out)
    assert [r["uniqueid"] for r in rows] == [
        "1795651774.3",
        "1795651774.0",
        "1795651774.1",
    ]
    assert {r["linkedid"] for r in rows} == {"1795651774.0"}
    queue_leg = rows[2]
    assert queue_leg["lastapp"] == "Queue"
    assert queue_leg["dstchannel"] == "Local/1001@agents-00000001;1"
    assert queue_leg["userfield"] == "hotline12319;type=normal;prio=0"
    assert queue_leg["duration"] == 5 and queue_leg["billsec"] == 5
    assert queue_leg["start"] == "2026-11-26 00:09:34"


def test_abandoned_calls():
    for name, wait, caller in (
        ("02_abandoned_hangup", 6, "13800138002"),
        ("02b_abandoned_timeout", 8, "13800138003"),
    ):
        _, out = replay(name)
        (hangup,) = events(out, "hangup")
        assert hangup["disposition"] == "abandoned", name
        assert hangup["wait_seconds"] == wait, name
        assert hangup["talk_seconds"] == 0
        assert hangup["caller_number"] == caller
        assert hangup["extension"] == ""
        assert not events(out, "answered") and not events(out, "ringing")
        # the CDR rows say ANSWERED: the hotline answered before queueing
        assert {r["disposition"] for r in cdrs(out)} == {"ANSWERED"}


def test_late_cdr_after_hangup_still_gets_its_linkedid():
    _, out = replay("02b_abandoned_timeout")
    rows = cdrs(out)
    assert rows[-1]["uniqueid"] == "1795651794.0"  # arrives after both Hangups
    assert rows[-1]["linkedid"] == "1795651794.0"


def test_click_to_call_is_outbound_from_the_agent():
    _, out = replay("04_click_to_call")
    ringing, answered, hangup = events(out, "ringing") + events(out, "answered") + events(out, "hangup")
    for payload in (ringing, answered, hangup):
        assert payload["direction"] == "outbound"
        assert payload["extension"] == "1001"
        assert payload["caller_number"] == "1001"
    assert answered["called_number"] == "013800138000"
    assert answered["raw_event"] == "DialEnd"
    assert hangup["disposition"] == "answered"
    assert hangup["recording_file"].startswith("/var/spool/asterisk/monitor/c2c-")
    assert ringing["caller_channel"] == ""  # only the agent's own phone exists yet
    assert answered["caller_channel"] == "Local/13800138000@pstn-out-00000001;1"  # the far end


def test_supervisor_scenario_transfer_and_spy():
    calls, out = replay("05_supervisor")
    hangups = {p["linkedid"]: p for p in events(out, "hangup")}
    caller = hangups["1795651839.0"]
    assert caller["disposition"] == "answered"
    assert caller["agents"] == ["1001", "1003"]  # forced transfer to 1003
    assert caller["extension"] == "1001"
    assert caller["talk_seconds"] == 10  # late AgentComplete without Linkedid
    spy = hangups["1795651841.4"]
    assert spy["direction"] == "internal" and spy["extension"] == "8001"
    assert [p["extension"] for p in events(out, "answered")] == ["1001", "1003"]
    # after the Redirect the caller's channel dials 1003 itself: still the caller's channel
    caller_channels = {p["caller_channel"] for p in events(out, "answered") + events(out, "ringing")}
    assert caller_channels == {"Local/12319@from-pstn-00000000;2"}
    # two CDRs for the caller's queue leg: sequence tells them apart
    queue_leg = [r for r in cdrs(out) if r["uniqueid"] == "1795651839.1"]
    assert [r["sequence"] for r in queue_leg] == [0, 1]
    assert [r["lastapp"] for r in queue_leg] == ["Queue", "Dial"]
    assert not calls.calls


def test_agent_states_from_queue_member_events():
    _, out = replay("05_supervisor")
    states = [(p["extension"], p["state"], p["pause_reason"]) for p in events(out, "agent_state")]
    assert ("1002", "paused", "after-call-work") in states
    assert states.index(("1002", "paused", "after-call-work")) < states.index(("1002", "available", ""))
    assert states[-1] == ("1003", "offline", "")  # QueueRemove = logout
    assert ("1001", "on_call", "") in states


def test_agent_state_mapping():
    assert agent_state(1, False) == "available"
    assert agent_state(1, True) == "paused"
    assert agent_state(2, True) == "on_call"
    assert agent_state(6, False) == "ringing"
    assert agent_state(5, False) == "offline"
    assert agent_state(4, True) == "offline"


def test_resync_finishes_calls_whose_channels_vanished():
    calls = CallTracker(DEFAULT_EXTENSION_PATTERNS)
    stream = list(messages("01_answered"))
    cut = next(i for i, m in enumerate(stream) if m.event == "AgentConnect") + 1
    answered = []
    for message in stream[:cut]:
        if message.event in DISPATCH:
            answered.extend(getattr(calls, DISPATCH[message.event])(message))
    assert "1795651774.0" in calls.calls
    known = calls.known_channels()
    # Asterisk restarted meanwhile: CoreShowChannels lists nothing
    out = calls.resync_channels([], known)
    (hangup,) = events(out, "hangup")
    assert hangup["linkedid"] == "1795651774.0"
    assert hangup["disposition"] == "answered" and hangup["extension"] == "1001"
    assert not calls.calls


def test_resync_adopts_unknown_channels():
    calls = CallTracker(DEFAULT_EXTENSION_PATTERNS)
    entry = Message(
        {
            "Event": "CoreShowChannel",
            "Channel": "PJSIP/trunk-00000007",
            "ChannelStateDesc": "Up",
            "CallerIDNum": "13912345678",
            "CallerIDName": "Li Si",
            "Exten": "12319",
            "Uniqueid": "1795659999.7",
            "Linkedid": "1795659999.7",
            "Duration": "00:01:05",
        }
    )
    assert calls.resync_channels([entry], frozenset()) == []
    call = calls.calls["1795659999.7"]
    assert call.caller_number == "13912345678" and call.called_number == "12319"
    out = calls.hangup(Message({"Event": "Hangup", "Uniqueid": "1795659999.7", "Cause": "16"}))
    (hangup,) = events(out, "hangup")
    assert hangup["disposition"] == "no_answer" and hangup["wait_seconds"] >= 65


# -- production-like channel names (PJSIP phones behind Local/...@agents) ------


def _feed(tracker, *events):
    out = []
    for fields in events:
        message = Message(fields)
        out.extend(getattr(tracker, DISPATCH[message.event])(message))
    return out


def _chan(event, name, uid, lid, **extra):
    return {"Event": event, "Channel": name, "Uniqueid": uid, "Linkedid": lid, **extra}


def _dial(event, src, src_uid, dest, dest_uid, lid, **extra):
    fields = {
        "Event": event,
        "DestChannel": dest,
        "DestUniqueid": dest_uid,
        "DestLinkedid": lid,
    }
    if src:
        fields.update(Channel=src, Uniqueid=src_uid, Linkedid=lid)
    fields.update(extra)
    return fields


def test_queue_call_through_local_to_pjsip_phone_is_reported_once():
    calls = CallTracker(DEFAULT_EXTENSION_PATTERNS)
    trunk, l1, l2, phone = (
        "PJSIP/trunk-00000001",
        "Local/1001@agents-00000002;1",
        "Local/1001@agents-00000002;2",
        "PJSIP/1001-00000003",
    )
    queue = {
        "Queue": "hotline",
        "Interface": "Local/1001@agents/n",
        "MemberName": "Agent 1001",
    }
    out = _feed(
        calls,
        _chan("Newchannel", trunk, "T.1", "T.1", CallerIDNum="13912345678", Exten="12319"),
        _chan("QueueCallerJoin", trunk, "T.1", "T.1", Queue="hotline"),
        _chan("Newchannel", l1, "T.2", "T.1", Exten="1001"),
        _chan("Newchannel", l2, "T.3", "T.1", Exten="1001"),
        _chan(
            "AgentCalled",
            trunk,
            "T.1",
            "T.1",
            DestChannel=l1,
            DestUniqueid="T.2",
            **queue,
        ),
        _dial("DialBegin", trunk, "T.1", l1, "T.2", "T.1"),
        _chan("Newchannel", phone, "T.4", "T.1"),
        _dial("DialBegin", l2, "T.3", phone, "T.4", "T.1"),
        _dial("DialEnd", l2, "T.3", phone, "T.4", "T.1", DialStatus="ANSWER"),
        _dial("DialEnd", trunk, "T.1", l1, "T.2", "T.1", DialStatus="ANSWER"),
        _chan("QueueCallerLeave", trunk, "T.1", "T.1", Queue="hotline"),
        _chan(
            "AgentConnect",
            trunk,
            "T.1",
            "T.1",
            DestChannel=l1,
            DestUniqueid="T.2",
            HoldTime="12",
            **queue,
        ),
        _chan("Hangup", phone, "T.4", "T.1", Cause="16"),
        _chan("Hangup", l2, "T.3", "T.1", Cause="16"),
        _chan("Hangup", l1, "T.2", "T.1", Cause="16"),
        _chan("Hangup", trunk, "T.1", "T.1", Cause="16"),
    )
    assert [p["kind"] for p in events(out)] == ["ringing", "answered", "hangup"]
    hangup = events(out, "hangup")[0]
    assert hangup["direction"] == "inbound" and hangup["caller_number"] == "13912345678"
    assert hangup["wait_seconds"] == 12 and hangup["extension"] == "1001"


def test_click_to_call_to_a_busy_number():
    calls = CallTracker(DEFAULT_EXTENSION_PATTERNS)
    l1, l2, phone, trunk = (
        "Local/1002@agents-00000010;1",
        "Local/1002@agents-00000010;2",
        "PJSIP/1002-00000011",
        "PJSIP/trunk-00000012",
    )
    out = _feed(
        calls,
        _chan("Newchannel", l1, "C.1", "C.1", Exten="1002"),
        _chan("Newchannel", l2, "C.2", "C.1", Exten="1002"),
        _chan("VarSet", l1, "C.1", "C.1", Variable="C2C", Value="1"),
        _chan("VarSet", l1, "C.1", "C.1", Variable="HOTLINE_NUMBER", Value="013900000000"),
        _dial("DialBegin", "", "", l1, "C.1", "C.1"),
        _chan("Newchannel", phone, "C.3", "C.1"),
        _dial("DialBegin", l2, "C.2", phone, "C.3", "C.1"),
        _dial("DialEnd", l2, "C.2", phone, "C.3", "C.1", DialStatus="ANSWER"),
        _dial("DialEnd", "", "", l1, "C.1", "C.1", DialStatus="ANSWER"),
        _chan("Newchannel", trunk, "C.4", "C.1"),
        _dial("DialBegin", l1, "C.1", trunk, "C.4", "C.1", Exten="013900000000"),
        _dial("DialEnd", l1, "C.1", trunk, "C.4", "C.1", DialStatus="BUSY"),
        _chan("Hangup", trunk, "C.4", "C.1", Cause="17"),
        _chan("Hangup", phone, "C.3", "C.1", Cause="16"),
        _chan("Hangup", l2, "C.2", "C.1", Cause="16"),
        _chan("Hangup", l1, "C.1", "C.1", Cause="16"),
    )
    (ringing,) = events(out, "ringing")
    assert ringing["extension"] == "1002" and ringing["called_number"] == "013900000000"
    assert events(out, "answered") == []
    (hangup,) = events(out, "hangup")
    assert hangup["disposition"] == "busy" and hangup["direction"] == "outbound"
    assert hangup["called_number"] == "013900000000" and hangup["extension"] == "1002"


def test_ivr_service_and_inherited_variables():
    calls = CallTracker(DEFAULT_EXTENSION_PATTERNS)
    trunk = "PJSIP/trunk-00000001"
    out = _feed(
        calls,
        _chan("Newchannel", trunk, "S.1", "S.1", CallerIDNum="13912345678", Exten="12319"),
        _chan("VarSet", trunk, "S.1", "S.1", Variable="__HOTLINE_SERVICE", Value="repair"),
        _chan("VarSet", "none", "none", "", Variable="AGENT_TALK", Value="60"),  # global
        _chan("Hangup", trunk, "S.1", "S.1", Cause="16"),
    )
    (hangup,) = events(out, "hangup")
    assert hangup["service"] == "repair"
    assert hangup["disposition"] == "no_answer"  # IVR only: nobody answered
