"""Last of the session: Master.csv and the CDRs the bridge delivered live give the same calls in Odoo."""

import base64
import csv
import io

from e2e_support import wait_for


def test_master_csv_import_finds_every_live_cdr(odoo, asterisk, bridge, pbx_record):
    rows = [row for row in csv.reader(io.StringIO(asterisk.cdr_path.read_text(encoding="utf-8"))) if row]
    assert len(rows) >= 10, f"the session's calls wrote only {len(rows)} CDRs"

    def delivered():
        count = odoo.call("admin", "hotline.call.cdr", "search_count", [("pbx_id", "=", pbx_record.id)])
        return count if count >= len(rows) else None

    live_count = wait_for(delivered, timeout=30, what="every CDR delivered by the bridge")
    assert live_count == len(rows)
    calls_before = odoo.call("admin", "hotline.call", "search_count", [("pbx_id", "=", pbx_record.id)])
    wizard = odoo.call(
        "admin",
        "hotline.cdr.import",
        "create",
        {
            "pbx_id": pbx_record.id,
            "file": base64.b64encode(asterisk.cdr_path.read_bytes()).decode(),
            "filename": "Master.csv",
        },
    )
    odoo.call("admin", "hotline.cdr.import", "action_import", [wizard])
    (result,) = odoo.call(
        "admin",
        "hotline.cdr.import",
        "read",
        [wizard],
        ["line_count", "created_count", "duplicate_count", "rejected_count", "rejected_lines"],
    )
    assert result["rejected_count"] == 0, result["rejected_lines"]
    assert (result["line_count"], result["created_count"], result["duplicate_count"]) == (len(rows), 0, len(rows))
    assert odoo.call("admin", "hotline.call", "search_count", [("pbx_id", "=", pbx_record.id)]) == calls_before
    # every linkedid of Master.csv is one call in Odoo
    linkedids = {row[-2] for row in rows}
    calls = odoo.call(
        "admin", "hotline.call", "search_read", [("pbx_id", "=", pbx_record.id)], fields=["linkedid", "cdr_count"]
    )
    by_linkedid = {call["linkedid"]: call for call in calls}
    assert linkedids <= set(by_linkedid), linkedids - set(by_linkedid)
    for linkedid in linkedids:
        expected = sum(1 for row in rows if row[-2] == linkedid)
        assert by_linkedid[linkedid]["cdr_count"] == expected, (linkedid, by_linkedid[linkedid], expected)
