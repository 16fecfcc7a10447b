"""The one AMI connection of the bridge: connect, log in, keep alive, reconnect.

panoramisk does the framing, the action/response matching and the event
dispatch (``Manager.register_event``).  The connection's life is managed here
instead of by panoramisk's fixed-interval reconnect, because the bridge needs:

* exponential backoff between attempts (``reconnect_min`` .. ``reconnect_max``),
  also after a refused login, so a wrong secret never becomes a tight loop;
* a timeout on connect, login and every action; a keep-alive that counts
  any received byte as proof of life and Pings only an idle connection, so a
  busy stream (a Ping answer queued behind thousands of events) is never cut;
* a hook after each successful login (the resync of calls and queues);
* actions in flight when the socket drops fail at once (never re-sent after
  the reconnect: a click-to-call must not ring twice);
* events dispatched by name through a dict (no regex over every registered
  pattern, no task per event for synchronous handlers).
"""

import asyncio
import contextlib
import logging
import time

from panoramisk import actions
from panoramisk.ami_protocol import AMIProtocol
from panoramisk.manager import Manager
from panoramisk.message import Message

_logger = logging.getLogger(__name__)

EOL = "\r\n"
EOL_BYTES = b"\r\n"
MESSAGE_END = b"\r\n\r\n"
BANNER = b"Asterisk Call Manager/"
MAX_MESSAGE = 1 << 20  # a message this long without its end is garbage


class AmiNotConnected(Exception):
    """No logged-in AMI connection right now."""


class AmiError(Exception):
    """Asterisk answered an action with ``Response: Error``."""

    def __init__(self, message, response=None):
        super().__init__(message)
        self.message = message
        self.response = response


class AmiAuthError(AmiError):
    """The Login action was refused (wrong username or secret, ACL)."""


class BridgeProtocol(AMIProtocol):
    """panoramisk's protocol, with logging of bad input and no action replay."""

    def connection_made(self, transport):
        super().connection_made(transport)
        self.last_received = time.monotonic()  # liveness: any byte from Asterisk
        self.buffer = bytearray()  # bytes received and not yet a whole message
        self._scanned = 0  # the buffer holds no message end before this offset
        self._banner_seen = False

    def data_received(self, data):
        """Buffer bytes, cut whole messages at CRLF CRLF, decode each whole message.

        A read may end inside a message or inside a multi-byte character (a
        Chinese caller name), so nothing is decoded before its message is complete.
        """
        self.last_received = time.monotonic()
        self.buffer += data
        if not self._banner_seen and not self._take_banner():
            return
        buffer, start = self.buffer, 0
        end = buffer.find(MESSAGE_END, max(0, self._scanned - len(MESSAGE_END) + 1))
        while end >= 0:
            self._handle_block(self._decode(bytes(buffer[start:end])).strip())
            start = end + len(MESSAGE_END)
            end = buffer.find(MESSAGE_END, start)
        del buffer[:start]
        self._scanned = len(buffer)
        if len(buffer) > MAX_MESSAGE:
            _logger.warning("AMI sent %d bytes without a message end; dropped them", len(buffer))
            buffer.clear()
            self._scanned = 0

    def _take_banner(self):
        """Read ``Asterisk Call Manager/<version>`` off the buffer; False while it is incomplete."""
        head = bytes(self.buffer[: len(BANNER)])
        if not head.startswith(BANNER):
            if BANNER.startswith(head):
                return False  # a prefix of the banner so far: wait for more
            self._banner_seen = True  # no banner (never seen from Asterisk): parse as messages
            return True
        line_end = self.buffer.find(EOL_BYTES)
        if line_end < 0:
            return False
        line = self._decode(bytes(self.buffer[:line_end]))
        self.version = line.partition("/")[2].strip()
        _logger.info("AMI protocol version %s", self.version)
        del self.buffer[: line_end + len(EOL_BYTES)]
        self._banner_seen = True
        return True

    @staticmethod
    def _decode(raw):
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            _logger.warning("AMI sent bytes that are not UTF-8; replaced them")
            return raw.decode("utf-8", "replace")

    def _handle_block(self, block):
        if not block or block.startswith("Asterisk Call Manager/") and EOL not in block:
            return
        try:
            message = Message.from_line(block)
        except Exception:  # a parser bug must not take the connection down
            _logger.exception("AMI message could not be parsed: %r", block[:200])
            return
        if message is None:
            _logger.warning("AMI message without Event or Response ignored: %r", block[:200])
            return
        try:
            self.handle_message(message)
        except Exception:
            _logger.exception("AMI message could not be handled: %r", block[:200])

    def close(self):
        """Fail what is still waiting for an answer, then close the socket."""
        pending = list(self.responses.values())
        self.responses.clear()
        for action in pending:
            if not action.future.done():
                action.future.set_exception(AmiNotConnected("AMI connection lost"))
        if not self.closed:
            try:
                self.transport.close()
            finally:
                self.closed = True


