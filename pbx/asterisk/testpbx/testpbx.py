#!/usr/bin/env python3
"""A loopback test PBX from pbx/asterisk, a fake Odoo, and the AMI recorder.

Used to prove the dialplan on a real Asterisk (no SIP stack: Local channels
stand in for the trunk and the citizens' phones) and to record the AMI
transcripts the bridge's tests replay (pbx/bridge/tests/fixtures/), the same
way as the transcripts of shared/asterisk/ were recorded (see README.md).
Standard library only.

    python3 testpbx.py conf DIR --ami-port 15038 --odoo-url http://127.0.0.1:18069
    asterisk -C DIR/asterisk.conf -f -n ...        # (see README.md)
    python3 testpbx.py fake-odoo --port 18069 --log DIR/odoo.jsonl --route-json FILE
    python3 testpbx.py record 06_voice_notice --ami-port 15038 --out OUT --cdr DIR/log/cdr-csv/Master.csv
"""

import argparse
import asyncio
import json
import re
import sys
import time
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

HERE = Path(__file__).resolve().parent
CONF = HERE.parent  # pbx/asterisk
EOL = b"\r\n"
SEP = b"\r\n\r\n"
PBX_TOKEN = "test-pbx-token"
AMI_USER, AMI_SECRET = "hotline", "hotline"

# ------------------------------------------------------------------ config

MODULES = """\
; test PBX: only what the hotline dialplan needs (no SIP stack)
[modules]
autoload = no
load => res_timing_timerfd.so
load => bridge_simple.so
load => bridge_softmix.so
load => bridge_holding.so
load => bridge_builtin_features.so
load => codec_ulaw.so
load => codec_alaw.so
load => codec_a_mu.so
load => codec_resample.so
load => format_wav.so
load => format_pcm.so
load => format_sln.so
load => pbx_config.so
load => app_dial.so
load => app_queue.so
load => app_playback.so
load => app_playtones.so
load => app_read.so
load => app_senddtmf.so
load => app_echo.so
load => app_mixmonitor.so
load => app_stack.so
load => app_verbose.so
load => app_exec.so
load => app_userevent.so
load => func_callerid.so
load => func_cdr.so
load => func_channel.so
load => func_strings.so
load => func_cut.so
load => func_logic.so
load => func_global.so
load => func_db.so
load => func_timeout.so
load => func_math.so
load => func_hangupcause.so
load => func_uri.so
load => func_json.so
load => func_devstate.so
load => res_curl.so
load => func_curl.so
load => res_musiconhold.so
load => cdr_csv.so
load => cdr_manager.so
"""

ASTERISK_CONF = """\
; test PBX for the 12319 hotline (loopback only)
[directories]
astetcdir => {d}
astmoddir => /usr/lib/asterisk/modules
astvarlibdir => /var/lib/asterisk
astdbdir => {d}/db
astkeydir => {d}
astdatadir => /var/lib/asterisk
astagidir => /var/lib/asterisk/agi-bin
astspooldir => {d}/spool
astrundir => {d}/run
astlogdir => {d}/log
astsbindir => /usr/sbin

[options]
verbose = 3
debug = 0
entityid = 02:00:00:00:12:31    ; fixed EID so no NIC MAC is read
defaultlanguage = en
documentation_language = en_US
"""

STUBS = {
    "ccss.conf": "[general]\n",
    "cel.conf": "[general]\nenable = no\n",
    "acl.conf": "",
    "udptl.conf": "[general]\n",
    "stasis.conf": "[threadpool]\n",
    "indications.conf": "[general]\ncountry = cn\n\n[cn]\ndescription = China\nringcadence = 1000,4000\n"
    "dial = 450\nbusy = 450/350,0/350\nring = 450/1000,0/4000\ncongestion = 450/700,0/700\n",
}

MANAGER_USER = """
; recording user, as for shared/asterisk/ (read/write all, loopback)
[hotline]
secret = hotline
deny = 0.0.0.0/0.0.0.0
permit = 127.0.0.1/255.255.255.255
read = all
write = all
writetimeout = 1000
"""

