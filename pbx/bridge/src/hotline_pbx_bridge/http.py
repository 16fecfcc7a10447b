"""The bridge's HTTP API for Odoo's actions (aiohttp, loopback by default).

Every route needs ``Authorization: Bearer <http.token>``, except that
``GET /health`` without a valid token answers just ``{"ok": true}`` (the
process is up: enough for a liveness probe, and it tells a stranger nothing);
with the token it gives the details and the alerts.  ``GET /metrics``
(Prometheus text format) needs the token like the actions.
Answers are JSON: ``{"ok": true, ...}`` with 200, or ``{"ok": false, "error":
"..."}`` with 400 (bad request), 401 (token), 502 (Asterisk answered
``Response: Error``; ``error`` is its Message), 503 (AMI not connected) or
504 (AMI did not answer in time).

What reaches the dialplan is checked here: extensions are 2 to 6 digits,
numbers are digits, an Originate goes only into the contexts of ``[pbx]
originate_contexts``, and ChanSpy only targets a live channel of a centre
phone or an extension the bridge knows (a queue member or a phone on a call).
"""

import hmac
import json
import logging
import re

from aiohttp import web

from .ami import AmiError, AmiNotConnected

_logger = logging.getLogger(__name__)

SPY_OPTIONS = {"listen": "qE", "whisper": "qwE", "barge": "qBE"}
TRUE = (True, "true", "1", 1, "yes", "on")
FALSE = (False, "false", "0", 0, "no", "off")
# POST /notice: what may reach the dialplan (channel variables, a Local
# channel's extension, Playback's argument, the JSON the dialplan posts back)
NOTICE_NUMBER = re.compile(r"^\+?\d{3,20}$", re.ASCII)  # ASCII: no full-width or other digits
NOTICE_SOUND = re.compile(r"^/[A-Za-z0-9_./-]+$")
NOTICE_REFERENCE = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
NOTICE_KINDS = ("notice", "survey")
EXTENSION = re.compile(r"^\d{2,6}$", re.ASCII)
DIAL_NUMBER = re.compile(r"^\+?[0-9*#]{1,32}$", re.ASCII)


class BadRequest(Exception):
    """The request body is not what the route expects (HTTP 400)."""


def _error(status, message):
    return web.json_response({"ok": False, "error": message}, status=status)


# -- request checks --------------------------------------------------------


async def _body(request):
    try:
        data = await request.json(loads=json.loads)
    except (ValueError, UnicodeDecodeError):
        raise BadRequest("body is not valid JSON") from None
    if not isinstance(data, dict):
        raise BadRequest("body must be a JSON object")
    return data


def _text(data, key, required=True, default=""):
    raw = data.get(key)
    if raw is None or raw == "":
        if required:
            raise BadRequest(f"missing field: {key}")
        return default
    if isinstance(raw, bool) or not isinstance(raw, (str, int)):
        raise BadRequest(f"field {key} must be a string")
    text = str(raw).strip()
    if not text:
        raise BadRequest(f"missing field: {key}")
    if any(c in text for c in "\r\n\0"):
        raise BadRequest(f"field {key} must not contain line breaks")
    return text


def _flag(data, key):
    raw = data.get(key)
    if raw in TRUE:
        return True
    if raw in FALSE:
        return False
    raise BadRequest(f"field {key} must be true or false")


def _matching(data, key, pattern, what, required=True):
    """The string field ``key``, checked against ``pattern`` (no coercion)."""
    raw = data.get(key)
    if raw is None or raw == "":
        if required:
            raise BadRequest(f"missing field: {key}")
        return ""
    if not isinstance(raw, str):
        raise BadRequest(f"field {key} must be a string")
    if not pattern.fullmatch(raw):
        raise BadRequest(f"field {key} must be {what}")
    return raw


def _extension(data, key):
    return _matching(data, key, EXTENSION, "an extension of 2 to 6 digits")


def _notice(data):
    """The checked fields of a POST /notice body."""
    kind = _text(data, "kind")
    if kind not in NOTICE_KINDS:
        raise BadRequest("field kind must be notice or survey")
    sound = _matching(data, "sound", NOTICE_SOUND, "an absolute path of letters, digits and _ . / -")
    if ".." in sound:
        raise BadRequest("field sound must not contain '..'")
    return {
        "kind": kind,
        "number": _matching(data, "number", NOTICE_NUMBER, "3 to 20 digits, optionally after +"),
        "sound": sound,
        "reference": _matching(data, "reference", NOTICE_REFERENCE, "1 to 64 letters, digits, _ or -"),
        "case": _matching(
            data, "case", NOTICE_REFERENCE, "1 to 64 letters, digits, _ or -", required=(kind == "survey")
        ),
    }


