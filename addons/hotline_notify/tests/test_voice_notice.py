import array
import json
import math
import os
import shutil
import sys
import tempfile
import wave
from datetime import datetime
from unittest.mock import patch

from freezegun import freeze_time
from psycopg2 import IntegrityError

from odoo import Command
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import Form, HttpCase, JsonRpcException, TransactionCase, new_test_user, tagged
from odoo.tools import mute_logger

from odoo.addons.hotline_telephony.tests.common import FakeBridge

from ..tools import tts

TOKEN = "notify-test-token-12319"
SENTENCE = "各位市民：湖滨街道今天下午两点至六点停水，请提前储水。"

# a stand-in engine: reads the text on stdin and writes a 16 kHz stereo WAV of 0.1 s per character
FAKE_ENGINE = """
import math, sys, wave
text = sys.stdin.buffer.read().decode("utf-8")
frames = int(16000 * 0.1 * len(text))
with wave.open(sys.argv[1], "wb") as out:
    out.setnchannels(2)
    out.setsampwidth(2)
    out.setframerate(16000)
    data = bytearray()
    for i in range(frames):
        value = int(8000 * math.sin(2 * math.pi * 440 * i / 16000))
        data += value.to_bytes(2, "little", signed=True) * 2
    out.writeframes(bytes(data))
"""


def wav_info(path):
    """(channels, sample width, rate, seconds, RMS) of a WAV file."""
    with wave.open(path, "rb") as reader:
        frames = reader.readframes(reader.getnframes())
        params = reader.getparams()
    samples = array.array("h", frames)
    if sys.byteorder == "big":
        samples.byteswap()
    rms = math.sqrt(sum(value * value for value in samples) / len(samples)) if samples else 0.0
    return params.nchannels, params.sampwidth, params.framerate, params.nframes / params.framerate, rms


class VoiceNoticeCommon:
    """A PBX of its own, a temporary sound folder, a supervisor and an operator without e-mail."""

    def setUp(self):
        super().setUp()
        # a folder of its own per test: each test sees exactly the files it made
        self.sound_dir = tempfile.mkdtemp(prefix="hotline-notify-sounds-")
        self.addCleanup(shutil.rmtree, self.sound_dir, ignore_errors=True)
        self.env["ir.config_parameter"].sudo().set_param("hotline_notify.sound_dir", self.sound_dir)

    @classmethod
    def setUpVoice(cls):
        params = cls.env["ir.config_parameter"].sudo()
        params.set_param("hotline_notify.tts_command", "")
        params.set_param("hotline_notify.voice_attempts", "3")
        params.set_param("hotline_notify.voice_retry_minutes", "10")
        params.set_param("hotline_notify.voice_max_calls", "10")
        params.set_param("hotline_base.phone_region", "CN")
        params.set_param("hotline_base.area_code", "755")
        cls.pbx = cls.env["hotline.pbx"].create(
            {"name": "Notice PBX", "token": TOKEN, "bridge_url": "http://127.0.0.1:9", "outbound_prefix": "0"}
        )
        cls.supervisor = new_test_user(
            cls.env,
            login="vn_supervisor",
            name="王班长",
            groups="hotline_base.group_hotline_supervisor",
            email=False,
        )
        cls.operator = new_test_user(
            cls.env, login="vn_operator", name="李话务员", groups="hotline_base.group_hotline_operator", email=False
        )

    def make_notice(self, numbers=("13800138000",), user=None, **vals):
        """A notice created the way the end-to-end test (and a JSON-RPC client) does."""
        env = self.env(user=user or self.supervisor)
        return env["hotline.voice.notice"].create(
            {
                "name": "停水通知",
                "text": SENTENCE,
                "pbx_id": self.pbx.id,
                "number_ids": [Command.create({"number": number}) for number in numbers],
                **vals,
            }
        )

    def fake_tts(self):
        """Skip the real engine where the test is about the calls (the engine has tests of its own)."""

        def render(notice_model, text, name):
            path = os.path.join(self.sound_dir, name)
            with wave.open(f"{path}.wav", "wb") as out:
                out.setnchannels(1)
                out.setsampwidth(2)
                out.setframerate(8000)
                out.writeframes(b"\0\0" * 800)
            return path

        return patch.object(type(self.env["hotline.voice.notice"]), "_hotline_render_sound", render)

    def fake_bridge_requests(self, fail=None):
        """Patch the bridge call: records ``(pbx, method, path, payload)``; ``fail``: raise this UserError."""
        calls = []

        def request(pbx, method, path, payload=None, accept_errors=()):
            calls.append((pbx, method, path, payload))
            if fail:
                raise UserError(fail)
            return {"ok": True}

        return calls, patch.object(type(self.env["hotline.pbx"]), "_hotline_bridge_request", request)


