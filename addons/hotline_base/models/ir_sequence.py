import re
from datetime import datetime

import pytz

from odoo import api, fields, models
from odoo.tools import ormcache

# The only prefix/suffix keys of a sequence whose value is the same for every number drawn on one day
# (the time of day and the "current" keys change within a day).
_DAY_KEYS = {"year", "month", "day", "y", "doy", "woy", "weekday"}
_KEY = re.compile(r"%\((\w+)\)")


def _day_key(day):
    return fields.Date.to_string(fields.Date.to_date(day))


class IrSequence(models.Model):
    # a change of sequences changes what _hotline_sequence_plan cached
    _inherit = ["ir.sequence", "hotline.cached.config.mixin"]
    _name = "ir.sequence"

    @api.model
    def _hotline_next_by_code(self, code, sequence_date=None):
        """``next_by_code`` in one query for a registration's numbers (a case, its processing number).

        ``next_by_code`` looks up the sequence and its date range and reads them (three or four queries)
        for every number; here the sequence's PostgreSQL sequence and interpolated prefix and suffix for the
        day are cached until a sequence or a date range changes, and only ``nextval`` runs. Sequences it
        cannot draw the same way (no-gap implementation, time-of-day keys, a date range still to create)
        go through ``next_by_code``, which gives the same numbers.
        """
        self.browse().check_access("read")
        range_day = sequence_date or self.env.context.get("ir_sequence_date") or fields.Date.today()
        prefix_day = self.env.context.get("ir_sequence_date") or self._hotline_today_in_context_tz()
        plan = self._hotline_sequence_plan(code, self.env.company.id, _day_key(range_day), _day_key(prefix_day))
        if not plan:
            return self.next_by_code(code, sequence_date=sequence_date)
        pg_sequence, prefix, suffix, padding = plan
        self.env.cr.execute("SELECT nextval(%s)", [pg_sequence])
        return f"{prefix}{self.env.cr.fetchone()[0]:0{padding}d}{suffix}"

    @api.model
    def _hotline_today_in_context_tz(self):
        # the day ``_get_prefix_suffix`` interpolates when no ir_sequence_date is given
        return datetime.now(pytz.timezone(self.env.context.get("tz") or "UTC")).date()

    @api.model
    @ormcache("code", "company_id", "range_day", "prefix_day")
    def _hotline_sequence_plan(self, code, company_id, range_day, prefix_day):
        """(PostgreSQL sequence, prefix, suffix, padding) of the sequence ``code`` on that day, or None."""
        # sudo: the caller checked read access; the cached answer must not depend on who asked first
        sequence = self.sudo().search(
            [("code", "=", code), ("company_id", "in", [company_id, False])], order="company_id", limit=1
        )
        if not sequence or sequence.implementation != "standard" or not sequence._hotline_prefix_by_day():
            return None
        if not sequence.use_date_range:
            interpolated = sequence.with_context(ir_sequence_date=prefix_day)._get_prefix_suffix()
            return (f"ir_sequence_{sequence.id:03d}", *interpolated, sequence.padding)
        date_range = (
            self.env["ir.sequence.date_range"]
            .sudo()
            .search(
                [("sequence_id", "=", sequence.id), ("date_from", "<=", range_day), ("date_to", ">=", range_day)],
                limit=1,
            )
        )
        if not date_range:
            return None
        interpolated = sequence.with_context(
            ir_sequence_date=prefix_day, ir_sequence_date_range=date_range.date_from
        )._get_prefix_suffix()
        return (f"ir_sequence_{sequence.id:03d}_{date_range.id:03d}", *interpolated, sequence.padding)

    def _hotline_prefix_by_day(self):
        """Whether the prefix and suffix only use keys that stay the same all day."""
        self.ensure_one()
        keys = set(_KEY.findall((self.prefix or "") + (self.suffix or "")))
        allowed = _DAY_KEYS | ({f"range_{key}" for key in _DAY_KEYS} if self.use_date_range else set())
        return keys <= allowed
