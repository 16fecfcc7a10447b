"""A read replica for the lists and reports: a streaming replica of the test cluster
(pg_basebackup, a hot standby on its own port, every statement logged) and Odoo with
deploy/odoo.conf's db_replica_host / db_replica_port pointing at it.

Odoo 18 opens a read-only cursor on the replica for the routes declared ``readonly``: in the web
client, /web/dataset/call_kw for the ORM methods marked ``@api.readonly`` (web_search_read,
web_read, web_read_group, read_group, search_count, name_search...), which is what the lists,
the forms' reads and the report views (pivot, graph) call. Everything else - create, write,
actions - gets a read/write cursor on the primary.
"""

import os
import re
import secrets
import types

import pytest
import requests
from deploy_support import OdooWorkers, Replica, WebSession, psql_target, run_psql, wait_for

ODOO_CMD = os.environ.get("HOTLINE_ODOO_CMD")
TEST_DB = os.environ.get("HOTLINE_TEST_DB")
PSQL = os.environ.get("HOTLINE_PSQL")

pytestmark = pytest.mark.skipif(
    not (ODOO_CMD and TEST_DB and PSQL), reason="deployment tests run through `make test` (HOTLINE_ODOO_CMD is not set)"
)
WRITE_STATEMENT = re.compile(r"statement: (INSERT|UPDATE|DELETE|CREATE|ALTER|DROP|TRUNCATE)\b", re.IGNORECASE)


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    if psql_target(PSQL)[0] not in ("127.0.0.1", "localhost"):
        pytest.skip("the replica is made of the local test cluster (PGHOST names another server)")
    replica = Replica(PSQL)
    odoo = None
    try:
        replica.create().start()
        odoo = OdooWorkers(tmp_path_factory.mktemp("replica-odoo"), ODOO_CMD, TEST_DB, workers=2, replica=replica)
        odoo.start()
        yield types.SimpleNamespace(odoo=odoo, replica=replica)
    finally:
        if odoo is not None:
            odoo.stop()
        replica.stop()
        replica.remove()


@pytest.fixture(scope="module")
def admin(stack):
    session = WebSession(stack.odoo.url, TEST_DB)
    session.authenticate("admin", "admin")
    return session


@pytest.fixture(scope="module")
def health_token(admin):
    token = secrets.token_urlsafe(24)
    admin.call_kw("ir.config_parameter", "set_param", ["hotline_base.health_token", token])
    yield token
    admin.call_kw("ir.config_parameter", "set_param", ["hotline_base.health_token", False])


def replica_health(stack, token):
    """The replica section of /hotline/health, asked of both workers (each has its own pools)."""
    sections = []
    for _attempt in range(6):
        response = requests.get(f"{stack.odoo.url}/hotline/health?token={token}", timeout=30)
        sections.append(response.json()["replica"])
    return sections


def list_partners(session, marker):
    """What a list view of callers named ``marker`` shows (a read-only route)."""
    result = session.call_kw(
        "res.partner", "web_search_read", [[("name", "=", marker)]], {"specification": {"name": {}, "phone": {}}}
    )
    return [record["name"] for record in result["records"]]


def replica_statements(replica, since):
    """The statements the replica logged after byte ``since`` of its log."""
    return replica.log_text()[since:]


def test_the_replica_is_a_hot_standby_of_the_test_cluster(stack, health_token):
    assert stack.replica.query("SELECT pg_is_in_recovery()") == [["t"]]
    senders = run_psql(PSQL, "postgres", "SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming'")
    assert int(senders[0][0]) >= 1
    assert stack.odoo.options["db_replica_port"] == str(stack.replica.port)
    stack.replica.wait_caught_up()
    for section in replica_health(stack, health_token):
        assert section["configured"] is True and section["in_use"] is True
        assert section["lag_seconds"] is not None and section["lag_seconds"] < 60


