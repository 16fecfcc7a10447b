"""A TCP server that speaks AMI by replaying real Asterisk transcripts.

Usable from any test suite (stdlib only)::

    import sys; sys.path.insert(0, "pbx/bridge/tests")
    from ami_replay import AmiReplayServer

    server = AmiReplayServer("pbx/bridge/tests/fixtures/01_answered.events.raw")
    port = await server.start()
    ...                                  # point the bridge at 127.0.0.1:port
    await server.wait_done(timeout=10)   # every recorded event was sent
    await server.stop()

What a client gets, per connection:

* the recorded banner (``Asterisk Call Manager/11.0.0``);
* for ``Login``: the recorded answer of the events connection (its ActionID
  replaced by the client's), then the recorded event stream byte for byte,
  from the banner's login answer to just before the final ``Response:
  Goodbye``.  With ``reject_login=True`` (or a ``secret`` that does not match)
  the recorded ``Authentication failed`` answer of ``*.badlogin.raw`` instead,
  then the socket closes, as Asterisk does;
* for other actions: the recorded answer of the same action in the
  scenario's ``.actions.sent``/``.actions.raw`` (and ``00_login_status``'s,
  for Ping and QueueStatus), matched on Action and Channel/Interface/Queue,
  repeated actions answered in recorded order; an action with no recorded
  twin gets the recorded error answer of the same action if there is one
  (e.g. ``No such channel``), else Asterisk's ``Invalid/unknown command``;
* ``CoreShowChannels``: the recorded answer's framing with one
  ``CoreShowChannel`` per channel alive at that point of the stream, and
  ``QueueStatus``: the recorded answer with its ``QueueMember`` entries
  updated from the QueueMember* events streamed so far and a ``QueueEntry``
  per caller waiting (the recordings answered these with no call in
  progress, so the list entries are built from the stream's own events);
* ``Logoff``: the recorded ``Goodbye``.

Options: ``speed`` paces the stream with the timestamps of the scenario's
``.log`` (``speed=1`` real time, ``10`` ten times faster; without a log,
``interval`` seconds between messages); ``drop_after=N`` aborts the socket
once N stream messages were sent (once; a reconnecting client resumes after
``lost`` skipped messages); ``inject={i: bytes}`` sends raw bytes before
stream message ``i``; ``trailer`` sends raw bytes after the last one;
``hold`` keeps the stream back until :meth:`release`; ``ignore_actions``
names actions left unanswered (e.g. ``("Ping",)``: a hung Asterisk).
"""

import asyncio
import contextlib
import re
from datetime import datetime
from pathlib import Path

EOL = b"\r\n"
SEP = b"\r\n\r\n"
IDENTITY = ("channel", "interface", "queue")
# what a CoreShowChannel entry tells of a channel, as Newchannel/Newstate/... give it
CHANNEL_KEYS = (
    "Channel",
    "ChannelState",
    "ChannelStateDesc",
    "CallerIDNum",
    "CallerIDName",
    "ConnectedLineNum",
    "ConnectedLineName",
    "Language",
    "AccountCode",
    "Context",
    "Exten",
    "Priority",
    "Uniqueid",
    "Linkedid",
)


# -- parsing the recordings ------------------------------------------------


def split_stream(data):
    """Split recorded bytes into (banner, [message, ...]); messages keep CRLFCRLF."""
    banner = b""
    if data.startswith(b"Asterisk Call Manager/"):
        line, _, data = data.partition(EOL)
        banner = line + EOL
    messages = [block + SEP for block in data.split(SEP) if block.strip()]
    return banner, messages


def headers_of(block):
    """Ordered (key, value) pairs of one message."""
    pairs = []
    for line in block.decode("utf-8", "replace").split("\r\n"):
        key, sep, val = line.partition(": ")
        if sep:
            pairs.append((key, val))
        elif line.endswith(":"):
            pairs.append((line[:-1], ""))
    return pairs


def first(pairs, key):
    key = key.lower()
    for k, v in pairs:
        if k.lower() == key:
            return v
    return None


def with_action_id(block, action_id):
    """``block`` with its ActionID line replaced (or removed when None)."""
    lines = block[: -len(SEP)].split(EOL)
    out = []
    for line in lines:
        if line.lower().startswith(b"actionid:"):
            if action_id is None:
                continue
            line = b"ActionID: " + action_id.encode()
        out.append(line)
    return EOL.join(out) + SEP