class BridgeManager(Manager):
    """panoramisk's Manager without its own connect/reconnect logic."""

    def __init__(self, on_lost, **config):
        self.by_name = {}  # AMI event name -> [callback, ...]
        self.on_every_event = None  # callable(name), called for every event first
        super().__init__(**config)
        self._on_lost = on_lost

    def attach(self, protocol):
        """Wire a freshly connected protocol (what ``Manager.connection_made`` does)."""
        self.protocol = protocol
        protocol.factory = self
        protocol.log = self.log
        protocol.config = self.config
        protocol.encoding = self.encoding = "utf-8"
        self.responses = protocol.responses = {}
        self._connected = True

    async def send_awaiting_actions(self, *_):
        """Never re-send actions after a reconnect (see the module docstring)."""
        self.awaiting_actions.clear()

    def register_event(self, pattern, callback=None):
        """``pattern`` is an event name (exact, case-sensitive as Asterisk sends it)
        or, rarely, an fnmatch pattern (``*``, ``Queue*``) matched by regex."""
        if any(c in pattern for c in "*?["):
            return super().register_event(pattern, callback)
        self.by_name.setdefault(pattern, []).append(callback)
        return callback

    def dispatch(self, event):
        """Call the handlers of ``event``'s name; a failing handler is logged, not fatal.

        Synchronous handlers run right here, in the order the events arrive;
        a handler returning a coroutine gets a task (only then).
        """
        event.manager = self
        name = event.get("Event", "")
        if self.on_every_event is not None:
            self.on_every_event(name)
        callbacks = self.by_name.get(name)
        if callbacks:
            for callback in callbacks:
                self._call(callback, name, event)
        if self.patterns:  # wildcard registrations only (none in the bridge itself)
            for pattern, regexp in self.patterns:
                if regexp.match(name) is not None:
                    for callback in self.callbacks[pattern]:
                        self._call(callback, name, event)

    def _call(self, callback, name, event):
        try:
            result = callback(self, event)
        except Exception:
            _logger.exception("handler for AMI event %s failed", name)
            return
        if result is not None and asyncio.iscoroutine(result):
            task = asyncio.ensure_future(result)
            task.add_done_callback(_log_handler_failure)

    def connection_lost(self, exc):
        self._connected = False
        self.authenticated = False
        self._on_lost(exc)

    def close(self):
        if getattr(self, "protocol", None):
            self.protocol.close()


def _log_handler_failure(task):
    if not task.cancelled() and task.exception() is not None:
        _logger.error("AMI event handler failed", exc_info=task.exception())