FAKE_CALLEE = r"""
; ================================================================ test PBX only
; Stands in for the carrier: [hotline-outdial] dials Local/<number>@fake-callee.
;   13800138001 busy, 13800138002 never answers, any other number answers
;   after 1 s and listens; on a survey call (HOTLINE_CASE set, inherited from
;   the bridge's __HOTLINE_CASE) it presses FAKE_DIGIT 3 s after answering.
[fake-callee]
exten => 13800138001,1,Wait(1)
 same => n,Busy(5)
exten => 13800138002,1,Wait(120)
exten => _[+0-9]X.,1,Wait(1)
 same => n,Answer()
 same => n,GotoIf($["${HOTLINE_CASE}" != ""]?survey)
 same => n,Wait(60)
 same => n,Hangup()
 same => n(survey),Wait(3)
 same => n,SendDTMF(${FAKE_DIGIT})
 same => n,Wait(60)
 same => n,Hangup()

; a call into the IVR from outside (route lookup, incident announcement):
; Originate Local/12319@from-trunk with Application Wait
"""


# ------------------------------------------------------------------ live suite (tests/asterisk_live)

LIVE_MODULES = """\
; live suite: the phones' features
load => app_voicemail.so
load => app_chanspy.so
load => app_directed_pickup.so
load => app_followme.so
"""

LIVE_PARTIES = r"""
; ================================================================ live suite only
; The operators' and supervisors' phones: [agents], [supervisors],
; [internal-ext] and [followme-dial] dial Local/<ext>@fake-phone instead of
; PJSIP/<ext>.  A phone rings 1 s, answers and speaks (a 660 Hz tone) until
; hung up; AstDB fakephone/<ext> = noanswer: it rings and never answers.
[fake-phone]
exten => _X.,1,GotoIf($["${DB(fakephone/${EXTEN})}" = "noanswer"]?ring)
 same => n,Wait(1)
 same => n,Answer()
 same => n(talk),Playback(hotline-live/agent-voice)
 same => n,Goto(talk)
 same => n(ring),Ringing()
 same => n,Wait(600)
 same => n,Hangup()

; A citizen calling 12319: Originate Local/<DID>@from-trunk with Context
; fake-citizen, Exten s.  Waits CITIZEN_DELAY s for the menu, presses
; CITIZEN_KEY (none when empty), then speaks (a 440 Hz tone, 5 s at a time)
; for about CITIZEN_TALK seconds and hangs up.
[fake-citizen]
exten => s,1,Wait(${CITIZEN_DELAY})
 same => n,ExecIf($["${CITIZEN_KEY}" != ""]?SendDTMF(${CITIZEN_KEY}))
 same => n,Set(TALK_END=$[${EPOCH} + ${CITIZEN_TALK}])
 same => n(talk),Playback(hotline-live/citizen-voice)
 same => n,GotoIf($[${EPOCH} < ${TALK_END}]?talk)
 same => n,Hangup()
"""

LIVE_GLOBALS = "CITIZEN_DELAY = 3\nCITIZEN_KEY = 2\nCITIZEN_TALK = 60\n"

# prompt -> (seconds, Hz): tones stand in for the centre's recorded prompts
LIVE_PROMPTS = {
    "hotline/welcome": (0.8, 500),
    "hotline/menu": (1.2, 550),
    "hotline/invalid": (0.5, 300),
    "hotline/closed": (0.8, 350),
    "hotline/please-hold": (0.5, 400),
    "hotline/workno-prefix": (0.4, 700),
    "hotline/workno-suffix": (0.4, 750),
    "hotline/survey-thanks": (0.5, 800),
    "hotline-live/citizen-voice": (5.0, 440),  # long: fewer AMI events per minute of talk
    "hotline-live/agent-voice": (5.0, 660),
    "beep": (0.25, 1000),
    **{f"digits/{digit}": (0.25, 900 + 50 * digit) for digit in range(10)},
}


