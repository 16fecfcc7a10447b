"""Bridge event throughput: a busy day's AMI stream into the bridge, a fake Odoo acknowledging.

    python bench/bench_telephony_bridge.py [--calls 500] [--waves 2] [--rate 1000] [--max-rate]

The stream is the real ``01_answered`` recording (159 AMI events per call) rewritten for
``--calls`` distinct calls (uniqueids, linkedids, Local channel numbers, bridge ids; agents
1001 / 1002 alternately; a caller number per call), interleaved round robin so that all of
them are in progress at once, written at ``--rate`` events/s (every write drained: if the
bridge reads slower, the stream slows down). ``--waves`` repeats that with fresh calls.
The bridge runs as its own process (``python -m hotline_pbx_bridge``) with its SQLite spool;
the fake Odoo (aiohttp on 127.0.0.1) acknowledges every POST at once.

Reports the events/s the bridge sustained (sent, and delivered: up to the last hangup
acknowledged), the calls whose hangup never arrived (lost), and the bridge's RSS at the
start, the middle and the end. Writes ``var/bench/telephony_bridge.json``.
"""

import argparse
import asyncio
import contextlib
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from benchlib import machine_facts  # noqa: E402
from telephony_ami import (  # noqa: E402
    AmiStreamServer,
    call_template,
    interleaved_timeline,
    make_call,
    run_epoch,
)
from telephony_support import (  # noqa: E402
    FakeOdoo,
    await_until,
    cpu_seconds,
    http_json,
    load_average,
    rss_mib,
    start_bridge,
    write_result,
)

TOKEN = "bench-odoo-token"


def build_calls(template, count, waves, epoch):
    waves_calls = []
    for wave in range(waves):
        calls = []
        for k in range(wave * count, (wave + 1) * count):
            extension = "1001" if k % 2 == 0 else "1002"
            calls.append(make_call(template, k, epoch, extension=extension, caller=f"139{k:08d}"))
        waves_calls.append(calls)
    return waves_calls


def build_timeline(waves_calls, rate):
    timeline, offset = [], 0.0
    for calls in waves_calls:
        part = interleaved_timeline(calls, rate)
        timeline.extend((offset + at, call, index) for at, call, index in part)
        offset += len(part) / rate
    return timeline


async def sample_memory(pid, samples, stop):
    while not stop.is_set():
        samples.append((time.perf_counter(), rss_mib(pid)))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), 0.5)


