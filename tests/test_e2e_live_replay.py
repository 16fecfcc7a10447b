"""End to end without Asterisk: the live suite's recordings (tests/asterisk_live, Asterisk 22.10.1
running pbx/asterisk) replayed over AMI -> the bridge process -> Odoo.

The calls the bridge delivers from the live AMI stream and the Master.csv Asterisk wrote meanwhile
(``<scenario>.cdr.csv``) must give the same calls and CDRs in Odoo.
"""

import base64
import csv
import io

import pytest
from e2e_support import FIXTURES, wait_for
from test_e2e_telephony import last_bus_id, screen_pops

CALL_FIELDS = ["linkedid", "state", "direction", "disposition", "caller_number", "user_id", "extension", "queue"]


def master_csv(scenario):
    text = (FIXTURES / f"{scenario}.cdr.csv").read_text(encoding="utf-8")
    return [row for row in csv.reader(io.StringIO(text)) if row]


def replay_into_odoo(odoo, pbx, ami_replay, bridge_process, scenario):
    """Replay ``scenario``; every CDR of its Master.csv delivered and every call ended. Its calls by linkedid."""
    rows = master_csv(scenario)
    replay = ami_replay(scenario)
    bridge = bridge_process(ami_port=replay.port, odoo_url=odoo.url, odoo_token=pbx.token)
    replay.wait_done(30)
    linkedids = {row[-2] for row in rows}

    def delivered():
        calls = odoo.call(
            "admin",
            "hotline.call",
            "search_read",
            [("pbx_id", "=", pbx.id), ("linkedid", "in", list(linkedids))],
            fields=[*CALL_FIELDS, "cdr_count"],
        )
        done = len(calls) == len(linkedids) and all(c["state"] == "ended" for c in calls)
        done = done and sum(c["cdr_count"] for c in calls) == len(rows)
        return {c["linkedid"]: c for c in calls} if done else None

    try:
        return wait_for(delivered, timeout=40, interval=0.5, what=f"{scenario}: every call ended with its CDRs")
    except AssertionError as exc:
        raise AssertionError(f"{exc}\n--- bridge log ---\n{bridge.log_tail()}") from None


def import_master_csv(odoo, pbx, scenario):
    wizard = odoo.call(
        "admin",
        "hotline.cdr.import",
        "create",
        {
            "pbx_id": pbx.id,
            "file": base64.b64encode((FIXTURES / f"{scenario}.cdr.csv").read_bytes()).decode(),
            "filename": f"{scenario}.cdr.csv",
        },
    )
    odoo.call("admin", "hotline.cdr.import", "action_import", [wizard])
    return odoo.call(
        "admin",
        "hotline.cdr.import",
        "read",
        [wizard],
        ["line_count", "created_count", "duplicate_count", "rejected_count", "rejected_lines"],
    )[0]


def test_live_answered_call_screen_pop(odoo, e2e_pbx, agent_1001, ami_replay, bridge_process):
    """08_live_answered: the caller known in Odoo, menu key 2, agent 1001 answers: caller card on the bus."""
    partner_id = odoo.call("admin", "res.partner", "create", {"name": "张伟", "phone": "13912340001"})
    bus_before = last_bus_id()
    calls = replay_into_odoo(odoo, e2e_pbx, ami_replay, bridge_process, "08_live_answered")
    (call,) = [c for c in calls.values() if c["queue"] == "hotline"]
    assert call["direction"] == "inbound" and call["disposition"] == "answered", call
    assert call["caller_number"] == "13912340001"
    assert call["user_id"] and call["user_id"][0] == agent_1001["id"], call
    pops = screen_pops(bus_before, call["id"])
    assert pops, "no hotline/screen_pop for the live call"
    assert {tuple(channel) for channel, _ in pops} == {(odoo.db, "res.partner", agent_1001["partner_id"])}
    assert {payload["partner_id"] for _, payload in pops} == {partner_id}
    events = odoo.call(
        "admin", "hotline.call.event", "search_read", [("call_id", "=", call["id"])], fields=["kind", "payload"]
    )
    assert {e["payload"].get("service") for e in events if e["kind"] in ("ringing", "answered")} == {"complaint"}


@pytest.mark.parametrize("scenario", ["08_live_answered", "13_live_transfer", "14_live_pickup"])
def test_live_master_csv_matches_live_cdrs(odoo, e2e_pbx, ami_replay, bridge_process, scenario):
    """Importing the Master.csv of the live run after its live CDRs creates nothing and rejects nothing."""
    calls = replay_into_odoo(odoo, e2e_pbx, ami_replay, bridge_process, scenario)
    count = odoo.call("admin", "hotline.call", "search_count", [("pbx_id", "=", e2e_pbx.id)])
    result = import_master_csv(odoo, e2e_pbx, scenario)
    rows = len(master_csv(scenario))
    assert result["rejected_count"] == 0, result["rejected_lines"]
    assert (result["line_count"], result["created_count"], result["duplicate_count"]) == (rows, 0, rows)
    assert odoo.call("admin", "hotline.call", "search_count", [("pbx_id", "=", e2e_pbx.id)]) == count
    assert len(calls) == len({row[-2] for row in master_csv(scenario)})


def agent_ids(odoo):
    users = odoo.call(
        "admin",
        "res.users",
        "search_read",
        [("hotline_extension", "in", ["1001", "1002", "8001"]), ("hotline_pbx_id", "=", False)],
        fields=["hotline_extension"],
    )
    return {user["hotline_extension"]: user["id"] for user in users}


@pytest.mark.parametrize(
    ("scenario", "linkedid", "extension", "sessions"),
    [
        ("13_live_transfer", "1796030101.10", "1002", 0),  # 1001 answered, then transferred to 1002
        ("14_live_pickup", "1796030130.32", "8001", 1),  # rang at 1001, picked up by the supervisor
        ("08_live_answered", "1796030139.48", "1001", 3),  # listened to, whispered to, barged into
    ],
)
def test_live_agent_and_monitoring_sessions(
    odoo, e2e_pbx, ami_replay, bridge_process, scenario, linkedid, extension, sessions
):
    """The call is credited to the agent who took it last; the supervisor's ChanSpy / PickupChan
    sessions are monitoring sessions, not calls of the hotline."""
    calls = replay_into_odoo(odoo, e2e_pbx, ami_replay, bridge_process, scenario)
    ids = [call["id"] for call in calls.values()]
    read = odoo.call("admin", "hotline.call", "read", ids, ["linkedid", "user_id", "extension", "monitoring"])
    call = next(c for c in read if c["linkedid"] == linkedid)
    assert (call["extension"], call["user_id"] and call["user_id"][0]) == (extension, agent_ids(odoo)[extension]), call
    assert not call["monitoring"]
    assert sum(c["monitoring"] for c in read) == sessions, read
    assert len(read) == sessions + 1, read
