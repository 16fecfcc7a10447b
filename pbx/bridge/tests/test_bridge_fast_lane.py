"""Delivery lanes (ringing/answered ahead of the backlog), dispatch by name, keep-alive liveness."""

import asyncio
import inspect
import re
import sqlite3

from ami_replay import AmiReplayServer
from bridge_testlib import (
    FIXTURES,
    FakeOdoo,
    fixture,
    make_config,
    run,
    running_bridge,
    wait_until,
)
from panoramisk.message import Message

from hotline_pbx_bridge.agents import AgentTracker
from hotline_pbx_bridge.ami import BridgeManager
from hotline_pbx_bridge.calls import CallTracker
from hotline_pbx_bridge.config import DEFAULT_EXTENSION_PATTERNS
from hotline_pbx_bridge.handlers import EVENTS, Handlers
from hotline_pbx_bridge.odoo import OK, RETRY, Deliverer
from hotline_pbx_bridge.spool import ORDINARY, URGENT, Outbox, Spool, lane_of

FIRST = "1795651774."  # uniqueid prefix of the 01_answered recording
SECOND = "1795651999."  # the same call again, as a second call


class GatedOdoo(FakeOdoo):
    """A fake Odoo whose CDR endpoint hangs until ``release()`` (a slow CDR import)."""

    def __init__(self):
        super().__init__()
        self.gate = asyncio.Event()
        self.cdr_waiting = 0
        self.arrivals = []  # (path, [ids]) in the order the POSTs *arrived*

    def release(self):
        self.gate.set()

    async def _handle(self, request):
        body = await request.json()
        items = body.get("events") or body.get("cdrs") or []
        self.arrivals.append((request.path, [i["id"] for i in items]))
        if request.path.endswith("/cdr"):
            self.cdr_waiting += 1
            await self.gate.wait()
        return await super()._handle(request)


def _two_calls_stream(tmp_path):
    """01_answered, then the same call again under other uniqueids (a second call right after)."""
    raw = fixture("01_answered.events.raw").read_bytes()
    banner, sep, rest = raw.partition(b"\r\n\r\n")  # banner + login answer
    messages = rest.split(b"\r\n\r\n")
    goodbye = [m for m in messages if m.startswith(b"Response: Goodbye")]
    body = [m for m in messages if m.strip() and not m.startswith(b"Response: Goodbye")]
    second = [m.replace(FIRST.encode(), SECOND.encode()) for m in body if not m.startswith(b"Event: FullyBooted")]
    stream = b"\r\n\r\n".join([banner, *body, *second, *goodbye]) + b"\r\n\r\n"
    path = tmp_path / "two_calls.events.raw"
    path.write_bytes(stream)
    names = ("01_answered", "00_login_status")
    recordings = [(FIXTURES / f"{name}.actions.sent", FIXTURES / f"{name}.actions.raw") for name in names]
    return path, recordings


def test_ringing_overtakes_a_cdr_backlog_and_per_call_order_is_kept(tmp_path):
    async def main():
        path, recordings = _two_calls_stream(tmp_path)
        # 10 ms between messages: the first call's CDRs reach Odoo well before the second call rings
        server = AmiReplayServer(path, recordings=recordings, hold=True, interval=0.01)
        port = await server.start()
        odoo = await GatedOdoo().start()
        config = make_config(tmp_path, port, odoo.url, odoo={"timeout": 10})
        first, second = FIRST + "0", SECOND + "0"
        try:
            async with running_bridge(config) as bridge:
                server.release()
                await server.wait_done()
                # the first call's CDRs hang in Odoo; the second call's ringing and answered still get there
                await wait_until(lambda: odoo.cdr_waiting, what="a CDR POST hanging")
                await wait_until(
                    lambda: {e["kind"] for e in odoo.events if e["linkedid"] == second} >= {"ringing", "answered"},
                    what="second call's ringing/answered delivered past the backlog",
                )
                assert odoo.cdrs == []  # the older backlog is not drained yet
                assert bridge.spool.depth() > 0
                kinds = [e["kind"] for e in odoo.events if e["linkedid"] == second]
                assert "hangup" not in kinds  # ordinary: waits behind the CDRs, in spool order
                odoo.release()
                await wait_until(lambda: bridge.spool.depth() == 0, what="spool drained")
                await wait_until(lambda: len(odoo.cdrs) == 6, what="all CDRs")
            for linkedid in (first, second):
                kinds = [e["kind"] for e in odoo.events if e["linkedid"] == linkedid]
                assert kinds == ["ringing", "answered", "hangup"], (linkedid, kinds)
            # arrival order too: nothing of a call reached Odoo before its own ringing/answered
            arrived = [i for _path, ids in odoo.arrivals for i in ids]
            for linkedid in (first, second):
                mine = [i for i in arrived if i.startswith(linkedid + ":")]
                assert [i.split(":")[1] for i in mine] == ["ringing", "answered", "hangup"]
            second_ring = next(n for n, i in enumerate(arrived) if i.startswith(second + ":ringing"))
            first_cdr = next(n for n, i in enumerate(arrived) if i.startswith("cdr:"))
            assert first_cdr < second_ring  # it overtook a CDR batch already in flight
            # and the lanes are visible in the spool table
            with sqlite3.connect(config.spool.path) as db:
                columns = [row[1] for row in db.execute("PRAGMA table_info(outbox)")]
            assert "lane" in columns
        finally:
            odoo.release()
            await server.stop()
            await odoo.stop()

    run(main())


