"""One citizen's call through the real dialplan: IVR choice 2 (complaint) -> queue -> agent 1001.

The operator logs in to the queue from Odoo (bridge -> QueueAdd); the citizen's phone is a Local
channel calling 12319 that presses 2 and talks; the agent's phone a Local channel that answers.
While the call is live the supervisor listens, whispers and barges from Odoo, then hangs it up from
Odoo. Recorded as 08_live_answered.
"""

import csv
import io
import re
import time
import types
import wave

import pytest
from e2e_support import wait_for
from live_odoo import (
    OPERATOR,
    SUPERVISOR,
    WebSession,
    call_cdrs,
    call_events,
    last_bus_id,
    login_demo_users,
    screen_pops,
    user_of,
    wait_call,
)

SCENARIO = "08_live_answered"
CALLER, CALLER_NAME = "13912340001", "Zhang Wei"


def is_event(name, **fields):
    return lambda event: event.get("Event") == name and all(event.get(k) == v for k, v in fields.items())


def newexten(application, context=None):
    return lambda event: (
        event.get("Event") == "Newexten"
        and event.get("Application") == application
        and (context is None or event.get("Context") == context)
    )


@pytest.fixture(scope="module")
def answered(odoo, asterisk, bridge, pbx_record, record):
    login_demo_users(odoo)
    operator = user_of(odoo, OPERATOR)
    partner_id = odoo.call("admin", "res.partner", "create", {"name": "张伟", "phone": CALLER})
    rec = record(SCENARIO)
    # the operator logs in from Odoo: the bridge adds the queue member on the live Asterisk
    odoo.call(OPERATOR, "res.users", "hotline_agent_action", "login")
    members = asterisk.cli("queue show hotline").stdout
    assert "Local/1001@agents/n" in members, members
    # the work number the dialplan announces: AstDB hotline/workno/<ext> = the user's work number
    workno = operator["hotline_work_number"]
    assert rec.action("DBPut", ("Family", "hotline/workno"), ("Key", "1001"), ("Val", workno))["Response"] == "Success"
    bus_before = last_bus_id()

    rec.citizen_call(CALLER, CALLER_NAME, key="2", talk=120)
    connect = rec.wait_event(is_event("AgentConnect"), timeout=40, what="the agent to answer")
    linkedid = connect["Linkedid"]
    live = wait_call(
        odoo,
        pbx_record.id,
        linkedid,
        lambda call: call["state"] == "answered" and call["agent_channel"],
        what="the call answered in Odoo",
        log=bridge.log_tail,
    )
    rec.wait_event(newexten("Bridge", "agent-answered"), timeout=20, what="the announcement to end")
    # the supervisor listens, whispers and barges from Odoo (ChanSpy from the phone 8001)
    for count, mode in enumerate(("listen", "whisper", "barge"), 1):
        rec.note(f"supervisor: {mode} from Odoo")
        odoo.call(SUPERVISOR, "hotline.call", "action_hotline_spy", [live["id"]], mode)
        wait_for(
            lambda count=count: len(rec.find(is_event("ChanSpyStart"))) >= count,
            timeout=20,
            what=f"ChanSpy ({mode})",
        )
    # a few seconds of conversation, then the supervisor's forced hang-up from Odoo
    time.sleep(3)
    rec.note("supervisor: forced hang-up from Odoo")
    odoo.call(SUPERVISOR, "hotline.call", "action_hotline_hangup", [live["id"]])
    rec.wait_idle(30)
    ended = wait_call(
        odoo,
        pbx_record.id,
        linkedid,
        lambda call: call["state"] == "ended",
        what="the call ended in Odoo",
        log=bridge.log_tail,
    )
    odoo.call(OPERATOR, "res.users", "hotline_agent_action", "logout")
    return types.SimpleNamespace(
        rec=rec,
        linkedid=linkedid,
        caller_uniqueid=connect["Uniqueid"],
        live=live,
        call=ended,
        operator=operator,
        partner_id=partner_id,
        bus_before=bus_before,
        workno=workno,
    )