def _variables(data):
    raw = data.get("variables") or {}
    if not isinstance(raw, dict):
        raise BadRequest("field variables must be an object")
    out = []
    for name, val in raw.items():
        name = _text({"name": name}, "name")
        val = _text({"value": val}, "value", required=False)
        if "=" in name:
            raise BadRequest("variable names must not contain '='")
        out.append(f"{name}={val}")
    return out


# -- the application -------------------------------------------------------


class Api:
    """Route handlers; ``ami`` is the AmiClient, ``state`` what the bridge knows.

    ``state`` provides ``health()`` (a dict coroutine), ``metrics()`` (a text
    coroutine), ``is_agent_channel(name)`` and ``is_known_extension(ext)``.
    """

    def __init__(self, http_config, pbx_config, ami, state):
        self.http = http_config
        self.pbx = pbx_config
        self.ami = ami
        self.state = state

    def app(self):
        app = web.Application(middlewares=[self.auth_middleware, self.error_middleware])
        app.add_routes(
            [
                web.get("/health", self.health),
                web.get("/metrics", self.metrics),
                web.post("/originate", self.originate),
                web.post("/notice", self.notice),
                web.post("/hangup", self.hangup),
                web.post("/redirect", self.redirect),
                web.post("/spy", self.spy),
                web.post("/pickup", self.pickup),
                web.post("/queue/add", self.queue_add),
                web.post("/queue/remove", self.queue_remove),
                web.post("/queue/pause", self.queue_pause),
            ]
        )
        return app

    # -- middlewares ----------------------------------------------------------

    def _authorised(self, request):
        header = request.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        expected = self.http.token.encode()
        return scheme.lower() == "bearer" and hmac.compare_digest(token.strip().encode(), expected)

    @web.middleware
    async def auth_middleware(self, request, handler):
        if request.path == "/health" and request.method == "GET" and not self._authorised(request):
            return web.json_response({"ok": True})  # alive; details only with the token
        if not self._authorised(request):
            response = _error(401, "missing or wrong bearer token")
            response.headers["WWW-Authenticate"] = "Bearer"
            return response
        return await handler(request)

    @web.middleware
    async def error_middleware(self, request, handler):
        try:
            return await handler(request)
        except web.HTTPException:
            raise
        except BadRequest as exc:
            return _error(400, str(exc))
        except AmiNotConnected as exc:
            return _error(503, str(exc))
        except AmiError as exc:
            _logger.info("%s %s: Asterisk refused: %s", request.method, request.path, exc.message)
            return _error(502, exc.message)
        except TimeoutError as exc:
            return _error(504, str(exc) or "AMI did not answer in time")
        except Exception:
            _logger.exception("%s %s failed", request.method, request.path)
            return _error(500, "internal error, see the bridge log")

    # -- helpers --------------------------------------------------------------

    async def _action(self, action):
        response = await self.ami.send(action, as_list=False)
        return web.json_response(
            {
                "ok": True,
                "response": response.response,
                "message": response.message,
                "action_id": response.actionid,
            }
        )

    def _originate(self, channel, caller_id, **rest):
        action = {
            "Action": "Originate",
            "Channel": channel,
            "CallerID": caller_id,
            "Timeout": str(int(self.pbx.originate_timeout * 1000)),
            "Async": "true",
        }
        action.update(rest)
        return action

    # -- routes ---------------------------------------------------------------

    async def health(self, request):
        return web.json_response(await self.state.health())

    async def metrics(self, request):
        return web.Response(text=await self.state.metrics(), content_type="text/plain", charset="utf-8")

    def _context(self, data):
        context = _text(data, "context", False, self.pbx.outbound_context)
        allowed = self.pbx.originate_contexts or (self.pbx.outbound_context,)
        if context not in allowed:
            raise BadRequest(f"field context must be one of: {', '.join(allowed)}")
        return context

    async def originate(self, request):
        data = await _body(request)
        ext = _extension(data, "extension")
        number = _matching(data, "number", DIAL_NUMBER, "a number to dial (digits, * and #, optionally after +)")
        context = self._context(data)
        variables = ["C2C=1", f"HOTLINE_NUMBER={number}", *_variables(data)]
        action = self._originate(
            self.pbx.agent_channel.format(extension=ext),
            _text(data, "caller_id", False, self.pbx.agent_caller_id.format(extension=ext)),
            Context=context,
            Exten=number,
            Priority="1",
            Variable=variables,
        )
        return await self._action(action)

    async def notice(self, request):
        """Voice notice or survey call: dial the citizen, then play / ask.

        The dialplan context comes from the configuration, never from the
        request; the variables are inherited (``__``) by the channels the
        outdial context creates, so every leg knows the call's reference.
        """
        notice = _notice(await _body(request))
        context = self.pbx.survey_context if notice["kind"] == "survey" else self.pbx.notice_context
        action = self._originate(
            self.pbx.notice_channel.format(number=notice["number"]),
            self.pbx.notice_caller_id,
            Context=context,
            Exten="s",
            Priority="1",
            Timeout=str(int(self.pbx.notice_timeout * 1000)),
            Variable=[
                f"__HOTLINE_NOTICE_SOUND={notice['sound']}",
                f"__HOTLINE_REFERENCE={notice['reference']}",
                f"__HOTLINE_CASE={notice['case']}",
            ],
        )
        _logger.info("%s call %s to %s", notice["kind"], notice["reference"], notice["number"])
        return await self._action(action)

    async def hangup(self, request):
        data = await _body(request)
        channel = _text(data, "channel")
        return await self._action({"Action": "Hangup", "Channel": channel, "Cause": "16"})

    async def redirect(self, request):
        data = await _body(request)
        action = {
            "Action": "Redirect",
            "Channel": _text(data, "channel"),
            "Context": _text(data, "context"),
            "Exten": _text(data, "exten"),
            "Priority": _text(data, "priority", False, "1"),
        }
        return await self._action(action)

    async def spy(self, request):
        data = await _body(request)
        supervisor = _extension(data, "supervisor_extension")
        mode = _text(data, "mode", False, "listen")
        if mode not in SPY_OPTIONS:
            raise BadRequest("mode must be one of listen, whisper, barge")
        target = self._spy_target(data)
        action = self._originate(
            self.pbx.supervisor_channel.format(extension=supervisor),
            self.pbx.supervisor_caller_id.format(extension=supervisor),
            Application="ChanSpy",
            Data=f"{target},{SPY_OPTIONS[mode]}",
        )
        return await self._action(action)

    def _spy_target(self, data):
        """A live channel of a centre phone, or the phone of a known extension: never anything else."""
        target = _text(data, "target_channel", False)
        if target:
            if not self.state.is_agent_channel(target):
                raise BadRequest("field target_channel must be a live channel of an agent's phone")
            return target
        if not data.get("target_extension"):
            raise BadRequest("missing field: target_channel or target_extension")
        target_ext = _extension(data, "target_extension")
        if not self.state.is_known_extension(target_ext):
            raise BadRequest("field target_extension: the bridge knows no agent with this extension")
        return self.pbx.spy_target.format(extension=target_ext)

    async def pickup(self, request):
        data = await _body(request)
        ext = _extension(data, "extension")
        action = self._originate(
            self.pbx.agent_channel.format(extension=ext),
            self.pbx.agent_caller_id.format(extension=ext),
            Application="PickupChan",
            Data=_text(data, "target_channel"),
        )
        return await self._action(action)

    def _interface(self, data):
        interface = _text(data, "interface", False)
        if interface:
            return interface
        if not data.get("extension"):
            raise BadRequest("missing field: interface")
        return self.pbx.member_interface.format(extension=_extension(data, "extension"))

    async def queue_add(self, request):
        data = await _body(request)
        action = {
            "Action": "QueueAdd",
            "Queue": _text(data, "queue"),
            "Interface": self._interface(data),
        }
        state_interface = _text(data, "state_interface", False)
        if not state_interface and not data.get("interface") and self.pbx.member_state_interface:
            state_interface = self.pbx.member_state_interface.format(extension=_extension(data, "extension"))
        if state_interface:
            action["StateInterface"] = state_interface
        member_name = _text(data, "member_name", False)
        if member_name:
            action["MemberName"] = member_name
        if data.get("penalty") is not None:
            penalty = data["penalty"]
            if isinstance(penalty, bool) or not isinstance(penalty, int) or penalty < 0:
                raise BadRequest("field penalty must be a non-negative integer")
            action["Penalty"] = str(penalty)
        if data.get("paused") is not None:
            action["Paused"] = "true" if _flag(data, "paused") else "false"
        return await self._action(action)

    async def queue_remove(self, request):
        data = await _body(request)
        action = {
            "Action": "QueueRemove",
            "Queue": _text(data, "queue"),
            "Interface": self._interface(data),
        }
        return await self._action(action)

    async def queue_pause(self, request):
        data = await _body(request)
        if "paused" not in data:
            raise BadRequest("missing field: paused")
        paused = _flag(data, "paused")
        action = {
            "Action": "QueuePause",
            "Interface": self._interface(data),
            "Paused": "true" if paused else "false",
        }
        queue = _text(data, "queue", False)
        if queue:
            action["Queue"] = queue
        reason = _text(data, "reason", False)
        if reason:
            action["Reason"] = reason
        return await self._action(action)


class HttpServer:
    """Runs the :class:`Api` on ``[http] host:port``."""

    def __init__(self, http_config, pbx_config, ami, state):
        self.config = http_config
        self.api = Api(http_config, pbx_config, ami, state)
        self._runner = None
        self.port = None

    async def start(self):
        self._runner = web.AppRunner(self.api.app(), access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.config.host, self.config.port)
        await site.start()
        self.port = self._runner.addresses[0][1]
        _logger.info("HTTP API listening on %s:%s", self.config.host, self.port)
        return self.port

    async def stop(self):
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
