"""Bad bytes from AMI are logged; the bridge carries on with what follows."""

import logging

from ami_replay import AmiReplayServer
from bridge_testlib import delivered_hangup, fixture, run, scenario, wait_until

GARBAGE = b"this is not an AMI line\r\n\xc3\x28 neither is this\r\n\r\n"
NO_EVENT = b"Privilege: call,all\r\nChannel: Local/nowhere-00000000;1\r\nUniqueid: 1.1\r\n\r\n"
BAD_UTF8 = (
    b"Event: NewCallerid\r\nPrivilege: call,all\r\nChannel: Local/x-0;1\r\n"
    b"CallerIDNum: 1\r\nCallerIDName: \xff\xfe\xfd broken\r\n"
    b"Uniqueid: 9.9\r\nLinkedid: 9.9\r\n\r\n"
)
BAD_NUMBERS = (
    b"Event: QueueMemberStatus\r\nQueue: hotline\r\nInterface: Local/1009@agents/n\r\n"
    b"MemberName: Agent 1009\r\nStatus: not-a-number\r\nPaused: 0\r\n\r\n"
    b"Event: Cdr\r\nUniqueID: 7.7\r\nDuration: abc\r\nBillableSeconds: \r\n\r\n"
    b"Event: Hangup\r\nChannel: Local/ghost-0;1\r\n\r\n"
)
TRUNCATED = b"Event: Hangup\r\nPrivilege: call,all\r\nChannel: Local/1001@age"


def test_garbage_is_logged_and_later_events_still_delivered(tmp_path, caplog):
    probe = AmiReplayServer(fixture("01_answered.events.raw"))
    connect_at = next(i for i, m in enumerate(probe.stream) if b"Event: AgentConnect" in m)
    options = {
        "inject": {
            3: GARBAGE,
            10: NO_EVENT,
            20: BAD_UTF8,
            40: BAD_NUMBERS,
            connect_at: GARBAGE,
        },
        "trailer": TRUNCATED,
    }

    async def main():
        async with scenario(tmp_path, "01_answered", server_options=options) as (
            server,
            odoo,
            bridge,
        ):
            await server.wait_done()
            (hangup,) = await delivered_hangup(odoo)
            assert hangup["disposition"] == "answered" and hangup["extension"] == "1001"
            await wait_until(
                lambda: any(c["uniqueid"] == "7.7" for c in odoo.cdrs),
                what="odd CDR delivered",
            )
            odd = next(c for c in odoo.cdrs if c["uniqueid"] == "7.7")
            assert odd["duration"] == 0 and odd["billsec"] == 0
            states = [e for e in odoo.of_kind("agent_state") if e["extension"] == "1009"]
            assert states and states[0]["state"] == "available"
            assert bridge.ami.connected  # the truncated tail did not break anything
            assert bridge.calls.calls == {}  # stray channel events left no phantom call

    with caplog.at_level(logging.WARNING, logger="hotline_pbx_bridge"):
        run(main())
    text = "\n".join(r.getMessage() for r in caplog.records)
    assert "without Event or Response ignored" in text
    assert "not UTF-8" in text


def test_a_failing_handler_does_not_stop_the_others(tmp_path, caplog):
    async def main():
        async with scenario(tmp_path, "01_answered", server_options={"hold": True}) as (
            server,
            odoo,
            bridge,
        ):
            calls = {"n": 0}

            async def explode(manager, event):
                calls["n"] += 1
                raise RuntimeError("handler bug")

            def explode_sync(manager, event):
                raise ValueError("sync handler bug")

            bridge.ami.register_event("Newstate", explode)
            bridge.ami.register_event("Newexten", explode_sync)
            server.release()
            await server.wait_done()
            (hangup,) = await delivered_hangup(odoo)
            assert hangup["disposition"] == "answered"
            assert calls["n"] == 4

    with caplog.at_level(logging.ERROR, logger="hotline_pbx_bridge"):
        run(main())
    assert any("handler" in r.getMessage() for r in caplog.records)
