"""Helpers of the deployment tests (tests/test_deploy_*.py) and of `make load`.

The production files of deploy/ run for real on loopback: Odoo with a configuration derived from
deploy/odoo.conf (several workers and the gevent websocket process), Debian's nginx with a site
derived from deploy/nginx/hotline.conf (TLS with a certificate made on the spot) and a streaming
replica of the test cluster made with pg_basebackup. Each process is started by these helpers,
remembered by its pid and stopped by it, also when a test fails.
"""

import configparser
import contextlib
import json
import os
import pwd
import re
import shlex
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.parse
from pathlib import Path

import requests
from e2e_support import wait_for

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
# the ports these tests may use for Odoo (HTTP and gevent) and nginx
DEPLOY_PORTS = [8276, *range(8286, 8300)]
WERKZEUG_LINE = re.compile(
    r"^\S+ \S+ (?P<pid>\d+) \w+ \S+ (?:werkzeug|longpolling): .*?\"(?P<method>[A-Z]+) (?P<path>\S+) HTTP"
)


def port_is_free(port):
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def free_deploy_ports(count, exclude=()):
    """``count`` free ports among DEPLOY_PORTS (the range given to these tests)."""
    ports = [port for port in DEPLOY_PORTS if port not in exclude and port_is_free(port)]
    if len(ports) < count:
        raise AssertionError(f"needed {count} free ports among {DEPLOY_PORTS}, found {ports}")
    return ports[:count]


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def port_answers(port, host="127.0.0.1"):
    with contextlib.suppress(OSError), socket.create_connection((host, port), timeout=1):
        return True
    return False


def stop_pid(process, sig=signal.SIGTERM, timeout=20.0):
    """Stop a Popen by its pid: ``sig``, then SIGKILL to its process group if it does not exit in time."""
    if process is None or process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        process.send_signal(sig)
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)  # the group this helper created with start_new_session
        process.wait(5)


