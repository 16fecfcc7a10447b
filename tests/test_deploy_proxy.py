"""deploy/ on one machine: Odoo with deploy/odoo.conf (2 HTTP workers and the gevent websocket
process) behind Debian's nginx with deploy/nginx/hotline.conf (TLS with a certificate made here).

The login page, an authenticated web-client session over JSON-RPC, the health endpoint, and a
screen pop that reaches a websocket connected through nginx's /websocket while the request that
caused it was served by an HTTP worker, another process than the one holding the websocket.
"""

import concurrent.futures
import datetime
import os
import re
import secrets
import types

import pytest
import requests
from deploy_support import (
    Chromium,
    Nginx,
    OdooWorkers,
    WebSession,
    odoo_path,
    receive_until,
    wait_for,
    websocket_version,
)

# as in addons/hotline_telephony/static/src/tests/tours/hotline_screen_pop_tour.js
TOUR_TOKEN = "tour-token-12319"
TOUR_CALLER = "13912345678"
TOUR_LINKEDID = "1795700000.0"
ODOO_CMD = os.environ.get("HOTLINE_ODOO_CMD")
TEST_DB = os.environ.get("HOTLINE_TEST_DB")

pytestmark = pytest.mark.skipif(
    not (ODOO_CMD and TEST_DB), reason="deployment tests run through `make test` (HOTLINE_ODOO_CMD is not set)"
)


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    odoo = OdooWorkers(tmp_path_factory.mktemp("deploy-odoo"), ODOO_CMD, TEST_DB, workers=2)
    nginx = None
    try:
        odoo.start()
        nginx = Nginx(odoo)
        nginx.start()
        yield types.SimpleNamespace(odoo=odoo, nginx=nginx)
    finally:
        if nginx is not None:
            nginx.stop()
        odoo.stop()


@pytest.fixture(scope="module")
def admin(stack):
    session = WebSession(stack.nginx.url, TEST_DB, stack.nginx.cert)
    session.authenticate("admin", "admin")
    return session


@pytest.fixture(scope="module")
def operator_1001(admin):
    """The demo operator with extension 1001 (demo logins: password = login)."""
    users = admin.call_kw(
        "res.users",
        "search_read",
        [[("hotline_extension", "=", "1001"), ("share", "=", False), ("hotline_pbx_id", "=", False)]],
        {"fields": ["login", "partner_id"]},
    )
    assert len(users) == 1, users
    return users[0]


@pytest.fixture
def pbx(admin):
    """A PBX first of its company (so the demo extensions are its agents), archived at teardown."""
    token = "deploy-" + secrets.token_urlsafe(24)
    pbx_id = admin.call_kw(
        "hotline.pbx",
        "create",
        [
            {
                "name": f"Deploy test PBX {secrets.token_hex(3)}",
                "token": token,
                "sequence": -1,
                "queue": "hotline",
                "cdr_timezone": "UTC",
                "bridge_url": "http://127.0.0.1:9",
            }
        ],
    )
    try:
        yield types.SimpleNamespace(id=pbx_id, token=token)
    finally:
        admin.call_kw("hotline.pbx", "write", [[pbx_id], {"active": False}])


def test_the_deploy_config_runs_workers_and_the_gevent_process(stack):
    assert int(stack.odoo.options["workers"]) >= 2
    assert stack.odoo.options["proxy_mode"] == "True"
    assert stack.odoo.options["list_db"] == "False"
    assert len(stack.odoo.http_worker_pids()) >= 2
    assert stack.odoo.gevent_pid()


