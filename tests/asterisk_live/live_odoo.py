"""Odoo helpers of the live suite: logins, calls, screen pops, a session for the recordings."""

import http.cookiejar
import json
import urllib.request

from e2e_support import sql, wait_for

OPERATOR, OPERATOR2, SUPERVISOR = "operator", "operator2", "supervisor"  # docs/DEMO_LOGINS.txt: password = login


def login_demo_users(odoo):
    for login in (OPERATOR, OPERATOR2, SUPERVISOR):
        if login not in odoo.uids:
            odoo.login(login, login)


def user_of(odoo, login):
    (user,) = odoo.call(
        "admin",
        "res.users",
        "search_read",
        [("login", "=", login)],
        fields=["partner_id", "hotline_extension", "hotline_work_number", "name"],
    )
    return user


def find_calls(odoo, pbx_id, domain=(), fields=None):
    return odoo.call(
        "admin",
        "hotline.call",
        "search_read",
        [("pbx_id", "=", pbx_id), *domain],
        fields=fields
        or [
            "linkedid",
            "state",
            "direction",
            "disposition",
            "caller_number",
            "called_number",
            "partner_id",
            "user_id",
            "extension",
            "queue",
            "recording_file",
            "has_recording",
            "agent_channel",
            "caller_channel",
            "talk_seconds",
            "wait_seconds",
        ],
    )


def wait_call(odoo, pbx_id, linkedid, predicate=lambda call: True, timeout=30, what="the call in Odoo", log=None):
    def found():
        calls = find_calls(odoo, pbx_id, [("linkedid", "=", linkedid)])
        return calls[0] if calls and predicate(calls[0]) else None

    try:
        return wait_for(found, timeout=timeout, interval=0.3, what=what)
    except AssertionError as exc:
        calls = find_calls(odoo, pbx_id, [("linkedid", "=", linkedid)])
        raise AssertionError(f"{exc}; Odoo has {calls}\n{log() if log else ''}") from None


def call_events(odoo, call_id):
    return odoo.call(
        "admin",
        "hotline.call.event",
        "search_read",
        [("call_id", "=", call_id)],
        fields=["kind", "extension", "payload", "user_id"],
        order="id",
    )


def call_cdrs(odoo, call_id):
    return odoo.call(
        "admin",
        "hotline.call.cdr",
        "search_read",
        [("call_id", "=", call_id)],
        fields=["uniqueid", "sequence", "src", "dst", "channel", "dstchannel", "lastapp", "disposition", "billsec"],
    )


def last_bus_id():
    return int(sql("SELECT COALESCE(MAX(id), 0) FROM bus_bus")[0][0])


def screen_pops(after_id):
    """``[(channel, payload)]`` of every hotline/screen_pop notification since ``after_id``."""
    rows = sql(
        "SELECT channel, message FROM bus_bus WHERE id > %s AND message LIKE %s ORDER BY id",
        after_id,
        "%hotline/screen_pop%",
    )
    pops = []
    for channel, message in rows:
        message = json.loads(message)
        if message.get("type") == "hotline/screen_pop":
            pops.append((json.loads(channel), message["payload"]))
    return pops


class WebSession:
    """A browser-like session of one user (cookies), for the pages that need a login."""

    def __init__(self, odoo, login, password):
        self.url = odoo.url
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
        body = {"jsonrpc": "2.0", "params": {"db": odoo.db, "login": login, "password": password}}
        request = urllib.request.Request(
            f"{self.url}/web/session/authenticate", json.dumps(body).encode(), {"Content-Type": "application/json"}
        )
        with self.opener.open(request, timeout=30) as response:
            answer = json.load(response)
        assert answer.get("result", {}).get("uid"), answer

    def get(self, path):
        """``(status, content_type, body)``."""
        try:
            with self.opener.open(f"{self.url}{path}", timeout=30) as response:
                return response.status, response.headers.get("Content-Type", ""), response.read()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.headers.get("Content-Type", ""), exc.read()