def tail(path, lines=40):
    try:
        return "\n".join(Path(path).read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


# ----------------------------------------------------------------------------
# Odoo with deploy/odoo.conf
# ----------------------------------------------------------------------------


def parse_odoo_cmd(odoo_cmd):
    """``(argv_prefix, options)`` of scripts/lib.sh's ``odoo_cmd``: python + odoo-bin, and the
    options it gives (addons_path, db_host, ...) merged over the project's odoo.conf."""
    argv = shlex.split(odoo_cmd)
    prefix = argv[:2]
    options = {}
    rest = argv[2:]
    index = 0
    while index < len(rest):
        arg = rest[index]
        if arg in ("-c", "--config"):
            parser = configparser.RawConfigParser()
            parser.read(rest[index + 1])
            options.update({key: value for key, value in parser["options"].items() if key.startswith("db_")})
            index += 2
            continue
        if arg.startswith("--") and "=" in arg:
            key, value = arg[2:].split("=", 1)
            options[key.replace("-", "_")] = value
        index += 1
    return prefix, options


def odoo_path(odoo_cmd):
    return Path(shlex.split(odoo_cmd)[1]).parent


def derive_odoo_conf(path, overrides, drop=()):
    """deploy/odoo.conf with ``overrides`` applied and the keys of ``drop`` removed, written to ``path``."""
    parser = configparser.RawConfigParser()
    parser.read(DEPLOY / "odoo.conf")
    options = parser["options"]
    for key in drop:
        options.pop(key, None)
    for key, value in overrides.items():
        if value is None:
            options.pop(key, None)
        else:
            options[key] = str(value)
    with open(path, "w", encoding="utf-8") as handle:
        parser.write(handle)
    return dict(options)


class OdooWorkers:
    """Odoo in multi-process mode (``workers`` HTTP workers and the gevent process) with a
    configuration derived from deploy/odoo.conf, for the database ``db``."""

    def __init__(self, workdir, odoo_cmd, db, *, workers=2, http_port=None, gevent_port=None, replica=None, extra=None):
        self.workdir = Path(workdir)
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.db = db
        prefix, cmd_options = parse_odoo_cmd(odoo_cmd)
        self.argv_prefix = prefix
        self.http_port, self.gevent_port = (
            (http_port, gevent_port) if http_port and gevent_port else free_deploy_ports(2)
        )
        self.log_path = self.workdir / "odoo.log"
        self.config_path = self.workdir / "odoo.conf"
        overrides = {
            "addons_path": cmd_options.get("addons_path"),
            "db_name": db,
            "dbfilter": f"^{re.escape(db)}$",
            "http_interface": "127.0.0.1",
            "http_port": self.http_port,
            "gevent_port": self.gevent_port,
            "workers": workers,
            # the test cluster is shared with other tests: no scheduled actions run here
            "max_cron_threads": 0,
            "logfile": self.log_path,
            "log_level": "info",
            "admin_passwd": "deploy-test-admin",
            # the filestore and sessions of the test database stay where `make test` put them
            "data_dir": None,
            "db_sslmode": None,
            "db_host": cmd_options.get("db_host"),
            "db_port": cmd_options.get("db_port"),
            "db_user": cmd_options.get("db_user"),
            "db_password": cmd_options.get("db_password"),
            "db_replica_host": replica.host if replica else None,
            "db_replica_port": replica.port if replica else None,
            # 8 connections per worker and 32 for gevent would be fine; the shared test cluster has 100
            "db_maxconn": 4,
            "db_maxconn_gevent": 8,
        }
        overrides.update(extra or {})
        self.options = derive_odoo_conf(self.config_path, overrides)
        self.process = None

    @property
    def url(self):
        return f"http://127.0.0.1:{self.http_port}"

    def start(self, timeout=120.0):
        env = dict(os.environ, PYTHONUNBUFFERED="1")
        with open(self.workdir / "odoo.stdout", "ab") as out:
            self.process = subprocess.Popen(
                [*self.argv_prefix, "-c", str(self.config_path)],
                stdout=out,
                stderr=subprocess.STDOUT,
                env=env,
                cwd=self.workdir,
                start_new_session=True,
            )

        def serving():
            if self.process.poll() is not None:
                raise AssertionError(f"Odoo exited with {self.process.returncode}:\n{tail(self.log_path)}")
            with contextlib.suppress(OSError, requests.RequestException):
                return (
                    requests.get(f"{self.url}/web/health", timeout=3).status_code == 200
                    and port_answers(self.gevent_port)
                    and len(self.http_worker_pids()) >= int(self.options["workers"])
                )
            return False

        wait_for(serving, timeout=timeout, interval=0.5, what=f"Odoo's workers ({self.log_path})")
        return self

    def stop(self):
        stop_pid(self.process, signal.SIGTERM, timeout=30)

    def children(self):
        import psutil  # noqa: PLC0415  (Odoo's own dependency, present in the venv)

        try:
            return psutil.Process(self.process.pid).children()
        except psutil.NoSuchProcess:
            return []

    def gevent_pid(self):
        pids = [child.pid for child in self.children() if "gevent" in child.cmdline()]
        return pids[0] if pids else None

    def http_worker_pids(self):
        """The HTTP workers: the master's children other than the gevent process (no cron workers here)."""
        return {child.pid for child in self.children() if "gevent" not in child.cmdline()}

    def log_text(self):
        try:
            return self.log_path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""

    def request_pids(self, path_fragment):
        """``[(pid, method, path)]`` of the access lines whose path contains ``path_fragment``."""
        found = []
        for line in self.log_text().splitlines():
            match = WERKZEUG_LINE.match(line)
            if match and path_fragment in match["path"]:
                found.append((int(match["pid"]), match["method"], match["path"]))
        return found


# ----------------------------------------------------------------------------
# nginx with deploy/nginx/hotline.conf
# ----------------------------------------------------------------------------


def unprivileged_user():
    """Who runs nginx and the replica: nobody when the tests run as root."""
    return "nobody" if os.getuid() == 0 else None


def make_certificate(directory):
    key, cert = Path(directory) / "hotline.key", Path(directory) / "hotline.crt"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )
    return cert, key


def derive_nginx_site(https_port, http_port, odoo_port, gevent_port, cert, key, log_dir):
    """deploy/nginx/hotline.conf for loopback: each replacement must apply, so a change of the
    production site that these tests no longer follow fails loudly instead of testing something else."""
    text = (DEPLOY / "nginx" / "hotline.conf").read_text(encoding="utf-8")
    replacements = [
        (r"server 127\.0\.0\.1:8069 ", f"server 127.0.0.1:{odoo_port} "),
        (r"server 127\.0\.0\.1:8072 ", f"server 127.0.0.1:{gevent_port} "),
        (r"listen 443 ssl http2;", f"listen 127.0.0.1:{https_port} ssl http2;"),
        (r"\n\s*listen \[::\]:443 ssl http2;", ""),
        (r"listen 80;", f"listen 127.0.0.1:{http_port};"),
        (r"\n\s*listen \[::\]:80;", ""),
        (r"ssl_certificate\s+\S+;", f"ssl_certificate {cert};"),
        (r"ssl_certificate_key\s+\S+;", f"ssl_certificate_key {key};"),
        (r"access_log\s+\S+;", f"access_log {log_dir}/access.log hotline_upstream;"),
        (r"error_log\s+\S+;", f"error_log {log_dir}/error.log;"),
    ]
    for pattern, replacement in replacements:
        text, count = re.subn(pattern, replacement, text)
        assert count, f"deploy/nginx/hotline.conf: no match for {pattern!r}"
    return text