def test_lists_and_reports_read_from_the_replica_and_writes_never_go_there(stack, admin):
    stack.replica.wait_caught_up()
    since = len(stack.replica.log_text())
    # a list of cases and a report (pivot / graph read_group on the report view)
    cases = admin.call_kw("hotline.case", "web_search_read", [[]], {"specification": {"name": {}}, "limit": 10})
    assert cases["length"] >= 1
    groups = admin.call_kw("hotline.report.case", "web_read_group", [[], ["__count"], ["state"]], {"lazy": True})
    assert groups["length"] >= 1
    marker = f"副本测试 {secrets.token_hex(4)}"
    partner_id = admin.call_kw("res.partner", "create", [{"name": marker, "phone": "13900139000"}])
    admin.call_kw("res.partner", "write", [[partner_id], {"phone": "13900139001"}])
    logged = replica_statements(stack.replica, since)
    # the reads reached the replica, from Odoo's workers (application_name odoo-<pid>)
    assert re.search(r"odoo-\d+ .*statement: SELECT .*FROM \"hotline_case\"", logged), logged[-3000:]
    assert re.search(r"odoo-\d+ .*statement: .*hotline_report_case", logged), logged[-3000:]
    # the writes did not: no write statement ever reached the replica
    assert not WRITE_STATEMENT.search(replica_statements(stack.replica, 0))
    assert "read-only transaction" not in stack.replica.log_text()
    # and they are on the primary
    assert run_psql(PSQL, TEST_DB, f"SELECT phone FROM res_partner WHERE id = {int(partner_id)}") == [["13900139001"]]


def test_the_department_portal_list_reads_from_the_replica(stack):
    staff = WebSession(stack.odoo.url, TEST_DB)
    staff.authenticate("water", "water")  # demo department staff (portal user)
    since = len(stack.replica.log_text())
    page = staff.http.get(f"{stack.odoo.url}/my/hotline", timeout=60)
    assert page.status_code == 200 and "o_hotline_case_link" in page.text
    assert re.search(r"statement: .*FROM \"hotline_case\"", replica_statements(stack.replica, since))


def test_a_lagging_replica_shows_older_lists_and_never_blocks_writes(stack, admin):
    stack.replica.wait_caught_up()
    stack.replica.pause_replay()
    try:
        marker = f"滞后测试 {secrets.token_hex(4)}"
        partner_id = admin.call_kw("res.partner", "create", [{"name": marker, "phone": "13700137000"}])
        assert partner_id
        # the list reads the replica, which has not replayed the new caller yet...
        assert list_partners(admin, marker) == []
        # ...while the form, opened by id after the save, is read on the primary (web_save's answer)
        saved = admin.call_kw(
            "res.partner", "web_save", [[partner_id], {"phone": "13700137001"}], {"specification": {"name": {}}}
        )
        assert saved[0]["name"] == marker
    finally:
        stack.replica.resume_replay()
    stack.replica.wait_caught_up()
    assert wait_for(lambda: list_partners(admin, marker) == [marker], timeout=15, what="the replica to catch up")


def test_the_product_works_on_when_the_replica_is_down(stack, admin, health_token):
    stack.replica.stop()
    marker = f"副本停机 {secrets.token_hex(4)}"
    # Each worker drops its replica connections on the first failure and reads from the primary
    # until it is recycled; a read that was running on the dying connection fails once and is retried.
    failures = 0
    for _attempt in range(6):
        try:
            admin.call_kw("hotline.case", "web_search_read", [[]], {"specification": {"name": {}}, "limit": 5})
        except RuntimeError:
            failures += 1
    assert failures <= 2, f"{failures} reads failed after the replica stopped"
    partner_id = admin.call_kw("res.partner", "create", [{"name": marker, "phone": "13600136000"}])
    assert partner_id
    # now every read works, and sees the latest writes (they come from the primary)
    for _attempt in range(4):
        assert list_partners(admin, marker) == [marker]
    fresh = WebSession(stack.odoo.url, TEST_DB)
    fresh.authenticate("admin", "admin")
    assert fresh.call_kw("res.partner", "search_count", [[("name", "=", marker)]]) == 1
    # the monitor hears of it
    response = requests.get(f"{stack.odoo.url}/hotline/health?token={health_token}", timeout=30)
    assert response.status_code == 503
    report = response.json()
    assert report["replica"] == {"configured": True, "in_use": False, "lag_seconds": None}
    assert any("replica" in problem for problem in report["problems"])
