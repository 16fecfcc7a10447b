"""A health endpoint for the centre's monitoring (``GET /hotline/health``).

The monitor is not an Odoo user: it presents the token kept in the system parameter
``hotline_base.health_token`` (``Authorization: Bearer <token>`` or ``?token=``). Without the
parameter, or with another token, the endpoint answers exactly like an unknown URL (404), so it
tells nothing to whoever probes the site. The answer is JSON, HTTP 200 when every check passes
and 503 when one fails, with the failures listed in ``problems``.
"""

import hmac
import time

from werkzeug.exceptions import NotFound

from odoo import SUPERUSER_ID, fields, http
from odoo.http import request
from odoo.tools import SQL, config

TOKEN_PARAM = "hotline_base.health_token"
# Thresholds in seconds, each overridable by the system parameter of the same name.
CRON_LAG_PARAM = "hotline_base.health_cron_lag_max"
TEXT_AGE_PARAM = "hotline_base.health_text_age_max"
REPLICA_LAG_PARAM = "hotline_base.health_replica_lag_max"
DEFAULT_LIMITS = {CRON_LAG_PARAM: 900, TEXT_AGE_PARAM: 900, REPLICA_LAG_PARAM: 60}


class HotlineHealthController(http.Controller):
    # readonly=False: the database checked is the primary; the replica is checked on its own
    @http.route(
        "/hotline/health", type="http", auth="none", methods=["GET"], csrf=False, save_session=False, readonly=False
    )
    def hotline_health(self, token=None, **_kwargs):
        # The monitor has no user: the checks read configuration and counters as the superuser,
        # and only once its token matched.
        request.update_env(user=SUPERUSER_ID)
        if not self._hotline_health_token_ok(token):
            raise NotFound()
        report = {"problems": []}
        for section, check in self._hotline_health_sections():
            report[section] = check(report["problems"])
        report["status"] = "degraded" if report["problems"] else "ok"
        return request.make_json_response(report, status=503 if report["problems"] else 200)

    # ------------------------------------------------------------
    # helpers
    # ------------------------------------------------------------

    def _hotline_health_token_ok(self, query_token):
        expected = request.env["ir.config_parameter"].get_param(TOKEN_PARAM) or ""
        scheme, _sep, header_token = request.httprequest.headers.get("Authorization", "").partition(" ")
        given = header_token.strip() if scheme.lower() == "bearer" else (query_token or "")
        return bool(expected and given) and hmac.compare_digest(expected.encode(), given.encode())

    def _hotline_health_limit(self, param):
        value = request.env["ir.config_parameter"].get_param(param)
        try:
            return float(value) if value else DEFAULT_LIMITS[param]
        except ValueError:
            return DEFAULT_LIMITS[param]

    def _hotline_health_sections(self):
        """``[(name, check)]``: each check takes the list of problems to extend and returns its section."""
        sections = [
            ("database", self._hotline_health_database),
            ("replica", self._hotline_health_replica),
            ("crons", self._hotline_health_crons),
        ]
        if "sms.sms" in request.env:
            sections.append(("texts", self._hotline_health_texts))
        if "hotline.call.event" in request.env:
            sections.append(("bridges", self._hotline_health_bridges))
        return sections

    def _hotline_health_database(self, problems):
        started = time.monotonic()
        request.env.cr.execute("SELECT pg_is_in_recovery()")
        in_recovery = request.env.cr.fetchone()[0]
        if in_recovery:
            problems.append("the primary database is in recovery (read-only)")
        return {"ok": not in_recovery, "latency_ms": round((time.monotonic() - started) * 1000, 1)}

    def _hotline_health_replica(self, problems):
        """Whether this worker reads from a replica (db_replica_host), and how far behind it is."""
        configured = config.get("db_replica_host") not in (False, None)
        with request.env.registry.cursor(readonly=True) as cr:
            # an idle primary sends no new WAL: a replica that replayed all it received is not late
            cr.execute(
                """SELECT pg_is_in_recovery(),
                          CASE WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0
                               ELSE EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp()) END"""
            )
            in_use, lag = cr.fetchone()
        section = {"configured": configured, "in_use": bool(in_use), "lag_seconds": float(lag) if in_use else None}
        if configured and not in_use:
            problems.append("the read replica is configured but this worker reads from the primary")
        elif in_use and lag is not None and lag > self._hotline_health_limit(REPLICA_LAG_PARAM):
            problems.append(f"the read replica is {lag:.0f} s behind")
        return section

    def _hotline_health_crons(self, problems):
        now = fields.Datetime.now()
        crons = request.env["ir.cron"].search_read([("active", "=", True)], ["name", "nextcall", "failure_count"])
        lags = {cron["name"]: max(0.0, (now - cron["nextcall"]).total_seconds()) for cron in crons}
        limit = self._hotline_health_limit(CRON_LAG_PARAM)
        late = sorted(name for name, lag in lags.items() if lag > limit)
        failing = sorted(cron["name"] for cron in crons if cron["failure_count"])
        if late:
            problems.append(f"{len(late)} scheduled actions are late by more than {limit:.0f} s")
        return {
            "active": len(crons),
            "max_lag_seconds": round(max(lags.values(), default=0.0), 1),
            "late": late,
            "failing": failing,
        }

    def _hotline_health_texts(self, problems):
        texts = request.env["sms.sms"]
        domain = [("state", "=", "outgoing"), ("to_delete", "=", False)]
        oldest = texts.search(domain, order="id", limit=1)
        age = (fields.Datetime.now() - oldest.create_date).total_seconds() if oldest else 0.0
        if age > self._hotline_health_limit(TEXT_AGE_PARAM):
            problems.append(f"texts have waited in the queue for {age:.0f} s")
        return {"queued": texts.search_count(domain), "oldest_seconds": round(age, 1)}

    def _hotline_health_bridges(self, problems):
        """Per active PBX, when its bridge last delivered an event (quiet nights are normal: no problem)."""
        pbxs = request.env["hotline.pbx"].search([])
        if not pbxs:
            return []
        request.env.cr.execute(
            SQL(
                """SELECT pbx.id, last.create_date
                     FROM unnest(%s::int[]) AS pbx(id)
                     LEFT JOIN LATERAL (SELECT create_date FROM hotline_call_event
                                         WHERE pbx_id = pbx.id ORDER BY id DESC LIMIT 1) AS last ON TRUE""",
                pbxs.ids,
            )
        )
        last_seen = dict(request.env.cr.fetchall())
        now = fields.Datetime.now()
        return [
            {
                "pbx_id": pbx.id,
                "pbx": pbx.name,
                "last_event_at": fields.Datetime.to_string(last_seen.get(pbx.id)) or None,
                "last_event_seconds": (now - last_seen[pbx.id]).total_seconds() if last_seen.get(pbx.id) else None,
            }
            for pbx in pbxs
        ]
