"""Robustness: the spool off the event loop and durable, poisonous batches dead-lettered,
/health and /metrics behind the token, Originate and ChanSpy limited to what the centre uses."""

import asyncio
import json
import re
import sqlite3
import threading
import time
import tomllib
from pathlib import Path

import aiohttp
import pytest
from bridge_testlib import (
    HTTP_TOKEN,
    FakeOdoo,
    delivered_hangup,
    free_port,
    make_config,
    run,
    running_bridge,
    scenario,
    wait_until,
)

from hotline_pbx_bridge import __main__ as cli
from hotline_pbx_bridge.spool import Spool

ROOT = Path(__file__).resolve().parents[3]
SPOOL_METHODS = ("append", "head", "ack", "failed", "bury", "depth", "dead_count", "stats")


async def _call(port, method, path, token=HTTP_TOKEN, **kwargs):
    headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
    async with (
        aiohttp.ClientSession() as session,
        session.request(method, f"http://127.0.0.1:{port}{path}", headers=headers, **kwargs) as resp,
    ):
        return resp.status, resp.headers.get("Content-Type", ""), await resp.text()


async def _json(port, method, path, token=HTTP_TOKEN, **kwargs):
    status, _type, text = await _call(port, method, path, token, **kwargs)
    return status, json.loads(text)


def _samples(text):
    """``{metric name: value}`` of a Prometheus text exposition."""
    samples = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            name, _sep, val = line.partition(" ")
            samples[name] = float(val)
    return samples


# -- the spool ---------------------------------------------------------------------


def test_spool_statements_never_run_on_the_event_loop(tmp_path, monkeypatch):
    """A slow disk must not stall AMI reading: every SQLite statement runs in the spool's thread."""
    on_loop = []
    for name in SPOOL_METHODS:
        original = getattr(Spool, name)

        def wrapper(self, *args, _original=original, _name=name, **kwargs):
            try:
                asyncio.get_running_loop()
                on_loop.append(_name)
            except RuntimeError:
                pass  # a worker thread: no loop running here
            return _original(self, *args, **kwargs)

        monkeypatch.setattr(Spool, name, wrapper)

    async def main():
        async with scenario(tmp_path, "01_answered") as (server, odoo, bridge):
            await server.wait_done()
            await delivered_hangup(odoo)
            await wait_until(lambda: _drained(bridge), what="spool drained")
            status, health = await _json(bridge.http.port, "GET", "/health")
            assert status == 200 and health["spool_depth"] == 0
        assert odoo.of_kind("ringing") and odoo.of_kind("answered")

    run(main())
    assert on_loop == [], f"spool statements run on the event loop: {sorted(set(on_loop))}"


async def _drained(bridge):
    return await bridge.spool.adepth() == 0 and not bridge.outbox.pending


def test_spool_is_synchronous_full(tmp_path):
    spool = Spool(tmp_path / "s.sqlite3")
    try:
        assert spool._db.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
        assert spool._db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    finally:
        spool.close()


# -- delivery: server errors ---------------------------------------------------------