@tagged("post_install", "-at_install")
class TestTextToSpeech(VoiceNoticeCommon, TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.setUpVoice()

    @property
    def Notice(self):
        return self.env["hotline.voice.notice"]

    def test_mandarin_sentence_is_an_8khz_mono_wav(self):
        path = self.Notice._hotline_render_sound(SENTENCE, "test_sentence")
        self.assertEqual(path, os.path.join(self.sound_dir, "test_sentence"), "the path comes without extension")
        channels, width, rate, seconds, rms = wav_info(f"{path}.wav")
        self.assertEqual((channels, width, rate), (1, 2, 8000), "what Asterisk's format_wav plays")
        # 26 characters of Mandarin: a few seconds of speech, neither a click nor a minute
        self.assertGreater(seconds, 2.5)
        self.assertLess(seconds, 20)
        self.assertGreater(rms, 300, "the file holds speech, not silence")
        self.assertEqual(os.stat(f"{path}.wav").st_mode & 0o644, 0o644, "Asterisk (another user) can read it")
        self.assertEqual(os.listdir(self.sound_dir), ["test_sentence.wav"], "no temporary file is left behind")

    def test_a_text_spoken_on_many_calls_is_rendered_once(self):
        Notice = type(self.Notice)
        speak = Notice._hotline_render_sound
        with patch.object(Notice, "_hotline_render_sound", autospec=True, side_effect=speak) as render:
            first = self.Notice._hotline_shared_sound("请按1到4评价。", "survey_question")
            again = self.Notice._hotline_shared_sound("请按1到4评价。", "survey_question")
            other = self.Notice._hotline_shared_sound("请按键评价。", "survey_question")
        self.assertEqual(first, again)
        self.assertNotEqual(first, other, "another text, another file")
        self.assertEqual(render.call_count, 2, "the same text is not spoken again")
        self.assertTrue(os.path.isfile(f"{first}.wav"))

    def test_longer_text_longer_sound(self):
        short = wav_info(self.Notice._hotline_render_sound("停水通知。", "test_short") + ".wav")[3]
        long = wav_info(self.Notice._hotline_render_sound(SENTENCE * 2, "test_long") + ".wav")[3]
        self.assertGreater(long, short * 3)

    def test_missing_engine(self):
        self.env["ir.config_parameter"].sudo().set_param(
            "hotline_notify.tts_command", "hotline-no-such-tts-engine --out {output}"
        )
        with self.assertRaisesRegex(UserError, "hotline-no-such-tts-engine is not installed"):
            self.Notice._hotline_render_sound(SENTENCE, "test_missing")
        self.assertEqual(os.listdir(self.sound_dir), [], "nothing is written")

    def test_failing_engine_error_is_summarized(self):
        self.env["ir.config_parameter"].sudo().set_param(
            "hotline_notify.tts_command", "sh -c 'echo \"voice zh not found\" >&2; exit 3' {output}"
        )
        with self.assertRaisesRegex(UserError, r"exit code 3.*voice zh not found"):
            self.Notice._hotline_render_sound(SENTENCE, "test_failing")
        self.assertEqual(os.listdir(self.sound_dir), [])

    def test_engine_writing_nothing_or_garbage(self):
        params = self.env["ir.config_parameter"].sudo()
        params.set_param("hotline_notify.tts_command", "true {output}")
        with self.assertRaisesRegex(UserError, "wrote no sound file"):
            self.Notice._hotline_render_sound(SENTENCE, "test_nothing")
        params.set_param("hotline_notify.tts_command", "sh -c 'echo not a wav > \"$0\"' {output}")
        with self.assertRaisesRegex(UserError, "did not write a PCM WAV file"):
            self.Notice._hotline_render_sound(SENTENCE, "test_garbage")
        self.assertEqual(os.listdir(self.sound_dir), [])

    def test_pluggable_engine_output_is_resampled(self):
        script = os.path.join(self.sound_dir, "..", f"{os.path.basename(self.sound_dir)}-engine.py")
        with open(script, "w", encoding="utf-8") as handle:
            handle.write(FAKE_ENGINE)
        self.addCleanup(os.unlink, script)
        self.env["ir.config_parameter"].sudo().set_param(
            "hotline_notify.tts_command", f"{sys.executable} {script} {{output}}"
        )
        text = "十个字的通知内容测试"
        path = self.Notice._hotline_render_sound(text, "test_plugged")
        channels, width, rate, seconds, rms = wav_info(f"{path}.wav")
        self.assertEqual((channels, width, rate), (1, 2, 8000))
        self.assertAlmostEqual(seconds, 1.0, delta=0.01, msg="the text reached the engine on stdin, whole")
        self.assertAlmostEqual(rms, 8000 / math.sqrt(2), delta=300, msg="a 440 Hz tone keeps its level")

    def test_bad_command_and_name(self):
        params = self.env["ir.config_parameter"].sudo()
        params.set_param("hotline_notify.tts_command", "espeak-ng -v cmn")
        with self.assertRaisesRegex(UserError, r"must contain \{output\}"):
            self.Notice._hotline_render_sound(SENTENCE, "test_no_output")
        params.set_param("hotline_notify.tts_command", "")
        for name in ("../evil", "a b", "", "x" * 65, "notice;rm"):
            with self.assertRaises(UserError, msg=name):
                self.Notice._hotline_render_sound(SENTENCE, name)
        with self.assertRaisesRegex(UserError, "no text"):
            self.Notice._hotline_render_sound("  ", "test_empty")
        self.assertEqual(os.listdir(self.sound_dir), [])

    def test_text_is_not_a_command_line(self):
        """A text that looks like options or shell reaches the engine as text."""
        path = self.Notice._hotline_render_sound("--help; rm -rf / $(reboot) 通知", "test_injection")
        self.assertEqual(wav_info(f"{path}.wav")[2], 8000)

    def test_resampler_low_pass(self):
        def level(frequency):
            tone = [10000 * math.sin(2 * math.pi * frequency * i / 22050) for i in range(22050)]
            out = tts.resample(tone, 22050, 8000)[800:-800]
            return 20 * math.log10(math.sqrt(sum(v * v for v in out) / len(out)) / (10000 / math.sqrt(2)) + 1e-12)

        self.assertAlmostEqual(level(1000), 0.0, delta=0.2, msg="the telephone band passes")
        self.assertGreater(level(3000), -1.0)
        self.assertLess(level(4500), -60, "nothing above 4 kHz folds back into the band")
        self.assertLess(level(7000), -60)
        self.assertEqual(len(tts.resample([0.0] * 22050, 22050, 8000)), 8000)
        self.assertEqual(len(tts.resample([0.0] * 16000, 16000, 8000)), 8000)


@tagged("post_install", "-at_install")
class TestVoiceNotice(VoiceNoticeCommon, TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.setUpVoice()

    def test_send_calls_the_bridge_once_per_number(self):
        notice = self.make_notice(["13800138000", "0755-2345 6789", "13900139000"])
        self.assertEqual(notice.state, "draft")
        self.assertTrue(notice.reference.startswith("VN"), notice.reference)
        with FakeBridge() as bridge:
            self.pbx.bridge_url = bridge.url
            notice.with_user(self.supervisor).action_send()
        self.assertEqual(notice.state, "running")
        self.assertEqual(notice.sound_path, os.path.join(self.sound_dir, f"notice_{notice.id}"))
        self.assertEqual(wav_info(f"{notice.sound_path}.wav")[2], 8000)
        self.assertEqual(len(bridge.requests), 3, "one call per number")
        lines = notice.number_ids
        self.assertEqual(
            [(r["method"], r["path"], r["authorization"]) for r in bridge.requests],
            [("POST", "/notice", f"Bearer {TOKEN}")] * 3,
        )
        self.assertEqual(
            [r["json"] for r in bridge.requests],
            [
                {
                    "number": "013800138000",
                    "sound": notice.sound_path,
                    "reference": f"notice-{lines[0].id}",
                    "kind": "notice",
                },
                {
                    "number": "0075523456789",
                    "sound": notice.sound_path,
                    "reference": f"notice-{lines[1].id}",
                    "kind": "notice",
                },
                {
                    "number": "013900139000",
                    "sound": notice.sound_path,
                    "reference": f"notice-{lines[2].id}",
                    "kind": "notice",
                },
            ],
        )
        self.assertEqual(set(lines.mapped("state")), {"calling"})
        self.assertEqual(lines.mapped("attempts"), [1, 1, 1])
        with self.assertRaisesRegex(UserError, "already sent"):
            notice.with_user(self.supervisor).action_send()

    def test_form(self):
        """A supervisor fills a notice in the form, numbers in the editable list."""
        with Form(self.env["hotline.voice.notice"].with_user(self.supervisor)) as form:
            form.name = "停水通知"
            form.text = SENTENCE
            self.assertEqual(form.pbx_id, self.env["hotline.pbx"].search([], limit=1), "the first PBX by default")
            form.pbx_id = self.pbx
            with form.number_ids.new() as line:
                line.number = "139 0013 9000"
        notice = form.record
        self.assertEqual(notice.number_ids.number_key, "+8613900139000")
        self.assertEqual(notice.number_count, 1)

    def test_invalid_numbers_are_refused(self):
        with self.assertRaisesRegex(ValidationError, "12ab is not"):
            self.make_notice(["13800138000", "12ab"])
        with self.assertRaisesRegex(ValidationError, "123456789 is not a valid phone number"):
            self.make_notice(["123456789"])
        with (
            self.assertRaises(IntegrityError, msg="a number appears once per notice"),
            self.cr.savepoint(),
            mute_logger("odoo.sql_db"),
        ):
            self.make_notice(["13800138000", "138 0013 8000"])
            self.env.flush_all()

    def test_pasted_numbers(self):
        notice = self.make_notice([])
        notice.with_user(
            self.supervisor
        ).number_paste = "13800138000\n138-0013-8000\nabc，13900139000；12345678901\n\n+86 755 2345 6789"
        answer = notice.with_user(self.supervisor).action_add_numbers()
        self.assertEqual(notice.number_ids.mapped("number"), ["13800138000", "13900139000", "+86 755 2345 6789"])
        self.assertEqual(notice.number_paste, "abc\n12345678901", "what cannot be called stays in the box")
        message = answer["params"]["message"]
        self.assertIn("3 numbers added", message)
        self.assertIn("1 were already in the list", message)
        self.assertIn("2 numbers cannot be called", message)
        self.assertIn("abc is not a valid phone number", message)
        self.assertEqual(answer["params"]["type"], "warning")
        self.assertIn("12345678901", notice.message_ids[0].body)

    def test_numbers_from_callers_and_cases(self):
        Partner = self.env["res.partner"]
        zhang = Partner.create({"name": "张先生", "mobile": "13800138001", "city": "东湖市"})
        Partner.create({"name": "赵女士", "phone": "0755-23456780", "city": "东湖市"})
        Partner.create({"name": "钱先生", "city": "东湖市"})
        notice = self.make_notice([])
        notice.with_user(self.supervisor).partner_domain = "[('city', '=', '东湖市')]"
        answer = notice.with_user(self.supervisor).action_add_partners()
        self.assertEqual(sorted(notice.number_ids.mapped("number")), ["0755-23456780", "13800138001"])
        self.assertEqual(notice.number_ids.filtered(lambda line: line.number == "13800138001").partner_id, zhang)
        self.assertIn("1 callers have no phone number", answer["params"]["message"])
        case = self.env["hotline.case"].create(
            {"partner_id": zhang.id, "caller_phone": "13800138002", "summary": "水管爆裂"}
        )
        notice.with_user(self.supervisor).case_domain = f"[('id', '=', {case.id})]"
        notice.with_user(self.supervisor).action_add_cases()
        self.assertIn("13800138002", notice.number_ids.mapped("number"))
        notice.with_user(self.supervisor).partner_domain = "[]"
        with self.assertRaisesRegex(UserError, "empty filter"):
            notice.with_user(self.supervisor).action_add_partners()
        notice.with_user(self.supervisor).case_domain = "[('id', '=' "
        with self.assertRaisesRegex(UserError, "filter cannot be read"):
            notice.with_user(self.supervisor).action_add_cases()

    def test_concurrency_limit(self):
        self.env["ir.config_parameter"].sudo().set_param("hotline_notify.voice_max_calls", "2")
        notice = self.make_notice([f"1380013800{i}" for i in range(5)])
        calls, patcher = self.fake_bridge_requests()
        with self.fake_tts(), patcher:
            notice.with_user(self.supervisor).action_send()
            self.assertEqual(len(calls), 2, "no more than 2 calls at once on the PBX")
            self.env["hotline.voice.notice"]._cron_hotline_send()
            self.assertEqual(len(calls), 2, "the 2 calls are still ringing")
            notice.number_ids[0]._hotline_pbx_result("ANSWER")
            notice.number_ids[1]._hotline_pbx_result("CHANUNAVAIL")
            self.env["hotline.voice.notice"]._cron_hotline_send()
            self.assertEqual(len(calls), 4)
        self.assertEqual(notice.number_ids.mapped("state"), ["done", "done", "calling", "calling", "pending"])
        self.assertEqual((notice.answered_count, notice.failed_count, notice.waiting_count), (1, 1, 3))

    def test_retries_respect_attempts_and_minutes(self):
        notice = self.make_notice(["13800138000", "13900139000"])
        answered, busy = notice.number_ids
        calls, patcher = self.fake_bridge_requests()
        Notice = self.env["hotline.voice.notice"]
        with self.fake_tts(), patcher:
            with freeze_time("2030-03-04 08:00:00"):
                notice.with_user(self.supervisor).action_send()
                self.assertEqual(len(calls), 2)
                answered._hotline_pbx_result("ANSWER")
                busy._hotline_pbx_result("BUSY")
                self.assertRecordValues(
                    busy,
                    [
                        {
                            "state": "pending",
                            "result": "busy",
                            "attempts": 1,
                            "next_attempt_at": datetime(2030, 3, 4, 8, 10),
                        }
                    ],
                )
            with freeze_time("2030-03-04 08:09:00"):
                Notice._cron_hotline_send()
                self.assertEqual(len(calls), 2, "not before the retry minutes")
            for minute, status in ((10, "NOANSWER"), (21, "BUSY")):
                with freeze_time(datetime(2030, 3, 4, 8, minute)):
                    Notice._cron_hotline_send()
                    busy._hotline_pbx_result(status)
            self.assertEqual(len(calls), 4)
            self.assertRecordValues(
                busy, [{"state": "done", "result": "busy", "attempts": 3, "next_attempt_at": False}]
            )
            with freeze_time("2030-03-04 09:00:00"):
                Notice._cron_hotline_send()
            self.assertEqual(len(calls), 4, "3 attempts, no more")
        self.assertEqual([call[3]["reference"] for call in calls[1:]], [f"notice-{busy.id}"] * 3)
        self.assertEqual(notice.state, "done")
        self.assertIn("1 answered", notice.message_ids[0].body)
        self.assertIn("1 busy", notice.message_ids[0].body)

    def test_scheduled_notice_is_sent_by_the_cron(self):
        calls, patcher = self.fake_bridge_requests()
        with self.fake_tts(), patcher, freeze_time("2030-03-04 08:00:00"):
            notice = self.make_notice(scheduled_at=datetime(2030, 3, 4, 9, 30))
            notice.with_user(self.supervisor).action_send()
            self.assertEqual(notice.state, "running")
            self.assertFalse(calls, "not before the set time")
        with self.fake_tts(), patcher, freeze_time("2030-03-04 09:30:00"):
            self.env["hotline.voice.notice"]._cron_hotline_send()
        self.assertEqual(len(calls), 1)
        self.assertEqual(notice.number_ids.state, "calling")

    def test_bridge_down_leaves_the_numbers_for_the_next_run(self):
        notice = self.make_notice(["13800138000", "13900139000"])
        with self.fake_tts(), FakeBridge({"/notice": (503, {"ok": False, "error": "AMI not connected"})}) as bridge:
            self.pbx.bridge_url = bridge.url
            notice.with_user(self.supervisor).action_send()
            self.assertEqual(len(bridge.requests), 1, "the first refusal stops the run")
            line = notice.number_ids[0]
            self.assertRecordValues(line, [{"state": "pending", "attempts": 0, "bridge_errors": 1}])
            self.assertIn("AMI not connected", line.last_error)
            self.assertIn("AMI not connected", notice.message_ids[0].body)
            self.assertGreater(line.next_attempt_at, notice.number_ids[1].next_attempt_at, "the others go first")
            bridge.replies = {}
            self.env["hotline.voice.notice"]._cron_hotline_send()
        self.assertEqual(len(bridge.requests), 2, "the other number is called at the next run")
        self.assertEqual(notice.number_ids[1].state, "calling")

    def test_bridge_refusing_a_number_fails_it_after_the_attempts(self):
        notice = self.make_notice(["13800138000"])
        line = notice.number_ids
        calls, patcher = self.fake_bridge_requests(fail="The PBX refused the action: bad number")
        with self.fake_tts(), patcher:
            notice.with_user(self.supervisor).action_send()
            for _run in range(2):
                line.sudo().next_attempt_at = datetime(2020, 1, 1)
                self.env["hotline.voice.notice"]._cron_hotline_send()
        self.assertEqual(len(calls), 3)
        self.assertRecordValues(line, [{"state": "done", "result": "failed", "bridge_errors": 3, "attempts": 0}])
        self.assertEqual(notice.state, "done")

    def test_lost_results_count_as_no_answer(self):
        notice = self.make_notice(["13800138000"])
        calls, patcher = self.fake_bridge_requests()
        with self.fake_tts(), patcher:
            with freeze_time("2030-03-04 08:00:00"):
                notice.with_user(self.supervisor).action_send()
            with freeze_time("2030-03-04 08:20:00"):
                self.env["hotline.voice.notice"]._cron_hotline_send()
        self.assertRecordValues(notice.number_ids, [{"state": "pending", "result": "no_answer", "attempts": 1}])
        self.assertIn("no result", notice.number_ids.last_error)

    def test_cancel_and_retry_failed(self):
        notice = self.make_notice(["13800138000", "13900139000"])
        calls, patcher = self.fake_bridge_requests()
        with self.fake_tts(), patcher:
            notice.with_user(self.supervisor).action_send()
            first, second = notice.number_ids
            first._hotline_pbx_result("CONGESTION")
            second._hotline_pbx_result("ANSWER")
            self.assertEqual(notice.state, "done")
            notice.with_user(self.supervisor).action_retry_failed()
            self.assertEqual(len(calls), 3)
            self.assertRecordValues(first, [{"state": "calling", "attempts": 1}])
            self.assertEqual(second.state, "done", "answered numbers are not called again")
            notice.with_user(self.supervisor).action_cancel()
        self.assertEqual(notice.state, "cancel")
        self.assertEqual(first.state, "cancel")
        again = notice.with_user(self.supervisor).copy()
        self.assertRecordValues(again, [{"state": "draft", "sound_path": False, "text": SENTENCE}])
        self.assertNotEqual(again.reference, notice.reference)
        self.assertEqual(again.number_ids.mapped("state"), ["pending", "pending"])
        self.assertEqual(again.number_ids.mapped("attempts"), [0, 0])
        self.assertFalse(first._hotline_pbx_result("ANSWER"), "a late result of a cancelled notice changes nothing")
        self.assertEqual(first.state, "cancel")
        again = notice.with_user(self.supervisor).copy()
        self.assertRecordValues(again, [{"state": "draft", "sound_path": False, "text": SENTENCE}])
        self.assertNotEqual(again.reference, notice.reference)
        self.assertEqual(again.number_ids.mapped("state"), ["pending", "pending"])
        self.assertEqual(again.number_ids.mapped("attempts"), [0, 0])

    def test_sent_notice_is_read_only(self):
        notice = self.make_notice()
        calls, patcher = self.fake_bridge_requests()
        with self.fake_tts(), patcher:
            notice.with_user(self.supervisor).action_send()
        with self.assertRaisesRegex(UserError, "Only a draft"):
            notice.with_user(self.supervisor).text = "另一条通知"
        with self.assertRaisesRegex(UserError, "Only a draft"):
            notice.with_user(self.supervisor).number_ids = [Command.create({"number": "13900139000"})]
        lines = self.env["hotline.voice.notice.line"].with_user(self.supervisor)
        with self.assertRaisesRegex(UserError, "no longer a draft"):
            lines.create({"notice_id": notice.id, "number": "13900139000"})
        with self.assertRaisesRegex(UserError, "no longer a draft"):
            notice.number_ids.with_user(self.supervisor).number = "13900139000"
        with self.assertRaisesRegex(UserError, "no longer a draft"):
            notice.number_ids.with_user(self.supervisor).unlink()
        with self.assertRaisesRegex(UserError, "cancel it first"):
            notice.sudo().unlink()

    def test_access(self):
        notice = self.make_notice()
        as_operator = notice.with_user(self.operator)
        self.assertEqual(as_operator.name, "停水通知", "operators read the notices")
        self.assertEqual(as_operator.number_ids.number, "13800138000")
        views = as_operator.get_views([(False, "list"), (False, "form"), (False, "search")])
        self.assertNotIn("action_send", views["views"]["form"]["arch"], "no Send button for operators")
        with self.assertRaises(AccessError):
            self.make_notice(user=self.operator)
        with self.assertRaises(AccessError):
            as_operator.action_send()
        with self.assertRaises(AccessError):
            as_operator.write({"name": "x"})
        with self.assertRaises(AccessError, msg="the status only changes with the buttons"):
            notice.with_user(self.supervisor).write({"state": "done"})
        with self.assertRaises(AccessError, msg="results come from the PBX"):
            notice.number_ids.with_user(self.supervisor).write({"result": "answered"})
        with self.assertRaises(AccessError):
            self.make_notice(state="running")
        self.assertEqual(notice.state, "draft")
        self.assertFalse(notice.number_ids.result)


@tagged("post_install", "-at_install")
class TestVoiceNoticeEndpoints(VoiceNoticeCommon, HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.setUpVoice()

    def post(self, path, body, token=TOKEN, raw=None):
        headers = {"Content-Type": "application/json"}
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        self.env.flush_all()
        response = self.url_open(path, data=raw if raw is not None else json.dumps(body), headers=headers)
        self.env.invalidate_all()
        return response

    def sent_notice(self, numbers=("13800138000", "13900139000")):
        notice = self.make_notice(numbers)
        calls, patcher = self.fake_bridge_requests()
        with self.fake_tts(), patcher:
            notice.with_user(self.supervisor).action_send()
        return notice

    def test_notice_results(self):
        notice = self.sent_notice()
        first, second = notice.number_ids
        response = self.post("/hotline/pbx/notice", {"reference": f"notice-{first.id}", "status": "ANSWER"})
        self.assertEqual(response.status_code, 200)
        self.assertEqual(
            response.json(),
            {"ok": True, "reference": f"notice-{first.id}", "result": "answered", "state": "done", "duplicate": False},
        )
        self.assertRecordValues(first, [{"result": "answered", "state": "done", "attempts": 1}])
        response = self.post("/hotline/pbx/notice", {"reference": f"notice-{first.id}", "status": "ANSWER"})
        self.assertTrue(response.json()["duplicate"], "the same result twice changes nothing")
        response = self.post("/hotline/pbx/notice", {"reference": f"notice-{second.id}", "status": "NOANSWER"})
        self.assertEqual(response.json()["result"], "no_answer")
        self.assertRecordValues(second, [{"result": "no_answer", "state": "pending"}])
        self.assertTrue(second.next_attempt_at)

    def test_notice_bad_requests(self):
        notice = self.sent_notice(["13800138000"])
        line = notice.number_ids
        good = {"reference": f"notice-{line.id}", "status": "BUSY"}
        for token in (None, "wrong-token"):
            response = self.post("/hotline/pbx/notice", good, token=token)
            self.assertEqual(response.status_code, 401)
            self.assertFalse(response.json()["ok"])
        cases = [
            ("{not json", None, "not valid JSON"),
            (None, ["a", "list"], "JSON object"),
            (None, {"reference": f"notice-{line.id}"}, "missing status"),
            (None, {"reference": f"notice-{line.id}", "status": "RINGING"}, "is not one of"),
            (None, {"reference": "call-12", "status": "BUSY"}, "expected notice-<id>"),
            (None, {"reference": f"notice-{line.id}", "status": ["BUSY"]}, "must be a string"),
        ]
        for raw, body, error in cases:
            response = self.post("/hotline/pbx/notice", body, raw=raw)
            self.assertEqual(response.status_code, 400, (raw, body))
            self.assertIn(error, response.json()["error"])
        response = self.post("/hotline/pbx/notice", {"reference": "notice-999999999", "status": "BUSY"})
        self.assertEqual(response.status_code, 404)
        other = self.env["hotline.pbx"].create({"name": "Other PBX", "token": "other-pbx-token-12319"})
        response = self.post("/hotline/pbx/notice", good, token=other.token)
        self.assertEqual(response.status_code, 404, "a PBX only reports its own calls")
        self.assertRecordValues(line, [{"state": "calling", "result": False}])

    def test_survey_call_result_and_answer(self):
        """The routing to the case; the case's side is hotline_case's own (C1's tests)."""
        case = self.env["hotline.case"].create({"caller_phone": "13800138000", "summary": "路灯不亮"})
        received = []

        def call_result(cases, status):
            received.append(("call", cases.ids, status))

        def answer(cases, digit, channel=None):
            received.append(("answer", cases.ids, digit, channel))

        Case = type(self.env["hotline.case"])
        with (
            patch.object(Case, "_hotline_survey_call_result", call_result, create=True),
            patch.object(Case, "_hotline_survey_answer", answer, create=True),
        ):
            response = self.post("/hotline/pbx/notice", {"reference": f"survey-{case.id}", "status": "NOANSWER"})
            self.assertEqual(response.status_code, 200)
            response = self.post("/hotline/pbx/survey", {"case": case.name, "digit": "4"})
            self.assertEqual(response.status_code, 200)
            self.assertEqual(response.json()["case"], case.name)
            for body in ({"case": case.name, "digit": "5"}, {"case": case.name}, {"digit": "1"}):
                self.assertEqual(self.post("/hotline/pbx/survey", body).status_code, 400, body)
            self.assertEqual(self.post("/hotline/pbx/survey", {"case": "NO-SUCH-CASE", "digit": "1"}).status_code, 404)
            self.assertEqual(
                self.post("/hotline/pbx/notice", {"reference": "survey-999999999", "status": "ANSWER"}).status_code, 404
            )
            self.assertEqual(
                self.post("/hotline/pbx/survey", {"case": case.name, "digit": "1"}, token="x").status_code, 401
            )
        self.assertEqual(received, [("call", case.ids, "NOANSWER"), ("answer", case.ids, "4", "ivr")])

    def call_kw(self, model, method, args, kwargs=None):
        return self.make_jsonrpc_request(
            f"/web/dataset/call_kw/{model}/{method}",
            {"model": model, "method": method, "args": args, "kwargs": kwargs or {}},
        )

    def test_json_rpc_api_and_access(self):
        """What the end-to-end test does over JSON-RPC; operators read but neither create nor send."""
        vals = {
            "name": "燃气检修通知",
            "text": "明天上午九点至十一点湖滨街道燃气检修，请关闭燃气阀门。",
            "pbx_id": self.pbx.id,
            "number_ids": [[0, 0, {"number": "13800138000"}]],
        }
        self.authenticate("vn_operator", "vn_operator")
        with mute_logger("odoo.http"), self.assertRaisesRegex(JsonRpcException, "AccessError"):
            self.call_kw("hotline.voice.notice", "create", [vals])
        self.authenticate("vn_supervisor", "vn_supervisor")
        notice_id = self.call_kw("hotline.voice.notice", "create", [vals])
        self.authenticate("vn_operator", "vn_operator")
        read = self.call_kw("hotline.voice.notice", "read", [[notice_id], ["name", "state"]])
        self.assertEqual(read[0]["state"], "draft", "operators read the notices")
        with mute_logger("odoo.http"), self.assertRaisesRegex(JsonRpcException, "AccessError"):
            self.call_kw("hotline.voice.notice", "action_send", [[notice_id]])
        with mute_logger("odoo.http"), self.assertRaisesRegex(JsonRpcException, "AccessError"):
            self.call_kw("hotline.voice.notice", "write", [[notice_id], {"state": "done"}])
        self.authenticate("vn_supervisor", "vn_supervisor")
        calls, patcher = self.fake_bridge_requests()
        with self.fake_tts(), patcher:
            self.call_kw("hotline.voice.notice", "action_send", [[notice_id]])
        notice = self.env["hotline.voice.notice"].browse(notice_id)
        self.assertEqual(notice.state, "running")
        self.assertEqual(
            calls[0][3],
            {
                "number": "013800138000",
                "sound": notice.sound_path,
                "reference": f"notice-{notice.number_ids.id}",
                "kind": "notice",
            },
        )

    def test_sound_download_for_supervisors(self):
        notice = self.sent_notice(["13800138000"])
        self.authenticate("vn_supervisor", "vn_supervisor")
        response = self.url_open(f"/hotline/voice_notice/{notice.id}/sound")
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.content[:4], b"RIFF")
        self.authenticate("vn_operator", "vn_operator")
        self.assertEqual(self.url_open(f"/hotline/voice_notice/{notice.id}/sound").status_code, 403)