class ScriptedClient:
    """Stands in for OdooClient: records the POSTs, answers from a policy."""

    def __init__(self, policy):
        self.policy = policy  # async callable(kind, payloads) -> (outcome, detail)
        self.posts = []  # (kind, [ids]) in the order the POSTs were sent
        self.delivered = []  # ids acknowledged, in order

    async def post(self, kind, payloads):
        ids = [p["id"] for p in payloads]
        self.posts.append((kind, ids))
        outcome, detail = await self.policy(kind, payloads)
        if outcome == OK:
            self.delivered.extend(ids)
        return outcome, detail


def _event(linkedid, kind):
    return "event", {"id": f"{linkedid}:{kind}:{linkedid}:0", "kind": kind, "linkedid": linkedid}


def _cdr(linkedid, n):
    return "cdr", {"id": f"cdr:{linkedid}.{n}:0", "linkedid": linkedid}


def _config(tmp_path):
    return make_config(tmp_path, 5038, "http://127.0.0.1:9").odoo


def test_hangup_waits_for_its_ringing_while_the_urgent_lane_retries(tmp_path):
    async def main():
        failures = {"left": 3}

        async def policy(kind, payloads):
            if any(p.get("kind") == "ringing" for p in payloads) and failures["left"]:
                failures["left"] -= 1
                return RETRY, "HTTP 503: busy"
            return OK, ""

        spool = Spool(tmp_path / "lanes.sqlite3")
        outbox = Outbox(spool)
        client = ScriptedClient(policy)
        deliverer = Deliverer(spool, client, _config(tmp_path), outbox.stored, outbox.urgent)
        tasks = [asyncio.create_task(outbox.run()), asyncio.create_task(deliverer.run())]
        try:
            outbox.put_all([("cdr", {"id": "cdr:old:0"}), _event("A", "ringing"), _event("A", "answered")])
            outbox.put_all([_event("A", "hangup"), _cdr("A", 0), ("event", {"id": "agent:1", "kind": "agent_state"})])
            await outbox.flush()
            await wait_until(lambda: spool.depth() == 0, what="spool drained")
            ids = client.delivered
            assert ids.index("A:ringing:A:0") < ids.index("A:answered:A:0") < ids.index("A:hangup:A:0")
            assert ids.index("A:hangup:A:0") < ids.index("cdr:A.0:0")
            # no POST carried the hangup before the ringing was acknowledged
            first_hangup_post = next(n for n, (_k, b) in enumerate(client.posts) if "A:hangup:A:0" in b)
            assert failures["left"] == 0
            ringing_posts = [n for n, (_k, b) in enumerate(client.posts) if "A:ringing:A:0" in b]
            assert max(ringing_posts) < first_hangup_post
            assert "cdr:old:0" in ids  # older ordinary items were not held back
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            spool.close()

    run(main(), timeout=15)