def test_a_batch_odoo_fails_on_is_retried_with_backoff_then_dead_lettered(tmp_path):
    """Odoo answers 500 to any batch holding the answered event: retried with growing waits, then
    tried alone and dead-lettered, and everything behind it is delivered; /health alerts."""
    attempts = []

    def status(path, body):
        if any(e.get("kind") == "answered" for e in body.get("events", [])):
            attempts.append(time.monotonic())
            return 500
        return 200

    async def main():
        odoo_options = {"retry_min": 0.05, "retry_max": 0.4, "max_attempts": 4}
        async with scenario(tmp_path, "01_answered", odoo_status=status, odoo=odoo_options) as (
            server,
            odoo,
            bridge,
        ):
            await server.wait_done()
            await delivered_hangup(odoo)  # the lane was not blocked for good
            await wait_until(lambda: _drained(bridge), what="spool drained")
            status_code, health = await _json(bridge.http.port, "GET", "/health")
            assert health["dead_letters"] == 1 and health["healthy"] is False
            assert any("dead-letter" in alert for alert in health["alerts"])
            _code, _type, text = await _call(bridge.http.port, "GET", "/metrics")
            assert _samples(text)["hotline_bridge_dead_letters"] == 1
        assert odoo.of_kind("ringing") and not odoo.of_kind("answered")
        # 4 attempts from the spool (max_attempts); the replay's timing decides whether it was also sent
        # once early (from memory, before the spool had it) and once alone (when its batch held others)
        assert 4 <= len(attempts) <= 6, attempts
        retry_waits = [b - a for a, b in zip(attempts, attempts[1:], strict=False) if b - a >= 0.04]
        assert len(retry_waits) >= 3 and retry_waits[-1] > retry_waits[0] * 2.5, retry_waits  # the backoff doubles

    run(main())
    with sqlite3.connect(tmp_path / "spool.sqlite3") as db:  # kept on disk
        ((kind, payload, reason),) = db.execute("SELECT kind, payload, reason FROM dead_letter").fetchall()
    assert kind == "event" and '"answered"' in payload and "HTTP 500" in reason and "after 4 attempts" in reason


def test_odoo_unavailable_is_never_dead_lettered(tmp_path):
    """502/503/504 (a proxy while Odoo restarts) and refused connections mean wait, however long."""

    async def main():
        odoo_options = {"retry_min": 0.02, "retry_max": 0.05, "max_attempts": 2}
        async with scenario(tmp_path, "01_answered", odoo_status=503, odoo=odoo_options) as (server, odoo, bridge):
            await server.wait_done()
            await wait_until(lambda: len(odoo.requests) >= 8, what="several failed attempts")
            assert await bridge.spool.adead_count() == 0
            assert await bridge.spool.adepth() > 0
            # back, with one server error: the waits while it was down do not count toward max_attempts
            errors = {"left": 1}

            def once_500(path, body):
                if errors["left"]:
                    errors["left"] -= 1
                    return 500
                return 200

            odoo.status = once_500
            await delivered_hangup(odoo)
            await wait_until(lambda: _drained(bridge), what="spool drained")
            assert await bridge.spool.adead_count() == 0

    run(main())


def test_requeue_dead_letters_from_the_command_line(tmp_path, capsys):
    config_path = tmp_path / "bridge.toml"
    config_path.write_text(
        '[ami]\nhost = "127.0.0.1"\nport = 5038\nusername = "u"\nsecret = "s"\n'
        '[odoo]\nurl = "http://127.0.0.1:9"\ntoken = "t"\n'
        '[http]\nport = 0\ntoken = "t"\n'
        '[spool]\npath = "spool.sqlite3"\n'
    )
    spool = Spool(tmp_path / "spool.sqlite3")
    spool.append([("event", {"id": "e1", "kind": "answered"}), ("cdr", {"id": "c1"})])
    spool.bury([item.seq for item in spool.head(10)], "HTTP 500")
    assert (spool.depth(), spool.dead_count()) == (0, 2)
    spool.close()
    assert cli.main(["--config", str(config_path), "--requeue-dead-letters"]) == 0
    assert "2 dead letter(s)" in capsys.readouterr().out
    spool = Spool(tmp_path / "spool.sqlite3")
    try:
        assert [(i.kind, i.item_id) for i in spool.head(10)] == [("event", "e1"), ("cdr", "c1")]
        assert spool.dead_count() == 0
    finally:
        spool.close()


# -- /health and /metrics --------------------------------------------------------------


def test_health_tells_a_stranger_nothing(tmp_path):
    async def main():
        odoo = await FakeOdoo().start()
        config = make_config(tmp_path, free_port(), odoo.url)  # no Asterisk: there is an error to hide
        try:
            async with running_bridge(config) as bridge:
                port = bridge.http.port
                await wait_until(lambda: bridge.ami.last_error, what="an AMI error")
                for token in (None, "wrong"):
                    status, _type, text = await _call(port, "GET", "/health", token=token)
                    assert (status, text.replace(" ", "")) == (200, '{"ok":true}'), token
                status, health = await _json(port, "GET", "/health")
                assert health["ami_error"] and health["healthy"] is False
        finally:
            await odoo.stop()

    run(main())