class Nginx:
    """Debian's nginx, as an unprivileged user, in front of an OdooWorkers, with TLS."""

    def __init__(self, odoo, https_port=None, http_port=None):
        self.binary = shutil.which("nginx") or "/usr/sbin/nginx"
        if not os.path.exists(self.binary):
            raise AssertionError("nginx is missing: scripts/test.sh installs Debian's nginx (apt-get install nginx)")
        # a folder of the unprivileged user (pytest's tmp folders are private to root)
        self.prefix = Path(tempfile.mkdtemp(prefix="hotline-nginx-"))
        self.prefix.chmod(0o755)
        user = unprivileged_user()
        if user:
            os.chown(self.prefix, pwd.getpwnam(user).pw_uid, pwd.getpwnam(user).pw_gid)
        exclude = {odoo.http_port, odoo.gevent_port}
        ports = free_deploy_ports(2, exclude=exclude) if not (https_port and http_port) else [https_port, http_port]
        self.https_port, self.http_port = ports
        cert, key = make_certificate(self.prefix)
        self.cert = str(cert)  # what clients verify the proxy with
        for path in (cert, key):
            path.chmod(0o644)  # a throwaway certificate of the test
        site = derive_nginx_site(
            self.https_port, self.http_port, odoo.http_port, odoo.gevent_port, cert, key, self.prefix
        )
        (self.prefix / "hotline.conf").write_text(site, encoding="utf-8")
        temp_paths = "\n".join(
            f"    {name}_temp_path {self.prefix}/{name};"
            for name in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
        )
        (self.prefix / "nginx.conf").write_text(
            f"""daemon off;
worker_processes 2;
pid {self.prefix}/nginx.pid;
error_log {self.prefix}/error.log info;
events {{ worker_connections 1024; }}
http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
{temp_paths}
    log_format hotline_upstream '$request_method $uri $status upstream=$upstream_addr';
    access_log {self.prefix}/access.log hotline_upstream;
    include {self.prefix}/hotline.conf;
}}
""",
            encoding="utf-8",
        )
        self.process = None

    @property
    def url(self):
        return f"https://127.0.0.1:{self.https_port}"

    def start(self, timeout=20.0):
        user = unprivileged_user()
        with open(self.prefix / "nginx.stdout", "ab") as out:
            self.process = subprocess.Popen(
                [
                    self.binary,
                    "-p",
                    str(self.prefix),
                    "-c",
                    str(self.prefix / "nginx.conf"),
                    "-e",
                    str(self.prefix / "error.log"),
                ],
                stdout=out,
                stderr=subprocess.STDOUT,
                user=user,
                start_new_session=True,
            )

        def listening():
            if self.process.poll() is not None:
                raise AssertionError(f"nginx exited with {self.process.returncode}:\n{tail(self.prefix / 'error.log')}")
            return port_answers(self.https_port)

        wait_for(listening, timeout=timeout, interval=0.1, what="nginx")
        return self

    def stop(self):
        stop_pid(self.process, signal.SIGQUIT, timeout=10)  # SIGQUIT: graceful; SIGKILL to its group after that
        shutil.rmtree(self.prefix, ignore_errors=True)

    def access_lines(self):
        try:
            return (self.prefix / "access.log").read_text(encoding="utf-8", errors="replace").splitlines()
        except OSError:
            return []


# ----------------------------------------------------------------------------
# A streaming replica of the test cluster
# ----------------------------------------------------------------------------


def pg_bin_dir(psql_cmd):
    """The folder of the PostgreSQL server programs of the cluster's version."""
    version = run_psql(psql_cmd, "postgres", "SHOW server_version_num")[0][0]
    major = int(version) // 10000
    for candidate in (f"/usr/lib/postgresql/{major}/bin", os.path.dirname(shutil.which("pg_ctl") or "")):
        if candidate and os.path.exists(os.path.join(candidate, "postgres")):
            return candidate
    raise AssertionError(f"PostgreSQL {major} server programs not found")


