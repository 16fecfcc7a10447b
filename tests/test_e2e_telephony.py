"""End to end: a real Asterisk recording replayed over AMI -> the bridge process -> Odoo.

Each test has a PBX record of its own (fixture ``e2e_pbx``), so the recorded linkedids never
collide with earlier runs; the bridge runs as ``python -m hotline_pbx_bridge --config FILE``
with the config written in tmp_path.
"""

import json
import os
import sqlite3
from urllib.parse import urlsplit

import pytest
from e2e_support import FlakyProxy, sql, wait_for

TEST_DB = os.environ.get("HOTLINE_TEST_DB")

ANSWERED = "1795651774.0"  # 01_answered: Zhang San 13800138000 -> queue hotline -> agent 1001
ANSWERED_UNIQUEIDS = {"1795651774.0", "1795651774.1", "1795651774.2", "1795651774.3"}
CALL_FIELDS = [
    "linkedid",
    "state",
    "direction",
    "disposition",
    "caller_number",
    "caller_name",
    "called_number",
    "queue",
    "partner_id",
    "user_id",
    "extension",
    "start_time",
    "answer_time",
    "end_time",
    "wait_seconds",
    "talk_seconds",
    "recording_file",
    "case_id",
]
CDR_FIELDS = ["uniqueid", "sequence", "linkedid", "src", "dst", "channel", "dstchannel", "lastapp", "disposition"]
SCREEN_POP_KEYS = {
    "call_uniqueid",
    "caller_number",
    "partner_id",
    "partner_name",
    "vip",
    "blacklisted",
    "open_case_ids",
}


# -- helpers -------------------------------------------------------------------------------


def find_call(odoo, pbx_id, linkedid):
    calls = odoo.call(
        "admin",
        "hotline.call",
        "search_read",
        [("pbx_id", "=", pbx_id), ("linkedid", "=", linkedid)],
        fields=CALL_FIELDS,
    )
    assert len(calls) <= 1, calls
    return calls[0] if calls else None


def call_cdrs(odoo, call_id):
    return odoo.call("admin", "hotline.call.cdr", "search_read", [("call_id", "=", call_id)], fields=CDR_FIELDS)


def wait_for_ended_call(odoo, pbx_id, linkedid, cdr_count, bridge, timeout=40):
    """The call once its hangup event and its ``cdr_count`` CDRs are in Odoo.

    (CDRs alone already mark a call ended: the hangup event comes after the last Cdr.)
    """

    def ended():
        call = find_call(odoo, pbx_id, linkedid)
        if not call or not odoo.call(
            "admin", "hotline.call.event", "search_count", [("call_id", "=", call["id"]), ("kind", "=", "hangup")]
        ):
            return None
        call = find_call(odoo, pbx_id, linkedid)  # read again: after the hangup's transaction
        if call["state"] != "ended" or len(call_cdrs(odoo, call["id"])) != cdr_count:
            return None
        return call

    try:
        return wait_for(ended, timeout=timeout, interval=0.3, what=f"call {linkedid} ended with {cdr_count} CDRs")
    except AssertionError as exc:
        raise AssertionError(f"{exc}\n--- bridge log ---\n{bridge.log_tail()}") from None


def wait_for_empty_spool(bridge, timeout=20):
    health = wait_for(
        lambda: (h := bridge.health(quiet=True)) and h["spool_depth"] == 0 and h,
        timeout=timeout,
        interval=0.2,
        what="the bridge's spool to drain",
    )
    assert health["dead_letters"] == 0, health
    return health


def last_bus_id():
    return int(sql("SELECT COALESCE(MAX(id), 0) FROM bus_bus")[0][0])


def screen_pops(after_id, call_id):
    """``[(channel, payload)]`` of the hotline/screen_pop notifications of ``call_id`` since ``after_id``."""
    rows = sql(
        "SELECT channel, message FROM bus_bus WHERE id > %s AND message LIKE %s ORDER BY id",
        after_id,
        "%hotline/screen_pop%",
    )
    pops = []
    for channel, message in rows:
        message = json.loads(message)
        if message.get("type") == "hotline/screen_pop" and message["payload"].get("call_id") == call_id:
            pops.append((json.loads(channel), message["payload"]))
    return pops