def test_metrics_in_prometheus_text_format(tmp_path):
    async def main():
        async with scenario(tmp_path, "01_answered") as (server, odoo, bridge):
            port = bridge.http.port
            await server.wait_done()
            await delivered_hangup(odoo)
            await wait_until(lambda: _drained(bridge), what="spool drained")
            for token in (None, "wrong"):
                status, _type, _text = await _call(port, "GET", "/metrics", token=token)
                assert status == 401
            status, content_type, text = await _call(port, "GET", "/metrics")
            assert status == 200 and content_type.startswith("text/plain")
            samples = _samples(text)
            assert samples["hotline_bridge_ami_connected"] == 1
            assert samples["hotline_bridge_ami_events_total"] == bridge.handlers.events_seen > 100
            assert samples["hotline_bridge_spool_depth"] == 0
            assert samples["hotline_bridge_delivery_lag_seconds"] == 0
            assert samples["hotline_bridge_dead_letters"] == 0
            assert samples["hotline_bridge_delivered_total"] >= len(odoo.events) + len(odoo.cdrs)
            for name in samples:  # every sample has its HELP and TYPE
                assert re.search(rf"^# TYPE {name} (gauge|counter)$", text, re.M), name
                assert f"# HELP {name} " in text
            assert text.endswith("\n")

    run(main())


def test_delivery_lag_grows_while_odoo_is_down(tmp_path):
    async def main():
        async with scenario(tmp_path, "01_answered", odoo_status=503) as (server, _odoo, bridge):
            await server.wait_done()
            await wait_until(lambda: _drained_not(bridge), what="items waiting")
            await asyncio.sleep(0.3)
            _status, _type, text = await _call(bridge.http.port, "GET", "/metrics")
            samples = _samples(text)
            assert samples["hotline_bridge_spool_depth"] > 0
            assert samples["hotline_bridge_delivery_lag_seconds"] >= 0.3

    run(main())


async def _drained_not(bridge):
    return await bridge.spool.adepth() > 0


# -- what reaches the dialplan --------------------------------------------------------------


def test_originate_only_into_the_configured_contexts(tmp_path):
    async def main():
        pbx = {"originate_contexts": ["from-internal", "c2c-recorded"]}
        async with scenario(tmp_path, "04_click_to_call", pbx=pbx) as (server, _odoo, bridge):
            await server.wait_done()
            port = bridge.http.port
            for body, reason in (
                ({"extension": "1001", "number": "013800138000", "context": "admin-shell"}, "context"),
                ({"extension": "1001", "number": "013800138000", "context": "default"}, "context"),
                ({"extension": "1001@evil", "number": "013800138000"}, "extension"),
                ({"extension": "1001", "number": "0138,System(rm)"}, "number"),
            ):
                status, answer = await _json(port, "POST", "/originate", json=body)
                assert status == 400 and reason in answer["error"], (body, answer)
            assert server.actions("Originate") == []
            status, answer = await _json(
                port, "POST", "/originate", json={"extension": "1001", "number": "013800138000"}
            )
            assert status == 200, answer
            (sent,) = server.actions("Originate")
            assert sent["Context"] == "from-internal"

    run(main())