def test_route_lookup_asked_odoo(answered):
    """The dialplan's route lookup reached the real Odoo and got its answer (queue, not reject)."""
    lookups = answered.rec.find(
        lambda e: e.get("Event") == "Newexten" and e.get("AppData", "").startswith(f"route lookup for {CALLER}: ")
    )
    assert lookups, "no route lookup in the dialplan"
    answer = lookups[0]["AppData"]
    assert '"action": "queue"' in answer and '"announce_work_number": true' in answer, answer
    assert f'"partner_id": {answered.partner_id},' in answer, answer


def test_ivr_choice_reaches_queue_with_service(odoo, answered):
    rec = answered.rec
    join = rec.find(is_event("QueueCallerJoin", Queue="hotline"))
    assert len(join) == 1 and join[0]["CallerIDNum"] == CALLER, join
    service = rec.find(lambda e: e.get("Event") == "VarSet" and e.get("Variable", "").lstrip("_") == "HOTLINE_SERVICE")
    assert service and service[0]["Value"] == "complaint", service
    events = call_events(odoo, answered.call["id"])
    payloads = [e["payload"] for e in events if e["kind"] in ("ringing", "answered")]
    assert payloads and all(p.get("service") == "complaint" for p in payloads), payloads
    assert answered.call["queue"] == "hotline"


def test_agent_gets_screen_pop(odoo, answered):
    call = answered.call
    assert call["direction"] == "inbound" and call["disposition"] == "answered", call
    assert call["caller_number"] == CALLER
    assert call["partner_id"] and call["partner_id"][0] == answered.partner_id, call
    assert call["user_id"] and call["user_id"][0] == answered.operator["id"], call
    assert call["extension"] == "1001"
    pops = [
        (channel, payload)
        for channel, payload in screen_pops(answered.bus_before)
        if payload.get("call_id") == call["id"]
    ]
    assert pops, "no hotline/screen_pop notification for the live call"
    channels = {tuple(channel) for channel, _ in pops}
    assert channels == {(odoo.db, "res.partner", answered.operator["partner_id"][0])}, channels
    payload = pops[0][1]
    assert payload["caller_number"] == CALLER
    assert payload["partner_id"] == answered.partner_id
    assert payload["partner_name"] == "张伟"
    assert payload["vip"] is False and payload["blacklisted"] is False


def test_work_number_announced_on_answer(answered):
    """Dial(...,G(agent-answered^1001^1)): the caller's side says the work number, then bridges the agent."""
    rec = answered.rec
    steps = [
        (e["Application"], e.get("AppData", ""))
        for e in rec.find(lambda e: e.get("Event") == "Newexten" and e.get("Context") == "agent-answered")
        if e["Application"] in ("Playback", "SayDigits", "Bridge")
    ]
    assert [app for app, _ in steps] == ["Playback", "SayDigits", "Playback", "Bridge"], steps
    assert steps[0][1] == "hotline/workno-prefix" and steps[2][1] == "hotline/workno-suffix"
    assert steps[1][1] == answered.workno
    # the caller heard it: the channel that said it is the queue's member channel the caller is bridged to
    said = next(e for e in rec.find(newexten("SayDigits", "agent-answered")))
    assert said["Channel"].startswith("Local/1001@agents-") and said["Channel"].endswith(";2"), said
    assert rec.find(is_event("AgentConnect", Queue="hotline", Interface="Local/1001@agents/n"))