def test_login_page_through_the_tls_proxy(stack):
    response = requests.get(f"{stack.nginx.url}/web/login", verify=stack.nginx.cert, timeout=30)
    assert response.status_code == 200
    assert response.headers["Server"].startswith("nginx")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")
    assert 'name="login"' in response.text and 'name="password"' in response.text
    # the database manager is closed by nginx, and off in Odoo (list_db = False)
    assert (
        requests.get(f"{stack.nginx.url}/web/database/manager", verify=stack.nginx.cert, timeout=30).status_code == 404
    )
    direct = requests.get(f"{stack.odoo.url}/web/database/manager", timeout=30)
    assert "disabled by the administrator" in direct.text
    listing = requests.post(
        f"{stack.nginx.url}/jsonrpc",
        json={"jsonrpc": "2.0", "method": "call", "params": {"service": "db", "method": "list", "args": []}},
        verify=stack.nginx.cert,
        timeout=30,
    ).json()
    assert "error" in listing and "result" not in listing
    # plain HTTP is sent to HTTPS
    plain = requests.get(f"http://127.0.0.1:{stack.nginx.http_port}/web/login", allow_redirects=False, timeout=10)
    assert plain.status_code == 301
    assert plain.headers["Location"] == "https://127.0.0.1/web/login"


def test_proxy_headers_make_odoo_see_https_and_the_public_host(stack):
    """proxy_mode: redirects Odoo builds point at the proxy's scheme, host and port, not at Odoo's."""
    response = requests.get(f"{stack.nginx.url}/odoo", verify=stack.nginx.cert, timeout=30)
    assert response.status_code == 200
    assert response.url.startswith(f"{stack.nginx.url}/web/login"), response.url
    assert all(item.url.startswith("https://") for item in response.history)


def test_authenticated_web_client_session_through_the_proxy(stack, admin):
    page = admin.http.get(f"{stack.nginx.url}/odoo", timeout=60)
    assert page.status_code == 200
    assert "__session_info__" in page.text
    # the web client's assets come through the proxy too
    bundle = re.search(r'src="(/web/assets/[^"]+web\.assets_web[^"]*\.js)"', page.text)
    assert bundle, "no web.assets_web bundle in the page"
    asset = admin.http.get(f"{stack.nginx.url}{bundle[1]}", timeout=60)
    assert asset.status_code == 200 and len(asset.content) > 10000
    # Odoo's long cache headers pass through; nginx compresses
    assert "immutable" in asset.headers.get("Cache-Control", "")
    assert asset.headers.get("Content-Encoding") == "gzip"
    # JSON-RPC as the web client does it: menus, a list of cases, a count
    menus = admin.http.get(f"{stack.nginx.url}/web/webclient/load_menus/{secrets.token_hex(4)}", timeout=60)
    assert menus.status_code == 200 and "root" in menus.json()
    cases = admin.call_kw(
        "hotline.case", "web_search_read", [[]], {"specification": {"name": {}, "state": {}}, "limit": 5}
    )
    assert cases["length"] >= 1 and len(cases["records"]) <= 5
    assert admin.call_kw("hotline.case", "search_count", [[]]) == cases["length"]


def test_requests_are_spread_over_several_workers(stack):
    marker = secrets.token_hex(4)

    def fetch(index):
        return requests.get(
            f"{stack.nginx.url}/web/login?spread={marker}-{index}", verify=stack.nginx.cert, timeout=60
        ).status_code

    pids = set()
    for _round in range(3):
        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            assert set(pool.map(fetch, range(16))) == {200}
        pids = {pid for pid, _method, _path in stack.odoo.request_pids(f"spread={marker}")}
        if len(pids) >= 2:
            break
    assert len(pids) >= 2, f"every request was served by {pids}"
    assert pids <= stack.odoo.http_worker_pids()


