import hashlib
import logging
import operator
import time
from collections import Counter
from datetime import timedelta

from odoo import api, fields, models
from odoo.tools import SQL, split_every

from odoo.addons.hotline_base.tools import normalize_phone

from ..tools import payload as check
from ..tools.bulk import bulk_copy, copy_line, is_plain_line
from ..tools.cdr import (
    CDR_TEXT_FIELDS,
    CdrError,
    CdrRow,
    assign_sequences,
    group_linkedid,
    group_rows,
    row_from_payload,
    summarize_call,
)

_logger = logging.getLogger(__name__)

BATCH = 1000
# pg_advisory_xact_lock(namespace, pbx id): one transaction at a time stores a PBX's CDRs
CDR_LOCK = 12319
# rows without a linkedid are grouped with the rows stored around them
NEIGHBOURS_BEFORE = timedelta(hours=3)
NEIGHBOURS_AFTER = timedelta(minutes=10)


# the columns of the bulk insert, each the CdrRow attribute of the same name: the texts (always str;
# in the COPY an empty text is NULL, as the ORM stores it), then the others
INSERT_TEXTS = ("uniqueid", *CDR_TEXT_FIELDS, "fingerprint")
INSERT_OTHERS = ("sequence", "start", "answer", "end", "duration", "billsec", "call_id")
INSERT_COLUMNS = (*INSERT_TEXTS, *INSERT_OTHERS)
# one C call per row for the texts (a lambda per column was a quarter of the insert's time)
INSERT_TEXT_VALUES = operator.attrgetter(*INSERT_TEXTS)
INSERT_VALUES = operator.attrgetter(*INSERT_COLUMNS)


def _copy_line(row, tail):
    """The COPY line of a CdrRow (INSERT_COLUMNS, then ``tail``: the constants' part of the line).
    The texts joined in one call, the others in one f-string: a third of the cost of a generic line."""
    texts = "\t".join(INSERT_TEXT_VALUES(row))
    line = (
        f"{texts}\t{row.sequence}\t{row.start}\t{row.answer or ''}\t{row.end or ''}\t{row.duration}\t"
        f"{row.billsec}\t{row.call_id or ''}\t{tail}"
    )
    if is_plain_line(line, len(INSERT_COLUMNS) + tail.count("\t") + 1):
        return line
    return copy_line((*INSERT_VALUES(row)[:-1], row.call_id or None, *tail.split("\t")))  # call_id last


FETCH_COLUMNS = (
    "id",
    "call_id",
    "uniqueid",
    "sequence",
    *CDR_TEXT_FIELDS,
    "start",
    "answer",
    "end",
    "duration",
    "billsec",
)
# what CDRs may fill in on a call the bridge's events already describe
FILL_FIELDS = (
    "caller_number",
    "caller_name",
    "called_number",
    "queue",
    "answer_time",
    "wait_seconds",
    "talk_seconds",
    "extension",
    "disposition",
    "partner_id",
    "user_id",
)


