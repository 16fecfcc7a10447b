"""Synthetic AMI traffic for the telephony benchmarks, derived from a real Asterisk recording.

:func:`call_template` reads ``pbx/bridge/tests/fixtures/01_answered.events.raw`` (an answered
queue call: 159 AMI events) and its ``.log`` (when each event was received);
:func:`make_call` rewrites a copy of it for call number ``k``: new uniqueids / linkedids
(``<epoch>.<counter>`` as Asterisk writes them), new Local channel numbers, a new bridge id,
optionally another agent extension and another caller number, so that any number of
distinct calls can be replayed at once. :class:`AmiStreamServer` is a minimal AMI server
(Login, Ping, CoreShowChannels, QueueStatus, Logoff) that streams a prepared timeline of
messages and records when each call's ``AgentCalled`` was written to the socket.
"""

import asyncio
import random
import re
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "pbx" / "bridge" / "tests" / "fixtures"
RECORDING = FIXTURES / "01_answered.events.raw"
SEP = b"\r\n\r\n"
RECORDED_LINKEDID = b"1795651774.0"
UNIQUEID_RE = re.compile(rb"\b1795651774\.(\d+)\b")
LOCAL_NUMBER_RE = re.compile(rb"-(0000000[01]);")
BRIDGE_ID_RE = re.compile(rb"7ccb52bb-65d0-45a8-ba1c-151315fdd672")
AGENT_RE = re.compile(rb"(?<![\w.])1001(?![\w])")
CALLER_RE = re.compile(rb"(?<![\w.])13800138000(?![\w])")
CDR_UNIQUEID_RE = re.compile(rb"\r\nUniqueID: ([^\r]+)\r\n")
SKIPPED_EVENTS = (b"Event: FullyBooted\r\n", b"Event: SuccessfulAuth\r\n")
CHANNELS_PER_CALL = 4  # 1795651774.0 .. .3
LOCALS_PER_CALL = 2  # Local/12319@from-pstn-00000000, Local/1001@agents-00000001


@dataclass
class CallTemplate:
    """The recorded call: its messages and each one's offset (seconds) from the first."""

    messages: list
    offsets: list
    login_answer: bytes
    banner: bytes = b"Asterisk Call Manager/11.0.0\r\n"

    @property
    def ringing_index(self):
        return next(i for i, message in enumerate(self.messages) if message.startswith(b"Event: AgentCalled\r\n"))


@dataclass
class Call:
    index: int
    linkedid: str
    extension: str
    caller: str
    messages: list
    offsets: list
    ringing_index: int
    cdr_uniqueids: tuple = ()  # the uniqueids of the call's Cdr events
    sent: dict = field(default_factory=dict)  # message index -> perf_counter when written


def _log_offsets(log_path):
    """Times of the messages received by the events connection, from the scenario's .log."""
    pattern = re.compile(r"^---- (\d\d):(\d\d):(\d\d\.\d+) events <<\s*$")
    times = []
    for line in Path(log_path).read_text(encoding="utf-8", errors="replace").splitlines():
        match = pattern.match(line)
        if match:
            hours, minutes, seconds = match.groups()
            times.append(int(hours) * 3600 + int(minutes) * 60 + float(seconds))
    return times


def call_template(path=RECORDING):
    data = Path(path).read_bytes()
    blocks = [block + SEP for block in data.split(SEP) if block.strip()]
    head, events = blocks[0], blocks[1:]
    if events and events[-1].startswith(b"Response: Goodbye"):
        events = events[:-1]
    banner, _sep, login_answer = head.partition(b"\r\n")
    times = _log_offsets(Path(path).with_name(Path(path).name.split(".")[0] + ".log"))
    stream_times = times[2 : 2 + len(events)] if len(times) >= len(events) + 2 else [0.0] * len(events)
    kept = [
        (message, at)
        for message, at in zip(events, stream_times, strict=True)
        if not message.startswith(SKIPPED_EVENTS)
    ]
    start = kept[0][1]
    return CallTemplate(
        messages=[message for message, _at in kept],
        offsets=[at - start for _message, at in kept],
        login_answer=login_answer,
        banner=banner + b"\r\n",
    )


