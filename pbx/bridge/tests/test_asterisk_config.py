"""pbx/asterisk against the bridge's needs and a real Asterisk.

* manager.conf: the AMI user of the bridge gets exactly the read classes of
  the events the bridge handles (their ``Privilege`` in the recorded
  transcripts) and the write classes of the actions it sends (found in its
  code), never ``system``, ``command``, ``config``, ``user`` or ``all``.
* A clean start: Asterisk's samples (``make samples``, ``/etc/asterisk`` or
  ``$ASTERISK_SAMPLES``) with pbx/asterisk copied over them, as
  pbx/asterisk/README.md installs them, started from a temporary folder (AMI
  on a free loopback port): no ERROR in its log; the bridge's AMI user may
  send every action the bridge uses and is refused a shell command.
  Runs where an Asterisk binary is ($ASTERISK, ``asterisk`` on PATH or in
  /usr/sbin); skipped, saying so, where there is none.
"""

import configparser
import os
import re
import shutil
import socket
import subprocess
import time
from pathlib import Path

import pytest
from bridge_testlib import FIXTURES, free_port

from hotline_pbx_bridge.handlers import EVENTS

ROOT = Path(__file__).resolve().parents[3]
PBX = ROOT / "pbx" / "asterisk"
BRIDGE_SRC = ROOT / "pbx" / "bridge" / "src" / "hotline_pbx_bridge"
BRIDGE_USER = "hotline-bridge"
FORBIDDEN = {"system", "command", "config", "user", "all", "originate_system"}

# The privilege of each AMI action the bridge sends, as Asterisk 22 declares it
# ("manager show command <Action>", checked below on the real binary): holding
# any one of these write classes allows the action; empty: no class needed.
ACTION_PRIVILEGES = {
    "Login": set(),
    "Logoff": set(),
    "Ping": set(),
    "QueueStatus": set(),
    "CoreShowChannels": {"system", "reporting"},
    "Originate": {"originate"},
    "Hangup": {"system", "call"},
    "Redirect": {"call"},
    "QueueAdd": {"agent"},
    "QueueRemove": {"agent"},
    "QueuePause": {"agent"},
}


def _manager_user():
    parser = configparser.ConfigParser(
        strict=False, inline_comment_prefixes=(";",), comment_prefixes=(";",), interpolation=None
    )
    parser.read_string(_without_repeated_keys((PBX / "manager.conf").read_text()))
    return parser[BRIDGE_USER]


def _without_repeated_keys(text):
    """manager.conf repeats ``eventfilter``; configparser would refuse that."""
    return "\n".join(line for line in text.splitlines() if not line.strip().startswith("eventfilter"))


def _classes(value):
    return {part.strip() for part in value.split(",") if part.strip()}


def bridge_actions():
    """Every ``"Action": "<Name>"`` the bridge's code sends."""
    found = set()
    for path in BRIDGE_SRC.glob("*.py"):
        found |= set(re.findall(r"""["']Action["']\s*:\s*["'](\w+)["']""", path.read_text()))
    return found


def event_privileges():
    """``{event: {classes}}`` from the ``Privilege:`` headers of the recorded transcripts."""
    privileges = {}
    for path in FIXTURES.glob("*.raw"):
        for block in path.read_bytes().decode("utf-8", "replace").split("\r\n\r\n"):
            event = re.search(r"^Event: (\S+)", block, re.M)
            privilege = re.search(r"^Privilege: (\S+)", block, re.M)
            if event and privilege:
                privileges[event.group(1)] = _classes(privilege.group(1)) - {"all"}
    return privileges


# -- manager.conf against the bridge's code ------------------------------------------


def test_the_bridge_sends_only_known_actions():
    actions = bridge_actions()
    assert {"Originate", "Hangup", "Redirect", "QueueAdd", "QueueRemove", "QueuePause"} <= actions
    assert actions <= ACTION_PRIVILEGES.keys(), f"add the privilege of {actions - ACTION_PRIVILEGES.keys()}"


def test_write_classes_are_exactly_what_the_actions_need():
    write = _classes(_manager_user()["write"])
    assert not write & FORBIDDEN, write & FORBIDDEN
    needed = set()
    for action in bridge_actions():
        allowed = ACTION_PRIVILEGES[action]
        if not allowed:
            continue
        assert write & allowed, f"{action} needs one of {allowed}"
        needed |= write & allowed
    assert write == needed, f"not needed by any action: {write - needed}"


def test_read_classes_are_exactly_what_the_handled_events_need():
    read = _classes(_manager_user()["read"])
    assert not read & FORBIDDEN, read & FORBIDDEN
    privileges = event_privileges()
    missing = set(EVENTS) - privileges.keys()
    assert not missing, f"no recorded Privilege for {missing}"
    needed = set().union(*(privileges[event] for event in EVENTS))
    assert read == needed


def test_ami_user_is_loopback_only():
    user = _manager_user()
    assert user["deny"] == "0.0.0.0/0.0.0.0"
    assert user["permit"] == "127.0.0.1/255.255.255.255"
    general = configparser.ConfigParser(strict=False, inline_comment_prefixes=(";",), interpolation=None)
    general.read_string(_without_repeated_keys((PBX / "manager.conf").read_text()))
    assert general["general"]["bindaddr"] == "127.0.0.1"


