"""Daily totals kept beside a report view, so that its pivots and graphs need not aggregate every row.

A report (an SQL view, one row per case or per call) that inherits the mixin keeps, in the table
``<view>_daily``, one row per local day, per value of its ``_rollup_keys`` (columns of the view
kept as they are), with the partial aggregates of its ``_rollup_measures``: count, sum, minimum
and maximum of each. ``_read_group`` answers from these totals when they give exactly what the
view would give, and from the view otherwise:

- the domain, and the record rules of the user, only test the keys, or bound the report's date
  (``_rollup_time_field``) with ``>=`` / ``<`` at a local midnight of the totals' time zone;
- the groups are keys, or the date by day, week, month, quarter or year (or a day's number)
  with the totals' time zone as the user's;
- the aggregates are count, sum, avg, min or max of the measures (avg = sum of the sums /
  sum of the counts, the same numeric division PostgreSQL's avg makes); no float columns.

Freshness: every change of the view's source table (``_rollup_source_table``) notes the hours
of the rows it changes in ``<view>_stale``, in the same transaction: the ORM's inserts, updates of
a column the view reads, and deletions (hotline.report.rollup.source, inherited by the source
model), and the few statements written in SQL (they call ``_rollup_mark_stale``). The table is
insert-only: writers share no lock. A day with a stale hour is read from the view (the rows of
that day only); the cron (``_rollup_refresh``, every 5 minutes) computes those days again in one
snapshot and forgets the stale hours it saw, so that a change committed meanwhile keeps its day
stale. The totals are built again at install and update, and when their time zone or a parameter
of the figures (``_rollup_params``) changed; until then the view answers. (Database triggers would
note the changes of any SQL too, but need PL/pgSQL, which this suite does not require.)
"""

import logging
from collections import Counter
from datetime import date, datetime, time

import pytz

from odoo import api, fields, models
from odoo.models import READ_GROUP_NUMBER_GRANULARITY, parse_read_group_spec
from odoo.osv import expression
from odoo.tools import SQL

_logger = logging.getLogger(__name__)

ROLLUP_CONTEXT_KEY = "_hotline_report_rollup"
NO_ROLLUP_KEY = "hotline_report_no_rollup"  # in the context: the view answers (comparisons, tests)
DAY_GRANULARITIES = {"day", "week", "month", "quarter", "year"} | (
    set(READ_GROUP_NUMBER_GRANULARITY) - {"hour_number", "minute_number", "second_number"}
)
AGGREGATES = {"sum", "avg", "min", "max", "count"}
TZ_PARAM = "hotline_reports.rollup_tz"
FULL_BUILD_DAYS = 100  # more stale days than this: all the totals are built again (one pass over the view)
# the result of a domain for the totals: always true, always false, the same for all the rows of a
# day and key (usable), or not (the view must answer)
TRUE, FALSE, USABLE, UNUSABLE = "true", "false", "usable", "unusable"


