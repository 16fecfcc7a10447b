"""AMI connection life: drop and reconnect with resync, refused login."""

import asyncio
import logging

from ami_replay import AmiReplayServer
from bridge_testlib import (
    FakeOdoo,
    delivered_hangup,
    fixture,
    make_config,
    run,
    running_bridge,
    scenario,
    wait_until,
)


def _index_of(server, marker):
    return next(i for i, m in enumerate(server.stream) if marker in m)


def test_reconnect_mid_call_resyncs_and_the_call_completes(tmp_path):
    async def main():
        probe = AmiReplayServer(fixture("01_answered.events.raw"))
        # drop the socket while the caller talks to agent 1001
        cut = _index_of(probe, b"Event: BridgeEnter") + 1
        options = {"drop_after": cut}
        async with scenario(tmp_path, "01_answered", server_options=options) as (
            server,
            odoo,
            bridge,
        ):
            await server.wait_done()
            (hangup,) = await delivered_hangup(odoo)
            assert server.connections == 2 and server.logins == 2
            second = server.actions(connection=2)
            names = [a["Action"] for a in second]
            assert names[:3] == ["Login", "CoreShowChannels", "QueueStatus"]
            assert hangup["disposition"] == "answered"
            assert hangup["extension"] == "1001"
            assert hangup["talk_seconds"] == 4
            kinds = [e["kind"] for e in odoo.events if e["linkedid"] == "1795651774.0"]
            assert kinds == ["ringing", "answered", "hangup"]  # nothing doubled
            assert bridge.ami.connected and bridge.ami.logins == 2

    run(main())


def test_events_lost_during_the_outage_are_reconciled(tmp_path):
    async def main():
        probe = AmiReplayServer(fixture("01_answered.events.raw"))
        cut = _index_of(probe, b"Event: BridgeEnter") + 1
        rest = len(probe.stream) - cut
        # the call ends while the bridge is away: every later event is lost
        options = {"drop_after": cut, "lost": rest}
        async with scenario(tmp_path, "01_answered", server_options=options) as (
            server,
            odoo,
            bridge,
        ):
            (hangup,) = await delivered_hangup(odoo)
            assert server.logins == 2
            assert hangup["raw_event"] == "CoreShowChannels"  # found by the resync
            assert hangup["disposition"] == "answered" and hangup["extension"] == "1001"
            assert bridge.calls.calls == {}

    run(main())


def test_backoff_grows_between_attempts(tmp_path):
    async def main():
        server = AmiReplayServer(fixture("05_supervisor.events.raw"), reject_login=True)
        port = await server.start()
        odoo = await FakeOdoo().start()
        config = make_config(tmp_path, port, odoo.url, ami={"reconnect_min": 0.1, "reconnect_max": 0.4})
        try:
            async with running_bridge(config):
                await wait_until(lambda: server.login_attempts >= 5, what="5 attempts")
        finally:
            await server.stop()
            await odoo.stop()
        times = server.login_times
        return [times[i + 1] - times[i] for i in range(len(times) - 1)]

    gaps = run(main())
    # waits of 0.1, 0.2, 0.4, 0.4 s (+ the time an attempt takes)
    assert gaps[0] >= 0.1
    assert gaps[1] > gaps[0] and gaps[2] > gaps[0] * 1.5
    assert gaps[3] < 0.4 * 3  # capped by reconnect_max


def test_bad_login_is_logged_and_retried_without_crashing(tmp_path, caplog):
    async def main():
        server = AmiReplayServer(fixture("05_supervisor.events.raw"), secret="hotline")
        port = await server.start()
        odoo = await FakeOdoo().start()
        config = make_config(tmp_path, port, odoo.url, ami={"secret": "wrong-secret"})
        try:
            async with running_bridge(config) as bridge:
                await wait_until(lambda: server.login_attempts >= 2, what="a retry")
                health = await bridge.health()
                assert health["ami_connected"] is False
                assert "Authentication failed" in health["ami_error"]
                assert server.logins == 0 and not server.done.is_set()
                assert all(a["Action"] == "Login" for a in server.actions())
                assert bridge.ami.connected is False
                for task in bridge._tasks:
                    assert not task.done()  # still running
        finally:
            await server.stop()
            await odoo.stop()

    with caplog.at_level(logging.ERROR, logger="hotline_pbx_bridge"):
        run(main())
    refused = [r for r in caplog.records if "refused: Authentication failed" in r.getMessage()]
    assert refused and refused[0].levelno == logging.ERROR
    assert "username and secret" in refused[0].getMessage()
    assert not any(r.exc_info for r in caplog.records)  # a clear line, no traceback


def test_asterisk_down_then_up(tmp_path):
    async def main():
        server = AmiReplayServer(fixture("01_answered.events.raw"))
        port = await server.start()
        await server.stop()  # nothing listens on that port for now
        odoo = await FakeOdoo().start()
        config = make_config(tmp_path, port, odoo.url)
        try:
            async with running_bridge(config) as bridge:
                await asyncio.sleep(0.3)
                assert (await bridge.health())["ami_connected"] is False
                assert bridge.ami.last_error  # e.g. "[Errno 111] Connect call failed"
                server.port = port
                await server.start()
                await wait_until(lambda: bridge.ami.connected, what="AMI connected")
                await delivered_hangup(odoo)
        finally:
            await server.stop()
            await odoo.stop()

    run(main())


def test_unanswered_keepalive_ping_forces_a_reconnect(tmp_path):
    async def main():
        server = AmiReplayServer(fixture("01_answered.events.raw"), ignore_actions=("Ping",))
        port = await server.start()
        odoo = await FakeOdoo().start()
        config = make_config(tmp_path, port, odoo.url, ami={"ping_interval": 0.1, "ping_timeout": 0.1})
        try:
            async with running_bridge(config) as bridge:
                await wait_until(lambda: server.logins >= 2, what="a second login")
                assert server.actions("Ping", connection=1)  # it did ping first
                await wait_until(lambda: bridge.ami.connected, what="connected again")
        finally:
            await server.stop()
            await odoo.stop()

    run(main())