def test_screen_pop_reaches_a_websocket_through_nginx_from_another_worker(stack, admin, operator_1001, pbx):
    operator = WebSession(stack.nginx.url, TEST_DB, stack.nginx.cert)
    operator.authenticate(operator_1001["login"], operator_1001["login"])
    ws = operator.websocket(websocket_version(odoo_path(ODOO_CMD)))
    try:
        ws.send('{"event_name": "subscribe", "data": {"channels": [], "last": 0}}')
        linkedid = f"deploy-{secrets.token_hex(6)}"
        now = datetime.datetime.now(datetime.UTC).replace(tzinfo=None).isoformat(timespec="seconds")
        event = {
            "id": f"{linkedid}-ring",
            "kind": "ringing",
            "time": now,
            "linkedid": linkedid,
            "uniqueid": linkedid,
            "caller_number": "13800138000",
            "called_number": "12319",
            "extension": "1001",
            "direction": "inbound",
        }
        # the bridge's POST, through the proxy, marked to find its access line in Odoo's log
        response = requests.post(
            f"{stack.nginx.url}/hotline/pbx/event?probe={linkedid}",
            json={"events": [event]},
            headers={"Authorization": f"Bearer {pbx.token}"},
            verify=stack.nginx.cert,
            timeout=30,
        )
        assert response.status_code == 200 and response.json()["ok"], response.text
        pop = receive_until(
            ws,
            lambda message: (
                message.get("type") == "hotline/screen_pop" and message["payload"].get("call_uniqueid") == linkedid
            ),
        )
        assert pop["message"]["payload"]["caller_number"] == "13800138000"
        # who served what: the event was a request to an HTTP worker; the websocket is held by
        # the gevent process, the one connected from nginx to the gevent port
        served_by = {pid for pid, _method, _path in stack.odoo.request_pids(f"probe={linkedid}")}
        assert len(served_by) == 1, served_by
        http_pid = served_by.pop()
        gevent_pid = stack.odoo.gevent_pid()
        assert http_pid in stack.odoo.http_worker_pids()
        assert http_pid != gevent_pid
        assert gevent_has_a_client(gevent_pid, stack.odoo.gevent_port)
    finally:
        ws.close()


def gevent_has_a_client(pid, port):
    import psutil  # noqa: PLC0415

    connections = psutil.Process(pid).connections(kind="tcp")
    return any(conn.status == psutil.CONN_ESTABLISHED and conn.laddr.port == port for conn in connections)


def test_health_endpoint_through_the_proxy(stack, admin):
    token = secrets.token_urlsafe(24)
    admin.call_kw("ir.config_parameter", "set_param", ["hotline_base.health_token", token])
    try:
        hidden = requests.get(f"{stack.nginx.url}/hotline/health", verify=stack.nginx.cert, timeout=30)
        assert hidden.status_code == 404 and "database" not in hidden.text
        response = requests.get(
            f"{stack.nginx.url}/hotline/health",
            headers={"Authorization": f"Bearer {token}"},
            verify=stack.nginx.cert,
            timeout=30,
        )
        # no scheduled action runs in the tests (max_cron_threads = 0): late ones make it 503
        assert response.status_code in (200, 503)
        report = response.json()
        assert report["database"]["ok"] is True
        assert report["replica"]["configured"] is False
        assert (response.status_code == 200) == (report["status"] == "ok")
    finally:
        admin.call_kw("ir.config_parameter", "set_param", ["hotline_base.health_token", False])


