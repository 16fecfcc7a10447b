"""Configuration errors and the command line (a real process, SIGTERM)."""

import asyncio
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from ami_replay import AmiReplayServer
from bridge_testlib import ODOO_TOKEN, FakeOdoo, fixture, hangups, run, wait_until

from hotline_pbx_bridge.config import ConfigError, load_config

BRIDGE = Path(__file__).resolve().parent.parent
EXAMPLE = BRIDGE / "bridge.example.toml"
SRC = BRIDGE / "src"

VALID = """
[ami]
host = "127.0.0.1"
port = {ami_port}
username = "hotline"
secret = "hotline"
reconnect_min = 0.1
reconnect_max = 0.5

[odoo]
url = "{odoo_url}"
token = "{token}"
retry_min = 0.1
retry_max = 0.5

[http]
port = 0
token = "t"

[spool]
path = "spool.sqlite3"
"""


def _write(tmp_path, text):
    path = tmp_path / "bridge.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_example_config_loads():
    config = load_config(EXAMPLE)
    assert config.ami.port == 5038 and config.ami.reconnect_max == 60
    assert config.http.host == "127.0.0.1"
    assert config.odoo.url == "http://127.0.0.1:8069"
    assert config.pbx.agent_channel == "Local/{extension}@agents/n"
    assert config.pbx.member_state_interface == "PJSIP/{extension}"


def test_relative_spool_path_is_next_to_the_config(tmp_path):
    path = _write(tmp_path, VALID.format(ami_port=5038, odoo_url="http://odoo", token="x"))
    assert load_config(path).spool.path == tmp_path.resolve() / "spool.sqlite3"


@pytest.mark.parametrize(
    "mutate, message",
    [
        (lambda t: t.replace('secret = "hotline"\n', ""), "[ami] secret: missing"),
        (
            lambda t: t.replace("port = 5038", 'port = "5038"'),
            "[ami] port: must be an integer",
        ),
        (lambda t: t.replace("[odoo]", "[odo]"), "section [odoo] is missing"),
        (lambda t: t.replace('url = "http://odoo"', 'url = "odoo"'), "[odoo] url"),
        (
            lambda t: t.replace("reconnect_min = 0.1", "reconnect_min = 5"),
            "reconnect_min",
        ),
        (lambda t: t.replace("retry_min = 0.1", "retry_min = -1"), "[odoo] retry_min"),
        (lambda t: t.replace('token = "t"', 'token = ""'), "[http] token"),
        (lambda t: t + "\n[ami\n", "invalid TOML"),
    ],
)
def test_config_errors_name_the_key(tmp_path, mutate, message):
    text = mutate(VALID.format(ami_port=5038, odoo_url="http://odoo", token="x"))
    with pytest.raises(ConfigError) as info:
        load_config(_write(tmp_path, text))
    assert message in str(info.value)


def test_missing_config_file(tmp_path):
    with pytest.raises(ConfigError, match="no such configuration file"):
        load_config(tmp_path / "nope.toml")


def _env():
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(SRC), env.get("PYTHONPATH")]))
    return env


def test_cli_reports_config_errors_without_traceback(tmp_path):
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "hotline_pbx_bridge",
            "--config",
            str(tmp_path / "nope.toml"),
        ],
        capture_output=True,
        text=True,
        env=_env(),
        timeout=30,
    )
    assert proc.returncode == 2
    assert "configuration error" in proc.stderr and "no such configuration file" in proc.stderr
    assert "Traceback" not in proc.stderr
    bad = _write(tmp_path, "[ami]\nhost = 1\n")
    proc = subprocess.run(
        [sys.executable, "-m", "hotline_pbx_bridge", "-c", str(bad)],
        capture_output=True,
        text=True,
        env=_env(),
        timeout=30,
    )
    assert proc.returncode == 2 and "[ami] host: must be a non-empty string" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_cli_runs_delivers_and_stops_on_sigterm(tmp_path):
    async def main():
        server = AmiReplayServer(fixture("01_answered.events.raw"))
        ami_port = await server.start()
        odoo = await FakeOdoo().start()
        config = _write(
            tmp_path,
            VALID.format(ami_port=ami_port, odoo_url=odoo.url, token=ODOO_TOKEN),
        )
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "hotline_pbx_bridge",
            "--config",
            str(config),
            env=_env(),
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        try:
            await wait_until(lambda: hangups(odoo), timeout=15, what="hangup from the CLI")
            assert len(odoo.cdrs) <= 3
            proc.send_signal(signal.SIGTERM)
            _, err = await asyncio.wait_for(proc.communicate(), 15)
        finally:
            if proc.returncode is None:
                proc.kill()
                await proc.wait()
            await server.stop()
            await odoo.stop()
        log = err.decode()
        assert proc.returncode == 0, log
        assert "AMI logged in" in log and "bridge stopped" in log
        assert "Traceback" not in log
        assert server.actions("Logoff")  # logged off politely
        assert (tmp_path / "spool.sqlite3").exists()

    run(main(), timeout=40)