def write_tone(path, seconds, hertz, rate=8000):
    """A 16-bit mono WAV of a sine tone (what format_wav plays: 8 kHz)."""
    import math
    import struct
    import wave

    path.parent.mkdir(parents=True, exist_ok=True)
    frames = b"".join(
        struct.pack("<h", int(8000 * math.sin(2 * math.pi * hertz * n / rate))) for n in range(int(seconds * rate))
    )
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(frames)


def live_conf(target, ext):
    """The live suite's changes to the derived extensions.conf; writes the
    prompts (target/data/sounds/en), music on hold, voicemail and follow-me."""
    replacements = [
        # the phones: every Dial(PJSIP/${EXTEN},...) of agents, supervisors, follow-me
        (r"PJSIP/\$\{EXTEN\}(?=[,)])", "Local/${EXTEN}@fake-phone", 6),
        # the carrier of [outbound] (click-to-call) and [followme-dial]
        (r"PJSIP/(\$\{EXTEN(?::\$\{LEN\(\$\{OUT_PREFIX\}\)\})?\})@\$\{TRUNK\}", r"Local/\1@fake-callee", 2),
        (r"ChanSpy\(PJSIP/", "ChanSpy(Local/", 3),
    ]
    for pattern, new, expected in replacements:
        ext, count = re.subn(pattern, new, ext)
        if count < expected:
            raise SystemExit(f"extensions.conf: {pattern!r} matched {count} times (expected {expected})")
    ext = ext.replace("[globals]\n", "[globals]\n" + LIVE_GLOBALS, 1)
    # Asterisk's own data (XML documentation, without which stasis refuses to
    # start, keys, ...) from the installed data dir; sounds and music our own
    installed = Path("/var/lib/asterisk")
    (target / "data").mkdir(parents=True, exist_ok=True)
    for entry in installed.iterdir() if installed.is_dir() else ():
        link = target / "data" / entry.name
        if entry.name not in ("sounds", "moh") and entry.is_dir() and not link.exists():
            link.symlink_to(entry)
    sounds = target / "data" / "sounds" / "en"
    for name, (seconds, hertz) in LIVE_PROMPTS.items():
        write_tone(sounds / f"{name}.wav", seconds, hertz)
    write_tone(target / "data" / "moh" / "hold.wav", 2.0, 420)
    (target / "musiconhold.conf").write_text(f"[general]\n\n[default]\nmode = files\ndirectory = {target}/data/moh\n")
    voicemail = (CONF / "voicemail.conf").read_text()
    (target / "voicemail.conf").write_text(voicemail.replace("[general]\n", "[general]\nmailcmd = /bin/true\n", 1))
    (target / "followme.conf").write_text((CONF / "followme.conf").read_text())
    return ext


