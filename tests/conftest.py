"""End-to-end fixtures: the real Odoo serving the test database (installed by
`make test`), the PBX bridge as its own process, and an AMI server replaying
real Asterisk recordings."""

import json
import os
import shlex
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BRIDGE_TESTS = ROOT / "pbx" / "bridge" / "tests"
sys.path.insert(0, str(BRIDGE_TESTS))
sys.path.insert(0, str(ROOT / "pbx" / "bridge" / "src"))

ODOO_CMD = os.environ.get("HOTLINE_ODOO_CMD")
TEST_DB = os.environ.get("HOTLINE_TEST_DB")

needs_odoo = pytest.mark.skipif(
    not (ODOO_CMD and TEST_DB), reason="end-to-end tests run through `make test` (HOTLINE_ODOO_CMD is not set)"
)


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(predicate, timeout=30.0, interval=0.2, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = predicate()
        if result:
            return result
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


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


def sql(query, *params):
    """Run one query on the test database with psql; rows as lists of strings."""
    psql = shlex.split(os.environ.get("HOTLINE_PSQL", "psql"))
    command = [*psql, "-d", TEST_DB, "-AtF", "\t", "-v", "ON_ERROR_STOP=1", "-c", query]
    output = subprocess.run(command, check=True, capture_output=True, text=True, timeout=30).stdout
    return [line.split("\t") for line in output.splitlines() if line]


@pytest.fixture(scope="session")
def odoo(tmp_path_factory):
    if not (ODOO_CMD and TEST_DB):
        pytest.skip("end-to-end tests run through `make test`")
    port = free_port()
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
