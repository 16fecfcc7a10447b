"""POST /notice: voice notices and survey calls (Originate into the outdial context)."""

import aiohttp
import pytest
from bridge_testlib import HTTP_TOKEN, delivered_hangup, run, scenario, wait_until

from hotline_pbx_bridge.config import ConfigError, parse_config

SOUND = "/var/lib/asterisk/sounds/hotline-notify/notice_7"


async def _post(port, body, token=HTTP_TOKEN):
    headers = {"Authorization": f"Bearer {token}"}
    async with (
        aiohttp.ClientSession() as session,
        session.post(f"http://127.0.0.1:{port}/notice", headers=headers, **body) as resp,
    ):
        return resp.status, await resp.json(content_type=None)


def test_notice_originates_into_the_notice_context(tmp_path):
    async def main():
        async with scenario(tmp_path, "06_voice_notice") as (server, _odoo, bridge):
            await server.wait_done()
            body = {"number": "013800138000", "sound": SOUND, "reference": "notice-7", "kind": "notice"}
            status, answer = await _post(bridge.http.port, {"json": body})
            assert status == 200, answer
            assert answer["ok"] is True and answer["message"] == "Originate successfully queued"
            (sent,) = server.actions("Originate")
            assert sent["Channel"] == "Local/013800138000@hotline-outdial"
            assert sent["Context"] == "hotline-notice"
            assert sent["Exten"] == "s" and sent["Priority"] == "1"
            assert sent["CallerID"] == "12319"
            assert sent["Async"] == "true" and sent["Timeout"] == "60000"
            variables = [value for key, value in server.received[-1][1] if key == "Variable"]
            assert variables == [
                f"__HOTLINE_NOTICE_SOUND={SOUND}",
                "__HOTLINE_REFERENCE=notice-7",
                "__HOTLINE_CASE=",
            ]

    run(main())


def test_survey_call_uses_the_survey_context_and_config(tmp_path):
    async def main():
        pbx = {
            "notice_channel": "Local/{number}@my-outdial/n",
            "notice_caller_id": '"Hotline" <12319>',
            "survey_context": "my-survey",
            "notice_timeout": 45,
        }
        async with scenario(tmp_path, "07_survey_ivr", pbx=pbx) as (server, _odoo, bridge):
            await server.wait_done()
            body = {
                "number": "+8613800138000",
                "sound": "/srv/sounds/survey_question",
                "reference": "survey-42",
                "kind": "survey",
                "case": "12319-2026-000042",
                # a context in the request is ignored: it comes from the configuration
                "context": "from-internal",
            }
            status, answer = await _post(bridge.http.port, {"json": body})
            assert status == 200 and answer["ok"] is True, answer
            (sent,) = server.actions("Originate")
            assert sent["Channel"] == "Local/+8613800138000@my-outdial/n"
            assert sent["Context"] == "my-survey"
            assert sent["CallerID"] == '"Hotline" <12319>'
            assert sent["Timeout"] == "45000"
            variables = [value for key, value in server.received[-1][1] if key == "Variable"]
            assert "__HOTLINE_CASE=12319-2026-000042" in variables
            assert "__HOTLINE_REFERENCE=survey-42" in variables

    run(main())