def build_conf(target, ami_port, odoo_url, sounds, live=False, token=PBX_TOKEN):
    """Write the test PBX's configuration into ``target`` (a fresh dir).

    ``live``: also the phones (Local channels into [fake-phone]), the callers
    ([fake-citizen]), voicemail, ChanSpy, pickup and follow-me, and prompts of
    its own in ``target/data`` (see :func:`live_conf`).
    """
    target = Path(target).resolve()
    for sub in ("db", "spool", "run", "log/cdr-csv", "monitor"):
        (target / sub).mkdir(parents=True, exist_ok=True)
    asterisk_conf = ASTERISK_CONF.format(d=target)
    if live:
        asterisk_conf = asterisk_conf.replace("astdatadir => /var/lib/asterisk", f"astdatadir => {target}/data")
    (target / "asterisk.conf").write_text(asterisk_conf)
    (target / "modules.conf").write_text(MODULES + (LIVE_MODULES if live else ""))
    for name in ("cdr.conf", "cdr_manager.conf", "logger.conf", "features.conf", "queues.conf"):
        (target / name).write_text((CONF / name).read_text())
    (target / "musiconhold.conf").write_text("[general]\n")
    for name, text in STUBS.items():
        (target / name).write_text(text)
    manager = (CONF / "manager.conf").read_text()
    manager = re.sub(r"(?m)^port = 5038", f"port = {ami_port}", manager)
    manager = manager.replace("CHANGE-ME-ami-secret", "bridge-ami-secret")
    (target / "manager.conf").write_text(manager + MANAGER_USER)
    ext = (CONF / "extensions.conf").read_text()
    replacements = [
        (r"(?m)^ODOO_URL = \S+", f"ODOO_URL = {odoo_url}"),
        (r"(?m)^PBX_TOKEN = \S+", f"PBX_TOKEN = {token}"),
        (r"(?m)^NOTICE_SOUNDS = \S+", f"NOTICE_SOUNDS = {sounds}"),
        (r"(?m)^NOTICE_RING = \d+", "NOTICE_RING = 6"),
        (r"(?m)^SURVEY_WAIT = \d+", "SURVEY_WAIT = 5"),
        # the trunk of [hotline-outdial] -> the simulated citizens
        (
            r"Dial\(PJSIP/\$\{NUMBER\}@\$\{TRUNK\},\$\{NOTICE_RING\}\)",
            "Dial(Local/${NUMBER}@fake-callee,${NOTICE_RING})",
        ),
    ]
    for pattern, new in replacements:
        ext, count = re.subn(pattern, lambda _m, new=new: new, ext)
        if count != 1:
            raise SystemExit(f"extensions.conf: {pattern!r} matched {count} times")
    ext = ext.replace("[globals]\n", "[globals]\nFAKE_DIGIT = 1\n", 1)
    if live:
        ext = live_conf(target, ext)
    (target / "extensions.conf").write_text(ext + FAKE_CALLEE + (LIVE_PARTIES if live else ""))
    print(target)


# ------------------------------------------------------------------ fake Odoo


class FakeOdoo(BaseHTTPRequestHandler):
    """Logs every request (JSON lines) and answers like Odoo's endpoints."""

    log_path = None
    route_json = None  # file read at every request, so a test can change it

    def _log(self, body):
        entry = {
            "time": time.time(),
            "method": self.command,
            "path": self.path,
            "authorization": self.headers.get("Authorization", ""),
            "content_type": self.headers.get("Content-Type", ""),
            "body": body.decode("utf-8", "replace"),
        }
        with open(self.log_path, "a", encoding="utf-8") as fh:
            fh.write(json.dumps(entry, ensure_ascii=False) + "\n")

    def _answer(self, status, payload):
        data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):  # noqa: N802 (http.server's name)
        self._log(b"")
        if self.headers.get("Authorization") != f"Bearer {PBX_TOKEN}":
            return self._answer(401, {"ok": False})
        if self.path.startswith("/hotline/pbx/route"):
            route = Path(self.route_json).read_bytes() if self.route_json else b'{"action": "queue"}'
            return self._answer(200, route)
        return self._answer(404, {"ok": False})

    def do_POST(self):  # noqa: N802
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self._log(body)
        if self.headers.get("Authorization") != f"Bearer {PBX_TOKEN}":
            return self._answer(401, {"ok": False})
        try:
            json.loads(body or b"{}")
        except ValueError:
            return self._answer(400, {"ok": False, "error": "not JSON"})
        return self._answer(200, {"ok": True})

    def log_message(self, *_args):
        pass


def fake_odoo(port, log_path, route_json):
    FakeOdoo.log_path = log_path
    FakeOdoo.route_json = route_json
    server = ThreadingHTTPServer(("127.0.0.1", port), FakeOdoo)
    print(f"fake Odoo on 127.0.0.1:{port}, log {log_path}", flush=True)
    server.serve_forever()


# ------------------------------------------------------------------ recorder


def _now():
    return datetime.now(UTC)