def log_times(log_path, direction="events <<"):
    """Timestamps (seconds) of the messages one connection received, from a .log."""
    pattern = re.compile(r"^---- (\d\d:\d\d:\d\d\.\d+) " + re.escape(direction) + r"\s*$")
    times = []
    for line in Path(log_path).read_text(encoding="utf-8", errors="replace").splitlines():
        match = pattern.match(line)
        if match:
            moment = datetime.strptime(match.group(1), "%H:%M:%S.%f")
            times.append(moment.hour * 3600 + moment.minute * 60 + moment.second + moment.microsecond / 1e6)
    return times


class Recording:
    """Actions a client sent (``.actions.sent``) and what Asterisk answered."""

    def __init__(self, sent_path, raw_path):
        _, sent = split_stream(Path(sent_path).read_bytes())
        _, answers = split_stream(Path(raw_path).read_bytes())
        by_id = {}
        for block in answers:
            action_id = first(headers_of(block), "ActionID")
            by_id.setdefault(action_id, []).append(block)
        self.entries = []
        for block in sent:
            pairs = headers_of(block)
            name = (first(pairs, "Action") or "").lower()
            blocks = by_id.get(first(pairs, "ActionID"), [])
            if name and blocks:
                self.entries.append((name, pairs, blocks))

    def find(self, name):
        return [entry for entry in self.entries if entry[0] == name]


def _is_error(blocks):
    return blocks[0].startswith(b"Response: Error")


# -- the server --------------------------------------------------------------