def test_spy_targets_only_phones_the_bridge_knows(tmp_path):
    async def main():
        async with scenario(tmp_path, "05_supervisor") as (server, _odoo, bridge):
            await server.wait_done()
            port = bridge.http.port
            live = {
                "Event": "Newchannel",
                "Channel": "PJSIP/1002-0000002a",
                "Uniqueid": "1799999999.1",
                "Linkedid": "1799999999.1",
                "Timestamp": str(time.time()),
            }
            bridge.calls.newchannel(live)
            outside = dict(live, Channel="PJSIP/trunk-0000002b", Uniqueid="1799999999.2")
            bridge.calls.newchannel(outside)
            refused = (
                {"target_channel": "PJSIP/1002-0000002a,qB"},  # options smuggled into ChanSpy's data
                {"target_channel": "PJSIP/trunk-0000002b"},  # live, but not a centre phone
                {"target_channel": "PJSIP/1003-00000099"},  # a phone, but no such channel
                {"target_extension": "1999"},  # nobody the bridge knows
                {"target_extension": "10,q"},
            )
            for target in refused:
                body = {"supervisor_extension": "8001", "mode": "listen", **target}
                status, answer = await _json(port, "POST", "/spy", json=body)
                assert status == 400, (target, answer)
            assert server.actions("Originate") == []
            body = {"supervisor_extension": "8001", "mode": "barge", "target_channel": "PJSIP/1002-0000002a"}
            status, answer = await _json(port, "POST", "/spy", json=body)
            assert status == 200, answer
            (sent,) = server.actions("Originate")
            assert sent["Application"] == "ChanSpy" and sent["Data"] == "PJSIP/1002-0000002a,qBE"

    run(main())


# -- Odoo's side of the HTTP API ----------------------------------------------------------


def test_odoo_default_bridge_url_is_the_example_config_port():
    example = tomllib.loads((ROOT / "pbx/bridge/bridge.example.toml").read_text())
    source = (ROOT / "addons/hotline_telephony/models/hotline_pbx.py").read_text()
    match = re.search(r"bridge_url = fields\.Char\(.*?default=\"(http://[^\"]+)\"", source, re.S)
    assert match, "no default bridge_url in hotline_pbx.py"
    port = int(match.group(1).rsplit(":", 1)[1].strip("/"))
    assert port == example["http"]["port"]
    asterisk_http = 8088  # Asterisk's own HTTP server (http.conf): never the bridge's port
    assert port != asterisk_http
    demo = (ROOT / "addons/hotline_telephony/demo/hotline_pbx_demo.xml").read_text()
    assert f":{port}</field>" in demo


@pytest.mark.parametrize("key", ["max_attempts"])
def test_odoo_section_rejects_a_bad_max_attempts(tmp_path, key):
    from hotline_pbx_bridge.config import ConfigError

    with pytest.raises(ConfigError, match=rf"\[odoo\] {key}"):
        make_config(tmp_path, 5038, "http://127.0.0.1:9", odoo={key: 0})


# -- the screen pop does not wait for the disk -----------------------------------------------


def _lanes(tmp_path, policy, spool_class=Spool):
    from test_bridge_fast_lane import ScriptedClient

    from hotline_pbx_bridge.odoo import Deliverer
    from hotline_pbx_bridge.spool import Outbox

    spool = spool_class(tmp_path / "lanes.sqlite3")
    outbox = Outbox(spool)
    client = ScriptedClient(policy)
    config = make_config(tmp_path, 5038, "http://127.0.0.1:9").odoo
    deliverer = Deliverer(spool, client, config, outbox.stored, outbox.urgent, outbox.fresh)
    return spool, outbox, client, deliverer


def _ev(linkedid, kind):
    return "event", {"id": f"{linkedid}:{kind}:{linkedid}:0", "kind": kind, "linkedid": linkedid}


def test_a_ringing_reaches_odoo_while_the_disk_is_still_syncing(tmp_path):
    """Stored with a full sync, but sent at once: the screen pop never waits for the disk."""
    from hotline_pbx_bridge.odoo import OK

    disk = threading.Event()

    class SlowDisk(Spool):
        def append(self, items):
            disk.wait(10)  # the sync of a slow disk
            return super().append(items)

    async def policy(kind, payloads):
        return OK, ""

    async def main():
        spool, outbox, client, deliverer = _lanes(tmp_path, policy, SlowDisk)
        tasks = [asyncio.create_task(outbox.run()), asyncio.create_task(deliverer.run())]
        try:
            outbox.put(*_ev("A", "ringing"))
            await wait_until(lambda: client.delivered, timeout=2, what="the early POST")
            assert client.delivered == ["A:ringing:A:0"] and spool.depth() == 0  # not stored yet
            outbox.put(*_ev("A", "answered"))
            outbox.put(*_ev("A", "hangup"))
            await wait_until(lambda: "A:answered:A:0" in client.delivered, timeout=2, what="answered")
            assert "A:hangup:A:0" not in client.delivered  # ordinary: only from the spool, after its sync
            disk.set()
            await wait_until(lambda: "A:hangup:A:0" in client.delivered, what="hangup delivered")
            await outbox.flush()
            await wait_until(lambda: spool.depth() == 0, what="stored items acknowledged")
            assert client.delivered == ["A:ringing:A:0", "A:answered:A:0", "A:hangup:A:0"]  # each once, in order
        finally:
            disk.set()
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            spool.close()

    run(main(), timeout=20)