def test_recording_plays_from_the_case(odoo, answered, asterisk):
    call = answered.call
    assert call["has_recording"], call
    path = asterisk.monitor_dir / call["recording_file"].rsplit("/", 1)[-1]
    assert path.name.startswith("hotline-") and path.name.endswith(f"-{answered.caller_uniqueid}.wav"), call
    with wave.open(str(path)) as audio:
        seconds = audio.getnframes() / audio.getframerate()
        frames = audio.readframes(audio.getnframes())
    assert seconds >= 2, f"{path}: {seconds:.1f} s"
    assert any(frames[i : i + 2] not in (b"\x00\x00", b"\xff\xff") for i in range(0, len(frames), 2)), "silent"
    # the operator registers a case on the call ("New case" on the caller card); the case's calls
    # list plays the recording through its URL
    context = odoo.call(OPERATOR, "hotline.call", "action_new_case", [call["id"]])["context"]
    defaults = odoo.call(OPERATOR, "hotline.case", "default_get", ["partner_id", "caller_phone"], context=context)
    category = odoo.call(OPERATOR, "hotline.category", "search", [], limit=1)
    vals = dict(defaults, summary="小区路灯不亮 (live test)", **({"category_id": category[0]} if category else {}))
    case_id = odoo.call(OPERATOR, "hotline.case", "create", vals, context=context)
    (case,) = odoo.call(OPERATOR, "hotline.case", "read", [case_id], ["call_ids"])
    assert case["call_ids"] == [call["id"]], case
    (listed,) = odoo.call(OPERATOR, "hotline.call", "read", case["call_ids"], ["recording_url"])
    session = WebSession(odoo, OPERATOR, OPERATOR)
    status, content_type, body = session.get(listed["recording_url"])
    assert status == 200, (status, body[:200])
    assert content_type.startswith("audio/"), content_type
    assert body == path.read_bytes()


def test_supervisor_listen_whisper_barge(answered, asterisk):
    """ChanSpy on the agent's channel from the supervisor's phone: listen hears, whisper also speaks
    to the agent, barge also to the caller (app_chanspy's audiohooks, as its log says)."""
    rec = answered.rec
    starts = rec.find(is_event("ChanSpyStart"))
    assert len(starts) == 3, starts
    agent = answered.live["agent_channel"]
    for start in starts:
        assert start["SpyeeChannel"] == agent, start
        assert start["SpyerChannel"].startswith("Local/8001@supervisors-"), start
    log = asterisk.log_text()
    attached = {
        mode: re.findall(rf"Attaching spy channel {re.escape(start['SpyerChannel'])} to (\S+)", log)
        for mode, start in zip(("listen", "whisper", "barge"), starts, strict=True)
    }
    assert attached["listen"] == [agent], attached
    assert attached["whisper"] == [agent, agent], attached
    assert attached["barge"][:2] == [agent, agent] and len(attached["barge"]) == 3, attached
    assert attached["barge"][2] != agent and attached["barge"][2].startswith("Local/12319@from-trunk-"), attached


def test_forced_hangup_from_odoo(answered):
    """The supervisor's hang-up (Odoo -> bridge -> AMI Hangup) ended the call on the caller's channel."""
    rec = answered.rec
    caller = answered.live["caller_channel"]
    assert caller.startswith("Local/12319@from-trunk-") and caller.endswith(";2"), answered.live
    requests = rec.find(
        lambda e: e.get("Event") == "SoftHangupRequest" and e.get("Channel") == caller and e.get("Cause") == "16"
    )
    assert requests, "the bridge's Hangup did not reach the caller's channel"
    assert answered.call["talk_seconds"] >= 3
    assert answered.call["disposition"] == "answered"


def test_live_cdrs_match_master_csv(odoo, answered, asterisk):
    """The CDRs the bridge delivered (cdr_manager) are the lines Master.csv has for this call."""
    lines = [
        row
        for row in csv.reader(io.StringIO(asterisk.cdr_path.read_text(encoding="utf-8")))
        if row and row[-2] == answered.linkedid
    ]
    cdrs = wait_for(
        lambda: (found := call_cdrs(odoo, answered.call["id"])) and len(found) >= len(lines) and found,
        timeout=20,
        what="the call's CDRs in Odoo",
    )
    assert len(lines) >= 3
    assert sorted((c["uniqueid"], c["sequence"]) for c in cdrs) == sorted((row[16], int(row[-1])) for row in lines)
    by_key = {(c["uniqueid"], c["sequence"]): c for c in cdrs}
    for row in lines:
        cdr = by_key[(row[16], int(row[-1]))]
        assert (cdr["src"], cdr["dst"], cdr["channel"], cdr["lastapp"]) == (row[1], row[2], row[5], row[7]), (cdr, row)
