"""Load scenario of the centre (`make load`): N operators and M department staff against Odoo
with its workers behind nginx, as the browser and the PBX bridge talk to it.

Operators (one task every 5-15 s each, the pace of a busy shift):
- log in (JSON-RPC session; run_load.py logs everybody in before the measured run and reports
  the logins apart) and keep the bus websocket open, like the web client;
- take a call: the bridge posts the ``ringing`` event, the screen pop must reach the operator's
  websocket (its latency is reported as ``WS screen pop``), the bridge posts ``answered``, the
  caller is looked up (the case form's onchange on the phone number), the case is registered
  (``web_save``), the bridge posts the hang-up;
- search callers (by phone and by name) and cases, open the case list and its counters by
  state (report-like read_group), search the knowledge base.

Department staff (portal users, one task every 10-30 s each): their case list, a case page, and
the handling feedback on a case in progress.

Configuration from the environment (scripts/load.sh sets it): ``HOTLINE_LOAD_FIXTURE`` (JSON
written by deploy/load/prepare.py), ``HOTLINE_LOAD_DB``, ``HOTLINE_LOAD_DEPARTMENT_USERS``
(M: how many of the simulated users are department staff), ``HOTLINE_LOAD_WS_VERSION``,
``HOTLINE_LOAD_CA`` (the proxy's certificate).
"""

import datetime
import itertools
import json
import os
import random
import re
import ssl
import time
import uuid

import gevent
import websocket
from gevent.event import AsyncResult
from locust import HttpUser, between, events, task

FIXTURE = json.loads(open(os.environ["HOTLINE_LOAD_FIXTURE"], encoding="utf-8").read())  # noqa: SIM115
DB = os.environ["HOTLINE_LOAD_DB"]
CA = os.environ.get("HOTLINE_LOAD_CA") or True
WS_VERSION = os.environ.get("HOTLINE_LOAD_WS_VERSION", "18.0-5")
OPERATOR_LOGINS = itertools.cycle(FIXTURE["operators"])
DEPARTMENT_LOGINS = itertools.cycle(FIXTURE["department_users"])
CASE_LINK = re.compile(r'href="/my/hotline/(\d+)[?"]')
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def now_iso():
    return datetime.datetime.now(datetime.UTC).replace(tzinfo=None).isoformat(timespec="seconds")


class OdooClient:
    """JSON-RPC the way the web client does it."""

    def __init__(self, user):
        self.user = user
        self.user.client.verify = CA
        self.user.client.trust_env = False

    def rpc(self, path, params, name):
        body = {"jsonrpc": "2.0", "method": "call", "params": params, "id": random.randint(1, 10**9)}
        with self.user.client.post(path, json=body, name=name, catch_response=True) as response:
            try:
                payload = response.json()
            except ValueError:
                response.failure(f"HTTP {response.status_code}, not JSON")
                return None
            if payload.get("error"):
                response.failure(payload["error"].get("data", {}).get("message", "error"))
                return None
            return payload.get("result")

    def call_kw(self, model, method, args, kwargs=None, name=None):
        return self.rpc(
            f"/web/dataset/call_kw/{model}/{method}",
            {"model": model, "method": method, "args": args, "kwargs": kwargs or {}},
            name or f"{model}.{method}",
        )

    def login(self, account):
        """A session made before the run (run_load.py logs everybody in first, as a shift starts),
        else a login now."""
        if account.get("session"):
            self.user.client.cookies.set("session_id", account["session"])
            return True
        login = account["login"]
        result = self.rpc("/web/session/authenticate", {"db": DB, "login": login, "password": login}, "login")
        return result and result.get("uid")