class HotlineReportRollupMixin(models.AbstractModel):
    _name = "hotline.report.rollup.mixin"
    _description = "Report with Daily Totals"

    _rollup_time_field = None  # the datetime column of the view the days are cut from
    _rollup_keys = ()  # columns of the view kept in the totals
    _rollup_measures = ()  # integer or numeric columns of the view whose count, sum, min, max are kept
    _rollup_source_table = None  # the table whose changes make days stale
    _rollup_source_time_column = None  # its column giving the view's date

    # ------------------------------------------------------------
    # names and SQL pieces
    # ------------------------------------------------------------

    @property
    def _rollup_table(self):
        return f"{self._table}_daily"

    @property
    def _rollup_state_table(self):
        return f"{self._table}_daily_state"

    @property
    def _rollup_stale_table(self):
        return f"{self._table}_stale"

    def _rollup_params(self):
        """A text of the settings the figures of the view depend on (the totals are built again when it changes)."""
        return ""

    def _rollup_derived(self, alias):
        """(extra columns, joins) computed from the keys of the totals ``alias`` at reading time."""
        return SQL(), SQL()

    def _rollup_derived_fields(self):
        return ()

    @staticmethod
    def _rollup_slot(tz, value):
        """SQL: the UTC instant of the local midnight (in ``tz``) starting the day of the UTC timestamp ``value``."""
        return SQL(
            "timezone('UTC', timezone(%(tz)s, date_trunc('day', timezone(%(tz)s, timezone('UTC', %(value)s)))))",
            tz=tz,
            value=value,
        )

    @staticmethod
    def _rollup_slot_end(tz, slot):
        return SQL(
            "timezone('UTC', timezone(%(tz)s, timezone(%(tz)s, timezone('UTC', %(slot)s)) + interval '1 day'))",
            tz=tz,
            slot=slot,
        )

    def _rollup_partials(self, alias):
        """SQL: the partial aggregates of the rows of the view ``alias``, with their column names."""
        terms = [SQL("count(*) AS rollup_count")]
        for name in self._rollup_measures:
            column = SQL.identifier(alias, name)
            terms += [
                SQL("count(%s) AS %s", column, SQL.identifier(f"{name}__n")),
                SQL("sum(%s) AS %s", column, SQL.identifier(f"{name}__sum")),
                SQL("min(%s) AS %s", column, SQL.identifier(f"{name}__min")),
                SQL("max(%s) AS %s", column, SQL.identifier(f"{name}__max")),
            ]
        return SQL(", ").join(terms)

    def _rollup_key_columns(self, alias):
        return [SQL.identifier(alias, key) for key in self._rollup_keys]

    def _rollup_aggregate_query(self, tz, join=None):
        """SQL: the totals of the view's rows (after ``join``), by day and keys."""
        time_column = SQL.identifier("r", self._rollup_time_field)
        keys = self._rollup_key_columns("r")
        return SQL(
            "SELECT %(slot)s AS %(time_name)s, %(keys)s %(partials)s FROM %(view)s r %(join)s WHERE %(where)s "
            "GROUP BY %(group)s",
            slot=self._rollup_slot(tz, time_column),
            time_name=SQL.identifier(self._rollup_time_field),
            keys=SQL("").join(SQL("%s, ", key) for key in keys),
            partials=self._rollup_partials("r"),
            view=SQL.identifier(self._table),
            join=join or SQL(),
            where=SQL("%s IS NOT NULL", time_column),
            group=SQL(", ").join([SQL("1"), *keys]),
        )

    def _rollup_stale_days(self, tz):
        """SQL: the days (UTC instants of their local midnight) with a stale hour."""
        return SQL(
            """SELECT DISTINCT day.slot
                 FROM %(stale)s st,
                      LATERAL (VALUES (%(first)s), (%(last)s)) AS day(slot)""",
            stale=SQL.identifier(self._rollup_stale_table),
            first=self._rollup_slot(tz, SQL("st.hour")),
            last=self._rollup_slot(tz, SQL("st.hour + interval '1 hour' - interval '1 microsecond'")),
        )

    def _rollup_source_sql(self, tz):
        """SQL: the rows the ORM reads instead of the view: the totals of the days without a stale hour,
        those of the stale days computed from the view, those of the rows without a date."""
        time_name = SQL.identifier(self._rollup_time_field)
        keys = self._rollup_key_columns("r")
        stale_join = SQL(
            "JOIN stale ON r.%(time)s >= stale.slot AND r.%(time)s < %(end)s",
            time=time_name,
            end=self._rollup_slot_end(tz, SQL("stale.slot")),
        )
        undated = SQL(
            "SELECT NULL::timestamp AS %(time)s, %(keys)s %(partials)s FROM %(view)s r WHERE r.%(time)s IS NULL "
            "%(group)s",
            time=time_name,
            keys=SQL("").join(SQL("%s, ", key) for key in keys),
            partials=self._rollup_partials("r"),
            view=SQL.identifier(self._table),
            # without keys, an aggregate of no row would still be one row
            group=SQL("GROUP BY %s", SQL(", ").join(keys)) if keys else SQL("HAVING count(*) > 0"),
        )
        derived, joins = self._rollup_derived("u")
        return SQL(
            """SELECT u.*%(derived)s
                 FROM (WITH stale AS MATERIALIZED (%(stale_days)s)
                       SELECT t.* FROM %(totals)s t WHERE NOT EXISTS (SELECT 1 FROM stale WHERE stale.slot = t.%(time)s)
                       UNION ALL
                       %(live)s
                       UNION ALL
                       %(undated)s) u
                 %(joins)s""",
            derived=derived,
            stale_days=self._rollup_stale_days(tz),
            totals=SQL.identifier(self._rollup_table),
            time=time_name,
            live=self._rollup_aggregate_query(tz, join=stale_join),
            undated=undated,
            joins=joins,
        )

    @property
    def _table_sql(self):
        tz = self.env.context.get(ROLLUP_CONTEXT_KEY)
        if tz:
            return SQL("(%s)", self._rollup_source_sql(tz))
        return super()._table_sql

    # ------------------------------------------------------------
    # building and refreshing the totals
    # ------------------------------------------------------------

    def _rollup_install(self):
        """Creates the tables of the totals and builds them (from init(), after the view)."""
        cr = self.env.cr
        totals = SQL.identifier(self._rollup_table)
        state = SQL.identifier(self._rollup_state_table)
        self._rollup_check_measures()
        cr.execute(SQL("DROP TABLE IF EXISTS %s", totals))
        cr.execute(SQL("DROP TABLE IF EXISTS %s", state))
        cr.execute(SQL("CREATE TABLE %s AS %s WITH NO DATA", totals, self._rollup_aggregate_query("UTC")))
        cr.execute(
            SQL(
                "CREATE INDEX %s ON %s (%s)",
                SQL.identifier(f"{self._rollup_table}_time_index"),
                totals,
                SQL.identifier(self._rollup_time_field),
            )
        )
        cr.execute(SQL("CREATE TABLE %s (tz varchar NOT NULL, params varchar NOT NULL, built_at timestamp)", state))
        cr.execute(
            SQL(
                "CREATE TABLE IF NOT EXISTS %s (id bigserial PRIMARY KEY, hour timestamp NOT NULL)",
                SQL.identifier(self._rollup_stale_table),
            )
        )
        type(self)._rollup_watched = None
        type(self)._rollup_sum_types = None
        self._rollup_build(self._rollup_tz(), self._rollup_params())

    def _rollup_watched_columns(self):
        """The columns of the source table the view reads (PostgreSQL's record of the view's dependencies)."""
        watched = type(self).__dict__.get("_rollup_watched")
        if watched is None:
            self.env.cr.execute(
                """SELECT DISTINCT a.attname
                     FROM pg_rewrite r
                     JOIN pg_depend d ON d.classid = 'pg_rewrite'::regclass AND d.objid = r.oid
                     JOIN pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid
                    WHERE r.ev_class = to_regclass(%s) AND d.refobjid = to_regclass(%s) AND d.refobjsubid > 0""",
                [self._table, self._rollup_source_table],
            )
            watched = frozenset(row[0] for row in self.env.cr.fetchall()) - {"id"}
            if watched:  # the view exists: keep it for the process
                type(self)._rollup_watched = watched
        return watched

    @api.model
    def _rollup_mark_stale(self, ids):
        """Notes the hours of the source rows ``ids`` (in their current state) stale: their days are read
        from the view until the next refresh. Call it before and after a change of these rows made in SQL."""
        if not ids:
            return
        cr = self.env.cr
        if not type(self).__dict__.get("_rollup_stale_exists"):
            cr.execute("SELECT to_regclass(%s)", [self._rollup_stale_table])
            if cr.fetchone()[0] is None:
                return
            type(self)._rollup_stale_exists = True
        cr.execute(
            SQL(
                """INSERT INTO %(stale)s (hour)
                   SELECT DISTINCT date_trunc('hour', %(time)s) FROM %(source)s
                    WHERE id = ANY(%(ids)s) AND %(time)s IS NOT NULL""",
                stale=SQL.identifier(self._rollup_stale_table),
                time=SQL.identifier(self._rollup_source_time_column),
                source=SQL.identifier(self._rollup_source_table),
                ids=list(ids),
            )
        )

    def _rollup_check_measures(self):
        """Float columns would not add up to the view's figures to the last bit: refused."""
        self.env.cr.execute(
            """SELECT column_name, data_type FROM information_schema.columns
                WHERE table_schema = current_schema() AND table_name = %s AND column_name IN %s""",
            [self._table, tuple(self._rollup_measures) or ("",)],
        )
        types = dict(self.env.cr.fetchall())
        wrong = {name: kind for name, kind in types.items() if kind not in ("integer", "bigint", "smallint", "numeric")}
        if wrong or len(types) != len(self._rollup_measures):
            raise ValueError(f"{self._name}: measures of the daily totals must be integer or numeric: {wrong}")

    def _rollup_build(self, tz, params):
        """All the totals computed again (in the current snapshot)."""
        cr = self.env.cr
        cr.execute(SQL("DELETE FROM %s", SQL.identifier(self._rollup_table)))
        cr.execute(SQL("DELETE FROM %s", SQL.identifier(self._rollup_stale_table)))
        # in the order of the days: the totals of a period are then in a few pages of the table
        cr.execute(
            SQL("INSERT INTO %s %s ORDER BY 1", SQL.identifier(self._rollup_table), self._rollup_aggregate_query(tz))
        )
        rows = cr.rowcount
        cr.execute(SQL("DELETE FROM %s", SQL.identifier(self._rollup_state_table)))
        cr.execute(
            SQL(
                "INSERT INTO %s (tz, params, built_at) VALUES (%s, %s, now() at time zone 'UTC')",
                SQL.identifier(self._rollup_state_table),
                tz,
                params,
            )
        )
        _logger.info("%s: daily totals built (%s rows, time zone %s)", self._name, rows, tz)
        return rows

    def _rollup_state(self):
        """(tz, params) the totals were built with, or None."""
        cr = self.env.cr
        cr.execute("SELECT to_regclass(%s), to_regclass(%s)", [self._rollup_state_table, self._rollup_stale_table])
        if None in cr.fetchone():
            return None
        cr.execute(SQL("SELECT tz, params FROM %s", SQL.identifier(self._rollup_state_table)))
        return cr.fetchone()

    @api.model
    def _rollup_tz(self):
        """The time zone of the days: the setting, else the most common one of the hotline's staff."""
        tz = self.env["ir.config_parameter"].sudo().get_param(TZ_PARAM)
        if tz in pytz.all_timezones_set:
            return tz
        group = self.env.ref("hotline_base.group_hotline_operator", raise_if_not_found=False)
        users = group.sudo().users.filtered(lambda user: not user.share) if group else self.env["res.users"]
        zones = Counter(user.tz for user in users if user.tz in pytz.all_timezones_set)
        if zones:
            return min(zones.items(), key=lambda item: (-item[1], item[0]))[0]
        return self.env.company.partner_id.tz or "UTC"

    @api.model
    def _rollup_refresh(self):
        """Computes the stale days again (all the totals when their time zone or parameters changed).

        In one snapshot: the stale hours forgotten are those it saw, a change committed meanwhile
        keeps its day stale. Returns the number of rows written, or None when another refresh runs.
        """
        cr = self.env.cr
        cr.execute("SELECT pg_try_advisory_xact_lock(hashtext(%s))", [self._rollup_table])
        if not cr.fetchone()[0]:
            return None
        state = self._rollup_state()
        if state is None:
            return None
        tz, params = self._rollup_tz(), self._rollup_params()
        if state != (tz, params):
            return self._rollup_build(tz, params)
        stale_days = self._rollup_stale_days(tz)
        cr.execute(SQL("SELECT count(*) FROM (%s) AS stale", stale_days))
        if cr.fetchone()[0] > FULL_BUILD_DAYS:
            return self._rollup_build(tz, params)
        time_name = SQL.identifier(self._rollup_time_field)
        cr.execute(
            SQL(
                "DELETE FROM %(totals)s t USING (%(stale)s) AS stale WHERE t.%(time)s = stale.slot",
                totals=SQL.identifier(self._rollup_table),
                stale=stale_days,
                time=time_name,
            )
        )
        join = SQL(
            "JOIN (%(stale)s) AS stale ON r.%(time)s >= stale.slot AND r.%(time)s < %(end)s",
            stale=stale_days,
            time=time_name,
            end=self._rollup_slot_end(tz, SQL("stale.slot")),
        )
        cr.execute(
            SQL(
                "INSERT INTO %s %s ORDER BY 1",
                SQL.identifier(self._rollup_table),
                self._rollup_aggregate_query(tz, join=join),
            )
        )
        rows = cr.rowcount
        cr.execute(SQL("DELETE FROM %s", SQL.identifier(self._rollup_stale_table)))
        return rows

    @api.model
    def _cron_refresh_rollups(self):
        """The cron: every report with daily totals refreshes its stale days."""
        for name in self.env.registry.descendants([self._name], "_inherit"):
            if not self.env[name]._abstract:
                self.env[name].sudo()._rollup_refresh()

    # ------------------------------------------------------------
    # reading from the totals
    # ------------------------------------------------------------

    def _rollup_usable_tz(self, groupby, aggregates, having, order):
        """The time zone of the totals when they can answer this _read_group exactly, else None."""
        if self.env.context.get(ROLLUP_CONTEXT_KEY) or self.env.context.get(NO_ROLLUP_KEY) or not self._rollup_measures:
            return None
        keys = set(self._rollup_keys) | set(self._rollup_derived_fields())
        by_time = False
        for spec in groupby:
            fname, path, granularity = parse_read_group_spec(spec)
            if path:
                return None
            if fname == self._rollup_time_field and granularity in DAY_GRANULARITIES:
                by_time = True
            elif fname not in keys or granularity:
                return None
        for spec in list(aggregates) + [leaf[0] for leaf in having if isinstance(leaf, (list, tuple))]:
            if spec == "__count":
                continue
            fname, path, func = parse_read_group_spec(spec)
            if path or fname not in self._rollup_measures or func not in AGGREGATES:
                return None
        for term in (order or "").split(","):
            words = term.strip().split()
            if words and words[0] not in set(groupby) | set(aggregates) | {"__count"}:
                return None
        state = self._rollup_state()
        if state is None:
            return None
        tz, params = state
        if params != self._rollup_params():
            return None
        if by_time:
            user_tz = self.env.context.get("tz")
            if (user_tz if user_tz in pytz.all_timezones_set else "UTC") != tz:
                return None
        return tz

    def _rollup_domain(self, domain, tz):
        """TRUE, FALSE, USABLE or UNUSABLE: what ``domain`` is for the totals."""
        tokens = list(expression.normalize_domain(domain))

        def parse():
            token = tokens.pop(0)
            if token == expression.NOT_OPERATOR:
                kind = parse()
                return {TRUE: FALSE, FALSE: TRUE}.get(kind, kind)
            if token in (expression.AND_OPERATOR, expression.OR_OPERATOR):
                kinds = {parse(), parse()}
                absorbing, neutral = (FALSE, TRUE) if token == expression.AND_OPERATOR else (TRUE, FALSE)
                if absorbing in kinds:
                    return absorbing
                if UNUSABLE in kinds:
                    return UNUSABLE
                return neutral if kinds == {neutral} else USABLE
            return self._rollup_leaf(token, tz)

        return parse()

    def _rollup_leaf(self, leaf, tz):
        """What a domain leaf is for the totals: a test of a key, or of the date at a local midnight."""
        if tuple(leaf) == expression.TRUE_LEAF:
            return TRUE
        if tuple(leaf) == expression.FALSE_LEAF:
            return FALSE
        left, operator, right = leaf
        if not isinstance(left, str):
            return UNUSABLE
        if operator in ("in", "child_of", "parent_of") and isinstance(right, (list, tuple)) and not right:
            return FALSE
        if left.split(".", 1)[0] in set(self._rollup_keys) | set(self._rollup_derived_fields()):
            return USABLE
        if left == self._rollup_time_field:
            if operator in ("=", "!=") and right is False:
                return USABLE
            if operator in (">=", "<") and self._rollup_at_midnight(right, tz):
                return USABLE
        return UNUSABLE

    @staticmethod
    def _rollup_at_midnight(value, tz):
        """Whether a bound of a datetime domain (UTC) is a local midnight in ``tz``."""
        if isinstance(value, datetime):
            moment = value
        elif isinstance(value, date):
            moment = datetime.combine(value, time.min)  # the ORM reads a date as its midnight UTC
        elif isinstance(value, str):
            try:
                moment = fields.Datetime.to_datetime(value)
            except ValueError:
                return False
        else:
            return False
        local = pytz.utc.localize(moment).astimezone(pytz.timezone(tz))
        return (local.hour, local.minute, local.second, local.microsecond) == (0, 0, 0, 0)

    def _read_group(self, domain, groupby=(), aggregates=(), having=(), offset=0, limit=None, order=None):
        tz = self._rollup_usable_tz(groupby, aggregates, having, order)
        if tz:
            self.browse().check_access("read")
            rules = [] if self.env.su else self.env["ir.rule"]._compute_domain(self._name, "read")
            rules_kind = self._rollup_domain(rules, tz) if rules else TRUE
            if rules_kind != UNUSABLE and self._rollup_domain(domain or [], tz) != UNUSABLE:
                # rules always true (e.g. a user of no district): read without them, as their SQL may
                # name columns the totals lack; otherwise they only test keys and apply as usual
                model = self.sudo() if rules_kind == TRUE else self
                rows = super(HotlineReportRollupMixin, model.with_context(**{ROLLUP_CONTEXT_KEY: tz}))._read_group(
                    domain, groupby, aggregates, having, offset, limit, order
                )
                return [
                    tuple(value.with_env(self.env) if isinstance(value, models.BaseModel) else value for value in row)
                    for row in rows
                ]
        return super()._read_group(domain, groupby, aggregates, having, offset, limit, order)

    def _read_group_select(self, aggregate_spec, query):
        if not self.env.context.get(ROLLUP_CONTEXT_KEY):
            return super()._read_group_select(aggregate_spec, query)

        def column(name):
            return SQL.identifier(query.table, name)

        if aggregate_spec == "__count":
            return SQL("SUM(%s)::bigint", column("rollup_count"))
        fname, _path, func = parse_read_group_spec(aggregate_spec)
        sum_type = self._rollup_sum_type(fname)
        if func == "count":
            return SQL("SUM(%s)::bigint", column(f"{fname}__n"))
        if func == "sum":
            # sum(bigint) is numeric: back to the type of the view's own sum
            return SQL("SUM(%s)::%s", column(f"{fname}__sum"), SQL(sum_type))
        if func == "avg":
            # what avg() computes: the numeric division of the sum by the count
            return SQL("(SUM(%s)::numeric / NULLIF(SUM(%s), 0))", column(f"{fname}__sum"), column(f"{fname}__n"))
        return SQL("%s(%s)", SQL(func.upper()), column(f"{fname}__{func}"))

    def _rollup_sum_type(self, fname):
        """The type of the view's own sum of ``fname`` (that of the totals' partial sums)."""
        types = type(self).__dict__.get("_rollup_sum_types")
        if not types:
            self.env.cr.execute(
                """SELECT column_name, data_type FROM information_schema.columns
                    WHERE table_schema = current_schema() AND table_name = %s""",
                [self._rollup_table],
            )
            rows = self.env.cr.fetchall()
            types = {name.removesuffix("__sum"): kind for name, kind in rows if name.endswith("__sum")}
            type(self)._rollup_sum_types = types
        return {"bigint": "bigint", "numeric": "numeric"}[types[fname]]


