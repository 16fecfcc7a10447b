import base64
import csv
from datetime import datetime

import pytz

from odoo.tests import TransactionCase, tagged

from ..tools.cdr import group_rows, parse_master_csv
from .common import TelephonyCommon, read_data


@tagged("post_install", "-at_install")
class TestCdrImport(TelephonyCommon, TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.setUpTelephony()

    def import_file(self, data, filename="Master.csv"):
        wizard = self.env["hotline.cdr.import"].create(
            {"pbx_id": self.pbx.id, "file": base64.b64encode(data), "filename": filename}
        )
        wizard.action_import()
        return wizard

    def calls(self):
        return self.env["hotline.call"].search([("pbx_id", "=", self.pbx.id)])

    def test_answered_queue_call(self):
        wizard = self.import_file(read_data("01_answered.cdr.csv"))
        self.assertRecordValues(
            wizard, [{"created_count": 3, "duplicate_count": 0, "rejected_count": 0, "call_count": 1}]
        )
        call = self.calls()
        self.assertEqual(len(call), 1, "three CDR rows, one logical call")
        self.assertEqual(len(call.cdr_ids), 3)
        self.assertRecordValues(
            call,
            [
                {
                    "linkedid": "1795651774.0",
                    "direction": "inbound",
                    "state": "ended",
                    "disposition": "answered",
                    "caller_number": "13800138000",
                    "caller_name": "Zhang San",
                    "called_number": "12319",
                    "queue": "hotline",
                    "extension": "1001",
                    "user_id": self.operator.id,
                    "partner_id": self.caller.id,
                    "wait_seconds": 1,
                    "talk_seconds": 4,
                }
            ],
        )
        self.assertEqual(call.start_time, datetime(2026, 11, 26, 0, 9, 34))
        self.assertEqual(call.answer_time, datetime(2026, 11, 26, 0, 9, 35), "the agent's answer, not the IVR's")
        self.assertEqual(call.end_time, datetime(2026, 11, 26, 0, 9, 39))

    def test_abandoned_calls_despite_answered_cdrs(self):
        for name, caller, wait in (
            ("02_abandoned_hangup.cdr.csv", "13800138002", 6),
            ("02b_abandoned_timeout.cdr.csv", "13800138003", 8),
        ):
            with self.subTest(name):
                data = read_data(name)
                self.assertIn(b'"ANSWERED"', data)
                self.import_file(data)
                call = self.calls().filtered(lambda call, caller=caller: call.caller_number == caller)
                self.assertEqual(len(call), 1)
                self.assertEqual(len(call.cdr_ids), 2)
                self.assertRecordValues(
                    call,
                    [{"disposition": "abandoned", "user_id": False, "wait_seconds": wait, "talk_seconds": 0}],
                )
                self.assertFalse(call.answer_time)

    def test_click_to_call_outbound(self):
        self.import_file(read_data("04_click_to_call.cdr.csv"))
        call = self.calls()
        self.assertEqual(len(call), 1)
        self.assertRecordValues(
            call,
            [
                {
                    "direction": "outbound",
                    "caller_number": "1001",
                    "called_number": "13800138000",
                    "user_id": self.operator.id,
                    "partner_id": self.caller.id,
                    "disposition": "answered",
                    "wait_seconds": 3,
                    "talk_seconds": 5,
                }
            ],
        )
        self.assertEqual(len(call.cdr_ids), 3)

    def test_transfer_and_supervisor_calls(self):
        self.import_file(read_data("05_supervisor.cdr.csv"))
        calls = self.calls()
        self.assertEqual(len(calls), 2, "the queue call (transferred to 1003) and the supervisor's ChanSpy session")
        queue_call = calls.filtered(lambda call: call.direction == "inbound")
        self.assertEqual(len(queue_call.cdr_ids), 5)
        self.assertEqual(sorted(queue_call.cdr_ids.mapped("sequence")), [0, 0, 0, 0, 1])
        # answered by 1001, transferred to 1003 (no user in Odoo): the call is 1003's from then on
        self.assertRecordValues(
            queue_call,
            [
                {
                    "extension": "1003",
                    "user_id": False,
                    "disposition": "answered",
                    "talk_seconds": 10,
                    "monitoring": False,
                }
            ],
        )
        spy = calls - queue_call
        self.assertRecordValues(spy, [{"direction": "internal", "user_id": self.supervisor.id, "monitoring": True}])

    def test_reimport_creates_nothing(self):
        data = read_data("01_answered.cdr.csv")
        self.import_file(data)
        call = self.calls()
        cdr_count = self.env["hotline.call.cdr"].search_count([])
        wizard = self.import_file(data)
        self.assertRecordValues(wizard, [{"created_count": 0, "duplicate_count": 3, "rejected_count": 0}])
        self.assertEqual(self.env["hotline.call.cdr"].search_count([]), cdr_count)
        self.assertEqual(self.calls(), call)

    def test_broken_lines(self):
        good = read_data("01_answered.cdr.csv").decode().splitlines()
        lines = [
            good[0],
            '"12319","1","2","ctx"',  # line 2: too few columns
            good[1].replace('"2026-11-26 00:09:34"', '"yesterday"', 1),  # line 3: bad start
            "",  # line 4: blank, skipped
            good[2],
            good[2].replace(",5,5,", ',"five",5,', 1).replace("1795651774.1", "1795651774.9"),  # line 6: bad duration
        ]
        wizard = self.import_file("\n".join(lines).encode())
        self.assertEqual(wizard.created_count, 2, "the good rows still import")
        self.assertEqual(wizard.rejected_count, 3)
        report = wizard.rejected_lines.splitlines()
        self.assertEqual(len(report), 3)
        self.assertTrue(report[0].startswith("Line 2:"), report)
        self.assertIn("4 columns", report[0])
        self.assertTrue(report[1].startswith("Line 3:"), report)
        self.assertIn("start", report[1])
        self.assertTrue(report[2].startswith("Line 6:"), report)
        self.assertIn("duration", report[2])

    def test_unclosed_quote_does_not_eat_the_next_line(self):
        """Asterisk writes one record per line: a line cut inside a quoted field is refused on its own."""
        good = read_data("01_answered.cdr.csv").decode().splitlines()
        cut = good[0][: good[0].rindex('"')]  # the last field's closing quote is missing
        wizard = self.import_file("\n".join([cut, good[1], good[2]]).encode())
        self.assertRecordValues(wizard, [{"created_count": 2, "rejected_count": 1, "line_count": 3}])
        report = wizard.rejected_lines.splitlines()
        self.assertEqual(len(report), 1, report)
        self.assertTrue(report[0].startswith("Line 1:"), report)
        self.assertIn("quote", report[0])
        stored = self.env["hotline.call.cdr"].search([("pbx_id", "=", self.pbx.id)])
        expected = [cells[16] for cells in csv.reader(good[1:])]
        self.assertEqual(sorted(stored.mapped("uniqueid")), sorted(expected), "both valid lines after it are stored")

    def test_header_and_linkedid_columns(self):
        """A Master.csv with a header row and the peeraccount, linkedid and sequence columns (21 columns)."""
        header = (
            "accountcode,src,dst,dcontext,clid,channel,dstchannel,lastapp,lastdata,start,answer,end,duration,"
            "billsec,disposition,amaflags,uniqueid,userfield,peeraccount,linkedid,sequence"
        )
        rows = [
            line + f',"","1795651774.0",{index + 10}'
            for index, line in enumerate(read_data("01_answered.cdr.csv").decode().splitlines())
        ]
        wizard = self.import_file("\n".join([header, *rows]).encode())
        self.assertEqual(wizard.created_count, 3)
        self.assertEqual(wizard.rejected_count, 0)
        call = self.calls()
        self.assertEqual(len(call), 1)
        self.assertEqual(set(call.cdr_ids.mapped("linkedid")), {"1795651774.0"})
        self.assertEqual(sorted(call.cdr_ids.mapped("sequence")), [10, 11, 12])
        self.assertEqual(call.disposition, "answered")
        # the same records without the new columns are recognised as already present
        wizard = self.import_file(read_data("01_answered.cdr.csv"))
        self.assertEqual(wizard.created_count, 0)

    def test_split_import_joins_the_call(self):
        """The rows of one call in two imports (file rotation) still give one call."""
        lines = read_data("01_answered.cdr.csv").decode().splitlines()
        self.import_file(lines[0].encode())  # the agent leg alone
        self.import_file("\n".join(lines[1:]).encode())
        self.assertEqual(len(self.calls().cdr_ids), 3)
        call = self.calls().filtered(lambda call: call.linkedid == "1795651774.0")
        self.assertEqual(call.disposition, "answered")

    def test_case_taken_on_the_call(self):
        case = self.env["hotline.case"].create(
            {
                "partner_id": self.caller.id,
                "caller_phone": "13800138000",
                "user_id": self.operator.id,
                "summary": "No water",
                "reported_at": datetime(2026, 11, 26, 0, 10, 30),
            }
        )
        self.import_file(read_data("01_answered.cdr.csv"))
        self.assertEqual(self.calls().case_id, case)
        self.assertEqual(case.call_count, 1)

    def test_grouping_respects_time(self):
        """Local channel names come back after an Asterisk restart: the same name later is another call."""
        data = read_data("02_abandoned_hangup.cdr.csv") + read_data("02b_abandoned_timeout.cdr.csv")
        rows, errors = parse_master_csv(data, pytz.utc)
        self.assertFalse(errors)
        later = [row for row in parse_master_csv(read_data("01_answered.cdr.csv"), pytz.utc)[0]]
        groups = group_rows(rows + later)
        self.assertEqual(len(groups), 3)
        self.assertEqual(sorted(len(group) for group in groups), [2, 2, 3])

    def test_broken_line_and_duplicate_in_one_file(self):
        """A line cut inside a quote is one rejected line with its number, the next good line imports,
        and a record repeated further down the same file counts as already present."""
        good = read_data("01_answered.cdr.csv").decode().splitlines()
        cut = good[1][: good[1].rindex('"')]
        wizard = self.import_file("\n".join([good[0], cut, good[1], good[2], good[0]]).encode())
        self.assertRecordValues(
            wizard,
            [{"line_count": 5, "created_count": 3, "duplicate_count": 1, "rejected_count": 1, "call_count": 1}],
        )
        report = wizard.rejected_lines.splitlines()
        self.assertEqual(len(report), 1, report)
        self.assertTrue(report[0].startswith("Line 2:"), report)
        self.assertEqual(len(self.calls().cdr_ids), 3)

    def test_nul_character_rejects_its_line_only(self):
        good = read_data("01_answered.cdr.csv").decode().splitlines()
        broken = good[1].replace('"Wait"', '"Wa\0it"', 1)
        wizard = self.import_file("\n".join([good[0], broken, good[2]]).encode())
        self.assertRecordValues(wizard, [{"created_count": 2, "rejected_count": 1}])
        self.assertTrue(wizard.rejected_lines.startswith("Line 2:"), wizard.rejected_lines)
        self.assertIn("NUL", wizard.rejected_lines)

    def test_text_stored_as_written(self):
        """Backslashes, tabs and padding inside quoted fields reach the database unchanged (but the padding)."""
        good = read_data("01_answered.cdr.csv").decode().splitlines()
        lines = [
            good[0].replace('""Zhang San""', '""Zhang\\\\San\tJr""', 1),
            good[1].replace('"Wait"', '"\\."', 1),
            good[2].replace('"Queue"', '"  Queue "', 1),
        ]
        wizard = self.import_file("\n".join(lines).encode())
        self.assertEqual(wizard.created_count, 3)
        cdrs = self.calls().cdr_ids
        self.assertEqual(set(cdrs.mapped("clid")), {'"Zhang San" <13800138000>', '"Zhang\\\\San\tJr" <13800138000>'})
        self.assertEqual(sorted(cdrs.mapped("lastapp")), ["Hangup", "Queue", "\\."])
        self.assertEqual(self.calls().queue, "hotline", "the padded Queue row is still the queue leg")

    def test_local_time_around_clock_changes(self):
        """cdr_csv's local times become UTC with the offset of their own hour (is_dst=False when ambiguous)."""
        good = read_data("01_answered.cdr.csv").decode().splitlines()[0]
        times = {
            "2026-03-29 01:59:59": datetime(2026, 3, 29, 0, 59, 59),  # CET
            "2026-03-29 03:00:00": datetime(2026, 3, 29, 1, 0, 0),  # CEST
            "2026-03-29 02:30:00": datetime(2026, 3, 29, 1, 30, 0),  # skipped hour: read as CET
            "2026-10-25 02:30:00": datetime(2026, 10, 25, 1, 30, 0),  # hour seen twice: CET
            "2026-10-25 01:30:00": datetime(2026, 10, 24, 23, 30, 0),  # CEST
            "2026-07-01 12:00:00": datetime(2026, 7, 1, 10, 0, 0),
        }
        lines = []
        for index, local in enumerate(times):
            line = good.replace("2026-11-26 00:09:34", local).replace("1795651774.3", f"1795651774.{index + 50}")
            lines.append(line.replace('"2026-11-26 00:09:35"', '""').replace('"2026-11-26 00:09:39"', '""'))
        rows, errors = parse_master_csv("\n".join(lines).encode(), pytz.timezone("Europe/Berlin"))
        self.assertFalse(errors)
        self.assertEqual([row.start for row in rows], list(times.values()))

    def test_call_created_meanwhile_is_kept(self):
        """A call the bridge's events created after the import looked for it is kept, the others created."""
        Call = self.env["hotline.call"]
        present = Call.create({"pbx_id": self.pbx.id, "linkedid": "1795651774.0", "direction": "inbound"})
        values = {
            "direction": "inbound",
            "caller_number": "13800138000",
            "caller_name": "",
            "called_number": "12319",
            "partner_id": False,
            "user_id": False,
            "extension": "",
            "queue": "",
            "start_time": datetime(2026, 11, 26, 0, 9, 34),
            "answer_time": False,
            "end_time": datetime(2026, 11, 26, 0, 9, 39),
            "wait_seconds": 5,
            "talk_seconds": 0,
            "disposition": "abandoned",
            "monitoring": False,
        }
        calls = Call._hotline_insert_from_cdrs(
            self.pbx, [dict(values, linkedid="1795651774.9"), dict(values, linkedid="1795651774.0")]
        )
        self.assertEqual(len(calls), 2)
        self.assertEqual(calls[1], present)
        self.assertRecordValues(calls[0], [{"linkedid": "1795651774.9", "disposition": "abandoned", "talk_seconds": 0}])
        self.assertEqual(self.calls(), calls)
