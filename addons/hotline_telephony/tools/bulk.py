"""Bulk insert for the CDR import: COPY into a temporary table, then one INSERT ... SELECT.

Adapting hundreds of thousands of Python values into SQL parameters costs more than the
insert itself; COPY streams them as CSV, in C.
"""

import csv
import io

from odoo.tools import SQL

TYPES = {"varchar": SQL("varchar"), "int4": SQL("int4"), "timestamp": SQL("timestamp"), "bool": SQL("bool")}


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
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(records)
    buffer.seek(0)
    cr.execute(
        SQL(
            "CREATE TEMP TABLE hotline_bulk_insert (%s)",
            SQL(", ").join(SQL("%s %s", SQL.identifier(name), TYPES[kind]) for name, kind in columns),
        )
    )
    names = SQL(", ").join(SQL.identifier(name) for name, _kind in columns)
    cr.copy_expert(SQL("COPY hotline_bulk_insert (%s) FROM STDIN WITH (FORMAT csv)", names).code, buffer)
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
