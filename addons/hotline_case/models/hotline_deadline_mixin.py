from collections import defaultdict

import pytz
from markupsafe import Markup, escape

from odoo import _, api, fields, models
from odoo.tools import SQL, format_datetime
from odoo.tools.sql import create_index


class HotlineDeadlineMixin(models.AbstractModel):
    """Time limits of a record that moves through stages: the deadline of the current stage, a reminder
    before it (the policy's warning ratio), the overdue mark set by the cron, the stage log with its
    duration in working hours, extensions, and the digest sent to whoever must act.

    The inheriting model is a ``mail.thread`` with a ``state`` selection, a ``company_id`` and the fields
    ``hotline.sla.policy._match_policy`` reads (category, service type, priority); it may name a stage
    log model (``_hotline_stage_log_model``, linked by ``_hotline_stage_log_field``) and refine the hooks
    ``_hotline_deadline_states``, ``_hotline_calendar``, ``_hotline_stage_log_vals`` and
    ``_hotline_deadline_recipients``.
    """

    _name = "hotline.deadline.mixin"
    _description = "Hotline Time Limits"

    # the model of the stage log and its many2one to the record (both False: no stage log)
    _hotline_stage_log_model = False
    _hotline_stage_log_field = False

    sla_policy_id = fields.Many2one("hotline.sla.policy", string="Time Limit Policy", tracking=True, copy=False)
    stage_start = fields.Datetime(
        string="Stage Started", readonly=True, copy=False, help="When the case entered its current stage."
    )
    # Closed records keep no deadline, so an index on the non-empty values is the index of the open
    # records the cron reads (as small as a partial index on the open states).
    deadline = fields.Datetime(readonly=True, copy=False, index="btree_not_null", help="Deadline of the current stage.")
    warning_at = fields.Datetime(
        string="Warning From",
        readonly=True,
        copy=False,
        index="btree_not_null",
        help="A reminder is sent from this moment on.",
    )
    is_overdue = fields.Boolean(string="Overdue", readonly=True, copy=False)
    overdue_state = fields.Selection(
        [("on_time", "On Time"), ("warning", "Due Soon"), ("overdue", "Overdue")],
        string="Time Limit Status",
        default="on_time",
        required=True,
        readonly=True,
        copy=False,
    )
    remaining_hours = fields.Float(
        string="Hours Left", compute="_compute_remaining_hours", help="Hours until the deadline (negative: late)."
    )

    # ------------------------------------------------------------
    # HOOKS
    # ------------------------------------------------------------

    @api.model
    def _hotline_deadline_states(self):
        """The states that run against a deadline (the open ones)."""
        return tuple(
            state
            for state, _label in self._fields["state"]._description_selection(self.env)
            if state not in ("done", "cancel")
        )

    def _hotline_calendar(self):
        """The calendar the time limits run on, or an empty one for round-the-clock policies."""
        self.ensure_one()
        if self.sla_policy_id and not self.sla_policy_id.working_time:
            return self.env["resource.calendar"]
        return self.company_id.resource_calendar_id or self.env.company.resource_calendar_id

    def _hotline_stage_start(self, now):
        """When the current stage's time limit starts."""
        self.ensure_one()
        return now

    def _hotline_stage_log_vals(self, now):
        """The values of the stage log line opened when the record enters its current stage."""
        self.ensure_one()
        return {
            self._hotline_stage_log_field: self.id,
            "state": self.state,
            "user_id": self.env.user.id,
            "date_in": now,
        }

    def _hotline_stage_starts(self):
        """{record id: when its current stage started}: ``stage_start``, or for a record without one (data
        written before it existed) the ``date_in`` of its open stage-log line."""
        starts = {record.id: record.stage_start for record in self}
        unknown = [record_id for record_id, start in starts.items() if not start]
        if unknown:
            field = self._hotline_stage_log_field
            # sudo: the stage log is written by the workflow only, users just read it
            Log = self.env[self._hotline_stage_log_model].sudo()
            lines = Log.search_fetch([(field, "in", unknown), ("date_out", "=", False)], [field, "date_in"])
            starts.update({line[field].id: line.date_in for line in lines})
        return starts

    @api.model
    def _hotline_overdue_set_sql(self):
        """More columns the cron sets when it marks records overdue (``SQL`` of ``column = value, ...``)."""
        return SQL()

    def _hotline_deadline_recipients(self):
        """{partner id: [record ids]}: who hears about a record due soon or overdue (its ``user_id``)."""
        recipients = defaultdict(list)
        if "user_id" not in self._fields:
            return recipients
        # sudo: the recipients' partners, whoever runs the cron
        for record in self.sudo():
            if record.user_id.partner_id:
                recipients[record.user_id.partner_id.id].append(record.id)
        return recipients

    def init(self):
        super().init()
        if self._abstract:
            return
        # The cron looks for the few records due that it has not marked yet, among many open ones already
        # marked (most overdue records stay open for days): these small partial indexes hold only the
        # records still to mark, in the order the cron takes them (docs/BENCHMARKS.md, scheduled run)
        create_index(
            self.env.cr,
            f"{self._table}_deadline_due_index",
            self._table,
            ["deadline"],
            where="overdue_state != 'overdue' AND deadline IS NOT NULL",
        )
        create_index(
            self.env.cr,
            f"{self._table}_warning_due_index",
            self._table,
            ["warning_at"],
            where="overdue_state = 'on_time' AND warning_at IS NOT NULL",
        )

    # ------------------------------------------------------------
    # COMPUTES
    # ------------------------------------------------------------

    @api.depends("deadline", "state")
    def _compute_remaining_hours(self):
        now = fields.Datetime.now()
        open_states = self._hotline_deadline_states()
        for record in self:
            if record.deadline and record.state in open_states:
                record.remaining_hours = round((record.deadline - now).total_seconds() / 3600.0, 2)
            else:
                record.remaining_hours = 0.0

    # ------------------------------------------------------------
    # BUSINESS: time limits
    # ------------------------------------------------------------

    @api.model
    def _hotline_first_stage_fields(self):
        """The fields the time-limit policy and the first stage's deadline are computed from."""
        return ["state", "company_id", "sla_policy_id"]

    @api.model
    def _hotline_prepare_first_stage(self, vals_list, now):
        """Add the time-limit policy and the first stage's deadline to the values of records about to be
        created, so that each is inserted with them (no UPDATE after the INSERT). They are computed on a
        draft record holding the values and defaults of ``_hotline_first_stage_fields`` (the defaults are
        not added to the values: ``create`` treats given values and defaults differently, e.g. followers)."""
        Policy = self.env["hotline.sla.policy"]
        default = None
        names = self._hotline_first_stage_fields()
        defaults = self.default_get([name for name in names if any(name not in vals for vals in vals_list)])
        for vals in vals_list:
            draft = self.new({name: vals[name] if name in vals else defaults.get(name) for name in names})
            if not draft.sla_policy_id:
                policy = Policy._match_policy(draft)
                if not policy:
                    default = Policy._get_default_policy() if default is None else default
                    policy = default
                draft.sla_policy_id = policy
            vals["sla_policy_id"] = draft.sla_policy_id.id
            vals.update(draft._hotline_stage_deadline_vals(now))

    def _hotline_add_hours(self, start, hours):
        self.ensure_one()
        return self.env["hotline.working.time"]._add_working_hours(self._hotline_calendar(), start, hours)

    def _hotline_hours_between(self, start, end, calendar=None):
        self.ensure_one()
        calendar = self._hotline_calendar() if calendar is None else calendar
        return self.env["hotline.working.time"]._working_hours_between(calendar, start, end)

    @api.model
    def _hotline_overdue_state(self, now, warning_at, deadline):
        if deadline and now > deadline:
            return "overdue"
        if warning_at and now >= warning_at:
            return "warning"
        return "on_time"

    def _hotline_stage_deadline_vals(self, now):
        """Deadline, warning moment and status for the stage the record has just entered."""
        self.ensure_one()
        vals = {"stage_start": now, "deadline": False, "warning_at": False}
        policy = self.sla_policy_id
        if policy and self.state in self._hotline_deadline_states():
            hours = policy._get_stage_hours(self.state)
            start = self._hotline_stage_start(now)
            if hours:
                vals["deadline"] = self._hotline_add_hours(start, hours)
                vals["warning_at"] = self._hotline_add_hours(start, hours * policy.warning_ratio)
        return self._hotline_with_overdue_state(vals, now)

    def _hotline_with_overdue_state(self, vals, now):
        vals["overdue_state"] = self._hotline_overdue_state(now, vals["warning_at"], vals["deadline"])
        vals["is_overdue"] = vals["overdue_state"] == "overdue"
        return vals

    def _hotline_enter_stage(self):
        """Start the stage the records have just been moved to by a write: time limit and an open stage-log
        line."""
        now = fields.Datetime.now()
        # the user's right to write the records checked once for all, not once per record (an import)
        self.check_access("write")
        # mail_notrack: the write that changed the stage has prepared the tracking of every tracked field,
        # so the new time limit is in the same tracking message
        records = self.sudo().with_context(mail_notrack=True)
        for record in records:
            # past the guard on the workflow fields: entering a stage is the workflow itself; sudo: past
            # the access check too, made above for all the records (the user stays the author)
            super(HotlineDeadlineMixin, record).write(record._hotline_stage_deadline_vals(now))
        self._hotline_open_stage_logs(now)

    def _hotline_open_stage_logs(self, now):
        """Open the stage-log lines of the records' current stage (entered at ``now``)."""
        if self._hotline_stage_log_model:
            # sudo: the stage log is written by the workflow only, users just read it
            self.env[self._hotline_stage_log_model].sudo().create(
                [record._hotline_stage_log_vals(now) for record in self]
            )

    def _hotline_leave_stage(self):
        """Close the open stage-log lines of records about to leave their stage (called before the write
        that moves them): duration in working hours and whether the deadline was missed, counted on the
        calendar of the stage being left (``_hotline_calendar`` of the record as it still is).

        Raw SQL on purpose: one set-based UPDATE for all the records, instead of a search for the open
        lines and a write per line, runs on every move of a record (0.4 ms of a case's 5.8 ms acceptance,
        docs/BENCHMARKS.md). The open line started with the stage: its ``date_in`` is the record's
        ``stage_start`` (both set by ``_hotline_enter_stage``), so the duration needs no read of the line.
        """
        if not self or not self._hotline_stage_log_model:
            return
        now = fields.Datetime.now()
        # sudo: the stage log is written by the workflow only, users just read it
        Log = self.env[self._hotline_stage_log_model].sudo()
        # lines opened or changed earlier in this transaction are in the table before the UPDATE
        Log.flush_model()
        starts = self._hotline_stage_starts()
        rows = [
            SQL(
                "(%s, %s::timestamp, %s::float8, %s)",
                record.id,
                record.deadline or None,
                round(record._hotline_hours_between(starts[record.id], now), 2) if starts.get(record.id) else 0.0,
                bool(record.deadline and now > record.deadline),
            )
            for record in self
        ]
        self.env.cr.execute(
            SQL(
                """
                UPDATE %(table)s log
                   SET date_out = %(now)s,
                       deadline = leaving.deadline,
                       working_hours = leaving.working_hours,
                       overdue = log.overdue OR leaving.missed,
                       write_uid = %(uid)s,
                       write_date = %(now)s
                  FROM (VALUES %(rows)s) AS leaving (record_id, deadline, working_hours, missed)
                 WHERE log.%(field)s = leaving.record_id AND log.date_out IS NULL
             RETURNING log.id
                """,
                table=SQL.identifier(Log._table),
                field=SQL.identifier(self._hotline_stage_log_field),
                now=now,
                uid=self.env.uid,
                rows=SQL(", ").join(rows),
            )
        )
        logs = Log.browse(log_id for (log_id,) in self.env.cr.fetchall())
        closed_fields = ["date_out", "deadline", "working_hours", "overdue", "write_uid", "write_date"]
        logs.invalidate_recordset(closed_fields)
        logs.modified(closed_fields)

    def _hotline_extend_deadline(self, new_deadline, extension=None):
        """Move the current stage's deadline (an approved extension request)."""
        self.ensure_one()
        self._hotline_write(self._hotline_extended_deadline_vals(new_deadline))
        reason = extension.reason if extension else ""
        self.message_post(
            body=_(
                "Deadline extended to %(deadline)s: %(reason)s",
                deadline=format_datetime(self.env, new_deadline, tz=self._hotline_tz()),
                reason=reason,
            ),
            partner_ids=self._hotline_extension_partners().ids,
        )

    def _hotline_extension_partners(self):
        """Who hears that the deadline moved."""
        return self.env["res.partner"]

    def _hotline_write(self, vals):
        """The workflow's own write, past the guard on its fields: the caller checked state and role."""
        self.check_access("write")
        # sudo: past the guard only (the user stays the author of the change and of its tracking)
        return self.sudo().write(vals)

    def _hotline_extended_deadline_vals(self, new_deadline):
        self.ensure_one()
        vals = {"deadline": new_deadline, "warning_at": new_deadline}
        if self.deadline and self.warning_at and self.warning_at < self.deadline:
            # keep the same notice before the new deadline
            vals["warning_at"] = new_deadline - (self.deadline - self.warning_at)
        return self._hotline_with_overdue_state(vals, fields.Datetime.now())

    # ------------------------------------------------------------
    # BUSINESS: the deadline cron
    # ------------------------------------------------------------

    @api.model
    def _cron_check_deadlines(self, batch_size=100):
        """Mark records due soon and overdue, set-based, and notify the records that changed.

        At most ``batch_size`` of each per run: every change costs a chatter note and a digest line
        (about a millisecond each), so a run stays short (its transaction holds the rows it marks) and
        the cron runs again at once while a run found a full batch.
        """
        now = fields.Datetime.now()
        self.env.flush_all()
        overdue_ids = self._hotline_mark_overdue(now, batch_size)
        warning_ids = self._hotline_mark_warning(now, batch_size)
        self.invalidate_model(["overdue_state", "is_overdue", "write_date", *self._hotline_overdue_set_fields()])
        self.browse(overdue_ids)._hotline_notify_deadline("overdue")
        self.browse(warning_ids)._hotline_notify_deadline("warning")
        if len(overdue_ids) >= batch_size or len(warning_ids) >= batch_size:
            # more to do: let the cron run again right away
            self.env["ir.cron"]._notify_progress(done=len(overdue_ids) + len(warning_ids), remaining=1)
        return overdue_ids, warning_ids

    @api.model
    def _hotline_overdue_set_fields(self):
        """The fields ``_hotline_overdue_set_sql`` sets (to invalidate)."""
        return []

    @api.model
    def _hotline_mark_overdue(self, now, limit):
        """Records past their deadline become overdue, and so does their open stage-log line.

        Raw SQL on purpose: one set-based statement that skips the rows a user is changing (SKIP LOCKED)
        marks 100,000 records in about a second; the ORM would load and write them one by one.
        """
        extra = self._hotline_overdue_set_sql()
        log_sql = SQL()
        if self._hotline_stage_log_model:
            log_sql = SQL(
                """, logs AS (
                    UPDATE %(log_table)s log
                       SET overdue = TRUE
                      FROM updated
                     WHERE log.%(log_field)s = updated.id AND log.date_out IS NULL
                )""",
                log_table=SQL.identifier(self.env[self._hotline_stage_log_model]._table),
                log_field=SQL.identifier(self._hotline_stage_log_field),
            )
        self.env.cr.execute(
            SQL(
                """
                WITH todo AS (
                    SELECT id FROM %(table)s
                     WHERE state IN %(states)s
                       AND deadline < %(now)s
                       AND overdue_state != 'overdue'
                     ORDER BY deadline
                     LIMIT %(limit)s
                       FOR UPDATE SKIP LOCKED
                ), updated AS (
                    UPDATE %(table)s c
                       SET overdue_state = 'overdue',
                           is_overdue = TRUE,
                           %(extra)s
                           write_date = %(now)s
                      FROM todo
                     WHERE c.id = todo.id
                 RETURNING c.id
                )%(log_sql)s
                SELECT id FROM updated
                """,
                table=SQL.identifier(self._table),
                now=now,
                states=self._hotline_deadline_states(),
                extra=SQL("%s,", extra) if extra else SQL(),
                limit=limit,
                log_sql=log_sql,
            )
        )
        ids = [row[0] for row in self.env.cr.fetchall()]
        if ids and self._hotline_stage_log_model:
            self.env[self._hotline_stage_log_model].invalidate_model(["overdue"])
        return ids

    @api.model
    def _hotline_mark_warning(self, now, limit):
        """Records past their warning moment but not their deadline become due soon: one statement
        (raw SQL for the reason given in ``_hotline_mark_overdue``)."""
        self.env.cr.execute(
            SQL(
                """
                WITH todo AS (
                    SELECT id FROM %(table)s
                     WHERE state IN %(states)s
                       AND warning_at <= %(now)s
                       AND (deadline IS NULL OR deadline >= %(now)s)
                       AND overdue_state = 'on_time'
                     ORDER BY warning_at
                     LIMIT %(limit)s
                       FOR UPDATE SKIP LOCKED
                )
                UPDATE %(table)s c
                   SET overdue_state = 'warning', write_date = %(now)s
                  FROM todo
                 WHERE c.id = todo.id
             RETURNING c.id
                """,
                table=SQL.identifier(self._table),
                now=now,
                states=self._hotline_deadline_states(),
                limit=limit,
            )
        )
        return [row[0] for row in self.env.cr.fetchall()]

    # ------------------------------------------------------------
    # BUSINESS: notices and digests
    # ------------------------------------------------------------

    def _hotline_notify_deadline(self, kind):
        """Log the change on every record and send each recipient one digest."""
        if not self:
            return
        self._hotline_log_deadline(kind)
        Partner = self.env["res.partner"]
        for partner_id, record_ids in self._hotline_deadline_recipients().items():
            self.browse(record_ids)._hotline_send_digest(Partner.browse(partner_id), kind)

    def _hotline_log_deadline(self, kind):
        """A chatter note on each record, logged in one batch: the cron may change thousands at once."""
        if kind == "overdue":
            template = self.env._("Time limit exceeded (deadline %s).")
        else:
            template = self.env._("Time limit due soon (deadline %s).")
        tz = pytz.timezone(self.env.company.resource_calendar_id.tz or self._hotline_tz())
        self.fetch(["deadline"])
        bodies = {
            record.id: escape(template % (self._hotline_local_minute(record.deadline, tz) if record.deadline else ""))
            for record in self
        }
        # sudo: the cron's notes are the system's, whoever runs it (OdooBot is their author)
        self.sudo()._message_log_batch(bodies, author_id=self.env.ref("base.partner_root").id)

    @api.model
    def _hotline_local_minute(self, value, tz):
        """``value`` (naive UTC) as ``YYYY-MM-DD HH:MM`` in ``tz``: no locale, thousands of times per run."""
        return pytz.utc.localize(value).astimezone(tz).strftime("%Y-%m-%d %H:%M")

    @api.model
    def _hotline_tz(self):
        """The time zone deadlines are shown in: the user's, else the centre's working calendar's."""
        return self.env.user.tz or self.env.company.resource_calendar_id.tz or "UTC"

    def _hotline_send_digest(self, partner, kind):
        if kind == "overdue":
            subject = _("%s case(s) are overdue", len(self))
        else:
            subject = _("%s case(s) are due soon", len(self))
        # the deadlines in the recipient's time zone, else the centre's
        tz = pytz.timezone(partner.tz or self.env.company.resource_calendar_id.tz or "UTC")
        lines = Markup("").join(
            Markup("<li>%s — %s (%s)</li>")
            % (
                record.display_name,
                record._hotline_digest_line(),
                self._hotline_local_minute(record.deadline, tz) if record.deadline else "",
            )
            for record in self[:50]
        )
        body = Markup("<p>%s</p><ul>%s</ul>") % (subject, lines)
        # sudo: the cron's digest goes to people who may not read every listed record themselves
        self.env["mail.thread"].sudo().message_notify(
            partner_ids=partner.ids,
            subject=subject,
            body=body,
            model=self._name,
            res_id=self[:1].id,
        )
        partner._bus_send(
            "hotline/supervision",
            {
                "title": subject,
                "message": ", ".join(self[:10].mapped("display_name")),
                "level": kind,
                "case_id": self[:1].id,
            },
        )

    def _hotline_digest_line(self):
        """What a digest says about the record after its name."""
        self.ensure_one()
        return ""