class Operator(HttpUser):
    wait_time = between(5, 15)

    def on_start(self):
        self.odoo = OdooClient(self)
        account = next(OPERATOR_LOGINS)
        self.extension = account["extension"]
        self.uid = self.odoo.login(account)
        self.pops = {}
        self.ws = None
        self.listener = None
        if self.uid:
            self.open_websocket()

    def on_stop(self):
        if self.listener:
            self.listener.kill(block=False)
        if self.ws:
            self.ws.close()

    # -- the bus --------------------------------------------------------------------------

    def open_websocket(self):
        host = self.host.split("://", 1)[1]
        scheme = "wss" if self.host.startswith("https") else "ws"
        sslopt = {"ca_certs": CA} if isinstance(CA, str) else {"cert_reqs": ssl.CERT_REQUIRED}
        started = time.perf_counter()
        try:
            self.ws = websocket.create_connection(
                f"{scheme}://{host}/websocket?version={WS_VERSION}",
                cookie=f"session_id={self.client.cookies.get('session_id')}",
                origin=self.host,
                sslopt=sslopt,
                timeout=30,
            )
            self.ws.send(json.dumps({"event_name": "subscribe", "data": {"channels": [], "last": 0}}))
        except Exception as exc:  # noqa: BLE001  (any failure is the measurement)
            events.request.fire(
                request_type="WS",
                name="websocket connect",
                response_time=(time.perf_counter() - started) * 1000,
                response_length=0,
                exception=exc,
                context={},
            )
            self.ws = None
            return
        events.request.fire(
            request_type="WS",
            name="websocket connect",
            response_time=(time.perf_counter() - started) * 1000,
            response_length=0,
            exception=None,
            context={},
        )
        self.listener = gevent.spawn(self.listen)

    def listen(self):
        self.ws.settimeout(None)
        while True:
            try:
                raw = self.ws.recv()
            except Exception:  # noqa: BLE001  (closed at the end of the run)
                return
            for notification in json.loads(raw or "[]"):
                message = notification.get("message", {})
                if message.get("type") == "hotline/screen_pop":
                    waiting = self.pops.get(message["payload"].get("call_uniqueid"))
                    if waiting is not None:
                        waiting.set(time.perf_counter())

    def post_event(self, event, name):
        with self.client.post(
            "/hotline/pbx/event",
            json={"events": [event]},
            headers={"Authorization": f"Bearer {FIXTURE['pbx_token']}"},
            name=name,
            catch_response=True,
        ) as response:
            if response.status_code != 200 or not response.json().get("ok"):
                response.failure(f"HTTP {response.status_code}")
                return False
            return True

    # -- tasks ----------------------------------------------------------------------------

    @task(2)
    def take_a_call(self):
        if not self.uid:
            return
        phone = random.choice(FIXTURE["phones"]) if FIXTURE["phones"] else "13800138000"
        linkedid = f"load-{uuid.uuid4().hex[:16]}"
        event = {
            "kind": "ringing",
            "time": now_iso(),
            "linkedid": linkedid,
            "uniqueid": linkedid,
            "caller_number": phone,
            "called_number": "12319",
            "extension": self.extension,
            "direction": "inbound",
        }
        pop = AsyncResult()
        self.pops[linkedid] = pop
        sent = time.perf_counter()
        if not self.post_event({**event, "id": f"{linkedid}-ring"}, "bridge: ringing event"):
            return
        if self.ws is not None:
            try:
                arrived = pop.get(timeout=10)
                events.request.fire(
                    request_type="WS",
                    name="screen pop (event -> websocket)",
                    response_time=(arrived - sent) * 1000,
                    response_length=0,
                    exception=None,
                    context={},
                )
            except gevent.Timeout as exc:
                events.request.fire(
                    request_type="WS",
                    name="screen pop (event -> websocket)",
                    response_time=10000,
                    response_length=0,
                    exception=exc,
                    context={},
                )
        self.pops.pop(linkedid, None)
        self.post_event(
            {**event, "id": f"{linkedid}-answer", "kind": "answered", "time": now_iso()}, "bridge: answered event"
        )
        # the case form: caller lookup on the number, then the save
        spec = {"caller_phone": {}, "caller_name": {}, "partner_id": {"fields": {"display_name": {}}}}
        change = self.odoo.call_kw(
            "hotline.case",
            "onchange",
            [[], {"caller_phone": phone}, ["caller_phone"], spec],
            name="case: caller lookup",
        )
        partner = ((change or {}).get("value") or {}).get("partner_id") or False
        values = {
            "caller_phone": phone,
            "summary": random.choice(FIXTURE["case_words"] or ["来电"]) + "问题反映",
            "description": "<p>市民来电反映情况，请尽快处理。</p>",
            "category_id": random.choice(FIXTURE["category_ids"]) if FIXTURE["category_ids"] else False,
            "district_id": random.choice(FIXTURE["district_ids"]) if FIXTURE["district_ids"] else False,
        }
        if isinstance(partner, dict):
            values["partner_id"] = partner.get("id")
        self.odoo.call_kw("hotline.case", "web_save", [[], values], {"specification": {"name": {}}}, "case: register")
        self.post_event(
            {**event, "id": f"{linkedid}-hangup", "kind": "hangup", "time": now_iso(), "disposition": "answered"},
            "bridge: hangup event",
        )

    @task(2)
    def search_callers(self):
        phone = random.choice(FIXTURE["phones"]) if FIXTURE["phones"] else "138"
        self.odoo.call_kw(
            "res.partner",
            "web_search_read",
            [[("hotline_phone_search", "ilike", phone[-6:])]],
            {"specification": {"display_name": {}, "phone": {}}, "limit": 20},
            "callers: search by phone",
        )
        self.odoo.call_kw("res.partner", "name_search", [], {"name": "张", "limit": 8}, "callers: name_search")

    @task(2)
    def search_cases(self):
        word = random.choice(FIXTURE["case_words"] or ["停水"])
        self.odoo.call_kw(
            "hotline.case",
            "web_search_read",
            [[("summary", "ilike", word)]],
            {"specification": {"name": {}, "summary": {}, "state": {}, "reported_at": {}}, "limit": 80},
            "cases: search",
        )

    @task(2)
    def open_case_list(self):
        self.odoo.call_kw(
            "hotline.case",
            "web_search_read",
            [[("state", "not in", ["done", "cancel"])]],
            {
                "specification": {"name": {}, "summary": {}, "state": {}, "reported_at": {}, "district_id": {}},
                "limit": 80,
                "order": "reported_at desc",
            },
            "cases: open list",
        )
        self.odoo.call_kw(
            "hotline.case", "web_read_group", [[], ["__count"], ["state"]], {"lazy": True}, "cases: count by state"
        )

    @task(1)
    def knowledge_base(self):
        self.odoo.call_kw(
            "hotline.kb.article",
            "search_articles",
            [random.choice(FIXTURE["kb_queries"])],
            {"limit": 10},
            "kb: search",
        )


