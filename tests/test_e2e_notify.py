"""End to end: voice notices and survey calls sent from Odoo -> the bridge process -> AMI
Originate, and the dialplan's reports of each call -> Odoo.

The AMI side replays ``06_voice_notice`` and ``07_survey_ivr``, recorded on a real Asterisk 22
running ``pbx/asterisk/extensions.conf`` ([hotline-outdial], [hotline-notice], [hotline-survey];
see pbx/asterisk/testpbx/): answered (013800138000), busy (013800138001) and unanswered
(013800138002) notices (the PBX's outbound prefix 0 + the number), and a survey call answered
with the key 1. What that dialplan POSTed to Odoo is in ``*.odoo.jsonl``; the tests post the same
bodies for the records Odoo created.
"""

import json
import urllib.error
import wave
from pathlib import Path

import pytest
from e2e_support import FIXTURES, wait_for

SUPERVISOR = "supervisor"  # demo login (docs/DEMO_LOGINS.txt): password = login
NUMBERS = ("13800138000", "13800138001", "13800138002")
SOUND_DIR_KEY = "hotline_notify.sound_dir"
SURVEY_KEY = "hotline_notify.survey_channel"


def recorded_reports():
    """What the recorded dialplan posted to /hotline/pbx/notice: {number: status}."""
    reports = [json.loads(line) for line in (FIXTURES / "06_voice_notice.odoo.jsonl").read_text().splitlines()]
    statuses = [json.loads(report["body"])["status"] for report in reports if report["path"] == "/hotline/pbx/notice"]
    assert all(report["authorization"] == "Bearer test-pbx-token" for report in reports)
    assert all(report["content_type"] == "application/json" for report in reports)
    return dict(zip(NUMBERS, statuses, strict=True))  # recorded in this order: answered, busy, no answer


def originates(replay):
    """Every Originate the replay peer received, as a list of (key, value) pairs (Variable repeats)."""
    return [
        pairs
        for _conn, pairs in replay.server.received
        if any(k.lower() == "action" and v.lower() == "originate" for k, v in pairs)
    ]


def values(pairs, key):
    return [v for k, v in pairs if k.lower() == key.lower()]


def set_param(odoo, key, value):
    odoo.call("admin", "ir.config_parameter", "set_param", key, value)