class HotlineCallCdr(models.Model):
    _name = "hotline.call.cdr"
    _description = "Call Detail Record"
    _order = "start desc, id desc"
    _rec_name = "uniqueid"

    # ------------------------------------------------------------
    # FIELDS
    # ------------------------------------------------------------

    call_id = fields.Many2one("hotline.call", string="Call", index=True, ondelete="set null", readonly=True)
    # indexed by the unique constraints (pbx_id first): no other index, for a fast bulk insert
    pbx_id = fields.Many2one("hotline.pbx", string="PBX", required=True, ondelete="restrict", readonly=True)
    uniqueid = fields.Char(string="Unique ID", required=True, readonly=True)
    sequence = fields.Integer(required=True, default=0, readonly=True)
    accountcode = fields.Char(string="Account Code", readonly=True)
    src = fields.Char(string="Source", readonly=True)
    dst = fields.Char(string="Destination", readonly=True)
    dcontext = fields.Char(string="Destination Context", readonly=True)
    clid = fields.Char(string="Caller ID", readonly=True)
    channel = fields.Char(readonly=True)
    dstchannel = fields.Char(string="Destination Channel", readonly=True)
    lastapp = fields.Char(string="Last Application", readonly=True)
    lastdata = fields.Char(string="Last Data", readonly=True)
    start = fields.Datetime(required=True, index=True, readonly=True)
    answer = fields.Datetime(readonly=True)
    end = fields.Datetime(readonly=True)
    duration = fields.Integer(readonly=True)
    billsec = fields.Integer(string="Billed Seconds", readonly=True)
    disposition = fields.Char(readonly=True)
    amaflags = fields.Char(string="AMA Flags", readonly=True)
    userfield = fields.Char(string="User Field", readonly=True)
    peeraccount = fields.Char(string="Peer Account", readonly=True)
    linkedid = fields.Char(string="Linked ID", readonly=True)
    # not indexed: compared with the stored rows of the same uniqueids, under the CDR lock (see
    # _hotline_import_rows); a unique index on 40 random characters doubled the cost of an import
    fingerprint = fields.Char(
        readonly=True, help="Digest of the record's content: the same record from another source."
    )
    source = fields.Selection([("bridge", "PBX Bridge"), ("import", "File Import")], string="Origin", readonly=True)

    _sql_constraints = [
        ("uniqueid_sequence_unique", "unique(pbx_id, uniqueid, sequence)", "This CDR record is already stored."),
    ]

    def init(self):
        # the former unique index on the fingerprint (see the field)
        self.env.cr.execute(
            "ALTER TABLE hotline_call_cdr DROP CONSTRAINT IF EXISTS hotline_call_cdr_fingerprint_unique"
        )

    # ------------------------------------------------------------
    # BUSINESS: the bridge's CDRs
    # ------------------------------------------------------------

    @api.model
    def _hotline_process_payloads(self, pbx, cdrs):
        """Store the bridge's CDRs (``{"cdrs": [...]}``); returns ``(created, duplicates)``.

        Every row is checked first: a malformed one raises PayloadError before anything is written.
        """
        tz, cache, rows = pbx._hotline_tz(), {}, []
        english = self.with_context(lang="en_US").env
        for index, values in enumerate(cdrs):
            try:
                rows.append(row_from_payload(values, tz, cache))
            except CdrError as exc:
                raise check.PayloadError(f"cdrs[{index}]: {english._(exc.message)}") from None
        result = self._hotline_import_rows(pbx, rows, source="bridge")
        return result["created"], result["duplicates"]

    # ------------------------------------------------------------
    # BUSINESS: storing and grouping (shared with the file import)
    # ------------------------------------------------------------

    @api.model
    def _hotline_import_rows(self, pbx, rows, source="import"):
        """Store CDR rows (:class:`CdrRow`) and group the new ones into calls.

        Set-based, for files of hundreds of thousands of rows: the rows already stored (same uniqueid
        and sequence, or the same content) are found in one query and skipped; the new ones are
        grouped into calls (created or completed in batches), then inserted with their call (one COPY
        straight into the table). One transaction at a time stores a PBX's CDRs (an advisory lock
        until the commit): what is not stored yet cannot be stored meanwhile, so the insert needs no
        ON CONFLICT and the fingerprint no unique index (measured: that index alone doubled the cost
        of the insert).
        Returns ``{"created": n, "duplicates": n, "calls": hotline.call}``.
        """
        self.env.cr.execute(SQL("SELECT pg_advisory_xact_lock(%s, %s)", CDR_LOCK, pbx.id))
        started = time.monotonic()
        assign_sequences(rows)
        fresh = self._hotline_new_rows(pbx, rows)
        checked = time.monotonic()
        calls = self._hotline_group_rows(pbx, fresh)
        grouped = time.monotonic()
        created = self._hotline_insert_rows(pbx, fresh, source)
        _logger.debug(
            "CDRs of %s: %d rows, %d new (%.1f s), %d calls (%.1f s), %d stored (%.1f s)",
            pbx.name,
            len(rows),
            len(fresh),
            checked - started,
            len(calls),
            grouped - checked,
            len(created),
            time.monotonic() - grouped,
        )
        return {"created": len(created), "duplicates": len(rows) - len(created), "calls": calls}

    @api.model
    def _hotline_fingerprint(self, row):
        start, answer, end = row.start, row.answer, row.end
        parts = (
            row.uniqueid or "",
            start.isoformat() if start else "",
            answer.isoformat() if answer else "",
            end.isoformat() if end else "",
            row.channel or "",
            row.dstchannel or "",
            row.lastapp or "",
            row.lastdata or "",
            row.disposition or "",
            str(row.billsec),
        )
        return hashlib.sha1("\x1f".join(parts).encode()).hexdigest()

    @api.model
    def _hotline_new_rows(self, pbx, rows):
        """The rows not stored yet, each once.

        A fingerprint includes the uniqueid: only the rows of a uniqueid stored already or repeated
        among ``rows`` can be the same record again. Only those are compared (their fingerprint set
        here); the others get theirs when they are inserted, while the server stores the previous rows.
        """
        if not rows:
            return rows
        stored_keys, stored_prints = set(), set()
        # uniqueids are checked (UNIQUEID_RE: no comma): one text parameter instead of thousands
        uniqueids = Counter(row.uniqueid for row in rows)
        self.env.cr.execute(
            SQL(
                "SELECT uniqueid, sequence, fingerprint FROM hotline_call_cdr "
                "WHERE pbx_id = %s AND uniqueid = ANY(string_to_array(%s, ','))",
                pbx.id,
                ",".join(uniqueids),
            )
        )
        for uniqueid, sequence, fingerprint in self.env.cr.fetchall():
            stored_keys.add((uniqueid, sequence))
            stored_prints.add(fingerprint)
        compared = {uniqueid for uniqueid, _sequence in stored_keys}
        compared.update(uniqueid for uniqueid, count in uniqueids.items() if count > 1)
        fresh = []
        for row in rows:
            if row.uniqueid in compared:
                row.fingerprint = self._hotline_fingerprint(row)
                key = (row.uniqueid, row.sequence)
                if key in stored_keys or row.fingerprint in stored_prints:
                    continue
                stored_keys.add(key)
                stored_prints.add(row.fingerprint)
            fresh.append(row)
        return fresh

    @api.model
    def _hotline_insert_rows(self, pbx, rows, source):
        """Insert the new rows (one COPY; the CDR lock is held); returns them."""
        if not rows:
            return rows
        now = self.env.cr.now()
        # no create_uid / write_uid: the system writes CDRs (``source`` says from where), and each
        # foreign key costs a trigger per row
        constants = {"pbx_id": pbx.id, "source": source, "create_date": now, "write_date": now}
        tail = copy_line(tuple(constants.values()))
        bulk_copy(self.env.cr, "hotline_call_cdr", [*INSERT_COLUMNS, *constants], self._hotline_copy_lines(rows, tail))
        self.env["hotline.call"].invalidate_model(["cdr_ids"])
        return rows

    @api.model
    def _hotline_copy_lines(self, rows, tail):
        """The COPY lines of the rows, each with its fingerprint (see _hotline_new_rows)."""
        for row in rows:
            if not row.fingerprint:
                row.fingerprint = self._hotline_fingerprint(row)
            yield _copy_line(row, tail)

    @api.model
    def _hotline_fetch_rows(self, where):
        """Stored CDRs as :class:`CdrRow` (with their call's linkedid), for an SQL condition on ``cdr``."""
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                "SELECT %s, call.linkedid FROM hotline_call_cdr cdr "
                "LEFT JOIN hotline_call call ON call.id = cdr.call_id WHERE %s",
                SQL(", ").join(SQL.identifier("cdr", name) for name in FETCH_COLUMNS),
                where,
            )
        )
        rows = []
        for record in self.env.cr.fetchall():
            values = dict(zip(FETCH_COLUMNS, record[:-1], strict=True))
            row = CdrRow(uniqueid=values["uniqueid"], start=values["start"])
            for name, value in values.items():
                if name == "call_id":
                    row.call_id = value or 0
                elif value is not None:
                    setattr(row, name, value)
            row.call_linkedid = record[-1] or ""
            rows.append(row)
        return rows

    @api.model
    def _hotline_neighbours(self, pbx, rows):
        """Stored rows around the new rows that carry no linkedid: the rest of their calls may be there."""
        loose = [row for row in rows if not row.linkedid]
        if not loose:
            return []
        low = min(row.start for row in loose) - NEIGHBOURS_BEFORE
        high = max(row.stop for row in loose) + NEIGHBOURS_AFTER
        return self._hotline_fetch_rows(SQL("cdr.pbx_id = %s AND cdr.start BETWEEN %s AND %s", pbx.id, low, high))

    @api.model
    def _hotline_group_rows(self, pbx, rows):
        """Group new CDR rows (not stored yet: ``id`` 0) into calls, with the stored rows around them.

        Calls already known (same linkedid) are completed, missing ones created; each new row gets its
        ``call_id``; stored rows that turn out to belong to another call are moved to it.
        """
        Call = self.env["hotline.call"]
        if not rows:
            return Call
        groups = [
            (group_linkedid(group), group)
            for group in group_rows(rows + self._hotline_neighbours(pbx, rows))
            if any(not row.id for row in group)
        ]
        existing = {
            call.linkedid: call
            for linkedids in split_every(BATCH * 10, [key for key, _group in groups])
            for call in Call.search([("pbx_id", "=", pbx.id), ("linkedid", "in", list(linkedids))])
        }
        options = pbx._hotline_cdr_options()
        to_create, to_complete, previous = [], {}, set()
        for linkedid, group in groups:
            previous.update(row.call_id for row in group if row.call_id)
            call = existing.get(linkedid)
            if call:
                to_complete.setdefault(call, []).extend(group)
            else:
                to_create.append((linkedid, group, summarize_call(group, linkedid, options, ordered=True)))
        self._hotline_resolve(pbx, [values for _lid, _group, values in to_create])
        vals_list = [self._hotline_prepare_call_vals(linkedid, values) for linkedid, _group, values in to_create]
        created = Call._hotline_insert_from_cdrs(pbx, vals_list)
        for call_id, (_linkedid, group, _values) in zip(created.ids, to_create, strict=True):
            self._hotline_set_call(group, call_id)
        completed = self._hotline_complete_calls(pbx, to_complete)
        moved = [(row.id, row.call_id) for _lid, group in groups for row in group if row.id and row.extra_moved]
        self._hotline_assign(moved)
        self._hotline_drop_emptied_calls(Call.browse(previous) - created - completed)
        (created | completed)._hotline_link_cases()
        return created | completed

    @api.model
    def _hotline_set_call(self, group, call_id):
        for row in group:
            if row.id and row.call_id != call_id:
                row.extra_moved = True
            row.call_id = call_id

    @api.model
    def _hotline_prepare_call_vals(self, linkedid, values):
        vals = {key: value for key, value in values.items() if key not in ("partner", "user")}
        vals.update(linkedid=linkedid, partner_id=values["partner"].id, user_id=values["user"].id)
        return vals

    @api.model
    def _hotline_complete_calls(self, pbx, to_complete):
        """Calls already known (from the bridge's events or an earlier import) get what the CDRs add."""
        if not to_complete:
            return self.env["hotline.call"]
        calls = self.env["hotline.call"].concat(*to_complete)
        stored = {}
        for row in self._hotline_fetch_rows(SQL("cdr.call_id = ANY(%s)", calls.ids)):
            stored.setdefault(row.call_id, {})[row.id] = row
        options = pbx._hotline_cdr_options()
        summaries = []
        finished = set()
        for call, group in to_complete.items():
            known = stored.get(call.id, {})
            rows = list(known.values()) + [row for row in group if not row.id or row.id not in known]
            summaries.append(summarize_call(rows, call.linkedid, options))
            self._hotline_set_call(group, call.id)
            # Asterisk writes a channel's CDRs when that channel hangs up: an agent's leg that ended
            # (forced transfer, pickup, an unanswered ring) while the call goes on writes its own.
            # The call has ended once its first channel (uniqueid = linkedid) wrote its CDRs.
            if any(row.uniqueid == call.linkedid for row in rows):
                finished.add(call.id)
        self._hotline_resolve(pbx, summaries)
        for call, values in zip(calls, summaries, strict=True):
            vals = self._hotline_prepare_call_vals(call.linkedid, values)
            update = {key: vals[key] for key in FILL_FIELDS if vals.get(key) and not call[key]}
            if vals["start_time"] and (not call.start_time or vals["start_time"] < call.start_time):
                update["start_time"] = vals["start_time"]
            if vals["end_time"] and (not call.end_time or vals["end_time"] > call.end_time):
                update["end_time"] = vals["end_time"]
            if call.state != "ended" and call.id in finished:
                update["state"] = "ended"
            # an agent's leg alone looks like a phone calling itself: only the whole call says whether
            # it is a supervisor's session
            if call.id in finished and bool(values["monitoring"]) != call.monitoring:
                update["monitoring"] = bool(values["monitoring"])
            if update:
                call.write(update)
        return calls

    @api.model
    def _hotline_assign(self, pairs):
        """Move stored CDR rows to another call: ``[(cdr_id, call_id), ...]``, in batches."""
        for chunk in split_every(BATCH, pairs):
            self.env.cr.execute(
                SQL(
                    "UPDATE hotline_call_cdr cdr SET call_id = v.call_id FROM (VALUES %s) AS v(id, call_id) "
                    "WHERE cdr.id = v.id",
                    SQL(", ").join(SQL("(%s, %s)", cdr_id, call_id) for cdr_id, call_id in chunk),
                )
            )
        if pairs:
            self.invalidate_model(["call_id"])
            self.env["hotline.call"].invalidate_model(["cdr_ids"])

    @api.model
    def _hotline_drop_emptied_calls(self, calls):
        """Calls made from CDRs alone that lost their rows to a better grouping (the rest of the call came later)."""
        calls.invalidate_recordset(["cdr_ids"])
        calls = calls.exists().filtered(lambda call: not call.cdr_ids and not call.case_id)
        if not calls:
            return
        with_events = self.env["hotline.call.event"].search([("call_id", "in", calls.ids)]).call_id
        (calls - with_events).unlink()

    @api.model
    def _hotline_resolve(self, pbx, summaries):
        """Set ``partner`` (by the other party's number) and ``user`` (by extension) on each summary, in batch."""
        partners = self.env["res.partner"]
        users = pbx._hotline_users_by_extension({values["extension"] for values in summaries})
        region, area_code = partners._hotline_phone_settings()
        normalized = {}
        for values in summaries:
            number = values["caller_number"] if values["direction"] == "inbound" else values["called_number"]
            if number and number not in normalized:
                normalized[number] = normalize_phone(number, region, area_code)
        phones = [phone for phone in set(normalized.values()) if phone]
        by_phone = {}
        for chunk in split_every(BATCH * 10, phones):
            found = partners.search(
                [
                    "|",
                    ("hotline_phone_normalized", "in", list(chunk)),
                    ("hotline_mobile_normalized", "in", list(chunk)),
                ],
                order="hotline_vip asc, id asc",
            )
            for partner in found:  # the last one wins: VIP first, then the newest, as _hotline_find_by_phone
                for phone in (partner.hotline_phone_normalized, partner.hotline_mobile_normalized):
                    if phone:
                        by_phone[phone] = partner
        for values in summaries:
            number = values["caller_number"] if values["direction"] == "inbound" else values["called_number"]
            values["partner"] = by_phone.get(normalized.get(number), partners)
            values["user"] = users.get(values["extension"], self.env["res.users"])