async def run_once(args, rate, label):
    template = call_template()
    waves_calls = build_calls(template, args.calls, args.waves, run_epoch())
    calls = [call for wave in waves_calls for call in wave]
    timeline = build_timeline(waves_calls, rate)
    fake = await FakeOdoo(TOKEN).start()
    server = AmiStreamServer(template, timeline, burst=0.005)
    ami_port = await server.start()
    workdir = Path(tempfile.mkdtemp(prefix="bench-bridge-"))
    bridge, http_port = await asyncio.to_thread(start_bridge, workdir, ami_port, fake.url, TOKEN)
    samples, stop_sampling = [], asyncio.Event()
    sampler = asyncio.create_task(sample_memory(bridge.pid, samples, stop_sampling))
    result = {"label": label, "target_rate": rate if rate < 1e8 else None}
    try:
        await asyncio.wait_for(server.started.wait(), 30)
        rss_start = rss_mib(bridge.pid)
        cpu_start = cpu_seconds(bridge.pid)
        half = len(timeline) // 2
        await await_until(lambda: server.position >= half, args.timeout, what="half of the stream sent")
        rss_middle = rss_mib(bridge.pid)
        await asyncio.wait_for(server.done.wait(), args.timeout)
        linkedids = {call.linkedid for call in calls}
        try:
            await await_until(
                lambda: linkedids <= fake.hangups.keys(), args.drain_timeout, what="every hangup acknowledged"
            )
        except TimeoutError:
            pass
        health = await asyncio.to_thread(http_json, f"http://127.0.0.1:{http_port}/health")
        rss_end = rss_mib(bridge.pid)
        cpu_end = cpu_seconds(bridge.pid)
    finally:
        stop_sampling.set()
        await sampler
        await asyncio.to_thread(bridge.stop)
        await server.stop()
        await fake.stop()
    delivered = linkedids & fake.hangups.keys()
    incomplete = [call for call in calls if not fake.complete(call)]
    cdrs_expected = sum(len(call.cdr_uniqueids) for call in calls)
    events = len(timeline)
    send_seconds = server.last_sent - server.first_sent
    last_hangup = max(fake.hangups.values()) if fake.hangups else server.last_sent
    total_seconds = last_hangup - server.first_sent
    per_wave = [rss for at, rss in samples]
    result.update(
        calls=len(calls),
        concurrent_calls=args.calls,
        waves=args.waves,
        ami_events=events,
        ami_events_per_call=len(template.messages),
        send_seconds=round(send_seconds, 2),
        sent_events_per_s=round(events / send_seconds),
        delivered_events_per_s=round(events / total_seconds),
        drain_lag_s=round(last_hangup - server.last_sent, 3),
        hangups_delivered=len(delivered),
        hangups_from_resync=sum(1 for source in fake.hangup_sources.values() if source != "Hangup"),
        # a call counts as lost unless its ringing, answered, real hangup and all its CDRs arrived
        calls_lost=len(incomplete),
        cdrs_expected=cdrs_expected,
        cdrs_missing=cdrs_expected - len(fake.cdr_uniqueids & {u for call in calls for u in call.cdr_uniqueids}),
        events_received={kind: count for kind, count in sorted(fake.kinds.items())},
        cdrs_received=fake.cdrs,
        duplicates_received=fake.duplicates,
        odoo_posts=fake.requests,
        items_per_post=round(fake.items / fake.requests, 1) if fake.requests else None,
        bridge_health={k: health.get(k) for k in ("spool_depth", "dead_letters", "calls_in_progress")},
        rss_mib={"start": rss_start, "middle": rss_middle, "end": rss_end, "max": max(filter(None, per_wave))},
        bridge_cpu_s=round(cpu_end - cpu_start, 1) if cpu_end is not None and cpu_start is not None else None,
        ami_reconnects=server.logins - 1,
    )
    cpu = result["bridge_cpu_s"]
    result["bridge_cpu_share"] = round(cpu / total_seconds, 2) if cpu else None
    # what one fully used core would sustain at the CPU cost measured (AMI parsing, call tracking,
    # SQLite spool, JSON, HTTP delivery): the ceiling without the other processes of the machine
    result["cpu_us_per_event"] = round(cpu / events * 1e6) if cpu else None
    result["cpu_bound_events_per_s"] = round(events / cpu) if cpu else None
    return result


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=500, help="calls in progress at once (default 500)")
    parser.add_argument("--waves", type=int, default=2, help="successive batches of --calls calls (default 2)")
    parser.add_argument("--rate", type=float, default=1000, help="AMI events/s written (default 1000)")
    parser.add_argument(
        "--probe-rates",
        default="",
        help="comma-separated higher rates, one wave each, to see where the bridge falls behind (e.g. 2000,4000)",
    )
    parser.add_argument("--timeout", type=float, default=600, help="bound of the whole stream (s)")
    parser.add_argument("--drain-timeout", type=float, default=120, help="bound of the delivery after it (s)")
    args = parser.parse_args(argv)
    load_before = load_average()
    runs = [asyncio.run(run_once(args, args.rate, f"{args.rate:g} events/s"))]
    runs[0]["load_before"], runs[0]["load_after"] = load_before, load_average()
    report(runs[0])
    probe_args = argparse.Namespace(**dict(vars(args), waves=1))
    for rate in filter(None, (float(rate) for rate in args.probe_rates.split(",") if rate.strip())):
        runs.append(asyncio.run(run_once(probe_args, rate, f"probe {rate:g} events/s")))
        report(runs[-1])
    path = write_result("bridge", {"runs": runs, "argv": sys.argv[1:], "machine": machine_facts()})
    print(f"results: {path}")
    return 1 if runs[0]["calls_lost"] else 0


def report(run):
    print(
        f"[{run['label']}] {run['calls']} calls ({run['concurrent_calls']} at once x {run['waves']}), "
        f"{run['ami_events']} AMI events: sent {run['sent_events_per_s']}/s, delivered "
        f"{run['delivered_events_per_s']}/s (lag {run['drain_lag_s']} s), lost {run['calls_lost']}, "
        f"reconnects {run['ami_reconnects']}, RSS {run['rss_mib']} MiB, bridge CPU share {run['bridge_cpu_share']} "
        f"({run['cpu_us_per_event']} us/event, ceiling {run['cpu_bound_events_per_s']}/s)",
        flush=True,
    )


if __name__ == "__main__":
    sys.exit(main())