class AmiClient:
    """Keeps one logged-in AMI session alive for as long as :meth:`run` runs."""

    def __init__(self, config, on_login=None):
        self.config = config
        self.on_login = on_login
        self.connected = False
        self.last_error = ""
        self.logins = 0
        self._lost = None
        self._transport = None
        self._stopping = False
        self._delay = config.reconnect_min
        self.manager = BridgeManager(
            self._connection_lost,
            host=config.host,
            port=config.port,
            username=config.username,
            secret=config.secret,
            log=logging.getLogger("hotline_pbx_bridge.panoramisk"),
        )

    # -- events -------------------------------------------------------------

    def register_event(self, name, callback):
        """``callback(manager, event)`` for every AMI event called ``name``."""
        self.manager.register_event(name, callback)

    def on_every_event(self, callback):
        """``callback(name)`` before the handlers of every event (liveness, counters)."""
        self.manager.on_every_event = callback

    # -- actions ------------------------------------------------------------

    async def send(self, action, timeout=None, as_list=False):
        """Send ``action`` (a dict) and return its answer.

        ``as_list=False`` returns the single Response message; ``as_list=None``
        lets panoramisk collect an event list (CoreShowChannels, QueueStatus)
        and returns ``[Response, Event, ..., EventComplete]``.  Raises
        :class:`AmiNotConnected`, :class:`AmiError` or :class:`TimeoutError`.
        """
        if not self.connected:
            raise AmiNotConnected(self._not_connected_reason())
        return await self._send(action, timeout, as_list)

    async def _send(self, action, timeout, as_list):
        action = actions.Action(dict(action), as_list=as_list)
        future = self.manager.send_action(action, as_list=as_list)
        try:
            answer = await asyncio.wait_for(future, timeout or self.config.action_timeout)
        except TimeoutError:
            self._forget(action)
            raise TimeoutError(
                f"AMI did not answer {action['Action']} within {timeout or self.config.action_timeout:g} s"
            ) from None
        response = answer[0] if isinstance(answer, list) else answer
        if response.response not in ("Success", "Follows", "Goodbye"):
            raise AmiError(response.message or response.response or "unknown AMI error", answer)
        return answer

    def _forget(self, action):
        protocol = self.manager.protocol
        if protocol is not None:
            protocol.responses.pop(action.id, None)

    def _not_connected_reason(self):
        reason = f"AMI not connected to {self.config.host}:{self.config.port}"
        if self.last_error:
            reason += f" ({self.last_error})"
        return reason

    # -- connection life ----------------------------------------------------

    async def run(self):
        """Connect, log in and stay connected until :meth:`stop`; never raises."""
        self._delay = self.config.reconnect_min
        while not self._stopping:
            try:
                await self._session()
            except asyncio.CancelledError:
                raise
            except AmiAuthError as exc:
                self.last_error = f"login refused: {exc.message}"
                _logger.error(
                    "AMI login to %s:%s as %r refused: %s -- check [ami] username and "
                    "secret and the user's permit/deny in manager.conf; "
                    "retrying in %.3g s",
                    self.config.host,
                    self.config.port,
                    self.config.username,
                    exc.message,
                    self._delay,
                )
            except (OSError, TimeoutError, AmiError, AmiNotConnected) as exc:
                self.last_error = str(exc) or exc.__class__.__name__
                _logger.warning(
                    "AMI %s:%s unavailable: %s; retrying in %.3g s",
                    self.config.host,
                    self.config.port,
                    self.last_error,
                    self._delay,
                )
            except Exception:
                self.last_error = "unexpected error"
                _logger.exception("AMI session failed; retrying in %.3g s", self._delay)
            finally:
                self._drop()
            if self._stopping:
                break
            await asyncio.sleep(self._delay)
            self._delay = min(self._delay * 2, self.config.reconnect_max)

    async def _session(self):
        loop = asyncio.get_running_loop()
        self._lost = loop.create_future()
        self._transport, protocol = await asyncio.wait_for(
            loop.create_connection(BridgeProtocol, self.config.host, self.config.port),
            self.config.connect_timeout,
        )
        self.manager.attach(protocol)
        login = {
            "Action": "Login",
            "Username": self.config.username,
            "Secret": self.config.secret,
            "Events": "on",
        }
        try:
            await self._send(login, self.config.connect_timeout, False)
        except AmiError as exc:
            raise AmiAuthError(exc.message, exc.response) from None
        self.connected = True
        self.manager.authenticated = True
        self.logins += 1
        self.last_error = ""
        self._delay = self.config.reconnect_min  # a good login resets the backoff
        _logger.info(
            "AMI logged in to %s:%s as %r",
            self.config.host,
            self.config.port,
            self.config.username,
        )
        keepalive = asyncio.create_task(self._keepalive())
        try:
            if self.on_login is not None:
                await self._call_on_login()
            exc = await self._lost
        finally:
            keepalive.cancel()
        if not self._stopping:
            raise AmiNotConnected(f"connection lost ({exc or 'closed by Asterisk'})")

    async def _call_on_login(self):
        try:
            await self.on_login(self)
        except (AmiNotConnected, asyncio.CancelledError):
            raise
        except Exception:
            _logger.exception("AMI resynchronisation after login failed")

    async def _keepalive(self):
        """Ping only an idle connection; declare it dead only when silent.

        Any byte received proves the connection alive, so a Ping is sent only
        after ``ping_interval`` without traffic.  An unanswered Ping is fatal
        only if nothing at all arrived for ``ping_timeout`` since it was sent
        (or since the last byte): under a heavy stream the answer waits behind
        the events still in the socket, and cutting the connection then would
        lose them.
        """
        protocol = self.manager.protocol
        interval, timeout = self.config.ping_interval, self.config.ping_timeout
        while True:
            idle = time.monotonic() - protocol.last_received
            if idle < interval:
                await asyncio.sleep(interval - idle)
                continue
            error = await self._ping(protocol, timeout)
            if error is not None:
                _logger.warning("AMI keep-alive Ping failed (%s); reconnecting", error)
                self._abort()
                return

    async def _ping(self, protocol, timeout):
        """One Ping; None when answered (or the line proved alive), else the reason."""
        action = actions.Action({"Action": "Ping"}, as_list=False)
        sent = time.monotonic()
        future = self.manager.send_action(action, as_list=False)
        try:
            while True:
                silent = time.monotonic() - max(sent, protocol.last_received)
                if silent >= timeout:
                    return f"no answer and no traffic for {timeout:g} s"
                done, _ = await asyncio.wait({future}, timeout=timeout - silent)
                if done:
                    if future.exception() is not None:
                        return str(future.exception()) or future.exception().__class__.__name__
                    return None
        finally:
            if not future.done():
                future.cancel()
                self._forget(action)

    def _connection_lost(self, exc):
        self.connected = False
        if self._lost is not None and not self._lost.done():
            self._lost.set_result(exc)

    def _abort(self):
        if self._transport is not None:
            self._transport.abort()

    def _drop(self):
        self.connected = False
        self.manager.close()
        if self._transport is not None:
            self._transport.close()
            self._transport = None

    async def stop(self):
        """Log off politely (short timeout) and close the socket."""
        self._stopping = True
        if self.connected:
            with contextlib.suppress(Exception):  # going away anyway
                await self._send({"Action": "Logoff"}, 1.0, False)
        self.connected = False
        if self._lost is not None and not self._lost.done():
            self._lost.set_result(None)
        self._drop()