class HotlineReportRollupSource(models.AbstractModel):
    """On the source table of reports with daily totals: every change the ORM writes notes its hours stale
    (before the change and, when the date moves, after it). Code changing these rows in SQL calls
    ``_rollup_mark_stale`` of the reports itself (see hotline_report_case.py, hotline_report_call.py)."""

    _name = "hotline.report.rollup.source"
    _description = "Source of Reports with Daily Totals"

    _rollup_reports = ()  # the reports (hotline.report.rollup.mixin) reading this table

    def _rollup_reports_reading(self, fnames):
        return [
            self.env[name]
            for name in self._rollup_reports
            if name in self.env and set(fnames) & self.env[name]._rollup_watched_columns()
        ]

    def _rollup_mark_stale_rows(self, ids=None):
        for name in self._rollup_reports:
            if name in self.env:
                self.env[name]._rollup_mark_stale(self.ids if ids is None else ids)

    @api.model
    def _create(self, data_list):
        records = super()._create(data_list)
        records._rollup_mark_stale_rows()
        return records

    def _write_multi(self, vals_list):
        reports = self._rollup_reports_reading({fname for vals in vals_list for fname in vals})
        for report in reports:
            report._rollup_mark_stale(self.ids)
        super()._write_multi(vals_list)
        for report in reports:
            if any(report._rollup_source_time_column in vals for vals in vals_list):
                report._rollup_mark_stale(self.ids)

    def unlink(self):
        self._rollup_mark_stale_rows()
        return super().unlink()