def run_psql(psql_cmd, db, query, host=None, port=None):
    argv = shlex.split(psql_cmd)
    if host or port:
        argv = [arg for arg in argv]
        for flag, value in (("-h", host), ("-p", port)):
            if value is None:
                continue
            if flag in argv:
                argv[argv.index(flag) + 1] = str(value)
            else:
                argv += [flag, str(value)]
    output = subprocess.run(
        [*argv, "-d", db, "-XAtF", "\t", "-v", "ON_ERROR_STOP=1", "-c", query],
        check=True,
        capture_output=True,
        text=True,
        timeout=60,
    ).stdout
    return [line.split("\t") for line in output.splitlines() if line]


def psql_target(psql_cmd):
    """``(host, port, user)`` of the test cluster from HOTLINE_PSQL (``psql -h H -p P -U U``)."""
    argv = shlex.split(psql_cmd)

    def value(flag, default):
        return argv[argv.index(flag) + 1] if flag in argv else default

    return (
        value("-h", os.environ.get("PGHOST", "127.0.0.1")),
        int(value("-p", os.environ.get("PGPORT", "5432"))),
        value("-U", os.environ.get("PGUSER", pwd.getpwuid(os.getuid()).pw_name)),
    )


class Replica:
    """A hot standby of the test cluster: pg_basebackup into a temporary folder, started on a free
    port as the cluster's own OS user (PostgreSQL refuses root), with every statement logged."""

    def __init__(self, psql_cmd):
        self.psql_cmd = psql_cmd
        self.primary_host, self.primary_port, self.db_user = psql_target(psql_cmd)
        self.bin = pg_bin_dir(psql_cmd)
        data_directory = run_psql(psql_cmd, "postgres", "SHOW data_directory")[0][0]
        owner = os.stat(data_directory).st_uid if os.path.exists(data_directory) else os.getuid()
        self.os_user = pwd.getpwuid(owner).pw_name
        # outside pytest's tmp folders, which are private to root
        self.base = Path(tempfile.mkdtemp(prefix="hotline-replica-"))
        self.data = self.base / "data"
        self.socket_dir = self.base / "socket"
        self.log_path = self.base / "replica.log"
        self.port = next(port for port in iter(free_port, None) if port not in DEPLOY_PORTS)
        self.host = "127.0.0.1"
        self.process = None

    def _as_owner(self):
        return self.os_user if os.getuid() == 0 and self.os_user != "root" else None

    def _allow_owner(self):
        if os.getuid() != 0:
            return
        # the cluster's user must reach and own its folder
        path = self.base
        while path != path.parent:
            if path.stat().st_mode & 0o001 == 0:
                path.chmod(path.stat().st_mode | 0o001)
            path = path.parent
        owner = pwd.getpwnam(self.os_user)
        os.chown(self.base, owner.pw_uid, owner.pw_gid)

    def create(self, timeout=300):
        self._allow_owner()
        subprocess.run(
            [
                f"{self.bin}/pg_basebackup",
                "-h",
                self.primary_host,
                "-p",
                str(self.primary_port),
                "-U",
                self.db_user,
                "-D",
                str(self.data),
                "-X",
                "stream",
                "-R",
                "-c",
                "fast",
                "--no-sync",
            ],
            check=True,
            capture_output=True,
            timeout=timeout,
            user=self._as_owner(),
        )
        return self

    def start(self, timeout=60.0):
        if not self.socket_dir.exists():
            self.socket_dir.mkdir()
            if self._as_owner():
                owner = pwd.getpwnam(self.os_user)
                os.chown(self.socket_dir, owner.pw_uid, owner.pw_gid)
        settings = {
            "port": self.port,
            "listen_addresses": "127.0.0.1",
            "unix_socket_directories": str(self.socket_dir),
            "hot_standby": "on",
            "log_statement": "all",
            "log_line_prefix": "%m [%p] %d %a ",
            "logging_collector": "off",
            "archive_mode": "off",
        }
        argv = [f"{self.bin}/postgres", "-D", str(self.data)]
        for key, value in settings.items():
            argv += ["-c", f"{key}={value}"]
        with open(self.log_path, "ab") as log:
            if self._as_owner():
                os.chown(self.log_path, pwd.getpwnam(self.os_user).pw_uid, -1)
            self.process = subprocess.Popen(
                argv, stdout=log, stderr=subprocess.STDOUT, user=self._as_owner(), start_new_session=True
            )

        def accepting():
            if self.process.poll() is not None:
                raise AssertionError(f"the replica exited with {self.process.returncode}:\n{tail(self.log_path)}")
            with contextlib.suppress(subprocess.CalledProcessError):
                return self.query("SELECT pg_is_in_recovery()") == [["t"]]
            return False

        wait_for(accepting, timeout=timeout, interval=0.3, what=f"the replica to accept reads ({self.log_path})")
        return self

    def stop(self):
        stop_pid(self.process, signal.SIGINT, timeout=30)  # SIGINT: PostgreSQL's fast shutdown

    def query(self, sql, db="postgres"):
        return run_psql(self.psql_cmd, db, sql, host=self.host, port=self.port)

    def pause_replay(self):
        self.query("SELECT pg_wal_replay_pause()")

    def resume_replay(self):
        self.query("SELECT pg_wal_replay_resume()")

    def wait_caught_up(self, timeout=30.0):
        target = run_psql(self.psql_cmd, "postgres", "SELECT pg_current_wal_lsn()")[0][0]

        def caught_up():
            return self.query(f"SELECT pg_last_wal_replay_lsn() >= '{target}'::pg_lsn") == [["t"]]

        wait_for(caught_up, timeout=timeout, interval=0.2, what="the replica to replay the primary's WAL")

    def log_text(self):
        try:
            return self.log_path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""

    def remove(self):
        shutil.rmtree(self.base, ignore_errors=True)


