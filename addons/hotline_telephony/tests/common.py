import json
import os
import shutil
import tempfile
import threading
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from odoo.tests import new_test_user
from odoo.tools import file_open

TOKEN = "test-token-12319"
DATA = "hotline_telephony/tests/data"


def read_data(name):
    """A file of tests/data, as bytes."""
    with file_open(f"{DATA}/{name}", "rb") as handle:
        return handle.read()


class FakeBridge:
    """A stand-in for hotline-pbx-bridge's HTTP API on 127.0.0.1: records the requests, answers ``replies``.

    ``replies``: ``{path: (status, body)}``; other paths answer ``200 {"ok": true}``.
    """

    def __init__(self, replies=None):
        self.requests = []
        self.replies = replies or {}
        bridge = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self):
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                bridge.requests.append(
                    {
                        "method": self.command,
                        "path": self.path,
                        "authorization": self.headers.get("Authorization"),
                        "json": json.loads(raw) if raw else None,
                    }
                )
                status, body = bridge.replies.get(self.path, (200, {"ok": True, "action_id": "a1"}))
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = _answer
            do_POST = _answer

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self):
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)


class TelephonyCommon:
    """Shared setup: a PBX of its own (with a recordings folder), agents on it, callers."""

    @classmethod
    def setUpTelephony(cls):
        cls.recording_dir = tempfile.mkdtemp(prefix="hotline-rec-")
        cls.addClassCleanup(shutil.rmtree, cls.recording_dir, ignore_errors=True)
        cls.pbx = cls.env["hotline.pbx"].create(
            {
                "name": "Test PBX",
                "token": TOKEN,
                "bridge_url": "http://127.0.0.1:9",
                "recording_path": cls.recording_dir,
                "cdr_timezone": "UTC",
            }
        )
        agent = {"hotline_pbx_id": cls.pbx.id, "tz": "UTC"}
        cls.operator = new_test_user(
            cls.env,
            login="tel_operator",
            name="Operator 1001",
            groups="hotline_base.group_hotline_operator",
            hotline_extension="1001",
            hotline_work_number="0801",
            **agent,
        )
        cls.operator2 = new_test_user(
            cls.env,
            login="tel_operator2",
            name="Operator 1002",
            groups="hotline_base.group_hotline_operator",
            hotline_extension="1002",
            **agent,
        )
        cls.supervisor = new_test_user(
            cls.env,
            login="tel_supervisor",
            name="Supervisor 8001",
            groups="hotline_base.group_hotline_supervisor",
            hotline_extension="8001",
            **agent,
        )
        cls.portal_user = new_test_user(cls.env, login="tel_portal", groups="base.group_portal")
        Partner = cls.env["res.partner"]
        cls.caller = Partner.create({"name": "Caller Zhang", "mobile": "13800138000"})
        cls.vip = Partner.create({"name": "VIP Li", "mobile": "13911110001", "hotline_vip": True})
        cls.blacklisted = Partner.create(
            {
                "name": "Blacklisted Sun",
                "mobile": "13911110002",
                "hotline_blacklisted": True,
                "hotline_blacklist_reason": "Abuse",
            }
        )
        cls.blacklist_expired = Partner.create(
            {
                "name": "Formerly Blacklisted",
                "mobile": "13911110003",
                "hotline_blacklisted": True,
                "hotline_blacklist_reason": "Abuse",
                "hotline_blacklist_until": "2020-01-01",
            }
        )

    @classmethod
    def write_recording(cls, name, content=b"RIFF....WAVEfmt "):
        path = os.path.join(cls.recording_dir, name)
        with open(path, "wb") as handle:
            handle.write(content)
        return path

    def post_events(self, *events):
        """POST ``events`` to /hotline/pbx/event as the bridge does (HttpCase), then empty the cache; the
        answer's JSON."""
        self.env.flush_all()
        response = self.url_open(
            "/hotline/pbx/event",
            data=json.dumps({"events": list(events)}),
            headers={"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"},
        )
        self.assertEqual(response.status_code, 200, response.text)
        self.env.invalidate_all()
        return response.json()

    def event(self, kind, linkedid="1795651774.0", **values):
        """A bridge event as the bridge sends it, happening now unless ``time`` is given."""
        now = datetime.now(UTC).isoformat(timespec="milliseconds")
        event = {
            "id": f"{linkedid}:{kind}:{values.get('uniqueid', linkedid)}:0",
            "kind": kind,
            "time": now,
            "linkedid": linkedid,
            "uniqueid": linkedid,
            "caller_number": "13800138000",
            "caller_name": "Zhang San",
            "called_number": "12319",
            "extension": "",
            "queue": "hotline",
            "direction": "inbound",
            "wait_seconds": None,
            "talk_seconds": None,
            "disposition": "",
            "recording_file": "",
            "raw_event": "",
        }
        event.update(values)
        return event