def make_call(template, index, epoch, extension="1001", caller=None):
    """Call number ``index`` of a run: the template with every identifier of the call rewritten."""
    counter = index * CHANNELS_PER_CALL
    locals_base = index * LOCALS_PER_CALL
    bridge_id = str(uuid.UUID(int=(epoch << 64) | index)).encode()

    def uniqueid(match):
        return f"{epoch}.{counter + int(match.group(1))}".encode()

    def local(match):
        return f"-{locals_base + int(match.group(1), 16):08x};".encode()

    messages = []
    for message in template.messages:
        message = UNIQUEID_RE.sub(uniqueid, message)
        message = LOCAL_NUMBER_RE.sub(local, message)
        message = BRIDGE_ID_RE.sub(bridge_id, message)
        if extension != "1001":
            message = AGENT_RE.sub(extension.encode(), message)
        if caller:
            message = CALLER_RE.sub(caller.encode(), message)
        messages.append(message)
    cdr_uniqueids = tuple(
        match.group(1).decode()
        for message in messages
        if message.startswith(b"Event: Cdr\r\n")
        for match in [CDR_UNIQUEID_RE.search(message)]
        if match
    )
    return Call(
        index=index,
        linkedid=f"{epoch}.{counter}",
        extension=extension,
        caller=caller or "13800138000",
        messages=messages,
        offsets=list(template.offsets),
        ringing_index=template.ringing_index,
        cdr_uniqueids=cdr_uniqueids,
    )


def run_epoch():
    """A uniqueid epoch of its own for every run (Asterisk's uniqueids start with the epoch)."""
    return int(time.time())


def paced_timeline(calls, interval, speed=1.0, poisson_seed=None):
    """``[(at, call, message index)]``: call k starts at ``k * interval`` (or, with
    ``poisson_seed``, after exponentially distributed gaps of mean ``interval``: calls arriving
    at random), its messages keep the recorded spacing divided by ``speed``."""
    rng = random.Random(poisson_seed) if poisson_seed is not None else None
    timeline, start = [], 0.0
    for position, call in enumerate(calls):
        if rng is None:
            start = position * interval
        elif position:
            start += rng.expovariate(1 / interval)
        timeline.extend((start + offset / speed, call, i) for i, offset in enumerate(call.offsets))
    timeline.sort(key=lambda item: (item[0], item[1].index, item[2]))
    return timeline


def interleaved_timeline(calls, rate):
    """Round robin: message j of every call before message j+1 of any, ``rate`` messages/s.

    All the calls are in progress at once (the concurrency is ``len(calls)``)."""
    timeline = []
    depth = max(len(call.messages) for call in calls)
    for j in range(depth):
        for call in calls:
            if j < len(call.messages):
                timeline.append((len(timeline) / rate, call, j))
    return timeline


def _answer(action_id, lines):
    text = (
        "Response: Success\r\n"
        + (f"ActionID: {action_id}\r\n" if action_id else "")
        + "".join(f"{line}\r\n" for line in lines)
    )
    return text.encode() + b"\r\n"


def _event_list(action_id, message, complete):
    aid = f"ActionID: {action_id}\r\n" if action_id else ""
    return (
        f"Response: Success\r\n{aid}EventList: start\r\nMessage: {message}\r\n\r\n"
        f"Event: {complete}\r\n{aid}EventList: Complete\r\nListItems: 0\r\n\r\n"
    ).encode()


