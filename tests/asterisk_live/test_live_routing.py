"""Routing through the real dialplan with Odoo's live route lookup: blacklist, VIP, after hours."""

import time
from datetime import UTC, datetime, timedelta

from e2e_support import wait_for
from live_odoo import find_calls, login_demo_users, wait_call

BLACKLISTED = "13912340002"
NORMAL, VIP = "13912340003", "13912340004"
LATE = "13912340005"


def is_event(name, **fields):
    return lambda event: event.get("Event") == name and all(event.get(k) == v for k, v in fields.items())


def route_lookups(rec, caller):
    prefix = f"route lookup for {caller}: "
    return [
        e["AppData"][len(prefix) :]
        for e in rec.find(lambda e: e.get("Event") == "Newexten" and e.get("AppData", "").startswith(prefix))
    ]


def test_blacklisted_caller_rejected(odoo, asterisk, bridge, pbx_record, record):
    odoo.call(
        "admin",
        "res.partner",
        "create",
        {"name": "刘某", "phone": BLACKLISTED, "hotline_blacklisted": True, "hotline_blacklist_reason": "骚扰电话"},
    )
    rec = record("09_live_blacklist")
    rec.citizen_call(BLACKLISTED, "Liu", key="1", talk=5)
    rec.wait_event(
        lambda e: e.get("Event") == "Hangup" and e.get("CallerIDNum") == BLACKLISTED,
        timeout=20,
        what="the call refused",
    )
    rec.wait_idle(20)
    # the dialplan's side of the call (;2 of Local/12319@from-trunk) hung up with Q.850 21
    (rejected,) = rec.find(
        lambda e: (
            e.get("Event") == "Hangup"
            and e.get("Channel", "").startswith("Local/12319@from-trunk-")
            and e["Channel"].endswith(";2")
        )
    )
    assert rejected["Cause"] == "21", rejected
    (answer,) = route_lookups(rec, BLACKLISTED)
    assert '"action": "reject"' in answer and '"reason": "blacklisted"' in answer, answer
    # refused before answering: no IVR, no queue, no charge
    assert not rec.find(is_event("QueueCallerJoin"))
    assert not rec.find(
        lambda e: (
            e.get("Event") == "Newexten" and e.get("Application") == "Answer" and e.get("Context") == "hotline-ivr"
        )
    )
    assert rec.find(is_event("OriginateResponse", Response="Failure"))


def test_vip_queued_ahead(odoo, asterisk, bridge, pbx_record, record):
    login_demo_users(odoo)
    odoo.call("admin", "res.partner", "create", {"name": "赵敏", "phone": NORMAL})
    vip_id = odoo.call("admin", "res.partner", "create", {"name": "钱主任", "phone": VIP, "hotline_vip": True})
    settings = odoo.call("admin", "res.config.settings", "default_get", ["hotline_vip_priority"])
    rec = record("10_live_vip")
    members = asterisk.cli("queue show hotline").stdout
    assert "Local/" not in members, f"nobody may answer while the two callers queue: {members}"
    rec.citizen_call(NORMAL, "Zhao", key="3", talk=10)
    first = rec.wait_event(is_event("QueueCallerJoin", CallerIDNum=NORMAL), timeout=20, what=f"{NORMAL} queued")
    rec.citizen_call(VIP, "Qian", key="3", talk=8)
    second = rec.wait_event(is_event("QueueCallerJoin", CallerIDNum=VIP), timeout=20, what=f"{VIP} queued")
    rec.wait_idle(40)
    assert first["Position"] == "1"
    assert second["Position"] == "1" and second["Count"] == "2", second  # ahead of the one waiting longer
    (answer,) = route_lookups(rec, VIP)
    priority = settings.get("hotline_vip_priority") or 10
    assert f'"priority": {priority}' in answer and '"vip": true' in answer, answer
    prios = [e["Value"] for e in rec.find(lambda e: e.get("Event") == "VarSet" and e.get("Variable") == "QUEUE_PRIO")]
    assert sorted(prios) == sorted(["0", str(priority)]), prios
    # both gave up waiting: abandoned calls in Odoo, the VIP one with its caller
    vip_join = second["Linkedid"]
    call = wait_call(odoo, pbx_record.id, vip_join, lambda c: c["state"] == "ended", log=bridge.log_tail)
    assert call["disposition"] == "abandoned" and call["partner_id"][0] == vip_id, call
    other = wait_call(odoo, pbx_record.id, first["Linkedid"], lambda c: c["state"] == "ended", log=bridge.log_tail)
    assert other["disposition"] == "abandoned", other


def test_after_hours_voicemail(odoo, asterisk, bridge, pbx_record, record):
    rec = record("11_live_afterhours")
    tomorrow = (datetime.now(UTC) + timedelta(days=1)).strftime("%a").lower()
    # closed today: only tomorrow is an opening day (a global variable of the running dialplan)
    assert rec.action("Setvar", ("Variable", "OPEN_DAYS"), ("Value", tomorrow))["Response"] == "Success"
    inbox = asterisk.voicemail_dir / "12319" / "INBOX"
    before = set(inbox.glob("msg*.txt")) if inbox.exists() else set()
    try:
        rec.citizen_call(LATE, "Sun", key="", talk=6, delay=1)
        rec.wait_idle(40)
    finally:
        rec.action("Setvar", ("Variable", "OPEN_DAYS"), ("Value", "mon-sun"))
    assert rec.find(
        lambda e: (
            e.get("Event") == "Newexten"
            and e.get("Context") == "hotline-afterhours"
            and e.get("Application") == "VoiceMail"
        )
    )
    assert not rec.find(is_event("QueueCallerJoin"))
    messages = wait_for(lambda: set(inbox.glob("msg*.txt")) - before, timeout=10, what="the voicemail message")
    (message,) = messages
    text = message.read_text()
    assert f'callerid="Sun" <{LATE}>' in text or f"<{LATE}>" in text, text
    assert message.with_suffix(".wav").stat().st_size > 8000
    duration = int(next(line.split("=")[1] for line in text.splitlines() if line.startswith("duration=")))
    assert duration >= 2, text
    time.sleep(0.5)
    calls = find_calls(odoo, pbx_record.id, [("caller_number", "=", LATE)])
    assert len(calls) <= 1, calls