@pytest.fixture
def tour_setup(admin):
    """What hotline_screen_pop_tour expects: a PBX with the tour's token, an operator at extension
    1001 of that PBX (English, for the labels the tour reads), the VIP caller with an open case."""
    pbx_model = "hotline.pbx"
    leftovers = admin.call_kw(
        pbx_model, "search", [[("name", "=like", "Deploy tour PBX%")]], {"context": {"active_test": False}}
    )
    for pbx_id in leftovers:  # tokens are unique, archived PBXs' too
        admin.call_kw(pbx_model, "write", [[pbx_id], {"token": secrets.token_urlsafe(24), "active": False}])
    pbx_id = admin.call_kw(
        pbx_model,
        "create",
        [{"name": f"Deploy tour PBX {secrets.token_hex(3)}", "token": TOUR_TOKEN, "cdr_timezone": "UTC"}],
    )
    group = admin.call_kw(
        "ir.model.data",
        "search_read",
        [[("module", "=", "hotline_base"), ("name", "=", "group_hotline_operator")]],
        {"fields": ["res_id"]},
    )[0]["res_id"]
    login = "deploy_tour_operator"
    user_values = {"hotline_extension": "1001", "hotline_pbx_id": pbx_id, "lang": "en_US", "tz": "UTC"}
    users = admin.call_kw("res.users", "search", [[("login", "=", login)]])
    if users:
        admin.call_kw("res.users", "write", [users, user_values])
    else:
        admin.call_kw(
            "res.users",
            "create",
            [{"name": "巡检话务员", "login": login, "password": login, "groups_id": [(6, 0, [group])], **user_values}],
        )
    partners = admin.call_kw("res.partner", "search", [[("name", "=", "巡检来电人"), ("mobile", "=", TOUR_CALLER)]])
    partner_id = (
        partners[0]
        if partners
        else admin.call_kw(
            "res.partner", "create", [{"name": "巡检来电人", "mobile": TOUR_CALLER, "hotline_vip": True}]
        )
    )
    if not admin.call_kw("hotline.case", "search", [[("partner_id", "=", partner_id), ("summary", "=", "窨井盖缺失")]]):
        admin.call_kw(
            "hotline.case", "create", [{"partner_id": partner_id, "caller_phone": TOUR_CALLER, "summary": "窨井盖缺失"}]
        )
    try:
        yield types.SimpleNamespace(login=login, pbx_id=pbx_id, partner_id=partner_id)
    finally:
        admin.call_kw(pbx_model, "write", [[pbx_id], {"token": secrets.token_urlsafe(24), "active": False}])
        # the other end-to-end tests look for the one operator at extension 1001
        admin.call_kw(
            "res.users",
            "write",
            [admin.call_kw("res.users", "search", [[("login", "=", login)]]), {"hotline_extension": False}],
        )


def test_screen_pop_tour_in_a_browser_through_the_proxy(stack, admin, tour_setup, tmp_path):
    """The telephony tour, in headless Chromium, through nginx: the caller card pops up over the
    websocket (gevent process), the event was posted to an HTTP worker, and the case is saved."""
    operator = WebSession(stack.nginx.url, TEST_DB, stack.nginx.cert)
    operator.authenticate(tour_setup.login, tour_setup.login)
    browser = Chromium(tmp_path)
    try:
        browser.start()
        browser.set_cookie("session_id", operator.session_id, stack.nginx.url)
        browser.navigate(f"{stack.nginx.url}/odoo?debug=tests")
        ready = "odoo.isTourReady && odoo.isTourReady('hotline_screen_pop_tour')"

        def tour_ready():
            return browser.evaluate(f"(typeof odoo !== 'undefined') && {ready}", await_promise=True)

        wait_for(tour_ready, timeout=60, interval=0.5, what="the web client and its tours to load")
        browser.evaluate("odoo.startTour('hotline_screen_pop_tour', {stepDelay: 0, startUrl: '/odoo'})")
        browser.wait_console("tour succeeded", timeout=90)
        # the browser's bus websocket, through nginx, is held by the gevent process
        assert gevent_has_a_client(stack.odoo.gevent_pid(), stack.odoo.gevent_port)
    finally:
        browser.stop()
    served_by = {pid for pid, method, _path in stack.odoo.request_pids("/hotline/pbx/event") if method == "POST"}
    gevent_pid = stack.odoo.gevent_pid()
    assert served_by and served_by <= stack.odoo.http_worker_pids()
    assert gevent_pid not in served_by
    call = admin.call_kw(
        "hotline.call",
        "search_read",
        [[("pbx_id", "=", tour_setup.pbx_id), ("linkedid", "=", TOUR_LINKEDID)]],
        {"fields": ["partner_id", "case_id"]},
    )
    assert len(call) == 1 and call[0]["partner_id"][0] == tour_setup.partner_id
    assert call[0]["case_id"], "the case saved from the card is linked to the call"
