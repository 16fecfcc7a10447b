"""Fixtures of the live Asterisk suite (``make test-asterisk``).

A real Asterisk on the project's dialplan (Local channels stand in for the phones and the trunk),
a real Odoo on its own database (the ``odoo`` fixture of tests/conftest.py) and the bridge as its own
process with the AMI user of ``manager.conf``. One of each for the whole session.
"""

import contextlib
import os
import secrets
import types
from pathlib import Path

import pytest
from e2e_support import BridgeProcess
from live_support import BRIDGE_AMI_SECRET, BRIDGE_AMI_USER, AmiRecorder, LivePbx, asterisk_binary

ASTERISK = asterisk_binary()
RECORD_DIR = os.environ.get("HOTLINE_LIVE_RECORD")


HERE = Path(__file__).resolve().parent


def _inside_here(path):
    path = Path(path).resolve()
    return path == HERE or HERE in path.parents


def pytest_ignore_collect(collection_path, config):
    """Only when named: `make test` runs pytest on tests/, which must not start Asterisk."""
    if not _inside_here(collection_path):
        return None
    asked = any(_inside_here(str(arg).split("::")[0]) for arg in config.args)
    return None if asked else True


def pytest_collection_modifyitems(config, items):
    if ASTERISK:
        return
    given = os.environ.get("ASTERISK")
    reason = f"no Asterisk binary at ASTERISK={given}" if given else "no Asterisk binary (set ASTERISK=...)"
    for item in items:
        if _inside_here(item.path):
            item.add_marker(pytest.mark.skip(reason=f"live Asterisk suite not run: {reason}"))


@pytest.fixture(scope="session")
def live_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("asterisk_live")


@pytest.fixture(scope="session")
def pbx_record(odoo, live_dir):
    """The hotline.pbx of the live Asterisk, first of its company (the demo agents are its agents)."""
    token = "live-" + secrets.token_urlsafe(24)
    others = odoo.call("admin", "hotline.pbx", "search", [])
    odoo.call("admin", "hotline.pbx", "write", others, {"active": False})
    pbx_id = odoo.call(
        "admin",
        "hotline.pbx",
        "create",
        {
            "name": "Live Asterisk",
            "token": token,
            "sequence": 0,
            "queue": "hotline",
            "cdr_timezone": "UTC",
            "outbound_prefix": "0",
            "recording_path": str(live_dir / "pbx" / "spool" / "monitor"),
        },
    )
    # Odoo's setting "announce the work number" reaches the dialplan through the route lookup
    odoo.call("admin", "ir.config_parameter", "set_param", "hotline_telephony.announce_work_number", "True")
    return types.SimpleNamespace(id=pbx_id, token=token)


@pytest.fixture(scope="session")
def asterisk(odoo, pbx_record, live_dir):
    if not ASTERISK:
        pytest.skip("no Asterisk binary")
    os.environ.setdefault("TZ", "UTC")  # Master.csv in local time (cdr.conf usegmtime = no): the PBX's cdr_timezone
    pbx = LivePbx(ASTERISK, live_dir, odoo.url, pbx_record.token)
    try:
        yield pbx.start()
    finally:
        pbx.stop()


@pytest.fixture(scope="session")
def bridge(asterisk, odoo, pbx_record, live_dir):
    """The bridge with manager.conf's own AMI user; the PBX record's bridge_url points at it."""
    process = BridgeProcess(
        live_dir / "bridge",
        ami_port=asterisk.ami_port,
        odoo_url=odoo.url,
        odoo_token=pbx_record.token,
        ami={"username": BRIDGE_AMI_USER, "secret": BRIDGE_AMI_SECRET},
        http={"token": pbx_record.token},
        pbx={
            "agent_channel": "Local/{extension}@agents/n",
            "member_interface": "Local/{extension}@agents/n",
            "member_state_interface": "",
            "spy_target": "Local/{extension}@fake-phone",
        },
    )
    process.http_token = pbx_record.token  # Odoo's bearer token for the bridge is the PBX's
    process.start()
    odoo.call("admin", "hotline.pbx", "write", [pbx_record.id], {"bridge_url": f"http://127.0.0.1:{process.http_port}"})
    try:
        yield process
    finally:
        process.stop()


@pytest.fixture(scope="module")
def record(loop_thread, asterisk, bridge, tmp_path_factory):
    """``record("08_live_answered")``: an AMI recorder of that scenario, opened; its transcript is written
    at teardown into $HOTLINE_LIVE_RECORD (else tmp_path), after every channel has gone."""
    recorders = []

    def finish():
        for recorder in recorders:
            if recorder.rec.channels:  # a failed test left calls up
                asterisk.cli("channel request hangup all", check=False)
                with contextlib.suppress(AssertionError):
                    recorder.wait_idle(15)
            recorder.save()
        recorders.clear()

    def start(name):
        finish()  # one scenario per transcript
        out = Path(RECORD_DIR) if RECORD_DIR else tmp_path_factory.mktemp("recorded")
        recorder = AmiRecorder(loop_thread, asterisk, name, out).open()
        recorders.append(recorder)
        return recorder

    yield start
    finish()