class DepartmentStaff(HttpUser):
    wait_time = between(10, 30)
    fixed_count = int(os.environ.get("HOTLINE_LOAD_DEPARTMENT_USERS", "0"))

    def on_start(self):
        self.odoo = OdooClient(self)
        self.uid = self.odoo.login(next(DEPARTMENT_LOGINS))
        self.case_ids = []
        self.in_progress_ids = []

    @task(3)
    def case_list(self):
        response = self.client.get("/my/hotline", name="portal: case list")
        self.case_ids = [int(case_id) for case_id in CASE_LINK.findall(response.text)] or self.case_ids

    @task(3)
    def case_page(self):
        if self.case_ids:
            self.client.get(f"/my/hotline/{random.choice(self.case_ids)}", name="portal: case page")

    @task(1)
    def feedback(self):
        """Open the cases in progress, one of them, and submit its handling result."""
        if not self.in_progress_ids:
            response = self.client.get("/my/hotline?filterby=in_progress", name="portal: case list")
            self.in_progress_ids = [int(case_id) for case_id in CASE_LINK.findall(response.text)]
        if not self.in_progress_ids:
            return
        case_id = self.in_progress_ids.pop(random.randrange(len(self.in_progress_ids)))
        page = self.client.get(f"/my/hotline/{case_id}", name="portal: case page")
        token = CSRF.search(page.text)
        if not token or f"/my/hotline/{case_id}/feedback" not in page.text:
            return  # handled meanwhile by a colleague
        with self.client.post(
            f"/my/hotline/{case_id}/feedback",
            data={"csrf_token": token[1], "handling_result": "已派人现场处理，问题已解决。"},
            name="portal: feedback",
            catch_response=True,
        ) as response:
            if response.status_code != 200 or "o_hotline_feedback_form" in response.text:
                response.failure(f"HTTP {response.status_code}: the result was not taken")