def test_voice_notice_originate_and_results(odoo, e2e_pbx, ami_replay, bridge_process, tmp_path):
    reports = recorded_reports()
    assert reports == {"13800138000": "ANSWER", "13800138001": "BUSY", "13800138002": "NOANSWER"}

    replay = ami_replay("06_voice_notice")
    bridge = bridge_process(
        ami_port=replay.port, odoo_url=odoo.url, odoo_token=e2e_pbx.token, http={"token": e2e_pbx.token}
    )
    replay.wait_done(20)  # the AMI session is up (and the recorded calls streamed)
    odoo.call(
        "admin",
        "hotline.pbx",
        "write",
        [e2e_pbx.id],
        {"bridge_url": f"http://127.0.0.1:{bridge.http_port}", "outbound_prefix": "0"},
    )
    sound_dir = tmp_path / "sounds"
    sound_dir.mkdir()
    previous_dir = odoo.call("admin", "ir.config_parameter", "get_param", SOUND_DIR_KEY)
    set_param(odoo, SOUND_DIR_KEY, str(sound_dir))
    try:
        odoo.login(SUPERVISOR, SUPERVISOR)
        notice_id = odoo.call(
            SUPERVISOR,
            "hotline.voice.notice",
            "create",
            {
                "name": "幸福路停水通知",
                "text": "明天上午九时至下午五时，幸福路停水检修，请提前储水。",
                "pbx_id": e2e_pbx.id,
                "number_ids": [(0, 0, {"number": number}) for number in NUMBERS],
            },
        )
        odoo.call(SUPERVISOR, "hotline.voice.notice", "action_send", [notice_id])
    finally:
        set_param(odoo, SOUND_DIR_KEY, previous_dir or False)

    # Odoo asked the bridge, the bridge sent one Originate per number into the notice dialplan
    wait_for(lambda: len(originates(replay)) == len(NUMBERS), timeout=20, what="three Originates at the AMI peer")
    (notice,) = odoo.call("admin", "hotline.voice.notice", "read", [notice_id], ["state", "sound_path", "number_ids"])
    assert notice["state"] == "running"
    sound = notice["sound_path"]
    assert Path(sound).parent == sound_dir and not sound.endswith(".wav")
    lines = odoo.call(
        "admin", "hotline.voice.notice.line", "read", notice["number_ids"], ["number", "state", "attempts"]
    )
    line_of = {line["number"]: line for line in lines}
    assert set(line_of) == set(NUMBERS)
    assert all(line["state"] == "calling" and line["attempts"] == 1 for line in lines)

    sent = {values(pairs, "Channel")[0]: pairs for pairs in originates(replay)}
    for number in NUMBERS:
        # dialled like click-to-call: the PBX's outbound prefix (0) + the national number
        pairs = sent[f"Local/0{number}@hotline-outdial"]
        assert values(pairs, "Context") == ["hotline-notice"]
        assert values(pairs, "Exten") == ["s"] and values(pairs, "Priority") == ["1"]
        assert values(pairs, "CallerID") == ["12319"] and values(pairs, "Async") == ["true"]
        assert values(pairs, "Variable") == [
            f"__HOTLINE_NOTICE_SOUND={sound}",
            f"__HOTLINE_REFERENCE=notice-{line_of[number]['id']}",
            "__HOTLINE_CASE=",
        ]

    # the generated sound is what Asterisk's Playback reads: 8 kHz, mono, 16 bit
    with wave.open(f"{sound}.wav", "rb") as wav:
        assert (wav.getframerate(), wav.getnchannels(), wav.getsampwidth()) == (8000, 1, 2)
        assert wav.getnframes() > 8000  # more than a second of speech

    # the dialplan reports each outcome as the recording did
    for number, status in reports.items():
        code, answer = odoo.post_json(
            "/hotline/pbx/notice",
            {"reference": f"notice-{line_of[number]['id']}", "status": status},
            e2e_pbx.token,
        )
        assert code == 200 and answer["ok"] is True, answer
    results = odoo.call(
        "admin", "hotline.voice.notice.line", "read", notice["number_ids"], ["number", "state", "result"]
    )
    by_number = {line["number"]: (line["state"], line["result"]) for line in results}
    assert by_number["13800138000"] == ("done", "answered")
    # busy and unanswered numbers are called again later (hotline_notify.voice_attempts)
    assert by_number["13800138001"] == ("pending", "busy")
    assert by_number["13800138002"] == ("pending", "no_answer")

    # a report for an unknown line, or with a wrong token, is refused and changes nothing
    for reference, token, code in (
        ("notice-999999999", e2e_pbx.token, 404),
        (f"notice-{line_of['13800138001']['id']}", "wrong-token", 401),
    ):
        with pytest.raises(urllib.error.HTTPError) as refused:
            odoo.post_json("/hotline/pbx/notice", {"reference": reference, "status": "ANSWER"}, token)
        assert refused.value.code == code
    (busy,) = odoo.call("admin", "hotline.voice.notice.line", "read", [line_of["13800138001"]["id"]], ["result"])
    assert busy["result"] == "busy"


def test_recorded_notice_calls_are_outbound_calls_in_odoo(odoo, e2e_pbx, ami_replay, bridge_process):
    """The bridge's own call tracking of the recorded notice calls: the centre called out, no agent."""
    replay = ami_replay("06_voice_notice")
    bridge = bridge_process(ami_port=replay.port, odoo_url=odoo.url, odoo_token=e2e_pbx.token)
    replay.wait_done(20)

    def three_calls():
        calls = odoo.call(
            "admin",
            "hotline.call",
            "search_read",
            [("pbx_id", "=", e2e_pbx.id), ("state", "=", "ended")],
            fields=["direction", "disposition", "called_number", "caller_number", "user_id"],
        )
        return calls if len(calls) == 3 else None

    calls = wait_for(three_calls, timeout=30, what=f"three ended calls in Odoo ({bridge.log_path})")
    assert {c["called_number"]: c["disposition"] for c in calls} == {
        "013800138000": "answered",
        "013800138001": "busy",
        "013800138002": "no_answer",
    }
    assert {c["direction"] for c in calls} == {"outbound"}
    assert not any(c["user_id"] for c in calls)


