import hashlib
import hmac
import logging
import re
import secrets

import phonenumbers
import pytz
import requests

from odoo import Command, _, api, fields, models, tools
from odoo.exceptions import UserError, ValidationError
from odoo.tools import SQL

from odoo.addons.base.models.res_partner import _tz_get
from odoo.addons.hotline_case.models.hotline_case import OPEN_STATES

from ..tools.cdr import EXTENSION_RE

_logger = logging.getLogger(__name__)

ADMIN = "hotline_base.group_hotline_admin"
# what changes which PBX is the first of its company (its agents without a PBX of their own)
FIRST_PBX_FIELDS = {"active", "sequence", "company_id"}
# what the token lookup keeps per worker (_hotline_active_pbxs_by_digest) and the event path reads
TOKEN_FETCH = ("token", "company_id", "name", "extension_pattern")
# the technical user the PBX endpoints run as (controllers/main.py)
PBX_USER = "hotline_telephony.user_pbx_bridge"


def token_digest(token):
    return hashlib.sha256(token.encode()).hexdigest()


class HotlinePbx(models.Model):
    _name = "hotline.pbx"
    _description = "Hotline PBX"
    _order = "sequence, id"

    # ------------------------------------------------------------
    # FIELDS
    # ------------------------------------------------------------

    name = fields.Char(required=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    company_id = fields.Many2one("res.company", required=True, default=lambda self: self.env.company, index=True)
    ami_host = fields.Char(string="AMI Host", default="127.0.0.1", groups=ADMIN)
    ami_port = fields.Integer(string="AMI Port", default=5038, groups=ADMIN)
    ami_username = fields.Char(string="AMI User", groups=ADMIN)
    ami_secret = fields.Char(string="AMI Secret", groups=ADMIN, copy=False)
    bridge_url = fields.Char(
        string="Bridge URL",
        default="http://127.0.0.1:8089",
        groups=ADMIN,
        help="Where Odoo reaches the hotline-pbx-bridge's HTTP API, e.g. http://127.0.0.1:8089 "
        "(the [http] port of its bridge.toml).",
    )
    bridge_timeout = fields.Float(string="Bridge Timeout (s)", default=5.0, groups=ADMIN)
    token = fields.Char(
        groups=ADMIN,
        copy=False,
        default=lambda self: secrets.token_urlsafe(32),
        help="Shared secret, both directions: the bridge sends it to Odoo and Odoo to the bridge "
        "(Authorization: Bearer <token>).",
    )
    recording_path = fields.Char(
        default="/var/spool/asterisk/monitor",
        groups=ADMIN,
        help="Folder holding the MixMonitor recordings, readable by the Odoo server.",
    )
    outbound_context = fields.Char(
        default="from-internal", help="Dialplan context of calls placed from an agent's phone (click-to-call)."
    )
    outbound_prefix = fields.Char(default="0", help="Trunk prefix dialled before an outside number.")
    queue = fields.Char(default="hotline", required=True, help="The queue the agents log in to.")
    agent_interface = fields.Char(
        default="Local/{extension}@agents/n",
        required=True,
        help="Queue member interface of an agent; {extension} is replaced, e.g. PJSIP/{extension}.",
    )
    transfer_context = fields.Char(default="transfer", help="Dialplan context of forced transfers to an agent.")
    cdr_timezone = fields.Selection(
        _tz_get,
        string="CDR Time Zone",
        default="UTC",
        required=True,
        help="Time zone of the times in Asterisk's CDRs (cdr.conf usegmtime = no writes the PBX's local time).",
    )
    extension_pattern = fields.Char(
        help="Regular expression telling the centre's phones from other channels in CDRs; its first matching "
        "group is the extension. Empty: PJSIP/1001-..., SIP/..., Local/1001@agents... and @supervisors.",
    )
    token_digest = fields.Char(
        compute="_compute_token_digest",
        store=True,
        index=True,
        groups=ADMIN,
        copy=False,
        help="SHA-256 of the token: the PBX is found by it in one indexed lookup, and the lookup's "
        "timing tells nothing about the token.",
    )
    agent_count = fields.Integer(compute="_compute_agent_count")
    call_count = fields.Integer(compute="_compute_call_count")

    _sql_constraints = [
        ("token_unique", "unique(token)", "Each PBX needs its own token."),
    ]

    # ------------------------------------------------------------
    # COMPUTES
    # ------------------------------------------------------------

    @api.depends("token")
    def _compute_token_digest(self):
        for pbx in self:
            pbx.token_digest = token_digest(pbx.token) if pbx.token else False

    def _compute_agent_count(self):
        users = self.env["res.users"].search([("hotline_extension", "!=", False)])
        for pbx in self:
            pbx.agent_count = len(users.filtered(lambda user, pbx=pbx: user._hotline_get_pbx() == pbx))

    def _compute_call_count(self):
        counts = dict(self.env["hotline.call"]._read_group([("pbx_id", "in", self.ids)], ["pbx_id"], ["__count"]))
        for pbx in self:
            pbx.call_count = counts.get(pbx, 0)

    # ------------------------------------------------------------
    # CONSTRAINTS
    # ------------------------------------------------------------

    @api.constrains("extension_pattern")
    def _check_extension_pattern(self):
        for pbx in self.sudo():
            if not pbx.extension_pattern:
                continue
            try:
                compiled = re.compile(pbx.extension_pattern)
            except re.error as exc:
                raise ValidationError(_("The extension pattern is not a valid regular expression: %s", exc)) from None
            if not compiled.groups:
                raise ValidationError(_("The extension pattern needs a group capturing the extension."))

    @api.constrains("agent_interface")
    def _check_agent_interface(self):
        for pbx in self:
            if "{extension}" not in (pbx.agent_interface or ""):
                raise ValidationError(_("The agent interface must contain {extension}."))

    @api.constrains("token")
    def _check_token(self):
        for pbx in self.sudo():
            if pbx.token and len(pbx.token) < 8:
                raise ValidationError(_("The token is too short: use at least 8 characters."))

    # ------------------------------------------------------------
    # CRUD
    # ------------------------------------------------------------

    @api.model_create_multi
    def create(self, vals_list):
        pbxs = super().create(vals_list)
        self.env.registry.clear_cache()  # _hotline_first_pbx_id
        pbxs._hotline_link_bridge_user()
        return pbxs

    def write(self, vals):
        result = super().write(vals)
        if (FIRST_PBX_FIELDS | set(TOKEN_FETCH)) & set(vals):
            self.env.registry.clear_cache()  # _hotline_first_pbx_id, _hotline_active_pbxs_by_digest
        if "company_id" in vals:
            self._hotline_link_bridge_user()
        return result

    def unlink(self):
        result = super().unlink()
        self.env.registry.clear_cache()  # _hotline_first_pbx_id
        return result

    def _hotline_link_bridge_user(self):
        """The PBX endpoints run as the technical user in the PBX's company: it belongs to every
        company that has a PBX, from the moment the PBX is there."""
        user = self.env.ref(PBX_USER, raise_if_not_found=False)
        if not user:
            return
        # sudo: the technical user is nobody's to edit; it follows the companies of the PBXs
        user = user.sudo()
        missing = self.sudo().company_id - user.company_ids
        if missing:
            user.write({"company_ids": [Command.link(company.id) for company in missing]})

    @api.model
    def _hotline_link_bridge_user_everywhere(self):
        """On install and upgrade: the PBXs that were there before the technical user."""
        self.sudo().with_context(active_test=False).search([])._hotline_link_bridge_user()

    # ------------------------------------------------------------
    # ACTIONS
    # ------------------------------------------------------------

    def action_generate_token(self):
        for pbx in self:
            pbx.token = secrets.token_urlsafe(32)
        return True

    def action_test_connection(self):
        self.ensure_one()
        answer = self._hotline_bridge_request("GET", "/health")
        ami = answer.get("ami") if isinstance(answer, dict) else None
        message = _("The PBX bridge answers.")
        if isinstance(ami, dict) and "connected" in ami:
            message = (
                _("The PBX bridge answers and is connected to Asterisk.")
                if ami.get("connected")
                else _("The PBX bridge answers but is not connected to Asterisk.")
            )
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {"title": self.name, "message": message, "type": "success", "sticky": False},
        }

    def action_view_calls(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("hotline_telephony.hotline_call_action")
        action["domain"] = [("pbx_id", "=", self.id)]
        return action

    def action_view_agents(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("hotline_telephony.res_users_action_agents")
        users = self.env["res.users"].search([("hotline_extension", "!=", False)])
        action["domain"] = [("id", "in", users.filtered(lambda user: user._hotline_get_pbx() == self).ids)]
        return action

    # ------------------------------------------------------------
    # BUSINESS: authentication of the bridge and the dialplan
    # ------------------------------------------------------------

    @api.model
    def _hotline_find_by_token(self, token):
        """The active PBX whose token is ``token`` (constant-time compare), else an empty recordset.

        What the event path reads of the PBX comes with it (in the record cache, as a fetch puts it).
        """
        if not token or not isinstance(token, str):
            return self.browse()
        found = self._hotline_active_pbxs_by_digest().get(token_digest(token))
        if not found or not hmac.compare_digest(found["token"].encode(), token.encode()):
            return self.browse()
        pbx = self.browse(found["id"])
        for name in TOKEN_FETCH:
            self.env.cache.insert_missing(pbx, self._fields[name], [found[name]])
        return pbx

    @api.model
    @tools.ormcache()
    def _hotline_active_pbxs_by_digest(self):
        """``{SHA-256 of the token: {id, token, company_id, name, extension_pattern}}`` of the active PBXs.

        Cached per worker: the bridge's every request is authenticated by it. Cleared with the
        registry's cache when a PBX is created, deleted, or changes one of TOKEN_FETCH or
        FIRST_PBX_FIELDS. All the PBXs in one entry: a wrong token adds nothing to the cache.
        """
        # sudo: the bridge is not a user; the tokens are only compared
        pbxs = (
            self.sudo()
            .with_context(active_test=True)
            .search_fetch([("token_digest", "!=", False)], ["token_digest", *TOKEN_FETCH])
        )
        return {
            pbx.token_digest: dict(
                {name: pbx._fields[name].convert_to_cache(pbx[name], pbx) for name in TOKEN_FETCH}, id=pbx.id
            )
            for pbx in pbxs
        }

    # ------------------------------------------------------------
    # BUSINESS: routing an incoming call (asked by the dialplan)
    # ------------------------------------------------------------

    def _hotline_route(self, caller, called=""):
        """How the dialplan handles a call from ``caller`` to ``called``.

        Blacklisted callers (blacklist in force) are rejected; VIP callers get the VIP queue priority;
        a caller with an open case goes preferably to that case's operator when they are available.
        """
        self.ensure_one()
        settings = self.env["res.config.settings"]._hotline_route_settings()
        partner = self.env["res.partner"]._hotline_find_by_phone(caller) if caller else self.env["res.partner"]
        answer = {
            "action": "queue",
            "priority": 0,
            "queue": self.queue,
            "record": settings["recording_mode"] in ("all", "inbound"),
            "announce_work_number": settings["announce_work_number"],
            "agent_extension": "",
            "partner_id": partner.id or False,
            "vip": bool(partner.hotline_vip),
            "reason": "",
        }
        if partner.hotline_blacklist_active:
            answer.update(action="reject", reason="blacklisted")
            return answer
        if partner.hotline_vip:
            answer["priority"] = settings["vip_priority"]
        answer["agent_extension"] = self._hotline_preferred_agent(partner, caller)
        return answer

    def _hotline_preferred_agent(self, partner, caller):
        """The extension of the operator of the caller's newest open case, if that operator is available."""
        self.ensure_one()
        domain = self.env["hotline.case"]._hotline_caller_domain(partner, caller)
        if not domain:
            return ""
        domain = domain + [("state", "in", OPEN_STATES), ("user_id", "!=", False)]
        for case in self.env["hotline.case"].search(domain, order="reported_at desc, id desc", limit=5):
            agent = case.user_id
            if (
                agent.hotline_extension
                and agent.hotline_agent_state == "available"
                and agent._hotline_get_pbx() == self
            ):
                return agent.hotline_extension
        return ""

    # ------------------------------------------------------------
    # BUSINESS: the bridge's HTTP API
    # ------------------------------------------------------------

    def _hotline_bridge_request(self, method, path, payload=None, accept_errors=()):
        """Call the bridge; returns its JSON answer or raises a UserError that says what went wrong.

        ``accept_errors``: Asterisk messages that mean "already done" (e.g. "Already there" when an
        agent logs in twice), answered as success.
        """
        self.ensure_one()
        # sudo: operators trigger bridge actions (click-to-call, pause) without reading the PBX secrets
        pbx = self.sudo()
        if not pbx.bridge_url:
            raise UserError(_("No bridge URL is configured on the PBX %s.", pbx.name))
        url = pbx.bridge_url.rstrip("/") + path
        try:
            response = requests.request(
                method,
                url,
                json=payload,
                headers={"Authorization": f"Bearer {pbx.token or ''}"},
                timeout=pbx.bridge_timeout or 5.0,
            )
        except requests.Timeout:
            raise UserError(_("The PBX bridge is unreachable: no answer from %s in time.", pbx.bridge_url)) from None
        except requests.RequestException as exc:
            _logger.warning("PBX bridge %s unreachable: %s", url, exc)
            raise UserError(_("The PBX bridge is unreachable (%(url)s).", url=pbx.bridge_url)) from None
        return pbx._hotline_bridge_answer(response, path, accept_errors)

    def _hotline_bridge_answer(self, response, path, accept_errors=()):
        try:
            body = response.json()
        except ValueError:
            body = {}
        if not isinstance(body, dict):
            body = {}
        error = body.get("error") or response.text[:200]
        if response.status_code == 200:
            return body
        if response.status_code == 502 and any(text in str(error) for text in accept_errors):
            return body
        _logger.info("PBX bridge %s answered %s: %s", path, response.status_code, error)
        if response.status_code == 401:
            raise UserError(_("The PBX bridge refused Odoo's token: check the token on the PBX and in the bridge."))
        if response.status_code == 502:
            raise UserError(_("The PBX refused the action: %s", error))
        if response.status_code == 503:
            raise UserError(_("The PBX bridge is not connected to Asterisk (AMI down): %s", error))
        if response.status_code == 504:
            raise UserError(_("Asterisk did not answer in time."))
        raise UserError(_("The PBX bridge answered %(status)s: %(error)s", status=response.status_code, error=error))

    # ------------------------------------------------------------
    # BUSINESS: helpers
    # ------------------------------------------------------------

    def _hotline_tz(self):
        self.ensure_one()
        try:
            return pytz.timezone(self.cdr_timezone or "UTC")
        except pytz.UnknownTimeZoneError:
            return pytz.utc

    def _hotline_extension_re(self):
        self.ensure_one()
        pattern = self.sudo().extension_pattern
        return re.compile(pattern) if pattern else EXTENSION_RE

    def _hotline_cdr_options(self):
        self.ensure_one()
        return {
            "outbound_prefix": self.outbound_prefix or "",
            "outbound_context": self.outbound_context or "",
            "extension_re": self._hotline_extension_re(),
        }

    def _hotline_agent_domain(self, extensions=None):
        """Users who are agents of this PBX (their own PBX, else the first PBX of their company)."""
        self.ensure_one()
        domain = [("hotline_extension", "!=", False), ("share", "=", False)]
        if extensions is not None:
            domain = [("hotline_extension", "in", list(extensions)), ("share", "=", False)]
        if self._hotline_first_pbx_id(self.company_id.id) == self.id:
            # users without a PBX of their own belong to their company's first PBX
            own = [
                "|",
                ("hotline_pbx_id", "=", self.id),
                "&",
                ("hotline_pbx_id", "=", False),
                ("company_id", "=", self.company_id.id),
            ]
        else:
            own = [("hotline_pbx_id", "=", self.id)]
        return domain + own

    def _hotline_users_by_extension(self, extensions):
        """``{extension: res.users}`` for the agents of this PBX among ``extensions``."""
        self.ensure_one()
        agents = self._hotline_agents_by_extension(self.id)
        found = {ext: agents[ext] for ext in extensions if ext in agents}
        if not found:
            return {}
        # sudo: the bridge's events name agents by extension
        Users = self.env["res.users"].sudo()
        users = Users.browse([user_id for user_id, _partner_id in found.values()])
        # the agents' partners (their bus channel) as a fetch would put them in the record cache
        self.env.cache.insert_missing(
            users, Users._fields["partner_id"], [partner for _user, partner in found.values()]
        )
        return {ext: Users.browse(user_id) for ext, (user_id, _partner_id) in found.items()}

    @api.model
    @tools.ormcache("pbx_id")
    def _hotline_agents_by_extension(self, pbx_id):
        """``{extension: (user id, partner id)}`` of the PBX's agents.

        Cached per worker: read on every event of the bridge. Cleared with the registry's cache when a
        PBX changes (create, write of FIRST_PBX_FIELDS, unlink) or a user's extension, PBX, company,
        groups or activity (res.users' invalidation fields), or a user with an extension is created.
        """
        # sudo: the bridge's events name agents by extension; active users only, whatever the context
        pbx = self.sudo().with_context(active_test=True).browse(pbx_id)
        Users = pbx.env["res.users"]
        query = Users._search(pbx._hotline_agent_domain(), order="id")
        rows = self.env.execute_query(
            query.select(*(SQL.identifier("res_users", name) for name in ("hotline_extension", "id", "partner_id")))
        )
        return {extension: (user_id, partner_id) for extension, user_id, partner_id in rows}

    @api.model
    @tools.ormcache("company_id")
    def _hotline_first_pbx_id(self, company_id):
        """The id of the company's first active PBX (cached: read on every event of the bridge)."""
        self.env.cr.execute(
            SQL(
                "SELECT id FROM hotline_pbx WHERE active AND company_id = %s ORDER BY sequence, id LIMIT 1",
                company_id,
            )
        )
        row = self.env.cr.fetchone()
        return row[0] if row else None

    def _hotline_interface(self, extension):
        self.ensure_one()
        return (self.agent_interface or "Local/{extension}@agents/n").replace("{extension}", extension)

    def _hotline_dial_number(self, number):
        """What to dial for ``number`` from an agent's phone: extensions as they are, outside numbers with
        the trunk prefix, in national form for the default region and international form otherwise."""
        self.ensure_one()
        raw = re.sub(r"[\s\-().\u3000/]", "", number or "")
        if not raw or not re.fullmatch(r"\+?\d+", raw):
            raise UserError(_("%s is not a phone number that can be dialled.", number or ""))
        if raw.isdigit() and len(raw) <= 6:
            return raw
        partners = self.env["res.partner"]
        region, _area_code = partners._hotline_phone_settings()
        normalized = partners._hotline_normalize_phone(raw)
        digits = raw.lstrip("+")
        if normalized:
            parsed = phonenumbers.parse(normalized)
            if phonenumbers.region_code_for_number(parsed) == (region or "CN").upper() or (
                parsed.country_code == phonenumbers.country_code_for_region((region or "CN").upper())
            ):
                digits = re.sub(r"\D", "", phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.NATIONAL))
            else:
                digits = "00" + normalized.lstrip("+")
        return (self.outbound_prefix or "") + digits
