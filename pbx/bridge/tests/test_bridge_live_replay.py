"""The AMI streams of the live suite (tests/asterisk_live, recorded on Asterisk 22.10.1 running
pbx/asterisk with the bridge and Odoo) replayed into the bridge, without Asterisk.

Each scenario's ``.cdr.csv`` is what Asterisk wrote to Master.csv meanwhile: the CDRs the bridge
delivers from the AMI ``Cdr`` events must be the same records.
"""

import csv
import io

import pytest
from bridge_testlib import delivered_hangup, fixture, run, scenario, wait_until

LIVE = [
    "08_live_answered",
    "09_live_blacklist",
    "10_live_vip",
    "11_live_afterhours",
    "12_live_click_to_call",
    "13_live_transfer",
    "14_live_pickup",
]


def master_csv(name):
    text = fixture(f"{name}.cdr.csv").read_text(encoding="utf-8")
    return [row for row in csv.reader(io.StringIO(text)) if row]


def call_of(odoo, caller_number):
    """The events of the call whose first event names ``caller_number``, in order."""
    linkedid = next(e["linkedid"] for e in odoo.events if e.get("caller_number") == caller_number)
    return [e for e in odoo.events if e.get("linkedid") == linkedid]


def replay(tmp_path, name, check, hangups=1):
    async def main():
        async with scenario(tmp_path, name, server_options={"interval": 0.0}) as (server, odoo, bridge):
            await server.wait_done(20)
            await delivered_hangup(odoo, hangups, timeout=15)
            expected = len(master_csv(name))
            await wait_until(lambda: len(odoo.cdrs) >= expected, timeout=10, what=f"{expected} CDRs")
            await wait_until(lambda: bridge.spool.depth() == 0, what="spool drained")
            check(odoo)

    run(main(), timeout=60)


@pytest.mark.parametrize("name", LIVE)
def test_live_cdrs_are_master_csv(tmp_path, name):
    """Master.csv and the live CDR events give the same records (same ids, parties, outcome, times)."""
    rows = master_csv(name)

    def check(odoo):
        delivered = {(c["uniqueid"], int(c["sequence"])): c for c in odoo.cdrs}
        assert sorted(delivered) == sorted((row[16], int(row[-1])) for row in rows)
        for row in rows:
            cdr = delivered[(row[16], int(row[-1]))]
            assert (cdr["src"], cdr["dst"], cdr["channel"], cdr["dstchannel"]) == (row[1], row[2], row[5], row[6])
            assert (cdr["disposition"], int(cdr["billsec"]), cdr["linkedid"]) == (row[14], int(row[13]), row[-2])

    hangups = {"08_live_answered": 4, "10_live_vip": 2, "14_live_pickup": 2}.get(name, 1)
    replay(tmp_path, name, check, hangups)


def test_live_answered_call(tmp_path):
    def check(odoo):
        events = call_of(odoo, "13912340001")
        assert [e["kind"] for e in events] == ["ringing", "answered", "hangup"]
        ringing, answered, hangup = events
        assert ringing["extension"] == answered["extension"] == "1001"
        assert {e["service"] for e in events} == {"complaint"}  # menu key 2
        assert {e["queue"] for e in events} == {"hotline"}
        assert answered["wait_seconds"] == 1
        assert hangup["disposition"] == "answered" and hangup["talk_seconds"] >= 3
        uniqueid = next(row[16] for row in master_csv("08_live_answered") if row[7] == "Queue")
        # MixMonitor's file, named after the caller's channel in the queue
        name = hangup["recording_file"].rsplit("/", 1)[-1]
        assert name.startswith("hotline-") and name.endswith(f"-{uniqueid}.wav"), name
        # listen, whisper, barge: three calls of the supervisor's phone 8001
        spies = [e for e in odoo.of_kind("hangup") if e["extension"] == "8001"]
        assert len(spies) == 3 and {e["direction"] for e in spies} == {"outbound"}, spies
        states = [e["state"] for e in odoo.of_kind("agent_state") if e["extension"] == "1001"]
        assert states == ["available", "on_call", "available", "offline"], states

    replay(tmp_path, "08_live_answered", check, hangups=4)


def test_live_blacklisted_caller(tmp_path):
    def check(odoo):
        events = call_of(odoo, "13912340002")
        assert [e["kind"] for e in events] == ["hangup"]
        assert events[0]["disposition"] == "no_answer" and events[0]["queue"] == ""
        assert not odoo.of_kind("ringing") and not odoo.of_kind("answered")
        assert odoo.cdrs == []  # refused unanswered: no CDR (cdr.conf unanswered = no)

    replay(tmp_path, "09_live_blacklist", check)


def test_live_vip_and_normal_caller_abandoned(tmp_path):
    def check(odoo):
        for number in ("13912340003", "13912340004"):
            (hangup,) = call_of(odoo, number)
            assert hangup["kind"] == "hangup" and hangup["disposition"] == "abandoned", hangup
            assert hangup["queue"] == "hotline" and hangup["service"] == "consult"  # menu key 3

    replay(tmp_path, "10_live_vip", check, hangups=2)


def test_live_after_hours(tmp_path):
    def check(odoo):
        (hangup,) = call_of(odoo, "13912340005")
        assert hangup["disposition"] == "no_answer" and hangup["queue"] == ""
        assert any(row[7] == "VoiceMail" for row in master_csv("11_live_afterhours"))

    replay(tmp_path, "11_live_afterhours", check)


def test_live_click_to_call(tmp_path):
    def check(odoo):
        events = [e for e in odoo.events if e.get("called_number") == "013912340006"]
        assert [e["kind"] for e in events] == ["ringing", "answered", "answered", "hangup"]
        assert {e["direction"] for e in events} == {"outbound"}
        assert {e["extension"] for e in events} == {"1001"}
        assert events[-1]["disposition"] == "answered"
        assert "/c2c-" in events[-1]["recording_file"]

    replay(tmp_path, "12_live_click_to_call", check)


def test_live_forced_transfer(tmp_path):
    def check(odoo):
        events = call_of(odoo, "13912340007")
        assert [(e["kind"], e["extension"]) for e in events[:4]] == [
            ("ringing", "1001"),
            ("answered", "1001"),
            ("ringing", "1002"),
            ("answered", "1002"),
        ]
        assert events[-1]["kind"] == "hangup" and events[-1]["disposition"] == "answered"

    replay(tmp_path, "13_live_transfer", check)


def test_live_pickup(tmp_path):
    def check(odoo):
        events = call_of(odoo, "13912340008")
        assert [e["kind"] for e in events] == ["ringing", "answered", "hangup"]
        assert events[0]["extension"] == "1001"
        assert events[-1]["disposition"] == "answered"
        # the supervisor's phone (8001) took the caller: the answer is the PickupChan Originate's channel
        rows = master_csv("14_live_pickup")
        assert any(row[1:3] == ["13912340008", "8001"] and row[14] == "ANSWERED" for row in rows), rows

    replay(tmp_path, "14_live_pickup", check, hangups=2)
