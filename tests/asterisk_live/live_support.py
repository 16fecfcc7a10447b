"""The live suite's Asterisk: the project's dialplan on a real Asterisk, and an AMI recorder.

``LivePbx`` writes the test PBX configuration (``pbx/asterisk/testpbx/testpbx.py conf --live``: the
project's files with Local channels for the trunk and the phones) into a temporary folder and runs
Asterisk on it, AMI on 127.0.0.1 on a free port. ``AmiRecorder`` drives calls over AMI from
synchronous test code (the recorder of testpbx.py on a background asyncio loop) and writes what it
saw in the format of the recorded transcripts (``pbx/bridge/tests/fixtures/README.md``).
"""

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

from e2e_support import free_port, wait_for

ROOT = Path(__file__).resolve().parents[2]
TESTPBX = ROOT / "pbx" / "asterisk" / "testpbx"
if str(TESTPBX) not in sys.path:
    sys.path.insert(0, str(TESTPBX))

import testpbx  # noqa: E402

NOTICE_SOUNDS = "/var/lib/asterisk/sounds/hotline-notify"
BRIDGE_AMI_USER, BRIDGE_AMI_SECRET = "hotline-bridge", "bridge-ami-secret"  # manager.conf, secret set by testpbx


def asterisk_binary():
    """The Asterisk to run: $ASTERISK, else `asterisk` on PATH or in /usr/sbin; None when there is none."""
    given = os.environ.get("ASTERISK")
    if given:
        return given if os.access(given, os.X_OK) else None
    found = shutil.which("asterisk") or shutil.which("asterisk", path="/usr/sbin:/usr/local/sbin")
    return found


class LivePbx:
    """Asterisk on the derived configuration in ``workdir``."""

    def __init__(self, binary, workdir, odoo_url, token):
        self.binary = binary
        self.token = token
        self.dir = Path(workdir) / "pbx"
        self.odoo_url = odoo_url
        self.ami_port = free_port()
        self.process = None

    @property
    def conf(self):
        return self.dir / "asterisk.conf"

    @property
    def cdr_path(self):
        return self.dir / "log" / "cdr-csv" / "Master.csv"

    @property
    def monitor_dir(self):
        return self.dir / "spool" / "monitor"

    @property
    def voicemail_dir(self):
        return self.dir / "spool" / "voicemail" / "hotline"

    @property
    def log_path(self):
        return self.dir / "log" / "full"

    def start(self, timeout=60):
        testpbx.build_conf(self.dir, self.ami_port, self.odoo_url, NOTICE_SOUNDS, live=True, token=self.token)
        self.monitor_dir.mkdir(parents=True, exist_ok=True)
        self.out_path = self.dir / "asterisk.out"
        with open(self.out_path, "wb") as out:
            self.process = subprocess.Popen(
                [self.binary, "-C", str(self.conf), "-f", "-n", "-g"],
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                cwd=self.dir,
            )

        def booted():
            if self.process.poll() is not None:
                raise AssertionError(f"Asterisk exited with {self.process.returncode}: see {self.out_path}")
            result = self.cli("core waitfullybooted", check=False, timeout=10)
            return result.returncode == 0 and "fully booted" in result.stdout

        wait_for(booted, timeout=timeout, interval=0.5, what="Asterisk to boot")
        return self

    def cli(self, command, check=True, timeout=20):
        return subprocess.run(
            [self.binary, "-C", str(self.conf), "-rx", command],
            capture_output=True,
            text=True,
            timeout=timeout,
            check=check,
        )

    def log_text(self):
        try:
            return self.log_path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""

    def stop(self):
        if self.process is None or self.process.poll() is not None:
            return
        self.cli("core stop now", check=False, timeout=10)
        try:
            self.process.wait(15)
        except subprocess.TimeoutExpired:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)


def _answer_dict(block):
    text = block.decode("utf-8", "replace")
    return {k: v for k, s, v in (line.partition(": ") for line in text.split("\r\n")) if s}


class AmiRecorder:
    """testpbx.Recorder from synchronous code: actions, calls, event waits; ``save()`` writes the transcript."""

    def __init__(self, loop_thread, pbx, name, out):
        self.loop_thread = loop_thread
        self.pbx = pbx
        self.rec = testpbx.Recorder(name, pbx.ami_port, out, pbx.cdr_path, None)
        self.cdr_before = pbx.cdr_path.stat().st_size if pbx.cdr_path.exists() else 0
        self.closed = False

    def _run(self, coro, timeout=30):
        return self.loop_thread.run(coro, timeout)

    def open(self):
        self._run(self.rec.login())
        return self

    # -- actions ---------------------------------------------------------------

    def action(self, action, *fields, timeout=15):
        """Send one action on the actions connection; its answer as a dict."""

        async def send():
            action_id = await self.rec.actions.send(action, *fields)
            return await self.rec.actions.answer(action_id, timeout)

        return _answer_dict(self._run(send(), timeout + 5))

    def note(self, text):
        self.loop_thread.loop.call_soon_threadsafe(self.rec.note, text)

    def citizen_call(self, number, name="", key="2", talk=60, delay=3, did="12319"):
        """A citizen calls ``did`` from ``number``: presses ``key`` after ``delay`` s, talks ``talk`` s."""
        caller_id = f'"{name}" <{number}>' if name else number
        self.note(f"citizen {number} calls {did}, presses {key or 'nothing'} after {delay} s, talks {talk} s")
        return self.action(
            "Originate",
            ("Channel", f"Local/{did}@from-trunk"),
            ("CallerID", caller_id),
            ("Context", "fake-citizen"),
            ("Exten", "s"),
            ("Priority", "1"),
            ("Timeout", "30000"),
            ("Async", "true"),
            ("Variable", f"CITIZEN_KEY={key}"),
            ("Variable", f"CITIZEN_TALK={talk}"),
            ("Variable", f"CITIZEN_DELAY={delay}"),
        )

    # -- events ----------------------------------------------------------------

    @property
    def events(self):
        return list(self.rec.parsed)

    def find(self, predicate):
        return [event for event in self.events if predicate(event)]

    def wait_event(self, predicate, timeout=30, what="an AMI event"):
        return wait_for(lambda: next(iter(self.find(predicate)), None), timeout=timeout, interval=0.1, what=what)

    def wait_idle(self, timeout=60):
        """Until every channel seen has hung up (and at least one did), 1 s quiet."""
        deadline = time.monotonic() + timeout
        quiet = None
        while time.monotonic() < deadline:
            if self.rec.hangups and not self.rec.channels:
                quiet = quiet or time.monotonic()
                if time.monotonic() - quiet >= 1.0:
                    return
            else:
                quiet = None
            time.sleep(0.1)
        raise AssertionError(f"{self.rec.name}: channels still up after {timeout} s: {sorted(self.rec.channels)}")

    def save(self):
        """Log off both connections and write NN_name.* (events/actions raw and sent, .log, .summary, .cdr.csv)."""
        if self.closed:
            return
        self.closed = True
        self._run(self.rec.finish())
        self.rec.write(self.cdr_before)