def spool_items(path):
    """``[(kind, item_id)]`` waiting in a bridge's SQLite spool (read while the bridge runs: WAL)."""
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5) as db:
        return db.execute("SELECT kind, item_id FROM outbox ORDER BY seq").fetchall()


def assert_answered_call(odoo, call, agent):
    assert call["linkedid"] == ANSWERED
    assert call["direction"] == "inbound"
    assert call["disposition"] == "answered"
    assert call["caller_number"] == "13800138000"
    assert call["called_number"] == "12319"
    assert call["queue"] == "hotline"
    assert call["user_id"] and call["user_id"][0] == agent["id"], call["user_id"]
    assert call["extension"] == "1001"
    # AgentConnect HoldTime: 1, AgentComplete TalkTime: 4
    assert call["wait_seconds"] == 1
    assert call["talk_seconds"] == 4
    # the replayed events carry no Timestamp (times = when the bridge got them) while the CDRs keep
    # the recorded times: start_time is the earliest of both, answer and end come from the events
    assert call["start_time"] and call["answer_time"] and call["end_time"]
    assert call["start_time"] <= call["answer_time"] <= call["end_time"]
    assert call["recording_file"].endswith("hotline-20261126-000934-1795651774.1.wav")
    # the caller is the demo partner whose mobile is 13800138000 (张三)
    assert call["partner_id"], "the caller was not recognised from 13800138000"
    partner = odoo.call("admin", "res.partner", "read", [call["partner_id"][0]], ["phone", "mobile"])[0]
    assert "13800138000" in f"{partner['phone']} {partner['mobile']}".replace(" ", "")


def assert_answered_cdrs(odoo, call):
    cdrs = call_cdrs(odoo, call["id"])
    assert len(cdrs) == 3, cdrs
    by_uniqueid = {cdr["uniqueid"]: cdr for cdr in cdrs}
    # caller leg, queue leg, agent leg: one logical call
    assert set(by_uniqueid) == {"1795651774.0", "1795651774.1", "1795651774.3"}
    assert {cdr["linkedid"] for cdr in cdrs} == {ANSWERED}
    assert {cdr["disposition"] for cdr in cdrs} == {"ANSWERED"}
    assert all(cdr["sequence"] == 0 for cdr in cdrs)
    assert by_uniqueid["1795651774.1"]["lastapp"] == "Queue"
    assert by_uniqueid["1795651774.1"]["dstchannel"] == "Local/1001@agents-00000001;1"
    assert by_uniqueid["1795651774.3"]["dst"] == "1001"
    return cdrs


# -- tests ---------------------------------------------------------------------------------


