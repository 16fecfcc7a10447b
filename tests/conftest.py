"""End-to-end fixtures: the real Odoo serving the test database (installed by
`make test`), the PBX bridge as its own process, and an AMI server replaying
real Asterisk recordings."""

import json
import os
import secrets
import shlex
import subprocess
import sys
import types
import urllib.request
from pathlib import Path

import pytest
from e2e_support import (  # noqa: F401  (sql, sql_literal: helpers of the test modules)
    BridgeProcess,
    LoopThread,
    ReplayServer,
    free_port,
    sql,
    sql_literal,
    wait_for,
)

ROOT = Path(__file__).resolve().parent.parent
BRIDGE_TESTS = ROOT / "pbx" / "bridge" / "tests"
sys.path.insert(0, str(BRIDGE_TESTS))
sys.path.insert(0, str(ROOT / "pbx" / "bridge" / "src"))

ODOO_CMD = os.environ.get("HOTLINE_ODOO_CMD")
TEST_DB = os.environ.get("HOTLINE_TEST_DB")

needs_odoo = pytest.mark.skipif(
    not (ODOO_CMD and TEST_DB), reason="end-to-end tests run through `make test` (HOTLINE_ODOO_CMD is not set)"
)


class OdooServer:
    """A running Odoo on the test database, reached over HTTP and JSON-RPC."""

    def __init__(self, url, db, log_path):
        self.url = url
        self.db = db
        self.log_path = log_path
        self.uids = {}

    def jsonrpc(self, service, method, *args):
        body = {"jsonrpc": "2.0", "method": "call", "params": {"service": service, "method": method, "args": args}}
        request = urllib.request.Request(
            f"{self.url}/jsonrpc", json.dumps(body).encode(), {"Content-Type": "application/json"}
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            payload = json.load(response)
        if payload.get("error"):
            raise RuntimeError(payload["error"]["data"]["message"])
        return payload["result"]

    def login(self, login, password):
        uid = self.jsonrpc("common", "login", self.db, login, password)
        assert uid, f"cannot log in as {login}"
        self.uids[login] = (uid, password)
        return uid

    def call(self, login, model, method, *args, **kwargs):
        uid, password = self.uids[login]
        return self.jsonrpc("object", "execute_kw", self.db, uid, password, model, method, list(args), kwargs)

    def post_json(self, path, payload, token):
        request = urllib.request.Request(
            f"{self.url}{path}",
            json.dumps(payload).encode(),
            {"Content-Type": "application/json", "Authorization": f"Bearer {token}"},
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.load(response)


@pytest.fixture(scope="session")
def odoo(tmp_path_factory):
    if not (ODOO_CMD and TEST_DB):
        pytest.skip("end-to-end tests run through `make test`")
    port = int(os.environ.get("HOTLINE_E2E_HTTP_PORT") or 0) or free_port()  # make test-asterisk: 8273
    log_path = tmp_path_factory.mktemp("odoo") / "odoo.log"
    command = [*shlex.split(ODOO_CMD), "-d", TEST_DB, f"--http-port={port}", "--max-cron-threads=0", "--workers=0"]
    with open(log_path, "wb") as log:
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
    server = OdooServer(f"http://127.0.0.1:{port}", TEST_DB, log_path)

    def healthy():
        try:
            with urllib.request.urlopen(f"{server.url}/web/health", timeout=2) as response:
                return response.status == 200
        except OSError:
            return process.poll() is not None and pytest.fail(f"Odoo exited; see {log_path}")

    try:
        wait_for(healthy, timeout=120, what="Odoo to serve")
        server.login("admin", "admin")
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()


# ----------------------------------------------------------------------------
# Telephony end to end: the bridge process, the AMI replay, a PBX of the test's own
# ----------------------------------------------------------------------------

E2E_PBX_PREFIX = "E2E "


@pytest.fixture(scope="session")
def loop_thread():
    """An asyncio loop in a background thread, for the AMI replay servers and proxies."""
    thread = LoopThread()
    yield thread
    thread.close()


@pytest.fixture
def ami_replay(loop_thread):
    """``ami_replay("01_answered", **options)`` starts an AmiReplayServer; stopped at teardown."""
    servers = []

    def start(scenario, **options):
        server = ReplayServer(loop_thread, scenario, **options)
        server.start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


@pytest.fixture
def bridge_process(tmp_path):
    """``bridge_process(ami_port=..., odoo_url=..., odoo_token=...)`` writes the TOML config in
    tmp_path and starts the bridge; every bridge started is stopped at teardown."""
    bridges = []

    def start(name="bridge", **options):
        bridge = BridgeProcess(tmp_path / "bridge", name=name, **options)
        bridges.append(bridge)
        return bridge.start()

    yield start
    for bridge in bridges:
        bridge.stop()


@pytest.fixture
def e2e_pbx(odoo, request):
    """A PBX record of this test, with a fresh token, first of its company (so the demo
    operators' extensions 1001/1002 are its agents); archived at teardown.

    A PBX per test keeps the recorded linkedids (unique per PBX) from colliding between tests
    and between runs on the same database.
    """
    PBX = "hotline.pbx"
    leftovers = odoo.call("admin", PBX, "search", [("name", "=like", E2E_PBX_PREFIX + "%")])
    if leftovers:
        odoo.call("admin", PBX, "write", leftovers, {"active": False})
    token = "e2e-" + secrets.token_urlsafe(24)
    pbx_id = odoo.call(
        "admin",
        PBX,
        "create",
        {
            "name": f"{E2E_PBX_PREFIX}{request.node.name} {secrets.token_hex(3)}",
            "token": token,
            "sequence": 0,
            "queue": "hotline",
            "cdr_timezone": "UTC",
            "bridge_url": "http://127.0.0.1:9",
        },
    )
    try:
        yield types.SimpleNamespace(id=pbx_id, token=token)
    finally:
        odoo.call("admin", PBX, "write", [pbx_id], {"active": False})


@pytest.fixture(scope="session")
def agent_1001(odoo):
    """The demo operator with extension 1001 (login ``operator``), logged in over JSON-RPC."""
    users = odoo.call(
        "admin",
        "res.users",
        "search_read",
        [("hotline_extension", "=", "1001"), ("share", "=", False), ("hotline_pbx_id", "=", False)],
        fields=["login", "partner_id", "name"],
    )
    assert len(users) == 1, f"expected one user with extension 1001, found {users}"
    user = users[0]
    odoo.login(user["login"], user["login"])  # demo logins: password = login (docs/DEMO_LOGINS.txt)
    return {"id": user["id"], "login": user["login"], "partner_id": user["partner_id"][0], "name": user["name"]}