# ----------------------------------------------------------------------------
# The web client's side: a session, JSON-RPC, the bus websocket
# ----------------------------------------------------------------------------


class WebSession:
    """What the browser does: a session cookie, JSON-RPC on /web/dataset/call_kw, the websocket."""

    def __init__(self, base_url, db, ca_cert=None):
        self.base_url = base_url
        self.db = db
        self.ca_cert = ca_cert
        self.http = requests.Session()
        self.http.verify = ca_cert or True  # the proxy's certificate, made by the test
        self.http.trust_env = False  # REQUESTS_CA_BUNDLE would override verify; loopback needs no proxy
        self.uid = None
        self._id = 0

    def rpc(self, path, params, timeout=30):
        self._id += 1
        response = self.http.post(
            f"{self.base_url}{path}",
            json={"jsonrpc": "2.0", "method": "call", "params": params, "id": self._id},
            timeout=timeout,
        )
        response.raise_for_status()
        payload = response.json()
        if payload.get("error"):
            raise RuntimeError(payload["error"]["data"]["message"])
        return payload["result"]

    def authenticate(self, login, password):
        result = self.rpc("/web/session/authenticate", {"db": self.db, "login": login, "password": password})
        self.uid = result["uid"]
        assert self.uid, f"cannot log in as {login}"
        return result

    def call_kw(self, model, method, args, kwargs=None):
        return self.rpc(
            f"/web/dataset/call_kw/{model}/{method}",
            {"model": model, "method": method, "args": args, "kwargs": kwargs or {}},
        )

    @property
    def session_id(self):
        return self.http.cookies.get("session_id")

    def websocket(self, websocket_version, timeout=10):
        import websocket  # noqa: PLC0415  (websocket-client, in the project's venv)

        parts = urllib.parse.urlsplit(self.base_url)
        scheme = "wss" if parts.scheme == "https" else "ws"
        return websocket.create_connection(
            f"{scheme}://{parts.netloc}/websocket?version={websocket_version}",
            cookie=f"session_id={self.session_id}",
            origin=self.base_url,
            sslopt={"ca_certs": self.ca_cert} if self.ca_cert else None,
            timeout=timeout,
        )


def websocket_version(odoo_root):
    text = (Path(odoo_root) / "addons" / "bus" / "websocket.py").read_text(encoding="utf-8")
    return re.search(r'_VERSION = "([^"]+)"', text)[1]


def receive_until(ws, predicate, timeout=20.0):
    """Bus notifications from ``ws`` until one satisfies ``predicate``; that one."""
    import websocket  # noqa: PLC0415

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ws.settimeout(max(0.1, deadline - time.monotonic()))
        try:
            raw = ws.recv()
        except websocket.WebSocketTimeoutException:
            break
        for notification in json.loads(raw or "[]"):
            message = notification.get("message", {})
            if predicate(message):
                return notification
    raise AssertionError(f"no matching bus notification within {timeout:.0f} s")