def test_answered_call_screen_pop_cdrs_and_case(odoo, e2e_pbx, agent_1001, ami_replay, bridge_process):
    """01_answered: the call, the caller card sent to agent 1001, its 3 CDRs and the case taken on it."""
    bus_before = last_bus_id()
    replay = ami_replay("01_answered")
    bridge = bridge_process(ami_port=replay.port, odoo_url=odoo.url, odoo_token=e2e_pbx.token)
    replay.wait_done(20)

    call = wait_for_ended_call(odoo, e2e_pbx.id, ANSWERED, 3, bridge)
    assert_answered_call(odoo, call, agent_1001)
    assert_answered_cdrs(odoo, call)
    # the CDRs completed the call of the events: no second call for this PBX
    assert odoo.call("admin", "hotline.call", "search_count", [("pbx_id", "=", e2e_pbx.id)]) == 1
    health = wait_for_empty_spool(bridge)
    assert health["ami_connected"] and health["calls_in_progress"] == 0, health

    # screen pop: a bus notification to agent 1001's partner, committed in bus_bus
    pops = screen_pops(bus_before, call["id"])
    assert pops, "no hotline/screen_pop notification for the call"
    channels = {tuple(channel) for channel, _payload in pops}
    assert channels == {(TEST_DB, "res.partner", agent_1001["partner_id"])}, channels
    states = [payload.get("state") for _channel, payload in pops]
    assert "ringing" in states and "answered" in states, states
    assert states.index("ringing") < states.index("answered"), states
    ringing = pops[states.index("ringing")][1]
    assert SCREEN_POP_KEYS <= set(ringing), SCREEN_POP_KEYS - set(ringing)
    assert ringing["call_uniqueid"] in ANSWERED_UNIQUEIDS
    assert ringing["caller_number"] == "13800138000"
    assert ringing["partner_id"] == call["partner_id"][0]
    assert ringing["partner_name"] == call["partner_id"][1]
    partner = odoo.call(
        "admin", "res.partner", "read", [call["partner_id"][0]], ["hotline_vip", "hotline_blacklist_active"]
    )[0]
    assert ringing["vip"] is bool(partner["hotline_vip"])
    assert ringing["blacklisted"] is bool(partner["hotline_blacklist_active"])
    assert isinstance(ringing["open_case_ids"], list)
    if ringing["open_case_ids"]:  # the caller's open cases, as the operator may see them
        cases = odoo.call(
            agent_1001["login"], "hotline.case", "read", ringing["open_case_ids"], ["partner_id", "caller_phone"]
        )
        assert len(cases) == len(ringing["open_case_ids"])
        for case in cases:
            assert (case["partner_id"] and case["partner_id"][0] == ringing["partner_id"]) or "13800138000" in (
                case["caller_phone"] or ""
            ), case

    # "New case" on the caller card: the operator registers a case linked to the call
    operator = agent_1001["login"]
    action = odoo.call(operator, "hotline.call", "action_new_case", [call["id"]])
    context = action["context"]
    assert action["res_model"] == "hotline.case"
    assert context["hotline_call_id"] == call["id"]
    assert context.get("default_partner_id") == call["partner_id"][0]
    defaults = odoo.call(
        operator, "hotline.case", "default_get", ["partner_id", "caller_phone", "source"], context=context
    )
    assert defaults.get("partner_id") == call["partner_id"][0]
    assert "13800138000" in (defaults.get("caller_phone") or "")
    categories = odoo.call(operator, "hotline.category", "search", [], limit=1)
    vals = dict(defaults, summary="E2E: 小区停水 (water cut)")
    if categories:
        vals["category_id"] = categories[0]
    saved = odoo.call(
        operator,
        "hotline.case",
        "web_save",
        [],
        vals,
        specification={"name": {}, "partner_id": {"fields": {}}, "call_ids": {"fields": {"linkedid": {}}}},
        context=context,
    )
    case = saved[0]
    assert [c["linkedid"] for c in case["call_ids"]] == [ANSWERED]
    linked = find_call(odoo, e2e_pbx.id, ANSWERED)
    assert linked["case_id"] and linked["case_id"][0] == case["id"]
    assert odoo.call("admin", "hotline.case", "read", [case["id"]], ["call_count"])[0]["call_count"] == 1


@pytest.mark.parametrize(
    ("scenario", "linkedid", "caller", "hold_time"),
    [
        ("02_abandoned_hangup", "1795651783.0", "13800138002", 6),
        ("02b_abandoned_timeout", "1795651794.0", "13800138003", 8),
    ],
)
def test_abandoned_call(odoo, e2e_pbx, ami_replay, bridge_process, scenario, linkedid, caller, hold_time):
    """The caller leaves the queue before an agent answers: abandoned, although the CDRs say ANSWERED."""
    bus_before = last_bus_id()
    replay = ami_replay(scenario)
    bridge = bridge_process(ami_port=replay.port, odoo_url=odoo.url, odoo_token=e2e_pbx.token)
    replay.wait_done(20)

    call = wait_for_ended_call(odoo, e2e_pbx.id, linkedid, 2, bridge)
    assert call["direction"] == "inbound"
    assert call["disposition"] == "abandoned"
    assert call["caller_number"] == caller
    assert call["queue"] == "hotline"
    assert call["user_id"] is False
    assert call["answer_time"] is False
    assert call["wait_seconds"] == hold_time  # QueueCallerAbandon HoldTime
    assert call["talk_seconds"] == 0
    cdrs = call_cdrs(odoo, call["id"])
    assert {cdr["disposition"] for cdr in cdrs} == {"ANSWERED"}
    assert {cdr["linkedid"] for cdr in cdrs} == {linkedid}
    assert odoo.call("admin", "hotline.call", "search_count", [("pbx_id", "=", e2e_pbx.id)]) == 1
    wait_for_empty_spool(bridge)
    # no agent's phone rang: no caller card
    assert screen_pops(bus_before, call["id"]) == []


