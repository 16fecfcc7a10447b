"""The durable spool: nothing is lost while Odoo is away, order is kept."""

import asyncio
import sqlite3

from ami_replay import AmiReplayServer
from bridge_testlib import (
    FakeOdoo,
    fixture,
    free_port,
    hangups,
    make_config,
    run,
    running_bridge,
    wait_until,
)

from hotline_pbx_bridge.spool import Outbox, Spool


def _expected_ids(tmp_path, name):
    """Ids delivered for ``name`` when Odoo is up all along (the reference run)."""

    async def main():
        server = AmiReplayServer(fixture(f"{name}.events.raw"))
        port = await server.start()
        odoo = await FakeOdoo().start()
        try:
            async with running_bridge(make_config(tmp_path / "ref", port, odoo.url)) as bridge:
                await server.wait_done()
                await wait_until(lambda: hangups(odoo) and bridge.spool.depth() == 0 and len(odoo.cdrs) == 3)
                await asyncio.sleep(0.2)
                await wait_until(lambda: bridge.spool.depth() == 0)
        finally:
            await server.stop()
            await odoo.stop()
        return [e["id"] for e in odoo.events if e["linkedid"]], [c["id"] for c in odoo.cdrs]

    return run(main())


def test_odoo_down_then_back_delivers_everything_in_order(tmp_path):
    call_ids, cdr_ids = _expected_ids(tmp_path, "01_answered")

    async def main():
        server = AmiReplayServer(fixture("01_answered.events.raw"))
        port = await server.start()
        odoo_port = free_port()  # nothing listens there yet: connection refused
        config = make_config(tmp_path, port, f"http://127.0.0.1:{odoo_port}")
        odoo = FakeOdoo(port=odoo_port)
        try:
            async with running_bridge(config) as bridge:
                await server.wait_done()
                await wait_until(lambda: not bridge.calls.calls, what="call finished")
                await asyncio.sleep(0.2)
                depth = bridge.spool.depth()
                assert depth >= 3 + len(call_ids)  # events and 3 CDRs wait in SQLite
                health = await bridge.health()
                assert health["spool_depth"] == depth
                assert health["odoo_error"]
                # the rows really are in the SQLite file
                with sqlite3.connect(config.spool.path) as db:
                    kinds = [k for (k,) in db.execute("SELECT kind FROM outbox ORDER BY seq")]
                assert kinds.count("cdr") == 3
                await odoo.start()
                await wait_until(lambda: bridge.spool.depth() == 0, what="spool drained")
                assert [e["id"] for e in odoo.events if e["linkedid"]] == call_ids
                assert [c["id"] for c in odoo.cdrs] == cdr_ids
                # in order across kinds too: the ringing went out before the first CDR
                first_cdr = next(i for i, (p, _) in enumerate(odoo.requests) if p.endswith("cdr"))
                first_ring = next(
                    i
                    for i, (p, b) in enumerate(odoo.requests)
                    if p.endswith("event") and any(e["kind"] == "ringing" for e in b["events"])
                )
                assert first_ring < first_cdr
        finally:
            await server.stop()
            await odoo.stop()

    run(main())


def test_odoo_503_keeps_items_until_it_recovers(tmp_path):
    async def main():
        server = AmiReplayServer(fixture("02_abandoned_hangup.events.raw"))
        port = await server.start()
        odoo = await FakeOdoo(status=503).start()
        config = make_config(tmp_path, port, odoo.url)
        try:
            async with running_bridge(config) as bridge:
                await server.wait_done()
                await wait_until(lambda: len(odoo.requests) >= 3, what="retries")
                assert odoo.events == [] and bridge.spool.depth() > 0
                assert "HTTP 503" in bridge.deliverer.last_error
                odoo.status = 200
                await wait_until(lambda: bridge.spool.depth() == 0, what="spool drained")
                (hangup,) = hangups(odoo)
                assert hangup["disposition"] == "abandoned"
                assert len(odoo.cdrs) == 2
        finally:
            await server.stop()
            await odoo.stop()

    run(main())


def test_restart_resumes_from_the_spool(tmp_path):
    async def main():
        server = AmiReplayServer(fixture("02b_abandoned_timeout.events.raw"))
        port = await server.start()
        odoo_port = free_port()
        config = make_config(tmp_path, port, f"http://127.0.0.1:{odoo_port}")
        try:
            async with running_bridge(config) as bridge:
                await server.wait_done()
                await wait_until(lambda: not bridge.calls.calls, what="call finished")
                await asyncio.sleep(0.1)
            # the bridge is stopped; its spool file stays behind
            left = Spool(config.spool.path)
            depth = left.depth()
            left.close()
            assert depth >= 3
            odoo = await FakeOdoo(port=odoo_port).start()
            try:
                async with running_bridge(config) as bridge:
                    await wait_until(lambda: bridge.spool.depth() == 0, what="spool drained")
                (hangup,) = hangups(odoo)
                assert hangup["disposition"] == "abandoned" and hangup["wait_seconds"] == 8
                assert len(odoo.cdrs) == 2
            finally:
                await odoo.stop()
        finally:
            await server.stop()

    run(main())