# ----------------------------------------------------------------------------
# A headless Chromium driven over the DevTools protocol (as Odoo's own tours are)
# ----------------------------------------------------------------------------


class Chromium:
    """Headless Chromium with one page, driven over the DevTools protocol through websocket-client."""

    def __init__(self, workdir):
        self.binary = next(
            (path for name in ("chromium", "chromium-browser", "google-chrome") if (path := shutil.which(name))), None
        )
        if not self.binary:
            raise AssertionError("Chromium is missing (Debian: apt-get install chromium)")
        self.profile = Path(tempfile.mkdtemp(prefix="hotline-chromium-", dir=workdir))
        self.port = free_port()
        self.process = None
        self.ws = None
        self._id = 0
        self.console = []  # (type, text) of console calls and uncaught exceptions

    def start(self, timeout=30.0):
        switches = [
            "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
            "--disable-extensions", "--disable-background-networking", "--no-default-browser-check",
            "--ignore-certificate-errors",  # the proxy's certificate, made by the test
            "--remote-debugging-address=127.0.0.1", f"--remote-debugging-port={self.port}",
            f"--user-data-dir={self.profile}", "--window-size=1366,768", "about:blank",
        ]  # fmt: skip
        with open(self.profile / "chromium.log", "ab") as log:
            self.process = subprocess.Popen(
                [self.binary, *switches], stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )

        def page_socket():
            if self.process.poll() is not None:
                raise AssertionError(f"Chromium exited:\n{tail(self.profile / 'chromium.log')}")
            with contextlib.suppress(OSError, requests.RequestException, ValueError):
                targets = requests.get(f"http://127.0.0.1:{self.port}/json", timeout=2).json()
                pages = [target for target in targets if target.get("type") == "page"]
                return pages and pages[0]["webSocketDebuggerUrl"]
            return None

        import websocket  # noqa: PLC0415

        url = wait_for(page_socket, timeout=timeout, interval=0.2, what="Chromium's DevTools")
        self.ws = websocket.create_connection(url, timeout=30, suppress_origin=True)
        for method in ("Page.enable", "Runtime.enable", "Network.enable"):
            self.send(method)
        return self

    def send(self, method, **params):
        """Send a DevTools command and return its result (events meanwhile are recorded)."""
        self._id += 1
        command_id = self._id
        self.ws.send(json.dumps({"id": command_id, "method": method, "params": params}))
        while True:
            message = self._receive(30)
            if message is None:
                raise AssertionError(f"no answer to {method}")
            if message.get("id") == command_id:
                if "error" in message:
                    raise AssertionError(f"{method}: {message['error']}")
                return message.get("result", {})

    def _receive(self, timeout):
        import websocket  # noqa: PLC0415

        self.ws.settimeout(timeout)
        try:
            message = json.loads(self.ws.recv())
        except websocket.WebSocketTimeoutException:
            return None
        method = message.get("method")
        if method == "Runtime.consoleAPICalled":
            params = message["params"]
            text = " ".join(str(arg.get("value", arg.get("description", ""))) for arg in params.get("args", []))
            self.console.append((params.get("type"), text))
        elif method == "Runtime.exceptionThrown":
            details = message["params"]["exceptionDetails"]
            self.console.append(("exception", details.get("exception", {}).get("description") or details.get("text")))
        return message

    def set_cookie(self, name, value, url):
        self.send("Network.setCookie", name=name, value=value, url=url, path="/")

    def navigate(self, url):
        self.send("Page.navigate", url=url)

    def evaluate(self, expression, await_promise=False):
        result = self.send("Runtime.evaluate", expression=expression, awaitPromise=await_promise, returnByValue=True)
        if "exceptionDetails" in result:
            return None
        return result.get("result", {}).get("value")

    def wait_console(self, signal, timeout=90.0):
        """Wait for ``signal`` in the console; an error or exception before it fails."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for kind, text in self.console:
                if kind in ("error", "exception"):
                    raise AssertionError(f"browser {kind}: {text}")
                if signal in text:
                    return True
            self._receive(max(0.1, min(1.0, deadline - time.monotonic())))
        raise AssertionError(f"no {signal!r} in the browser's console within {timeout:.0f} s: {self.console[-10:]}")

    def stop(self):
        if self.ws is not None:
            with contextlib.suppress(Exception):
                self.ws.close()
        stop_pid(self.process, signal.SIGTERM, timeout=10)
        shutil.rmtree(self.profile, ignore_errors=True)
