"""A real Kannel for the tests and the benchmark: bearerbox + smsbox + Kannel's fake SMSC.

Wired the way Kannel's own checks do it (``/usr/lib/kannel/checks/check_sendsms.sh``): bearerbox
with an ``smsc = fake`` connection, ``fakesmsc`` connecting to it as the "SMSC" and printing every
message it gets (``Got message N: <from to type data>``), smsbox with the ``sendsms`` HTTP interface
and an ``sms-service`` that forwards mobile-originated texts to Odoo.  Everything binds 127.0.0.1
on free ports, in a temporary directory; ``stop()`` ends the processes it started, by PID.

Plain Python (no Odoo import): the benchmark uses it outside Odoo.
"""

import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.parse
import urllib.request

BEARERBOX = shutil.which("bearerbox") or "/usr/sbin/bearerbox"
SMSBOX = shutil.which("smsbox") or "/usr/sbin/smsbox"
FAKESMSC = "/usr/lib/kannel/test/fakesmsc"

GOT_RE = re.compile(r"Got message (\d+): <(.*)>\s*$")


def kannel_available():
    return all(os.access(path, os.X_OK) for path in (BEARERBOX, SMSBOX, FAKESMSC))


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_port(port, timeout=15.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return True
        except OSError:
            time.sleep(0.05)
    return False


def decode_fake_line(kind, rest):
    """(udh bytes, payload bytes, payload kind) of one line printed by fakesmsc.

    fakesmsc prints ``text <text>``, ``data <urlcoded>``, ``ucs-2 <urlcoded UCS-2>`` or
    ``udh <urlcoded udh> data|ucs-2|text <payload>`` (concatenated parts).
    """
    udh = b""
    if kind == "udh":
        udh_enc, kind, rest = (rest.split(" ", 2) + ["", ""])[:3]
        udh = _unquote(udh_enc)
    if kind == "text":
        return udh, rest.encode("latin-1", "replace"), kind
    return udh, _unquote(rest), kind


def _unquote(value):
    # Kannel's octstr_url_encode writes the byte 0x20 as "+" (a real "+" is %2B)
    return urllib.parse.unquote_to_bytes(value.replace("+", "%20"))


class FakeMessage:
    """One short message as the fake SMSC received it."""

    def __init__(self, line):
        match = GOT_RE.search(line)
        self.index = int(match.group(1))
        sender, receiver, kind, rest = (match.group(2).split(" ", 3) + ["", "", "", ""])[:4]
        self.sender, self.receiver = sender, receiver
        self.udh, self.data, self.kind = decode_fake_line(kind, rest)

    def text(self):
        """The text: UCS-2 (UTF-16BE) when it is binary data, else as printed."""
        if self.kind in ("data", "ucs-2"):
            try:
                return self.data.decode("utf-16-be")
            except UnicodeDecodeError:
                return self.data.decode("latin-1")
        return self.data.decode("latin-1")

    def concat(self):
        """(reference, total, part) from a concatenation UDH (IEI 0x00 or 0x08), else None."""
        udh = self.udh
        if len(udh) >= 6 and udh[1] == 0x00:
            return udh[3], udh[4], udh[5]
        if len(udh) >= 7 and udh[1] == 0x08:
            return (udh[3] << 8) | udh[4], udh[5], udh[6]
        return None

    def __repr__(self):
        return f"<FakeMessage {self.sender}->{self.receiver} {self.kind} {self.text()!r}>"


def join_parts(messages):
    """[(receiver, text)]: single messages, then the concatenated parts reassembled (complete ones only)."""
    singles, parts = [], {}
    for msg in messages:
        concat = msg.concat()
        if concat is None:
            singles.append((msg.receiver, msg.text()))
            continue
        ref, total, part = concat
        parts.setdefault((msg.receiver, ref), {"total": total, "parts": {}})["parts"][part] = msg.data
    joined = []
    for (receiver, _ref), info in parts.items():
        if len(info["parts"]) == info["total"]:
            data = b"".join(info["parts"][i] for i in range(1, info["total"] + 1))
            joined.append((receiver, data.decode("utf-16-be", "replace")))
    return singles + joined


class KannelHarness:
    """bearerbox + smsbox + fakesmsc on free loopback ports (start(), stop())."""

    username = "hotline"
    password = "kannel-test-pw"
    global_sender = "12319"

    def __init__(self, inbound_url=None, throughput=0, log_level=1):
        self.inbound_url = inbound_url
        self.throughput = throughput
        self.log_level = log_level
        self.dir = None
        self.ports = {}
        self.procs = {}
        self._fake_log = None

    # ------------------------------------------------------------------
    @property
    def sendsms_url(self):
        return "http://127.0.0.1:{}/cgi-bin/sendsms".format(self.ports["sendsms"])

    def config(self):
        p = self.ports
        log = self.dir
        lines = [
            "group = core",
            f"admin-port = {p['admin']}",
            "admin-password = harness",
            "admin-interface = 127.0.0.1",
            f"smsbox-port = {p['smsbox']}",
            "smsbox-interface = 127.0.0.1",
            'box-allow-ip = "127.0.0.1"',
            "dlr-storage = internal",
            f'log-file = "{log}/bearerbox.log"',
            f"log-level = {self.log_level}",
            "",
            "group = smsc",
            "smsc = fake",
            "smsc-id = fake",
            f"port = {p['fake']}",
            'connect-allow-ip = "127.0.0.1"',
            "our-host = 127.0.0.1",
        ]
        if self.throughput:
            lines.append(f"throughput = {self.throughput}")
        lines += [
            "",
            "group = smsbox",
            "bearerbox-host = 127.0.0.1",
            f"bearerbox-port = {p['smsbox']}",
            f"sendsms-port = {p['sendsms']}",
            "sendsms-interface = 127.0.0.1",
            f"global-sender = {self.global_sender}",
            "mo-recode = true",
            # delivery reports to Odoo: at most 32 requests at a time (Odoo's connection pool is 64),
            # a refused one (Odoo busy: 5xx, or 404 before the sending transaction committed) retried
            "max-pending-requests = 32",
            "http-request-retry = 5",
            "http-queue-delay = 2",
            f'log-file = "{log}/smsbox.log"',
            f"log-level = {self.log_level}",
            "",
            "group = sendsms-user",
            f"username = {self.username}",
            f"password = {self.password}",
            "concatenation = true",
            "max-messages = 10",
            "",
            "group = sms-service",
            "keyword = default",
            "catch-all = true",
            "max-messages = 0",
            "omit-empty = true",
        ]
        if self.inbound_url:
            lines.append(f'get-url = "{self.inbound_url}"')
        else:
            lines.append('text = ""')
        return "\n".join(lines) + "\n"

    # ------------------------------------------------------------------
    def start(self):
        self.dir = tempfile.mkdtemp(prefix="hotline-kannel-")
        self.ports = {name: free_port() for name in ("admin", "smsbox", "sendsms", "fake")}
        self.conf = os.path.join(self.dir, "kannel.conf")
        with open(self.conf, "w", encoding="utf-8") as handle:
            handle.write(self.config())
        try:
            self._spawn("bearerbox", self._box_args(BEARERBOX))
            if not wait_port(self.ports["smsbox"]) or not wait_port(self.ports["fake"]):
                raise RuntimeError("bearerbox did not open its ports: {}".format(self.log_tail("bearerbox.log")))
            self.start_fakesmsc()
            self._spawn("smsbox", self._box_args(SMSBOX))
            if not wait_port(self.ports["sendsms"]):
                raise RuntimeError("smsbox did not open its sendsms port: {}".format(self.log_tail("smsbox.log")))
            self._wait_smsc_online()
        except Exception:
            self.stop()
            raise
        return self

    def _box_args(self, binary):
        # -v: the console's log level (the log-file has its own); debug output slows Kannel down
        return [binary, "-v", str(max(self.log_level, 1)), self.conf]

    def start_fakesmsc(self, mo_messages=()):
        """(Re)start fakesmsc; with ``mo_messages`` it also sends them (fakesmsc's message format)."""
        if "fakesmsc" in self.procs:
            self._kill("fakesmsc")
        args = [FAKESMSC, "-H", "127.0.0.1", "-r", str(self.ports["fake"]), "-i", "0.2"]
        if mo_messages:
            args += ["-m", str(len(mo_messages)), *mo_messages]
        else:
            # no mobile-originated traffic: one message to nobody would be sent otherwise
            args += ["-m", "0", "1 2 text x"]
        self._spawn("fakesmsc", args, stdout_name="fakesmsc.out")

    def _spawn(self, name, args, stdout_name=None):
        out_path = os.path.join(self.dir, stdout_name or f"{name}.out")
        out = open(out_path, "ab")  # noqa: SIM115 (closed in stop)
        proc = subprocess.Popen(  # noqa: S603 (fixed binaries, our own arguments)
            args, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, cwd=self.dir
        )
        self.procs[name] = (proc, out)

    def _wait_smsc_online(self, timeout=15.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            status = self.status()
            if "fake" in status and "online" in status.split("fake", 1)[1][:200]:
                return
            time.sleep(0.1)
        raise RuntimeError(f"the fake SMSC did not come online: {self.status()}")

    def status(self):
        url = "http://127.0.0.1:{}/status.txt?password=harness".format(self.ports["admin"])
        try:
            with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 (loopback)
                return response.read().decode("utf-8", "replace")
        except OSError:
            return ""

    def _kill(self, name):
        proc, out = self.procs.pop(name)
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM if name != "bearerbox" else signal.SIGINT)
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=5)
        out.close()

    def stop(self, keep_dir=False):
        for name in ("fakesmsc", "smsbox", "bearerbox"):
            if name in self.procs:
                self._kill(name)
        if self.dir and not keep_dir and not os.environ.get("HOTLINE_KEEP_KANNEL_LOGS"):
            shutil.rmtree(self.dir, ignore_errors=True)

    def stop_smsbox(self):
        """Stop smsbox only: the sendsms HTTP port refuses connections (the gateway is down)."""
        self._kill("smsbox")

    def start_smsbox(self):
        self._spawn("smsbox", self._box_args(SMSBOX))
        if not wait_port(self.ports["sendsms"]):
            raise RuntimeError("smsbox did not restart: {}".format(self.log_tail("smsbox.log")))

    # ------------------------------------------------------------------
    def log_tail(self, name, size=3000):
        try:
            with open(os.path.join(self.dir, name), encoding="utf-8", errors="replace") as handle:
                return handle.read()[-size:]
        except OSError:
            return ""

    def received(self):
        """Every message the fake SMSC received so far, in order."""
        path = os.path.join(self.dir, "fakesmsc.out")
        try:
            with open(path, encoding="latin-1") as handle:
                lines = handle.readlines()
        except OSError:
            return []
        return [FakeMessage(line) for line in lines if GOT_RE.search(line)]

    def wait_received(self, count, timeout=20.0):
        deadline = time.monotonic() + timeout
        messages = self.received()
        while len(messages) < count and time.monotonic() < deadline:
            time.sleep(0.1)
            messages = self.received()
        return messages