# -- the real Asterisk -------------------------------------------------------------------


def _asterisk_binary():
    given = os.environ.get("ASTERISK")
    if given:
        return given
    return shutil.which("asterisk") or shutil.which("asterisk", path="/usr/sbin:/usr/local/sbin")


def _samples():
    folder = Path(os.environ.get("ASTERISK_SAMPLES", "/etc/asterisk"))
    if not (folder / "asterisk.conf").is_file() or not (folder / "extensions.conf").is_file():
        pytest.fail(
            f"an Asterisk binary is here but not its samples in {folder}: run 'make samples' or set ASTERISK_SAMPLES"
        )
    return folder


class _Pbx:
    """Asterisk's samples + pbx/asterisk in a temporary folder, started in the foreground."""

    def __init__(self, binary, tmp):
        self.binary = binary
        self.tmp = tmp
        self.etc = tmp / "etc"
        self.ami_port = free_port()
        self.secret = "test-ami-secret-12319"
        self.missing_required = []
        self.process = None

    def install(self):
        shutil.copytree(_samples(), self.etc)
        for conf in PBX.glob("*.conf"):  # README step 2: they replace the samples of the same name
            shutil.copy(conf, self.etc / conf.name)
        for name in ("log", "run", "spool", "db", "cache"):
            (self.tmp / name).mkdir()
        self._directories()
        self._manager()
        self._modules()

    def _directories(self):
        path = self.etc / "asterisk.conf"
        text = path.read_text()
        text = re.sub(r"^\[directories\]\(!\)", "[directories]", text, flags=re.M)  # the sample's is a template
        own = {
            "astetcdir": self.etc,
            "astspooldir": self.tmp / "spool",
            "astrundir": self.tmp / "run",
            "astlogdir": self.tmp / "log",
            "astdbdir": self.tmp / "db",
            "astcachedir": self.tmp / "cache",
        }
        for key, folder in own.items():
            text, count = re.subn(rf"^;?\s*{key}\s*=>.*$", f"{key} => {folder}", text, flags=re.M)
            assert count, f"asterisk.conf sample without {key}"
        path.write_text(text)

    def _manager(self):
        path = self.etc / "manager.conf"
        text = re.sub(r"^port = 5038", f"port = {self.ami_port}", path.read_text(), flags=re.M)
        path.write_text(text.replace("CHANGE-ME-ami-secret", self.secret))

    def _modules(self):
        """This build may lack modules modules.conf requires (no pjproject here): say so, do not require them."""
        moddir = Path("/usr/lib/asterisk/modules")
        text = (self.etc / "asterisk.conf").read_text()
        match = re.search(r"^astmoddir\s*=>\s*(\S+)", text, re.M)
        if match:
            moddir = Path(match.group(1))
        path = self.etc / "modules.conf"
        lines = []
        for line in path.read_text().splitlines():
            required = re.match(r"^require\s*=\s*(\S+\.so)", line)
            if required and not (moddir / required.group(1)).exists():
                self.missing_required.append(required.group(1))
                line = f"; not built here: {line}"
            lines.append(line)
        path.write_text("\n".join(lines) + "\n")

    def cli(self, command, timeout=20):
        result = subprocess.run(
            [self.binary, "-C", str(self.etc / "asterisk.conf"), "-rx", command],
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        return result.stdout

    def start(self):
        self.output = (self.tmp / "asterisk.out").open("w")
        self.process = subprocess.Popen(
            [self.binary, "-C", str(self.etc / "asterisk.conf"), "-f", "-n"],
            stdin=subprocess.DEVNULL,
            stdout=self.output,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"Asterisk exited with {self.process.returncode}:\n{self.console()}")
            if (self.tmp / "run" / "asterisk.ctl").exists() and "fully booted" in self.cli("core waitfullybooted"):
                return
            time.sleep(0.3)
        raise AssertionError(f"Asterisk did not boot in 60 s:\n{self.console()}")

    def stop(self):
        if self.process is None or self.process.poll() is not None:
            return
        try:
            self.cli("core stop now", timeout=10)
            self.process.wait(15)
        except (subprocess.TimeoutExpired, OSError):
            self.process.kill()
            self.process.wait(5)
        finally:
            self.output.close()

    def console(self):
        return (self.tmp / "asterisk.out").read_text(errors="replace")[-3000:]

    def log(self):
        path = self.tmp / "log" / "messages"
        return path.read_text(errors="replace") if path.exists() else ""


class _Ami:
    """A plain AMI client (stdlib): one action, one answer."""

    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.buffer = b""
        self.count = 0
        self._read_until(b"\r\n")  # banner

    def _read_until(self, end):
        while end not in self.buffer:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise AssertionError("AMI closed the connection")
            self.buffer += chunk
        head, _sep, self.buffer = self.buffer.partition(end)
        return head.decode("utf-8", "replace")

    def send(self, action, **fields):
        self.count += 1
        action_id = f"t-{self.count}"
        lines = [f"Action: {action}", f"ActionID: {action_id}"]
        lines += [f"{key}: {value}" for key, value in fields.items()]
        self.sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        while True:
            block = self._read_until(b"\r\n\r\n")
            if f"ActionID: {action_id}" in block and block.startswith("Response:"):
                return dict(line.split(": ", 1) for line in block.split("\r\n") if ": " in line)

    def close(self):
        self.sock.close()


@pytest.fixture(scope="module")
def live_pbx(tmp_path_factory):
    binary = _asterisk_binary()
    if not binary:
        pytest.skip("no Asterisk binary here ($ASTERISK, asterisk on PATH or in /usr/sbin): the live start was not run")
    pbx = _Pbx(binary, tmp_path_factory.mktemp("asterisk"))
    pbx.install()
    pbx.start()
    try:
        yield pbx
    finally:
        pbx.stop()


def test_clean_start_with_the_samples_and_the_project_files(live_pbx):
    errors = [line for line in live_pbx.log().splitlines() if " ERROR[" in line]
    assert not errors, "\n".join(errors)
    assert "ERROR[" not in live_pbx.console()
    modules = live_pbx.cli("module show")
    for module in ("app_queue.so", "app_chanspy.so", "app_directed_pickup.so", "cdr_csv.so", "cdr_manager.so"):
        assert module in modules, module
    for module in ("res_ari.so", "res_stasis.so", "cel_sqlite3_custom.so", "app_system.so", "func_shell.so"):
        assert module not in modules, module
    # what this build lacks is only the SIP stack (Asterisk built --without-pjproject)
    assert set(live_pbx.missing_required) <= {"chan_pjsip.so", "res_pjsip.so"}, live_pbx.missing_required


def test_action_privileges_are_asterisks(live_pbx):
    for action, classes in ACTION_PRIVILEGES.items():
        text = live_pbx.cli(f"manager show command {action}")
        match = re.search(r"\[Privilege\]\s*\n\s*(\S+)", text)
        assert match, f"{action}: {text[:300]}"
        declared = set() if match.group(1) == "<none>" else _classes(match.group(1)) - {"all"}
        assert declared == classes, action


def test_the_bridge_user_may_do_what_the_bridge_does_and_nothing_more(live_pbx):
    ami = _Ami(live_pbx.ami_port)
    try:
        login = ami.send("Login", Username=BRIDGE_USER, Secret=live_pbx.secret, Events="off")
        assert login["Response"] == "Success", login
        member = "Local/1001@agents/n"
        allowed = [
            ("CoreShowChannels", {}),
            ("QueueStatus", {}),
            ("QueueAdd", {"Queue": "hotline", "Interface": member, "MemberName": "Agent 1001"}),
            ("QueuePause", {"Interface": member, "Paused": "true", "Reason": "test"}),
            ("QueueRemove", {"Queue": "hotline", "Interface": member}),
            # click-to-call, listen / whisper / barge, answer on behalf: Originates as the bridge sends them
            (
                "Originate",
                {
                    "Channel": "Local/1001@agents/n",
                    "Context": "from-internal",
                    "Exten": "013800138000",
                    "Priority": "1",
                    "Async": "true",
                    "Timeout": "1000",
                },
            ),
            (
                "Originate",
                {
                    "Channel": "Local/8001@supervisors",
                    "Application": "ChanSpy",
                    "Data": "PJSIP/1001,qBE",
                    "Async": "true",
                    "Timeout": "1000",
                },
            ),
            (
                "Originate",
                {
                    "Channel": "Local/8001@supervisors",
                    "Application": "PickupChan",
                    "Data": "PJSIP/1001-00000001",
                    "Async": "true",
                    "Timeout": "1000",
                },
            ),
        ]
        for action, fields in allowed:
            answer = ami.send(action, **fields)
            assert answer["Response"] == "Success", (action, answer)
        # no such channel, but past the privilege check
        for action, fields in (
            ("Hangup", {"Channel": "Local/1001@agents-00000000;1", "Cause": "16"}),
            (
                "Redirect",
                {"Channel": "Local/1001@agents-00000000;1", "Context": "transfer", "Exten": "1002", "Priority": "1"},
            ),
        ):
            answer = ami.send(action, **fields)
            assert "Permission denied" not in answer.get("Message", ""), (action, answer)
        refused = [
            (
                "Originate",
                {
                    "Channel": "Local/1001@agents/n",
                    "Application": "System",
                    "Data": "touch /tmp/hotline-pwned",
                    "Async": "true",
                },
            ),
            ("Command", {"Command": "core show uptime"}),
            ("GetConfig", {"Filename": "manager.conf"}),
            ("UpdateConfig", {"SrcFilename": "manager.conf", "DstFilename": "manager.conf"}),
        ]
        for action, fields in refused:
            answer = ami.send(action, **fields)
            # Originate answers "Originate Access Forbidden: app or data blacklisted" without "system"
            denied = ("Permission denied", "Originate Access Forbidden")
            assert answer["Response"] == "Error" and answer["Message"].startswith(denied), (action, answer)
        assert not Path("/tmp/hotline-pwned").exists()
    finally:
        ami.close()