def test_urgent_items_are_posted_at_once_while_an_ordinary_post_hangs(tmp_path):
    async def main():
        gate = asyncio.Event()

        async def policy(kind, payloads):
            if kind == "cdr":
                await gate.wait()
            return OK, ""

        spool = Spool(tmp_path / "lanes.sqlite3")
        outbox = Outbox(spool)
        client = ScriptedClient(policy)
        deliverer = Deliverer(spool, client, _config(tmp_path), outbox.stored, outbox.urgent)
        tasks = [asyncio.create_task(outbox.run()), asyncio.create_task(deliverer.run())]
        try:
            backlog = [_cdr(f"old{n}", 0) for n in range(30)] + [_event(f"old{n}", "hangup") for n in range(30)]
            outbox.put_all(backlog)
            await wait_until(lambda: client.posts, what="the backlog's first POST")
            outbox.put_all([_event("B", "ringing")])
            await outbox.flush()  # stored by the writer task, in the spool's thread
            assert [i.item_id for i in spool.head(10, URGENT)] == ["B:ringing:B:0"]
            await wait_until(lambda: "B:ringing:B:0" in client.delivered, timeout=2, what="ringing delivered")
            assert spool.depth() == len(backlog)  # the backlog is still there
            outbox.put_all([_event("B", "answered"), _event("B", "hangup")])
            await wait_until(lambda: "B:answered:B:0" in client.delivered, timeout=2, what="answered delivered")
            gate.set()
            await wait_until(lambda: spool.depth() == 0, what="spool drained")
            ids = client.delivered
            assert ids.index("B:answered:B:0") < ids.index("B:hangup:B:0")
            assert ids.index("old29:hangup:old29:0") < ids.index("B:hangup:B:0")  # ordinary lane: spool order
        finally:
            gate.set()
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            spool.close()

    run(main(), timeout=15)


def test_lanes_in_the_spool_and_an_older_spool_file(tmp_path):
    assert lane_of("event", {"kind": "ringing"}) == URGENT
    assert lane_of("event", {"kind": "answered"}) == URGENT
    assert lane_of("event", {"kind": "hangup"}) == ORDINARY
    assert lane_of("event", {"kind": "agent_state"}) == ORDINARY
    assert lane_of("cdr", {"kind": "ringing"}) == ORDINARY
    # a spool file written by the previous bridge (no lane column) opens and keeps its items
    path = tmp_path / "old.sqlite3"
    with sqlite3.connect(path) as db:
        db.executescript(
            "CREATE TABLE outbox (seq INTEGER PRIMARY KEY AUTOINCREMENT, kind TEXT NOT NULL, item_id TEXT NOT NULL,"
            " payload TEXT NOT NULL, created REAL NOT NULL, attempts INTEGER NOT NULL DEFAULT 0, last_error TEXT);"
            """INSERT INTO outbox (kind, item_id, payload, created) VALUES ('event', 'x', '{"id": "x"}', 0);"""
        )
    spool = Spool(path)
    spool.append([_event("C", "ringing"), _event("C", "hangup")])
    assert [i.item_id for i in spool.head(10)] == ["x", "C:ringing:C:0", "C:hangup:C:0"]
    assert [i.item_id for i in spool.head(10, URGENT)] == ["C:ringing:C:0"]
    assert [i.item_id for i in spool.head(10, ORDINARY)] == ["x"]  # the hangup waits for the older ringing
    spool.ack([spool.head(10, URGENT)[0].seq])
    assert [i.item_id for i in spool.head(10, ORDINARY)] == ["x", "C:hangup:C:0"]
    spool.close()


# -- dispatch by event name ----------------------------------------------------------


class _Recorder:
    def __init__(self):
        self.names = {}
        self.every = None

    def register_event(self, name, callback):
        self.names.setdefault(name, []).append(callback)

    def on_every_event(self, callback):
        self.every = callback


def _fixture_event_names():
    names = set()
    for path in FIXTURES.glob("*.events.raw"):
        names.update(re.findall(r"^Event: (\w+)", path.read_text("utf-8", "replace"), re.M))
    return names