def test_a_failed_early_post_is_sent_from_the_spool_in_order(tmp_path):
    from hotline_pbx_bridge.odoo import OK, RETRY

    refusals = {"left": 2}

    async def policy(kind, payloads):
        if refusals["left"]:
            refusals["left"] -= 1
            return RETRY, "HTTP 503: restarting"
        return OK, ""

    async def main():
        spool, outbox, client, deliverer = _lanes(tmp_path, policy)
        tasks = [asyncio.create_task(outbox.run()), asyncio.create_task(deliverer.run())]
        try:
            for kind in ("ringing", "answered", "hangup"):
                outbox.put(*_ev("B", kind))
                await asyncio.sleep(0.01)
            await outbox.flush()
            await wait_until(lambda: spool.depth() == 0 and "B:hangup:B:0" in client.delivered, what="drained")
            assert client.delivered == ["B:ringing:B:0", "B:answered:B:0", "B:hangup:B:0"]
            assert refusals["left"] == 0
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            spool.close()

    run(main(), timeout=20)


def test_an_early_item_acknowledged_during_a_read_is_not_sent_again(tmp_path):
    """A read of the spool that started before an early-sent ringing was acknowledged still shows it;
    by the time it returns the ringing has left the early set: it must not go to Odoo a second time."""
    from hotline_pbx_bridge.odoo import OK

    ack_called, release_ack, acked = threading.Event(), threading.Event(), threading.Event()
    disk = threading.Event()
    gate = {"armed": False}
    read_started = threading.Event()

    class RacyDisk(Spool):
        def append(self, items):
            disk.wait(10)  # a slow sync: the ringing goes to Odoo early, from memory
            return super().append(items)

        def ack(self, seqs):
            ack_called.set()
            release_ack.wait(10)
            super().ack(seqs)
            acked.set()

        def head(self, limit, lane=None):
            rows = super().head(limit, lane)
            if gate["armed"]:
                gate["armed"] = False
                read_started.set()
                acked.wait(10)  # the acknowledgement commits while this read is on its way back
                time.sleep(0.05)
            return rows

    async def policy(kind, payloads):
        return OK, ""

    async def main():
        spool, outbox, client, deliverer = _lanes(tmp_path, policy, RacyDisk)
        tasks = [asyncio.create_task(outbox.run()), asyncio.create_task(deliverer.run())]
        try:
            outbox.put(*_ev("A", "ringing"))
            await wait_until(lambda: client.delivered, timeout=5, what="the early POST")
            disk.set()
            await wait_until(lambda: ack_called.is_set(), timeout=5, what="the early ringing being acknowledged")
            gate["armed"] = True
            outbox.put(*_ev("A", "answered"))
            await wait_until(lambda: read_started.is_set(), timeout=5, what="a read during the acknowledgement")
            release_ack.set()
            await outbox.flush()
            await wait_until(lambda: "A:answered:A:0" in client.delivered, what="answered delivered")
            await wait_until(lambda: spool.depth() == 0, what="stored items acknowledged")
            await asyncio.sleep(0.2)
            assert client.delivered == ["A:ringing:A:0", "A:answered:A:0"]  # each once
        finally:
            disk.set()
            release_ack.set()
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            spool.close()

    run(main(), timeout=20)