class Connection:
    """One AMI connection; keeps every byte sent and received, per message."""

    def __init__(self, name, recorder):
        self.name = name
        self.rec = recorder
        self.sent = bytearray()
        self.raw = bytearray()
        self.reader = self.writer = None
        self.messages = asyncio.Queue()
        self.serial = 0

    async def open(self, port):
        self.reader, self.writer = await asyncio.open_connection("127.0.0.1", port)
        banner = await self.reader.readuntil(EOL)
        self.raw += banner
        self.rec.log(self.name, "<<", banner)
        self._task = asyncio.create_task(self._read())

    async def _read(self):
        buf = b""
        while True:
            chunk = await self.reader.read(65536)
            if not chunk:
                return
            self.raw += chunk
            buf += chunk
            while SEP in buf:
                block, buf = buf.split(SEP, 1)
                self.rec.log(self.name, "<<", block + SEP)
                await self.messages.put(block)

    async def send(self, action, *fields):
        self.serial += 1
        action_id = f"{self.name}-{self.serial:03d}"
        lines = [f"Action: {action}", f"ActionID: {action_id}", *(f"{k}: {v}" for k, v in fields)]
        data = (EOL.join(line.encode() for line in lines)) + SEP
        self.sent += data
        self.rec.log(self.name, ">>", data)
        self.writer.write(data)
        await self.writer.drain()
        return action_id

    async def answer(self, action_id, timeout=10):
        while True:
            block = await asyncio.wait_for(self.messages.get(), timeout)
            if f"ActionID: {action_id}".encode() in block:
                return block


