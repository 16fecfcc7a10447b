"""End to end: replayed AMI transcripts -> bridge -> a fake Odoo over HTTP."""

import aiohttp
from bridge_testlib import (
    HTTP_TOKEN,
    ODOO_TOKEN,
    delivered_hangup,
    run,
    scenario,
    wait_until,
)


def test_answered_call_is_delivered(tmp_path):
    async def main():
        async with scenario(tmp_path, "01_answered") as (server, odoo, bridge):
            await server.wait_done()
            (hangup,) = await delivered_hangup(odoo)
            await wait_until(lambda: len(odoo.cdrs) == 3, what="3 CDRs")
            call_events = [e for e in odoo.events if e["linkedid"] == "1795651774.0"]
            assert [e["kind"] for e in call_events] == ["ringing", "answered", "hangup"]
            ringing, answered, _ = call_events
            assert ringing["extension"] == "1001"
            assert ringing["caller_number"] == "13800138000"
            assert answered["extension"] == "1001" and answered["queue"] == "hotline"
            assert hangup["disposition"] == "answered"
            assert hangup["direction"] == "inbound"
            assert hangup["wait_seconds"] == 1 and hangup["talk_seconds"] == 4
            assert {c["linkedid"] for c in odoo.cdrs} == {"1795651774.0"}
            assert sorted(c["uniqueid"] for c in odoo.cdrs) == [
                "1795651774.0",
                "1795651774.1",
                "1795651774.3",
            ]
            # the contract: every event has these keys
            for event in odoo.events:
                for key in (
                    "id",
                    "kind",
                    "time",
                    "linkedid",
                    "uniqueid",
                    "caller_number",
                    "caller_name",
                    "called_number",
                    "extension",
                    "queue",
                    "direction",
                    "wait_seconds",
                    "talk_seconds",
                    "disposition",
                    "recording_file",
                    "raw_event",
                    "service",
                ):
                    assert key in event, key
            assert all(path.startswith("/hotline/pbx/") for path, _ in odoo.requests)
            assert odoo.unauthorised == 0
            health = await bridge.health()
            assert health["ami_connected"] is True
            assert health["calls_in_progress"] == 0
            await wait_until(lambda: bridge.spool.depth() == 0, what="spool drained")

    run(main())


def test_abandoned_calls_are_delivered(tmp_path):
    async def main():
        for name, wait in (("02_abandoned_hangup", 6), ("02b_abandoned_timeout", 8)):
            async with scenario(tmp_path / name, name) as (server, odoo, _bridge):
                await server.wait_done()
                (hangup,) = await delivered_hangup(odoo)
                assert hangup["disposition"] == "abandoned", name
                assert hangup["wait_seconds"] == wait, name
                assert not odoo.of_kind("answered")
                paused = [e for e in odoo.of_kind("agent_state") if e["state"] == "paused"]
                assert {e["extension"] for e in paused} == {"1001", "1002"}
                assert {e["pause_reason"] for e in paused} == {"meeting"}
                await wait_until(lambda: len(odoo.cdrs) == 2, what="CDRs")

    run(main())


def test_click_to_call_is_delivered_as_outbound(tmp_path):
    async def main():
        async with scenario(tmp_path, "04_click_to_call") as (server, odoo, _bridge):
            await server.wait_done()
            (hangup,) = await delivered_hangup(odoo)
            assert hangup["direction"] == "outbound"
            assert hangup["extension"] == "1001"
            assert hangup["called_number"] == "013800138000"
            assert hangup["disposition"] == "answered"
            (answered,) = odoo.of_kind("answered")
            assert answered["direction"] == "outbound" and answered["extension"] == "1001"
            await wait_until(lambda: len(odoo.cdrs) == 3, what="CDRs")
            assert any(c["userfield"] == "c2c;agent=1001" for c in odoo.cdrs)

    run(main())


async def _post(port, path, body, token=HTTP_TOKEN):
    headers = {"Authorization": f"Bearer {token}"}
    async with (
        aiohttp.ClientSession() as session,
        session.post(f"http://127.0.0.1:{port}{path}", json=body, headers=headers) as resp,
    ):
        return resp.status, await resp.json()