def test_malformed_items_go_to_the_dead_letter_table(tmp_path):
    async def main():
        def status(path, body):
            # Odoo refuses any batch holding a CDR as malformed
            return 400 if path.endswith("/cdr") else 200

        server = AmiReplayServer(fixture("01_answered.events.raw"))
        port = await server.start()
        odoo = await FakeOdoo(status=status).start()
        config = make_config(tmp_path, port, odoo.url)
        try:
            async with running_bridge(config) as bridge:
                await server.wait_done()
                await wait_until(lambda: bridge.spool.dead_count() == 3, what="3 dead letters")
                await wait_until(lambda: bridge.spool.depth() == 0, what="spool drained")
                assert len(hangups(odoo)) == 1  # events were not held up by the CDRs
                dead = bridge.spool.dead_letters()
                assert {d["kind"] for d in dead} == {"cdr"}
                assert all("HTTP 400" in d["reason"] for d in dead)
                assert {d["payload"]["linkedid"] for d in dead} == {"1795651774.0"}
                assert (await bridge.health())["dead_letters"] == 3
        finally:
            await server.stop()
            await odoo.stop()

    run(main())


def test_spool_order_ack_and_bury(tmp_path):
    spool = Spool(tmp_path / "s.sqlite3")
    spool.append([("event", {"id": f"e{i}"}) for i in range(5)] + [("cdr", {"id": "c0"})])
    head = spool.head(3)
    assert [i.item_id for i in head] == ["e0", "e1", "e2"]
    spool.ack([head[0].seq, head[1].seq])
    spool.failed([head[2].seq], "HTTP 503")
    spool.bury([head[2].seq], "HTTP 400: bad")
    assert [i.item_id for i in spool.head(10)] == ["e3", "e4", "c0"]
    assert spool.depth() == 3 and spool.dead_count() == 1
    assert spool.dead_letters()[0]["payload"] == {"id": "e2"}
    mode = spool._db.execute("PRAGMA journal_mode").fetchone()[0]
    assert mode.lower() == "wal"
    spool.close()
    reopened = Spool(tmp_path / "s.sqlite3")
    assert [i.item_id for i in reopened.head(10)] == ["e3", "e4", "c0"]
    reopened.close()


def test_outbox_keeps_order_and_flushes(tmp_path):
    async def main():
        spool = Spool(tmp_path / "o.sqlite3")
        outbox = Outbox(spool)
        writer = asyncio.create_task(outbox.run())
        for i in range(200):
            outbox.put("event", {"id": str(i)})
            if i % 50 == 0:
                await asyncio.sleep(0)
        await outbox.flush()
        writer.cancel()
        ids = [item.item_id for item in spool.head(1000)]
        spool.close()
        return ids

    assert run(main()) == [str(i) for i in range(200)]


class _FullDisk:
    """A spool whose disk is full until ``free`` is set."""

    def __init__(self, spool):
        self.spool = spool
        self.full = True
        self.attempts = 0

    async def aappend(self, items):
        self.attempts += 1
        if self.full:
            raise sqlite3.OperationalError("database or disk is full")
        await self.spool.aappend(items)


def test_full_disk_keeps_the_oldest_items_says_so_and_logs_one_traceback(tmp_path, caplog):
    async def main():
        spool = Spool(tmp_path / "full.sqlite3")
        disk = _FullDisk(spool)
        outbox = Outbox(disk, max_in_memory=100)
        writer = asyncio.create_task(outbox.run())
        for i in range(150):
            outbox.put("event", {"id": str(i)})
        while disk.attempts < 2:  # at least one retry happened with the disk still full
            await asyncio.sleep(0.05)
        for i in range(150, 250):
            outbox.put("event", {"id": str(i)})
        error_while_full, dropped_while_full = outbox.last_error, outbox.dropped
        disk.full = False
        await asyncio.wait_for(outbox.flush(), 10)
        writer.cancel()
        ids = [item.item_id for item in spool.head(1000)]
        spool.close()
        return ids, error_while_full, dropped_while_full, outbox.last_error

    with caplog.at_level("DEBUG", logger="hotline_pbx_bridge.spool"):
        ids, error_while_full, dropped, error_after = run(main())
    assert "disk is full" in error_while_full
    # The first 150 were already waiting when the disk filled; of the rest only
    # what fits under the bound was kept: never a newer item before an older one.
    assert ids == [str(i) for i in range(len(ids))]
    assert len(ids) >= 150 and dropped == 250 - len(ids) and dropped > 0
    assert error_after == ""
    tracebacks = [record for record in caplog.records if record.exc_info]
    assert len(tracebacks) == 1, "one traceback for the episode, not one per retry"
