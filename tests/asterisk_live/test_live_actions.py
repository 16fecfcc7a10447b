"""Odoo's actions on live calls: click-to-call, forced transfer, answer on behalf (pickup)."""

import time

from e2e_support import wait_for
from live_odoo import OPERATOR, SUPERVISOR, call_events, find_calls, login_demo_users, user_of, wait_call

CALLEE = "13912340006"
TRANSFERRED, PICKED_UP = "13912340007", "13912340008"


def is_event(name, **fields):
    return lambda event: event.get("Event") == name and all(event.get(k) == v for k, v in fields.items())


def newexten(application, context):
    return lambda e: (
        e.get("Event") == "Newexten" and e.get("Application") == application and e.get("Context") == context
    )


def test_click_to_call(odoo, asterisk, bridge, pbx_record, record):
    login_demo_users(odoo)
    operator = user_of(odoo, OPERATOR)
    rec = record("12_live_click_to_call")
    before = {c["id"] for c in find_calls(odoo, pbx_record.id)}
    answer = odoo.call(OPERATOR, "hotline.call", "action_click_to_call", CALLEE)
    assert "1001" in answer["message"], answer
    # the operator's phone rings and answers, then [outbound] dials the number over the "trunk"
    dial = rec.wait_event(newexten("Dial", "outbound"), timeout=20, what="[outbound] to dial")
    assert dial["AppData"].startswith(f"Local/{CALLEE}@fake-callee,"), dial
    rec.wait_event(
        lambda e: (
            e.get("Event") == "DialEnd"
            and e.get("DialStatus") == "ANSWER"
            and e.get("DestChannel", "").startswith(f"Local/{CALLEE}@fake-callee")
        ),
        timeout=20,
        what="the citizen to answer",
    )

    def live_call():
        calls = [c for c in find_calls(odoo, pbx_record.id) if c["id"] not in before and c["state"] == "answered"]
        return calls[0] if calls else None

    call = wait_for(live_call, timeout=20, what="the click-to-call in Odoo")
    assert call["direction"] == "outbound", call
    assert call["called_number"].endswith(CALLEE), call
    assert call["user_id"] and call["user_id"][0] == operator["id"], call
    time.sleep(2)
    odoo.call(SUPERVISOR, "hotline.call", "action_hotline_hangup", [call["id"]])
    rec.wait_idle(30)
    ended = wait_call(odoo, pbx_record.id, call["linkedid"], lambda c: c["state"] == "ended", log=bridge.log_tail)
    assert ended["disposition"] == "answered", ended
    assert rec.find(lambda e: e.get("Event") == "VarSet" and e.get("Variable") == "C2C" and e.get("Value") == "1")
    recording = next(e for e in rec.find(newexten("MixMonitor", "outbound")))
    name = recording["AppData"].split(",")[0]
    assert (asterisk.monitor_dir / name).stat().st_size > 1000


def test_forced_transfer(odoo, asterisk, bridge, pbx_record, record):
    login_demo_users(odoo)
    rec = record("13_live_transfer")
    odoo.call(OPERATOR, "res.users", "hotline_agent_action", "login")
    try:
        rec.citizen_call(TRANSFERRED, "Zhou", key="3", talk=60)
        connect = rec.wait_event(is_event("AgentConnect"), timeout=40, what="agent 1001 to answer")
        call = wait_call(
            odoo,
            pbx_record.id,
            connect["Linkedid"],
            lambda c: c["state"] == "answered" and c["caller_channel"],
            log=bridge.log_tail,
        )
        rec.wait_event(newexten("Bridge", "agent-answered"), timeout=20, what="the announcement to end")
        rec.note("supervisor: forced transfer to 1002 from Odoo")
        odoo.call(SUPERVISOR, "hotline.call", "action_hotline_transfer", [call["id"]], "1002")
        rec.wait_event(newexten("Dial", "transfer"), timeout=20, what="[transfer] to dial 1002")
        rec.wait_event(
            lambda e: (
                e.get("Event") == "DialEnd"
                and e.get("DialStatus") == "ANSWER"
                and e.get("DestChannel", "").startswith("Local/1002@fake-phone")
            ),
            timeout=20,
            what="1002 to answer",
        )
        # Odoo learns that 1002 has the caller now
        wait_for(
            lambda: [e for e in call_events(odoo, call["id"]) if e["kind"] == "answered" and e["extension"] == "1002"],
            timeout=20,
            what="the call answered at 1002 in Odoo",
        )
        time.sleep(2)
        # still in progress in Odoo (the first agent's leg wrote its CDRs): the supervisor hangs up
        odoo.call(SUPERVISOR, "hotline.call", "action_hotline_hangup", [call["id"]])
        rec.wait_idle(30)
    finally:
        odoo.call(OPERATOR, "res.users", "hotline_agent_action", "logout")
    # the caller's own channel was redirected: it dials 1002 from [transfer]
    redirect = rec.find(newexten("Dial", "transfer"))
    assert redirect and call["caller_channel"] == redirect[0]["Channel"], (redirect, call)
    assert redirect[0]["AppData"].startswith("Local/1002@agents/n,"), redirect
    ended = wait_call(odoo, pbx_record.id, connect["Linkedid"], lambda c: c["state"] == "ended", log=bridge.log_tail)
    assert ended["disposition"] == "answered"


def test_pickup_on_behalf(odoo, asterisk, bridge, pbx_record, record):
    login_demo_users(odoo)
    rec = record("14_live_pickup")
    # agent 1001's phone rings and is never picked up
    rec.action("DBPut", ("Family", "fakephone"), ("Key", "1001"), ("Val", "noanswer"))
    odoo.call(OPERATOR, "res.users", "hotline_agent_action", "login")
    try:
        rec.citizen_call(PICKED_UP, "Wu", key="3", talk=40)
        rec.wait_event(
            lambda e: e.get("Event") == "AgentCalled" and e.get("Interface") == "Local/1001@agents/n",
            timeout=30,
            what="the queue to ring 1001",
        )
        join = rec.wait_event(is_event("QueueCallerJoin", CallerIDNum=PICKED_UP), timeout=5)
        call = wait_call(
            odoo,
            pbx_record.id,
            join["Linkedid"],
            lambda c: c["state"] == "ringing" and c["agent_channel"],
            log=bridge.log_tail,
        )
        rec.note("supervisor: answer on behalf from Odoo")
        odoo.call(SUPERVISOR, "hotline.call", "action_hotline_pickup", [call["id"]])
        pickup = rec.wait_event(is_event("Pickup"), timeout=20, what="the Pickup event")
        answered = wait_call(
            odoo, pbx_record.id, join["Linkedid"], lambda c: c["state"] in ("answered", "ended"), log=bridge.log_tail
        )
        time.sleep(2)
        odoo.call(SUPERVISOR, "hotline.call", "action_hotline_hangup", [call["id"]])
        rec.wait_idle(30)
    finally:
        rec.action("DBDel", ("Family", "fakephone"), ("Key", "1001"))
        odoo.call(OPERATOR, "res.users", "hotline_agent_action", "logout")
    assert pickup["TargetChannel"] == call["agent_channel"], (pickup, call)
    assert pickup["Channel"].startswith("Local/8001@agents-"), pickup
    assert answered["state"] in ("answered", "ended")