class Recorder:
    """Drives one scenario and writes NN_name.{events,actions}.{raw,sent}, .log, .summary.txt, .cdr.csv."""

    NOISY = ("VarSet", "Newexten")
    SUMMARY_KEYS = (
        "Response",
        "Event",
        "Action",
        "Message",
        "Channel",
        "ChannelStateDesc",
        "CallerIDNum",
        "Priority",
        "Context",
        "Exten",
        "DestChannel",
        "DialStatus",
        "Reason",
        "Variable",
        "Application",
        "Digit",
        "Direction",
        "Cause",
        "Disposition",
        "UserField",
        "HangupCause",
    )

    def __init__(self, name, port, out, cdr_path, odoo_log):
        self.name, self.port, self.out = name, port, Path(out)
        self.cdr_path = Path(cdr_path) if cdr_path else None
        self.odoo_log = Path(odoo_log) if odoo_log else None
        self.lines = []
        self.summary = []
        self.parsed = []  # every event of the events connection, as a dict (the live suite reads them)
        self.channels = set()
        self.hangups = 0
        self.events = Connection("events", self)
        self.actions = Connection("actions", self)

    def note(self, text):
        self.lines.append(f"#### {text}")
        self.summary.append(f"#### {text}")
        print(f"#### {text}", flush=True)

    def log(self, conn, direction, data):
        stamp = _now().strftime("%H:%M:%S.%f")[:-3]
        text = data.decode("utf-8", "replace").replace("\r\n", "\n").rstrip("\n")
        self.lines.append(f"---- {stamp} {conn} {direction}")
        self.lines.append(text)
        pairs = [line.partition(": ") for line in text.split("\n")]
        event = next((v for k, _, v in pairs if k == "Event"), "")
        if conn == "events" and direction == "<<" and event:
            self.parsed.append({k: v for k, s, v in pairs if s})
        if event in self.NOISY:
            return
        if conn == "events" and direction == "<<":
            self._track(event, pairs)
        shown = [f"{k}={v}" for k, s, v in pairs if s and k in self.SUMMARY_KEYS]
        label = f"{conn} {direction}".ljust(13)
        self.summary.append(f"{stamp} {label} {' | '.join(shown) or text}")

    def _track(self, event, pairs):
        uid = next((v for k, _, v in pairs if k == "Uniqueid"), None)
        if event == "Newchannel" and uid:
            self.channels.add(uid)
        elif event == "Hangup" and uid:
            self.channels.discard(uid)
            self.hangups += 1

    async def idle(self, started_hangups, settle=1.0, timeout=90):
        """Wait until a call started and all its channels are gone."""
        deadline = time.monotonic() + timeout
        quiet_since = None
        while time.monotonic() < deadline:
            if self.hangups > started_hangups and not self.channels:
                quiet_since = quiet_since or time.monotonic()
                if time.monotonic() - quiet_since >= settle:
                    return
            else:
                quiet_since = None
            await asyncio.sleep(0.1)
        raise SystemExit(f"{self.name}: calls still up after {timeout} s: {sorted(self.channels)}")

    async def login(self):
        started = _now()
        self.lines.append(f"#### scenario {self.name}  started {started:%Y-%m-%d %H:%M:%S} UTC")
        self.summary.append(self.lines[-1])
        await self.events.open(self.port)
        action_id = await self.events.send("Login", ("Username", AMI_USER), ("Secret", AMI_SECRET))
        await self.events.answer(action_id)
        await self.actions.open(self.port)
        action_id = await self.actions.send("Login", ("Username", AMI_USER), ("Secret", AMI_SECRET), ("Events", "off"))
        await self.actions.answer(action_id)

    async def originate(self, note, channel, context, variables, caller_id="12319", timeout_ms=60000):
        """Send the Originate exactly as the bridge's POST /notice does."""
        self.note(note)
        hangups = self.hangups
        fields = [
            ("Channel", channel),
            ("CallerID", caller_id),
            ("Timeout", str(timeout_ms)),
            ("Async", "true"),
            ("Context", context),
            ("Exten", "s"),
            ("Priority", "1"),
            *(("Variable", v) for v in variables),
        ]
        action_id = await self.actions.send("Originate", *fields)
        await self.actions.answer(action_id)
        await self.idle(hangups)

    async def finish(self):
        action_id = await self.actions.send("Logoff")
        await self.actions.answer(action_id)
        action_id = await self.events.send("Logoff")
        await self.events.answer(action_id)
        await asyncio.sleep(0.2)
        self.lines.append(f"#### scenario {self.name}  finished {_now():%Y-%m-%d %H:%M:%S} UTC")
        self.summary.append(self.lines[-1])

    def write(self, cdr_before):
        out, name = self.out, self.name
        out.mkdir(parents=True, exist_ok=True)
        (out / f"{name}.events.raw").write_bytes(bytes(self.events.raw))
        (out / f"{name}.events.sent").write_bytes(bytes(self.events.sent))
        (out / f"{name}.actions.raw").write_bytes(bytes(self.actions.raw))
        (out / f"{name}.actions.sent").write_bytes(bytes(self.actions.sent))
        (out / f"{name}.log").write_text("\n".join(self.lines) + "\n", encoding="utf-8")
        (out / f"{name}.summary.txt").write_text("\n".join(self.summary) + "\n", encoding="utf-8")
        if self.cdr_path is not None:
            data = self.cdr_path.read_bytes() if self.cdr_path.exists() else b""
            (out / f"{name}.cdr.csv").write_bytes(data[cdr_before:])
        print(f"wrote {out}/{name}.*")


SOUND = "/var/lib/asterisk/sounds/hotline-notify/hotline_notice_7"
SURVEY_SOUND = "/var/lib/asterisk/sounds/hotline-notify/hotline_survey_question"


def _notice_vars(sound, reference, case=""):
    return [f"__HOTLINE_NOTICE_SOUND={sound}", f"__HOTLINE_REFERENCE={reference}", f"__HOTLINE_CASE={case}"]


async def scenario_06(rec, sounds):
    sound = f"{sounds}/hotline_notice_7"
    await rec.originate(
        "voice notice notice-7 to 13800138000 (answers after 1 s, hears the notice twice): "
        "Originate Local/013800138000@hotline-outdial -> hotline-notice,s,1",
        "Local/013800138000@hotline-outdial",
        "hotline-notice",
        _notice_vars(sound, "notice-7"),
    )
    await rec.originate(
        "voice notice notice-8 to 13800138001 (busy): Originate Local/013800138001@hotline-outdial",
        "Local/013800138001@hotline-outdial",
        "hotline-notice",
        _notice_vars(sound, "notice-8"),
    )
    await rec.originate(
        "voice notice notice-9 to 13800138002 (no answer within NOTICE_RING 6 s): "
        "Originate Local/013800138002@hotline-outdial",
        "Local/013800138002@hotline-outdial",
        "hotline-notice",
        _notice_vars(sound, "notice-9"),
    )


