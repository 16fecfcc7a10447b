"""The HTTP API: token, request checks, AMI down."""

import aiohttp
from bridge_testlib import (
    HTTP_TOKEN,
    FakeOdoo,
    free_port,
    make_config,
    run,
    running_bridge,
    scenario,
)


async def _call(port, method, path, token=HTTP_TOKEN, **kwargs):
    headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
    headers.update(kwargs.pop("headers", {}))
    async with (
        aiohttp.ClientSession() as session,
        session.request(method, f"http://127.0.0.1:{port}{path}", headers=headers, **kwargs) as resp,
    ):
        return resp.status, await resp.json(content_type=None)


def test_token_is_required(tmp_path):
    async def main():
        async with scenario(tmp_path, "01_answered") as (server, _odoo, bridge):
            port = bridge.http.port
            body = {"channel": "Local/1001@agents-00000001;1"}
            for token in (None, "wrong", HTTP_TOKEN + "x", ""):
                status, answer = await _call(port, "POST", "/hangup", token=token, json=body)
                assert status == 401, token
                assert answer["ok"] is False
            status, _ = await _call(
                port,
                "POST",
                "/hangup",
                token=None,
                json=body,
                headers={"Authorization": f"Basic {HTTP_TOKEN}"},
            )
            assert status == 401
            assert server.actions("Hangup") == []  # nothing reached Asterisk
            status, health = await _call(port, "GET", "/health")
            assert status == 200 and health["ami_connected"] is True

    run(main())


def test_malformed_requests_are_400(tmp_path):
    async def main():
        async with scenario(tmp_path, "01_answered") as (server, _odoo, bridge):
            port = bridge.http.port
            cases = [
                ("/hangup", {"data": b"{not json"}, "not valid JSON"),
                ("/hangup", {"json": ["a", "list"]}, "JSON object"),
                ("/hangup", {"json": {}}, "missing field: channel"),
                (
                    "/originate",
                    {"json": {"extension": "1001"}},
                    "missing field: number",
                ),
                (
                    "/originate",
                    {"json": {"extension": ["1001"], "number": "1"}},
                    "extension",
                ),
                (
                    "/redirect",
                    {"json": {"channel": "x", "context": "transfer"}},
                    "missing field: exten",
                ),
                (
                    "/spy",
                    {
                        "json": {
                            "supervisor_extension": "8001",
                            "target_extension": "1001",
                            "mode": "shout",
                        }
                    },
                    "mode",
                ),
                ("/spy", {"json": {"supervisor_extension": "8001"}}, "target_channel"),
                (
                    "/queue/pause",
                    {"json": {"interface": "Local/1001@agents/n"}},
                    "missing field: paused",
                ),
                (
                    "/queue/pause",
                    {"json": {"interface": "Local/1001@agents/n", "paused": "maybe"}},
                    "paused",
                ),
                (
                    "/queue/add",
                    {
                        "json": {
                            "queue": "hotline",
                            "interface": "PJSIP/1001",
                            "penalty": -1,
                        }
                    },
                    "penalty",
                ),
                # header injection into the AMI action
                (
                    "/hangup",
                    {"json": {"channel": "PJSIP/1001\r\nAction: Originate"}},
                    "line breaks",
                ),
            ]
            for path, kwargs, reason in cases:
                status, answer = await _call(port, "POST", path, **kwargs)
                assert status == 400, (path, answer)
                assert answer["ok"] is False and reason in answer["error"], (
                    path,
                    answer,
                )
            assert [a["Action"] for a in server.actions()] == [
                "Login",
                "CoreShowChannels",
                "QueueStatus",
            ]

    run(main())


def test_ami_down_is_503(tmp_path):
    async def main():
        odoo = await FakeOdoo().start()
        config = make_config(tmp_path, free_port(), odoo.url)  # no Asterisk there
        try:
            async with running_bridge(config) as bridge:
                port = bridge.http.port
                for path, body in (
                    ("/hangup", {"channel": "PJSIP/1001-00000001"}),
                    ("/originate", {"extension": "1001", "number": "013800138000"}),
                    ("/queue/pause", {"interface": "PJSIP/1001", "paused": True}),
                ):
                    status, answer = await _call(port, "POST", path, json=body)
                    assert status == 503, path
                    assert answer["ok"] is False
                    assert "AMI not connected" in answer["error"]
                status, health = await _call(port, "GET", "/health")
                assert status == 200
                assert health["ami_connected"] is False and health["healthy"] is False
                assert any("AMI not connected" in alert for alert in health["alerts"])
                assert health["spool_depth"] == 0 and health["dead_letters"] == 0
                assert health["calls_in_progress"] == 0 and health["last_event_time"] is None
        finally:
            await odoo.stop()

    run(main())


def test_queue_pause_by_extension_and_health_after_events(tmp_path):
    async def main():
        async with scenario(tmp_path, "05_supervisor") as (server, _odoo, bridge):
            await server.wait_done()
            status, answer = await _call(
                bridge.http.port,
                "POST",
                "/queue/pause",
                json={
                    "queue": "hotline",
                    "extension": "1002",
                    "paused": True,
                    "reason": "after-call-work",
                },
            )
            assert status == 200 and answer["message"] == "Interface paused successfully"
            (sent,) = server.actions("QueuePause")
            assert sent["Interface"] == "Local/1002@agents/n"
            assert sent["Paused"] == "true" and sent["Reason"] == "after-call-work"
            status, health = await _call(bridge.http.port, "GET", "/health")
            assert health["last_event_time"] and health["ami_connected"] is True

    run(main())