def test_supervisor_scenario_states_and_errors(tmp_path):
    async def main():
        async with scenario(tmp_path, "05_supervisor") as (server, odoo, bridge):
            await server.wait_done()
            await delivered_hangup(odoo, count=2)
            await wait_until(
                lambda: any(e["state"] == "offline" for e in odoo.of_kind("agent_state")),
                what="logout",
            )
            states = [(e["extension"], e["state"]) for e in odoo.of_kind("agent_state")]
            assert ("1002", "paused") in states and ("1002", "available") in states
            assert states.index(("1002", "paused")) < states.index(("1002", "available"))
            pause = next(e for e in odoo.of_kind("agent_state") if e["state"] == "paused")
            assert pause["pause_reason"] == "after-call-work"
            assert ("1003", "offline") in states

            port = bridge.http.port
            status, body = await _post(port, "/hangup", {"channel": "Local/9999@agents-deadbeef;1"})
            assert (status, body) == (502, {"ok": False, "error": "No such channel"})
            status, body = await _post(
                port,
                "/redirect",
                {
                    "channel": "Local/9999@agents-deadbeef;1",
                    "context": "transfer",
                    "exten": "1002",
                    "priority": 1,
                },
            )
            assert status == 502
            assert body["error"] == "Channel does not exist: Local/9999@agents-deadbeef;1"
            status, body = await _post(
                port,
                "/queue/pause",
                {
                    "queue": "hotline",
                    "interface": "Local/1009@agents/n",
                    "paused": True,
                    "reason": "no-such-member",
                },
            )
            assert (status, body["error"]) == (502, "Interface not found")
            # QueueAdd 1003: recorded first success, then "Already there"
            member = {
                "queue": "hotline",
                "interface": "Local/1003@agents/n",
                "member_name": "Agent 1003",
                "penalty": 0,
                "paused": False,
            }
            status, body = await _post(port, "/queue/add", member)
            assert (status, body["ok"], body["message"]) == (
                200,
                True,
                "Added interface to queue",
            )
            status, body = await _post(port, "/queue/add", member)
            assert (status, body["error"]) == (
                502,
                "Unable to add interface: Already there",
            )
            status, body = await _post(
                port,
                "/queue/remove",
                {"queue": "hotline", "interface": "Local/1003@agents/n"},
            )
            assert (status, body["message"]) == (200, "Removed interface from queue")
            status, body = await _post(
                port,
                "/spy",
                {
                    "supervisor_extension": "8001",
                    "target_extension": "1001",
                    "mode": "listen",
                },
            )
            assert status == 200
            (spy,) = server.actions("Originate")
            assert spy["Channel"] == "Local/8001@supervisors"
            assert spy["Application"] == "ChanSpy" and spy["Data"] == "Local/1001@agents,qE"
            assert spy["CallerID"] == '"Supervisor" <8001>'
            assert ODOO_TOKEN not in repr(server.received)  # tokens never reach AMI

    run(main())


def test_failed_originate_is_a_502(tmp_path):
    async def main():
        pbx = {"agent_channel": "Bogus/{extension}"}
        async with scenario(tmp_path, "05_supervisor", pbx=pbx) as (
            server,
            _odoo,
            bridge,
        ):
            await server.wait_done()
            status, body = await _post(
                bridge.http.port,
                "/originate",
                {"extension": "123", "number": "013800138000"},
            )
            assert (status, body) == (502, {"ok": False, "error": "Originate failed"})
            (sent,) = server.actions("Originate")
            assert sent["Channel"] == "Bogus/123"

    run(main())


def test_click_to_call_action_matches_the_recording(tmp_path):
    async def main():
        async with scenario(tmp_path, "04_click_to_call") as (server, _odoo, bridge):
            await server.wait_done()
            status, body = await _post(
                bridge.http.port,
                "/originate",
                {"extension": "1001", "number": "013800138000"},
            )
            assert status == 200 and body["ok"] is True
            assert body["message"] == "Originate successfully queued"
            (sent,) = server.actions("Originate")
            recorded = {
                "Action": "Originate",
                "Channel": "Local/1001@agents",
                "Context": "from-internal",
                "Exten": "013800138000",
                "Priority": "1",
                "CallerID": '"Agent 1001" <1001>',
                "Timeout": "30000",
                "Async": "true",
            }
            for key, val in recorded.items():
                assert sent[key] == val, key
            pairs = next(p for _, p in server.received if ("Action", "Originate") in p)
            variables = [v for k, v in pairs if k == "Variable"]
            assert "C2C=1" in variables and "HOTLINE_NUMBER=013800138000" in variables

    run(main())