class AmiStreamServer:
    """A minimal AMI server streaming ``timeline`` (see :func:`paced_timeline`) after the first login.

    ``burst``: messages due within this many seconds are written together. Every write is
    drained, so a slow reader (the bridge) slows the stream down: the achieved rate is what
    the reader sustained. ``sent`` times are ``time.perf_counter()``.
    """

    def __init__(self, template, timeline, burst=0.002):
        self.template = template
        self.timeline = timeline
        self.burst = burst
        self.port = None
        self.started = asyncio.Event()
        self.done = asyncio.Event()
        self.position = 0
        self.first_sent = None
        self.last_sent = None
        self.logins = 0
        self.broken_writes = 0  # writes that failed because the client had gone (reconnects)
        self._server = None
        self._stream_task = None
        self._writers = set()
        self._writer = None  # the latest logged-in connection: the stream goes there
        self._logged_in = asyncio.Event()

    async def start(self, host="127.0.0.1", port=0):
        self._server = await asyncio.start_server(self._handle, host, port)
        self.port = self._server.sockets[0].getsockname()[1]
        return self.port

    async def stop(self):
        if self._stream_task is not None:
            self._stream_task.cancel()
        if self._server is not None:
            self._server.close()
        for writer in list(self._writers):
            writer.transport.abort()
        if self._server is not None:
            await self._server.wait_closed()

    async def _handle(self, reader, writer):
        self._writers.add(writer)
        try:
            writer.write(self.template.banner)
            await writer.drain()
            while True:
                try:
                    block = await reader.readuntil(SEP)
                except (asyncio.IncompleteReadError, ConnectionError):
                    break
                headers = {}
                for line in block.decode("utf-8", "replace").split("\r\n"):
                    key, sep, val = line.partition(":")
                    if sep:
                        headers[key.strip().lower()] = val.strip()
                action, action_id = headers.get("action", "").lower(), headers.get("actionid")
                if action == "login":
                    self.logins += 1
                    writer.write(_answer(action_id, ["Message: Authentication accepted"]))
                    self._writer = writer
                    self._logged_in.set()
                    if self._stream_task is None:
                        self._stream_task = asyncio.create_task(self._stream())
                elif action == "ping":
                    writer.write(_answer(action_id, ["Ping: Pong", f"Timestamp: {time.time():.6f}"]))
                elif action == "coreshowchannels":
                    writer.write(_event_list(action_id, "Channels will follow", "CoreShowChannelsComplete"))
                elif action == "queuestatus":
                    writer.write(_event_list(action_id, "Queue status will follow", "QueueStatusComplete"))
                elif action == "logoff":
                    writer.write(
                        b"Response: Goodbye\r\n" + f"ActionID: {action_id}\r\n".encode() + b"Message: Bye\r\n\r\n"
                    )
                    await writer.drain()
                    break
                else:
                    writer.write(
                        f"Response: Error\r\nActionID: {action_id}\r\nMessage: Invalid/unknown command\r\n\r\n".encode()
                    )
                await writer.drain()
        except ConnectionError:
            pass
        finally:
            self._writers.discard(writer)
            if writer is self._writer:
                self._writer = None
                self._logged_in.clear()
            writer.close()

    async def _stream(self):
        """Write the timeline to the logged-in connection; after a reconnect, go on where it was
        (what the old connection had not delivered is lost, as with Asterisk)."""
        # let the bridge finish its resync (CoreShowChannels, QueueStatus) first
        await asyncio.sleep(0.5)
        self.started.set()
        timeline = self.timeline
        origin = time.perf_counter()
        self.first_sent = origin
        count = len(timeline)
        while self.position < count:
            due = timeline[self.position][0]
            wait = origin + due - time.perf_counter()
            if wait > 0:
                await asyncio.sleep(wait)
            horizon = time.perf_counter() - origin + self.burst
            end = self.position
            chunk = []
            while end < count and timeline[end][0] <= horizon and len(chunk) < 500:
                _at, call, index = timeline[end]
                chunk.append(call.messages[index])
                end += 1
            await self._logged_in.wait()
            writer = self._writer
            try:
                writer.write(b"".join(chunk))
                now = time.perf_counter()
                for _at, call, index in timeline[self.position : end]:
                    if index == call.ringing_index:
                        call.sent[index] = now
                self.position = end
                await writer.drain()
            except (ConnectionError, AttributeError, RuntimeError):
                self.broken_writes += 1
                await asyncio.sleep(0.05)
                continue
            self.last_sent = time.perf_counter()
        self.done.set()
