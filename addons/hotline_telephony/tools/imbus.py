"""Bus notifications of the screen pop, stored and announced as Odoo's bus does, for less.

Odoo's ``bus.bus._sendone`` stores the rows through the ORM when the transaction commits, then opens a
new connection to the ``postgres`` database for ``NOTIFY imbus`` (PostgreSQL starts a backend process
for it, a few milliseconds on every ring) and closes it. Here the rows are stored by one plain INSERT
and the NOTIFY goes through one connection kept by the process: the same rows, the same NOTIFY, as
the websocket process reads them.
"""

import logging
import os
import threading

import psycopg2
from psycopg2 import sql as pgsql

from odoo import sql_db
from odoo.tools import SQL

from odoo.addons.bus.models.bus import ODOO_NOTIFY_FUNCTION, channel_with_db, get_notify_payloads, json_dump

_logger = logging.getLogger(__name__)

ROWS_KEY = "hotline_telephony.imbus.rows"
CHANNELS_KEY = "hotline_telephony.imbus.channels"

_lock = threading.Lock()
_kept = {"pid": None, "connection": None}


def send(env, partner_ids, notification_type, payload):
    """Send ``{type, payload}`` to the bus channels of the partners ``partner_ids``, at commit."""
    if not partner_ids:
        return
    cr = env.cr
    if ROWS_KEY not in cr.precommit.data:
        cr.precommit.data[ROWS_KEY] = []
        cr.precommit.add(lambda: _store(cr, env.uid))
    if CHANNELS_KEY not in cr.postcommit.data:
        cr.postcommit.data[CHANNELS_KEY] = {}  # an ordered set
        cr.postcommit.add(lambda: _notify(list(cr.postcommit.data.pop(CHANNELS_KEY))))
    message = json_dump({"type": notification_type, "payload": payload})
    for partner_id in partner_ids:
        channel = channel_with_db(cr.dbname, env["res.partner"].browse(partner_id))
        cr.precommit.data[ROWS_KEY].append((json_dump(channel), message))
        cr.postcommit.data[CHANNELS_KEY][channel] = None


def _store(cr, uid):
    rows = cr.precommit.data.pop(ROWS_KEY, [])
    if not rows:
        return
    now = cr.now()
    cr.execute(
        SQL(
            "INSERT INTO bus_bus (channel, message, create_uid, create_date, write_uid, write_date) VALUES %s",
            SQL(", ").join(
                SQL("(%s, %s, %s, %s, %s, %s)", channel, message, uid, now, uid, now) for channel, message in rows
            ),
        )
    )


def _notify(channels):
    payloads = get_notify_payloads(channels)
    statement = pgsql.SQL("SELECT {}('imbus', %s)").format(pgsql.Identifier(ODOO_NOTIFY_FUNCTION))
    with _lock:
        for attempt in (1, 2):
            try:
                with _connection().cursor() as cr:
                    for payload in payloads:
                        cr.execute(statement, (payload,))
                return
            except psycopg2.Error as exc:  # the kept connection was closed (PostgreSQL restarted): once more
                _close()
                if attempt == 2:
                    _logger.warning("NOTIFY imbus failed on a new connection too: %s", exc)
                    raise


def _connection():
    if _kept["pid"] != os.getpid() or _kept["connection"] is None or _kept["connection"].closed:
        _dbname, info = sql_db.connection_info_for("postgres")
        connection = psycopg2.connect(**info)
        connection.autocommit = True
        _kept.update(pid=os.getpid(), connection=connection)
    return _kept["connection"]


def _close():
    connection, pid = _kept["connection"], _kept["pid"]
    _kept.update(pid=None, connection=None)
    if connection is not None and pid == os.getpid():  # never the connection of the parent process
        try:
            connection.close()
        except psycopg2.Error:
            pass