class AmiReplayServer:
    """See the module docstring."""

    def __init__(
        self,
        events_path,
        *,
        recordings=None,
        host="127.0.0.1",
        port=0,
        speed=None,
        interval=0.0,
        drop_after=None,
        lost=0,
        reject_login=False,
        secret=None,
        badlogin_path=None,
        login_delay=0.0,
        inject=None,
        trailer=b"",
        hold=False,
        ignore_actions=(),
    ):
        self.events_path = Path(events_path)
        folder = self.events_path.parent
        stem = self.events_path.name.split(".")[0]
        banner, messages = split_stream(self.events_path.read_bytes())
        self.banner = banner or b"Asterisk Call Manager/11.0.0\r\n"
        self.login_answer = messages[0]
        self.goodbye = messages[-1] if messages[-1].startswith(b"Response: Goodbye") else None
        self.stream = messages[1:-1] if self.goodbye else messages[1:]
        self.recordings = self._recordings(folder, stem, recordings)
        self.badlogin = self._badlogin(folder, badlogin_path)
        self.delays = self._delays(folder / f"{stem}.log", speed, interval)
        self.host, self.port = host, port
        self.drop_after, self.lost = drop_after, lost
        self.reject_login, self.secret, self.login_delay = (
            reject_login,
            secret,
            login_delay,
        )
        self.inject = dict(inject or {})
        self.trailer = trailer
        self.ignore_actions = {name.lower() for name in ignore_actions}
        self.position = 0  # next stream message, shared by all connections
        self.connections = 0
        self.logins = 0  # accepted logins
        self.login_attempts = 0
        self.login_times = []  # loop time of every Login received
        self.received = []  # (connection number, [(key, value), ...]) of every action
        self.done = asyncio.Event()
        self._released = asyncio.Event()
        if not hold:
            self._released.set()
        self._dropped = False
        self._used = {}
        self._channels = {}  # uniqueid -> dict of the latest channel headers
        self._members = self._recorded_members()  # (queue, interface) -> QueueMember pairs
        self._waiting = {}  # uniqueid -> QueueEntry pairs
        self._server = None
        self._writers = set()
        self._tasks = set()

    # -- setup ----------------------------------------------------------------

    @staticmethod
    def _recordings(folder, stem, recordings):
        if recordings is None:
            recordings = []
            for name in (stem, "00_login_status"):
                sent, raw = (
                    folder / f"{name}.actions.sent",
                    folder / f"{name}.actions.raw",
                )
                if sent.exists() and raw.exists():
                    recordings.append((sent, raw))
        return [Recording(sent, raw) for sent, raw in recordings]

    @staticmethod
    def _badlogin(folder, badlogin_path):
        paths = [Path(badlogin_path)] if badlogin_path else sorted(folder.glob("*.badlogin.raw"))
        for path in paths:
            _, messages = split_stream(path.read_bytes())
            if messages:
                return messages[0]
        return b"Response: Error\r\nActionID: x\r\nMessage: Authentication failed\r\n\r\n"

    def _delays(self, log_path, speed, interval):
        count = len(self.stream)
        if speed and log_path.exists():
            times = log_times(log_path)
            # times[0] banner, times[1] login answer, times[2:] the stream
            if len(times) >= count + 2:
                return [max(0.0, (times[i + 2] - times[i + 1]) / speed) for i in range(count)]
        return [interval] * count

    # -- control --------------------------------------------------------------

    async def start(self):
        """Listen on host:port (port 0 = a free one); returns the port."""
        self._server = await asyncio.start_server(self._handle, self.host, self.port)
        self.port = self._server.sockets[0].getsockname()[1]
        return self.port

    def release(self):
        """Let a ``hold=True`` server start streaming."""
        self._released.set()

    async def wait_done(self, timeout=10.0):
        await asyncio.wait_for(self.done.wait(), timeout)

    def actions(self, name=None, connection=None):
        """Actions received, optionally filtered by name and connection number."""
        out = []
        for conn, pairs in self.received:
            if name and (first(pairs, "Action") or "").lower() != name.lower():
                continue
            if connection is not None and conn != connection:
                continue
            out.append(dict(pairs))
        return out

    def drop_all(self):
        """Abort every open connection now (Asterisk restart)."""
        for writer in list(self._writers):
            writer.transport.abort()

    async def stop(self):
        if self._server is not None:
            self._server.close()
        self.drop_all()
        for task in list(self._tasks):
            task.cancel()
        for task in list(self._tasks):
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        if self._server is not None:
            await self._server.wait_closed()
            self._server = None

    # -- one connection -------------------------------------------------------

    async def _handle(self, reader, writer):
        self.connections += 1
        conn = self.connections
        self._writers.add(writer)
        self._tasks.add(asyncio.current_task())
        stream = None
        try:
            writer.write(self.banner)
            await writer.drain()
            while True:
                try:
                    block = await reader.readuntil(SEP)
                except (asyncio.IncompleteReadError, ConnectionError):
                    break
                pairs = headers_of(block)
                self.received.append((conn, pairs))
                name = (first(pairs, "Action") or "").lower()
                action_id = first(pairs, "ActionID")
                if name == "login":
                    if not await self._login(writer, pairs, action_id):
                        break
                    if stream is None:
                        stream = asyncio.create_task(self._stream(writer))
                        self._tasks.add(stream)
                elif name in self.ignore_actions:
                    continue
                elif name == "logoff":
                    writer.write(with_action_id(self.goodbye or _goodbye(), action_id))
                    await writer.drain()
                    break
                else:
                    for answer in self._answer(name, pairs):
                        writer.write(with_action_id(answer, action_id))
                    await writer.drain()
        except ConnectionError:
            pass
        finally:
            if stream is not None:
                stream.cancel()
                self._tasks.discard(stream)
            self._writers.discard(writer)
            self._tasks.discard(asyncio.current_task())
            writer.close()

    async def _login(self, writer, pairs, action_id):
        self.login_attempts += 1
        self.login_times.append(asyncio.get_running_loop().time())
        refused = self.reject_login or (self.secret is not None and first(pairs, "Secret") != self.secret)
        if refused:
            await asyncio.sleep(self.login_delay)
            writer.write(with_action_id(self.badlogin, action_id))
            await writer.drain()
            return False
        self.logins += 1
        writer.write(with_action_id(self.login_answer, action_id))
        await writer.drain()
        return True

    async def _stream(self, writer):
        await self._released.wait()
        while self.position < len(self.stream):
            if self.drop_after is not None and not self._dropped and self.position >= self.drop_after:
                self._dropped = True
                for skipped in self.stream[self.position : self.position + self.lost]:
                    self._track(skipped)
                self.position += self.lost
                writer.transport.abort()
                return
            index = self.position
            if self.delays[index]:
                await asyncio.sleep(self.delays[index])
            if index in self.inject:
                writer.write(self.inject[index])
            message = self.stream[index]
            self.position += 1
            self._track(message)
            writer.write(message)
            await writer.drain()
        if self.trailer:
            writer.write(self.trailer)
            await writer.drain()
        self.done.set()

    # -- answers ----------------------------------------------------------------

    def _answer(self, name, pairs):
        if name == "coreshowchannels":
            return self._core_show_channels()
        if name == "queuestatus" and self._queue_status_recorded():
            return self._queue_status()
        candidates = [e for rec in self.recordings for e in rec.find(name)]
        if not candidates:
            return [_unknown_command(first(pairs, "Action") or "")]
        identity = [e for e in candidates if all((first(e[1], k) or "") == (first(pairs, k) or "") for k in IDENTITY)]
        if identity:
            key = name + repr([first(pairs, k) for k in IDENTITY])
            used = self._used.get(key, 0)
            self._used[key] = used + 1
            return identity[min(used, len(identity) - 1)][2]
        errors = [e for e in candidates if _is_error(e[2])]
        return (errors or candidates)[0][2]

    def _track(self, message):
        pairs = headers_of(message)
        event = first(pairs, "Event") or ""
        if event.startswith("QueueMember") or event.startswith("QueueCaller"):
            self._track_queue(event, pairs)
        uid = first(pairs, "Uniqueid")
        if not uid:
            return
        if event == "Hangup":
            self._channels.pop(uid, None)
            return
        if event != "Newchannel" and uid not in self._channels:
            return
        info = self._channels.setdefault(uid, {"_start": asyncio.get_running_loop().time()})
        for key in CHANNEL_KEYS:
            val = first(pairs, key)
            if val is not None:
                info[key] = val
        if event == "Newexten":
            info["Application"] = first(pairs, "Application") or ""
            info["ApplicationData"] = first(pairs, "AppData") or ""
        elif event == "BridgeEnter":
            info["BridgeId"] = first(pairs, "BridgeUniqueid") or ""
        elif event == "BridgeLeave":
            info["BridgeId"] = ""

    def _core_show_channels(self):
        head = None
        for rec in self.recordings:
            for _, _, blocks in rec.find("coreshowchannels"):
                head = blocks[0]
                break
        head = head or (
            b"Response: Success\r\nActionID: x\r\nEventList: start\r\nMessage: Channels will follow\r\n\r\n"
        )
        now = asyncio.get_running_loop().time()
        out = [head]
        for info in self._channels.values():
            seconds = int(now - info["_start"])
            lines = [b"Event: CoreShowChannel", b"ActionID: x"]
            for key in (*CHANNEL_KEYS, "Application", "ApplicationData"):
                lines.append(f"{key}: {info.get(key, '')}".encode())
            lines.append(f"Duration: {seconds // 3600:02d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}".encode())
            lines.append(f"BridgeId: {info.get('BridgeId', '')}".encode())
            out.append(EOL.join(lines) + SEP)
        out.append(
            b"Event: CoreShowChannelsComplete\r\nActionID: x\r\nEventList: Complete\r\n"
            + f"ListItems: {len(self._channels)}".encode()
            + SEP
        )
        return out

    # -- queue state ------------------------------------------------------------

    def _queue_status_recorded(self):
        for rec in self.recordings:
            if rec.find("queuestatus"):
                return rec.find("queuestatus")[0][2]
        return None

    def _recorded_members(self):
        members = {}
        for block in self._queue_status_recorded() or []:
            pairs = headers_of(block)
            if first(pairs, "Event") == "QueueMember":
                members[(first(pairs, "Queue"), first(pairs, "Location"))] = pairs
        return members

    def _track_queue(self, event, pairs):
        if event.startswith("QueueCaller"):
            uid = first(pairs, "Uniqueid")
            if event == "QueueCallerJoin":
                self._waiting[uid] = (
                    [("Event", "QueueEntry")]
                    + [
                        (k, first(pairs, k) or "")
                        for k in (
                            "Queue",
                            "Position",
                            "Channel",
                            "Uniqueid",
                            "CallerIDNum",
                            "CallerIDName",
                            "ConnectedLineNum",
                            "ConnectedLineName",
                        )
                    ]
                    + [("Wait", "0"), ("Priority", "0")]
                )
            elif event == "QueueCallerLeave":
                self._waiting.pop(uid, None)
            return
        key = (first(pairs, "Queue"), first(pairs, "Interface"))
        if event == "QueueMemberRemoved":
            self._members.pop(key, None)
            return
        fields = {
            "Event": "QueueMember",
            "Queue": key[0],
            "Name": first(pairs, "MemberName") or "",
            "Location": key[1],
        }
        for k in (
            "StateInterface",
            "Membership",
            "Penalty",
            "CallsTaken",
            "LastCall",
            "LastPause",
            "LoginTime",
            "InCall",
            "Status",
            "Paused",
            "PausedReason",
            "Wrapuptime",
        ):
            fields[k] = first(pairs, k) or ""
        self._members[key] = list(fields.items())

    def _queue_status(self):
        recorded = self._queue_status_recorded()
        out = [recorded[0]]
        out += [b for b in recorded if first(headers_of(b), "Event") == "QueueParams"]
        for pairs in list(self._members.values()) + list(self._waiting.values()):
            lines = [f"{k}: {v}".encode() for k, v in pairs if k.lower() != "actionid"]
            out.append(EOL.join(lines + [b"ActionID: x"]) + SEP)
        out.append(
            b"Event: QueueStatusComplete\r\nActionID: x\r\nEventList: Complete\r\n"
            + f"ListItems: {len(out) - 1}".encode()
            + SEP
        )
        return out


def _goodbye():
    return b"Response: Goodbye\r\nActionID: x\r\nMessage: Thanks for all the fish.\r\n\r\n"


def _unknown_command(name):
    return (
        f"Response: Error\r\nActionID: x\r\nMessage: Invalid/unknown command: {name}. "
        "Use Action: ListCommands to show available commands.\r\n\r\n"
    ).encode()
