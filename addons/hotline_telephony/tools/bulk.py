"""Bulk insert for the CDR import: COPY, straight into the table or into a temporary table then
one INSERT ... SELECT.

Adapting hundreds of thousands of Python values into SQL parameters costs more than the
insert itself; COPY streams them as text lines (cheaper to write than CSV), written while COPY
sends them: the server stores the first rows while Python writes the next ones.
"""

import contextlib
import gc
import itertools

from odoo.tools import SQL

TYPES = {"varchar": SQL("varchar"), "int4": SQL("int4"), "timestamp": SQL("timestamp"), "bool": SQL("bool")}
BATCH = 2000  # records written per read of the COPY
# COPY's text format, an empty field being NULL (as the ORM stores an empty text)
COPY_OPTIONS = "(FORMAT text, NULL '')"
ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def copy_line(values):
    """A line of COPY's text format (without its newline) for a tuple of str, int, datetime, bool or
    None (None and '' are NULL). The fields are joined as they are, then escaped when one holds a tab,
    a newline or a backslash (rare: CDRs are single lines)."""
    line = "\t".join(["" if value is None else str(value) for value in values])
    if not is_plain_line(line, len(values)):
        line = "\t".join(["" if value is None else str(value).translate(ESCAPES) for value in values])
    return line


def is_plain_line(line, fields):
    """Whether ``line``, the ``fields`` values of a record joined with tabs, is a COPY line as it is."""
    return "\\" not in line and "\n" not in line and "\r" not in line and line.count("\t") == fields - 1


class CopyStream:
    """A file for ``COPY ... FROM STDIN`` in text format: each ``read`` gives the next lines."""

    def __init__(self, lines, batch=BATCH):
        self.lines = iter(lines)
        self.batch = batch

    # a file's read, not a model's
    def read(self, size=-1):  # pylint: disable=method-required-super
        lines = list(itertools.islice(self.lines, self.batch))
        return "\n".join(lines) + "\n" if lines else ""

    readline = read


def bulk_insert(cr, table, columns, records, constants, returning=None):
    """Insert ``records`` into ``table``.

    ``columns``: ``[(name, type), ...]`` with type in TYPES, the values of each record in that order
    (None for NULL); ``constants``: ``{column: value}`` set on every row; ``returning``: the columns
    returned for the rows actually inserted, as a list of tuples: the rows that violate a unique
    constraint are then skipped (ON CONFLICT DO NOTHING). Without ``returning``, a plain INSERT (a
    violation raises) and the number of rows inserted: the caller made sure that no row is there yet,
    and skips the cost of the speculative insertion and of the returned rows.
    """
    if not records:
        return []
    cr.execute(
        SQL(
            "CREATE TEMP TABLE hotline_bulk_insert (%s)",
            SQL(", ").join(SQL("%s %s", SQL.identifier(name), TYPES[kind]) for name, kind in columns),
        )
    )
    names = SQL(", ").join(SQL.identifier(name) for name, _kind in columns)
    cr.copy_expert(
        SQL("COPY hotline_bulk_insert (%s) FROM STDIN WITH %s", names, SQL(COPY_OPTIONS)).code,
        CopyStream(map(copy_line, records)),
    )
    insert = SQL(
        "INSERT INTO %s (%s, %s) SELECT %s, %s FROM hotline_bulk_insert",
        SQL.identifier(table),
        names,
        SQL(", ").join(SQL.identifier(name) for name in constants),
        names,
        SQL(", ").join(SQL("%s", value) for value in constants.values()),
    )
    if returning:
        cr.execute(
            SQL(
                "%s ON CONFLICT DO NOTHING RETURNING %s",
                insert,
                SQL(", ").join(SQL.identifier(name) for name in returning),
            )
        )
        inserted = cr.fetchall()
    else:
        cr.execute(insert)
        inserted = cr.rowcount
    cr.execute(SQL("DROP TABLE hotline_bulk_insert"))
    return inserted


def bulk_copy(cr, table, names, lines):
    """Insert rows into ``table`` with one COPY, without a temporary table (a violation raises: the
    caller made sure that no row is there yet). ``names``: the columns; ``lines``: an iterable of
    lines of COPY's text format (see :func:`copy_line`). Returns the number of rows."""
    cr.copy_expert(
        SQL(
            "COPY %s (%s) FROM STDIN WITH %s",
            SQL.identifier(table),
            SQL(", ").join(SQL.identifier(name) for name in names),
            SQL(COPY_OPTIONS),
        ).code,
        CopyStream(lines),
    )
    return cr.rowcount


def reserve_ids(cr, table, count):
    """``count`` new ids of ``table`` (from its id sequence), for rows inserted with their id."""
    cr.execute(
        SQL(
            "SELECT array_agg(nextval(pg_get_serial_sequence(%s, 'id'))) FROM generate_series(1, %s)",
            table,
            count,
        )
    )
    return cr.fetchone()[0] or []


@contextlib.contextmanager
def cyclic_gc_paused():
    """Python's cyclic garbage collector off for a bulk operation: the hundreds of thousands of rows
    and values it creates (none of them in a cycle) trigger full collections, each walking the whole
    heap of an Odoo process; measured: a sixth of a 200,000-row import. Reference counting still
    frees everything; the collector comes back on (if it was on) at the end, whatever happens."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