def test_odoo_down_nothing_lost(odoo, e2e_pbx, agent_1001, loop_thread, ami_replay, bridge_process, tmp_path):
    """Odoo unreachable (refused, then 503) while the call happens, the bridge restarted meanwhile:
    once Odoo answers again every spooled event and CDR arrives, in order, exactly once."""
    proxy = FlakyProxy(loop_thread, upstream_port=urlsplit(odoo.url).port)  # closed: connection refused
    try:
        replay = ami_replay("01_answered")
        spool = tmp_path / "spool" / "bridge.sqlite3"
        bridge = bridge_process(ami_port=replay.port, odoo_url=proxy.url, odoo_token=e2e_pbx.token, spool=spool)
        replay.wait_done(20)

        def all_spooled():
            health = bridge.health(quiet=True)
            if not health or health["calls_in_progress"] or not health["spool_depth"] or not health["odoo_error"]:
                return None
            items = spool_items(spool)
            kinds = [kind for kind, _item_id in items]
            return (
                items
                if kinds.count("cdr") == 3 and any(i.endswith(":hangup:" + ANSWERED + ":0") for _k, i in items)
                else None
            )

        items = wait_for(all_spooled, timeout=20, what="the whole call in the spool while Odoo is down")
        assert find_call(odoo, e2e_pbx.id, ANSWERED) is None

        # the bridge restarts while Odoo is still down: the spool survives
        assert bridge.stop() == 0
        bridge = bridge_process(
            name="bridge-restarted", ami_port=replay.port, odoo_url=proxy.url, odoo_token=e2e_pbx.token, spool=spool
        )
        kept = [item for item in spool_items(spool) if item in set(items)]
        assert kept == items, "the restart lost or reordered spooled items"

        proxy.set_mode("error")  # Odoo "up" but answering 503: still nothing may leave the spool
        wait_for(lambda: proxy.counts["error"] >= 2, timeout=15, what="the bridge to retry against a 503")
        assert find_call(odoo, e2e_pbx.id, ANSWERED) is None
        assert {item for item in items} <= set(spool_items(spool))

        proxy.set_mode("forward")
        call = wait_for_ended_call(odoo, e2e_pbx.id, ANSWERED, 3, bridge)
        wait_for_empty_spool(bridge)
    finally:
        proxy.stop()

    assert_answered_call(odoo, call, agent_1001)
    assert_answered_cdrs(odoo, call)
    # every spooled event reached Odoo once (the event ids are Odoo's idempotency keys)
    sent_events = {item_id for kind, item_id in items if kind == "event"}
    received = odoo.call(
        "admin", "hotline.call.event", "search_read", [("pbx_id", "=", e2e_pbx.id)], fields=["event_id", "kind"]
    )
    received_ids = [event["event_id"] for event in received]
    assert len(received_ids) == len(set(received_ids))
    assert sent_events <= set(received_ids), sent_events - set(received_ids)
    assert {"ringing", "answered", "hangup"} <= {event["kind"] for event in received}
    assert odoo.call("admin", "hotline.call", "search_count", [("pbx_id", "=", e2e_pbx.id)]) == 1


def test_lost_acknowledgement_redelivery_is_idempotent(odoo, e2e_pbx, loop_thread, ami_replay, bridge_process):
    """Odoo stores a batch but its answer never reaches the bridge (twice): the bridge sends the same
    items again and Odoo acknowledges them without storing anything twice."""
    proxy = FlakyProxy(loop_thread, upstream_port=urlsplit(odoo.url).port)
    proxy.set_mode("swallow", limit=2)
    try:
        replay = ami_replay("01_answered")
        bridge = bridge_process(ami_port=replay.port, odoo_url=proxy.url, odoo_token=e2e_pbx.token)
        replay.wait_done(20)
        call = wait_for_ended_call(odoo, e2e_pbx.id, ANSWERED, 3, bridge)
        wait_for_empty_spool(bridge)
    finally:
        proxy.stop()
    assert proxy.counts["swallow"] == 2
    assert call["disposition"] == "answered" and call["wait_seconds"] == 1 and call["talk_seconds"] == 4
    events = odoo.call("admin", "hotline.call.event", "search_read", [("call_id", "=", call["id"])], fields=["kind"])
    assert sorted(event["kind"] for event in events) == ["answered", "hangup", "ringing"]
    assert len(call_cdrs(odoo, call["id"])) == 3
    assert odoo.call("admin", "hotline.call", "search_count", [("pbx_id", "=", e2e_pbx.id)]) == 1