def test_dispatch_table_covers_every_handled_event():
    calls = CallTracker(DEFAULT_EXTENSION_PATTERNS)
    agents = AgentTracker(DEFAULT_EXTENSION_PATTERNS)
    handlers = Handlers(calls, agents, outbox=None)
    recorder = _Recorder()
    handlers.register(recorder)
    assert recorder.every == handlers.on_any
    assert set(recorder.names) == set(EVENTS) == set(handlers.table())
    for name, callbacks in recorder.names.items():
        assert len(callbacks) == 1 and not inspect.iscoroutinefunction(callbacks[0]), name
    # every raw_event the README promises, and every event the trackers read, has a handler
    needed = {
        "Newchannel", "Newstate", "NewCallerid", "VarSet", "OriginateResponse", "DialBegin", "DialEnd",
        "QueueCallerJoin", "QueueCallerLeave", "QueueCallerAbandon", "AgentCalled", "AgentConnect",
        "AgentComplete", "BridgeEnter", "BridgeLeave", "Hangup", "Cdr", "QueueMemberStatus",
        "QueueMemberPause", "QueueMemberAdded", "QueueMemberRemoved",
    }  # fmt: skip
    assert needed <= set(EVENTS)
    seen = _fixture_event_names()
    assert needed - {"QueueCallerAbandon", "QueueMemberPause", "QueueMemberAdded", "QueueMemberRemoved"} <= seen
    # every handler named in the table exists on the tracker side: none raises on an empty event
    for name, handler in handlers.table().items():
        handlers.outbox = _ListOutbox()
        handler(None, Message({"Event": name}))


class _ListOutbox:
    def __init__(self):
        self.items = []

    def put_all(self, items):
        self.items.extend(items)


def test_dispatch_calls_handlers_by_name_without_regex_or_tasks():
    async def main():
        manager = BridgeManager(lambda exc: None, host="127.0.0.1", port=1, username="u", secret="s")
        calls = CallTracker(DEFAULT_EXTENSION_PATTERNS)
        handlers = Handlers(calls, AgentTracker(DEFAULT_EXTENSION_PATTERNS), _ListOutbox())
        manager.on_every_event = handlers.on_any
        for name, handler in handlers.table().items():
            manager.register_event(name, handler)
        assert manager.patterns == []  # no regex in the hot path
        hit = []
        manager.register_event("AgentCalled", lambda m, e: hit.append(e["Event"]))
        tasks_before = len(asyncio.all_tasks())
        for name in [*EVENTS, "Newexten", "VarSet", "AgentCalled"]:
            manager.dispatch(Message({"Event": name, "Uniqueid": "1.1"}))
        assert len(asyncio.all_tasks()) == tasks_before  # synchronous handlers: no task per event
        assert hit == ["AgentCalled", "AgentCalled"]
        assert handlers.events_seen == len(EVENTS) + 3 and handlers.last_event_time
        # a wildcard registration still works (regex only for those)
        wild = []
        manager.register_event("Queue*", lambda m, e: wild.append(e["Event"]))
        manager.dispatch(Message({"Event": "QueueCallerJoin"}))
        manager.dispatch(Message({"Event": "Hangup"}))
        assert wild == ["QueueCallerJoin"]

    run(main(), timeout=5)


# -- keep-alive: traffic is liveness --------------------------------------------------------


def test_busy_stream_with_unanswered_pings_does_not_reconnect(tmp_path):
    async def main():
        # Asterisk never answers Ping, but events keep flowing (every 15 ms, Pings every 10 ms of silence)
        server = AmiReplayServer(fixture("01_answered.events.raw"), ignore_actions=("Ping",), interval=0.015)
        port = await server.start()
        odoo = await FakeOdoo().start()
        config = make_config(tmp_path, port, odoo.url, ami={"ping_interval": 0.01, "ping_timeout": 0.1})
        try:
            async with running_bridge(config) as bridge:
                await server.wait_done()
                assert server.logins == 1 and server.connections == 1  # never cut while data flows
                assert server.actions("Ping", connection=1)  # it did ping in the gaps
                await wait_until(lambda: len(odoo.cdrs) == 3 and odoo.of_kind("hangup"), what="all delivered")
                (hangup,) = odoo.of_kind("hangup")
                assert hangup["raw_event"] == "Hangup"  # the real one, not a resync's
                # once the line goes silent, the unanswered Ping does drop it
                await wait_until(lambda: server.logins >= 2, what="reconnect after silence")
                await wait_until(lambda: bridge.ami.connected, what="connected again")
        finally:
            await server.stop()
            await odoo.stop()

    run(main(), timeout=20)