async def scenario_07(rec, sounds):
    await rec.originate(
        "survey call survey-42 for case 12319-2026-000042 to 13800138000 (answers, presses 1 after 3 s): "
        "Originate Local/013800138000@hotline-outdial -> hotline-survey,s,1",
        "Local/013800138000@hotline-outdial",
        "hotline-survey",
        _notice_vars(f"{sounds}/hotline_survey_question", "survey-42", "12319-2026-000042"),
    )


async def scenario_ivr(rec, _sounds):
    """Not a fixture: a call into the IVR (route lookup + announcement), for the log."""
    rec.note("call to 12319 from 13800138000: Originate Local/12319@from-trunk, Application Wait(12)")
    hangups = rec.hangups
    action_id = await rec.actions.send(
        "Originate",
        ("Channel", "Local/12319@from-trunk"),
        ("CallerID", '"Zhang San" <13800138000>'),
        ("Application", "Wait"),
        ("Data", "12"),
        ("Async", "true"),
    )
    await rec.actions.answer(action_id)
    await rec.idle(hangups, timeout=60)


SCENARIOS = {"06_voice_notice": scenario_06, "07_survey_ivr": scenario_07, "ivr_announcement": scenario_ivr}


async def record(name, port, out, cdr, odoo_log, sounds):
    rec = Recorder(name, port, out, cdr, odoo_log)
    cdr_before = rec.cdr_path.stat().st_size if rec.cdr_path and rec.cdr_path.exists() else 0
    odoo_before = rec.odoo_log.stat().st_size if rec.odoo_log and rec.odoo_log.exists() else 0
    await rec.login()
    await SCENARIOS[name](rec, sounds)
    await rec.finish()
    rec.write(cdr_before)
    if rec.odoo_log and rec.odoo_log.exists():
        posted = rec.odoo_log.read_bytes()[odoo_before:].decode("utf-8")
        (Path(out) / f"{name}.odoo.jsonl").write_text(posted, encoding="utf-8")
        print(posted)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    conf = sub.add_parser("conf", help="write the test PBX configuration into DIR")
    conf.add_argument("dir")
    conf.add_argument("--ami-port", type=int, required=True)
    conf.add_argument("--odoo-url", required=True)
    conf.add_argument("--sounds", required=True, help="NOTICE_SOUNDS of the test PBX")
    conf.add_argument("--live", action="store_true", help="phones, callers and prompts of the live suite")
    odoo = sub.add_parser("fake-odoo", help="serve Odoo's /hotline/pbx/* endpoints, logging every request")
    odoo.add_argument("--port", type=int, required=True)
    odoo.add_argument("--log", required=True)
    odoo.add_argument("--route-json", help="file with the answer of GET /hotline/pbx/route")
    rec = sub.add_parser("record", help="drive a scenario and record its AMI transcript")
    rec.add_argument("scenario", choices=sorted(SCENARIOS))
    rec.add_argument("--ami-port", type=int, required=True)
    rec.add_argument("--out", required=True)
    rec.add_argument("--cdr", help="the test PBX's Master.csv")
    rec.add_argument("--odoo-log", help="the fake Odoo's log (what the dialplan posted)")
    rec.add_argument("--sounds", default="/var/lib/asterisk/sounds/hotline-notify")
    args = parser.parse_args(argv)
    if args.command == "conf":
        build_conf(args.dir, args.ami_port, args.odoo_url, args.sounds, live=args.live)
    elif args.command == "fake-odoo":
        fake_odoo(args.port, args.log, args.route_json)
    else:
        asyncio.run(record(args.scenario, args.ami_port, args.out, args.cdr, args.odoo_log, args.sounds))
    return 0


if __name__ == "__main__":
    sys.exit(main())