def test_bad_notices_are_400_and_nothing_is_sent(tmp_path):
    good = {"number": "013800138000", "sound": SOUND, "reference": "notice-7", "kind": "notice"}

    def bad(**changes):
        body = dict(good, **changes)
        return {"json": {k: v for k, v in body.items() if v is not None}}

    cases = [
        (bad(number=None), "missing field: number"),
        (bad(number="12"), "number"),
        (bad(number="138-0013-8000"), "number"),
        (bad(number="1" * 21), "number"),
        (bad(number="13800138000@evil"), "number"),
        (bad(number="１３８００１３８０００"), "number"),  # full-width digits
        (bad(number=13800138000), "number must be a string"),
        (bad(number="13800138000\r\nAction: Originate"), "number"),
        (bad(sound=None), "missing field: sound"),
        (bad(sound="relative/path"), "sound"),
        (bad(sound="/var/lib/asterisk/sounds/../../../etc/passwd"), ".."),
        (bad(sound="/tmp/x,y"), "sound"),
        (bad(sound="/tmp/a b"), "sound"),
        (bad(sound="/tmp/声音"), "sound"),
        (bad(reference=None), "missing field: reference"),
        (bad(reference="notice 7"), "reference"),
        (bad(reference="x" * 65), "reference"),
        (bad(reference="notice-7;rm"), "reference"),
        (bad(kind=None), "missing field: kind"),
        (bad(kind="fax"), "kind"),
        (bad(kind="survey"), "missing field: case"),
        (bad(kind="survey", case="12319/2026"), "case"),
        (bad(kind="survey", case='1","digit":"4'), "case"),
        ({"data": b"{not json"}, "not valid JSON"),
        ({"json": ["13800138000"]}, "JSON object"),
    ]

    async def main():
        async with scenario(tmp_path, "06_voice_notice") as (server, _odoo, bridge):
            await server.wait_done()
            for body, reason in cases:
                status, answer = await _post(bridge.http.port, body)
                assert status == 400, (body, answer)
                assert answer["ok"] is False and reason in answer["error"], (body, answer)
            status, answer = await _post(bridge.http.port, {"json": good}, token="wrong")
            assert status == 401
            assert server.actions("Originate") == []

    run(main())


def test_recorded_notice_calls_reach_odoo_as_outbound_calls(tmp_path):
    """06_voice_notice (real Asterisk): answered, busy and unanswered notices are the centre's
    outbound calls to the citizen, not missed inbound calls."""

    async def main():
        async with scenario(tmp_path, "06_voice_notice") as (server, odoo, _bridge):
            await server.wait_done()
            hangups = await delivered_hangup(odoo, count=3, timeout=10)
            by_number = {h["called_number"]: h for h in hangups}
            # as dialled: with the trunk prefix, like click-to-call
            assert {n: h["disposition"] for n, h in by_number.items()} == {
                "013800138000": "answered",
                "013800138001": "busy",
                "013800138002": "no_answer",
            }
            for hangup in hangups:
                assert hangup["direction"] == "outbound"
                assert hangup["caller_number"] == "12319"
                assert hangup["extension"] == "" and hangup["agents"] == []
            answered = by_number["013800138000"]
            assert answered["answer_time"] and answered["talk_seconds"] >= 17  # the notice, twice
            assert by_number["013800138001"]["talk_seconds"] == 0
            # no agent was involved: no ringing / answered events
            assert not odoo.of_kind("ringing") and not odoo.of_kind("answered")
            await wait_until(lambda: len(odoo.cdrs) == 6, what="6 CDRs")
            assert {c["userfield"] for c in odoo.cdrs if c["dcontext"] == "hotline-outdial"} == {
                "notify;ref=notice-7",
                "notify;ref=notice-8",
                "notify;ref=notice-9",
            }

    run(main())


def test_recorded_survey_call_is_an_answered_outbound_call(tmp_path):
    async def main():
        async with scenario(tmp_path, "07_survey_ivr") as (server, odoo, _bridge):
            await server.wait_done()
            (hangup,) = await delivered_hangup(odoo, count=1, timeout=10)
            assert hangup["direction"] == "outbound" and hangup["disposition"] == "answered"
            assert hangup["called_number"] == "013800138000"

    run(main())


def test_notice_settings_in_the_configuration(tmp_path):
    base = {
        "ami": {"host": "127.0.0.1", "port": 5038, "username": "u", "secret": "s"},
        "odoo": {"url": "http://127.0.0.1:8069", "token": "t"},
        "http": {"port": 0, "token": "t"},
        "spool": {"path": "spool.sqlite3"},
    }
    config = parse_config(base, source="bridge.toml", base_dir=tmp_path)
    assert config.pbx.notice_channel == "Local/{number}@hotline-outdial"
    assert (config.pbx.notice_context, config.pbx.survey_context) == ("hotline-notice", "hotline-survey")
    assert config.pbx.notice_caller_id == "12319" and config.pbx.notice_timeout == 60.0
    with pytest.raises(ConfigError, match=r"\[pbx\] notice_channel: must contain \{number\}"):
        parse_config(dict(base, pbx={"notice_channel": "Local/12319@hotline-outdial"}), source="bridge.toml")
    with pytest.raises(ConfigError, match=r"\[pbx\] notice_timeout"):
        parse_config(dict(base, pbx={"notice_timeout": 0}), source="bridge.toml")