def test_survey_call_and_dtmf_answer(odoo, e2e_pbx, ami_replay, bridge_process, tmp_path):
    """A case verified with the IVR survey on: the survey cron asks the bridge for a call into
    [hotline-survey] (replayed 07_survey_ivr), and the dialplan's two reports (the key, then the
    call's outcome, as recorded) give the case its satisfaction and close the return visit."""
    recorded = [json.loads(line) for line in (FIXTURES / "07_survey_ivr.odoo.jsonl").read_text().splitlines()]
    assert [entry["path"] for entry in recorded] == ["/hotline/pbx/survey", "/hotline/pbx/notice"]
    digit = json.loads(recorded[0]["body"])["digit"]
    status = json.loads(recorded[1]["body"])["status"]
    assert (digit, status) == ("1", "ANSWER")

    replay = ami_replay("07_survey_ivr")
    bridge = bridge_process(
        ami_port=replay.port, odoo_url=odoo.url, odoo_token=e2e_pbx.token, http={"token": e2e_pbx.token}
    )
    replay.wait_done(20)
    odoo.call(
        "admin",
        "hotline.pbx",
        "write",
        [e2e_pbx.id],
        {"bridge_url": f"http://127.0.0.1:{bridge.http_port}", "outbound_prefix": "0"},
    )
    cases = odoo.call(
        "admin",
        "hotline.case",
        "search_read",
        [("state", "=", "feedback"), "|", ("caller_phone", "!=", False), ("partner_id.mobile", "!=", False)],
        fields=["name"],
        limit=1,
    )
    if not cases:
        pytest.skip("no demo case waiting for verification (the demo's one was verified by an earlier run)")
    case = cases[0]
    sound_dir = tmp_path / "sounds"
    sound_dir.mkdir()
    saved = {key: odoo.call("admin", "ir.config_parameter", "get_param", key) for key in (SOUND_DIR_KEY, SURVEY_KEY)}
    set_param(odoo, SOUND_DIR_KEY, str(sound_dir))
    set_param(odoo, SURVEY_KEY, "ivr")
    try:
        odoo.login(SUPERVISOR, SUPERVISOR)
        odoo.call(SUPERVISOR, "hotline.case", "action_verify", [case["id"]])
        (cron,) = odoo.call(
            "admin",
            "ir.model.data",
            "search_read",
            [("module", "=", "hotline_notify"), ("name", "=", "ir_cron_hotline_survey_calls")],
            fields=["res_id"],
        )
        odoo.call("admin", "ir.cron", "method_direct_trigger", [cron["res_id"]])
    finally:
        for key, value in saved.items():
            set_param(odoo, key, value or False)

    wait_for(lambda: originates(replay), timeout=20, what="the survey call's Originate at the AMI peer")
    (pairs,) = originates(replay)
    assert values(pairs, "Context") == ["hotline-survey"]
    assert values(pairs, "Channel")[0].endswith("@hotline-outdial")
    variables = values(pairs, "Variable")
    assert f"__HOTLINE_REFERENCE=survey-{case['id']}" in variables
    assert f"__HOTLINE_CASE={case['name']}" in variables
    (sound,) = [v.split("=", 1)[1] for v in variables if v.startswith("__HOTLINE_NOTICE_SOUND=")]
    with wave.open(f"{sound}.wav", "rb") as wav:
        assert (wav.getframerate(), wav.getnchannels()) == (8000, 1)

    code, answer = odoo.post_json("/hotline/pbx/survey", {"case": case["name"], "digit": digit}, e2e_pbx.token)
    assert code == 200 and answer["ok"] is True, answer
    code, answer = odoo.post_json(
        "/hotline/pbx/notice", {"reference": f"survey-{case['id']}", "status": status}, e2e_pbx.token
    )
    assert code == 200 and answer["ok"] is True, answer
    (after,) = odoo.call("admin", "hotline.case", "read", [case["id"]], ["state", "satisfaction"])
    assert after["satisfaction"] == "satisfied"
    assert after["state"] != "return_visit"
