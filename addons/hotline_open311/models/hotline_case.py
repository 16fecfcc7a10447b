import secrets
from datetime import timedelta

import pytz

from odoo import _, api, fields, models
from odoo.exceptions import AccessError
from odoo.tools import SQL, email_normalize, plaintext2html

from odoo.addons.hotline_case.models.hotline_case import OPEN_STATES

from ..tools.georeport import Open311Error, date_window, format_datetime, parse_datetime

CLOSED_STATES = ("done", "cancel")
# what the API records about a submission: set by the API user only, never by hand or RPC
OPEN311_FIELDS = frozenset(
    {
        "open311_client_id",
        "open311_token",
        "open311_description",
        "open311_media_url",
        "open311_attributes",
        "open311_email",
        "open311_account_id",
        "open311_device_id",
    }
)
TEXT_LIMITS = {"address_string": 255, "address_id": 64, "first_name": 64, "last_name": 64, "phone": 32}
SUMMARY_LENGTH = 60


class HotlineCase(models.Model):
    _inherit = "hotline.case"

    # who submitted (app, account, device, e-mail) is for the centre; the department reads what
    # was reported: the text, the photo and the answers
    open311_client_id = fields.Many2one(
        "hotline.open311.client",
        string="Open311 Client",
        readonly=True,
        copy=False,
        index="btree_not_null",
        groups="hotline_base.group_hotline_operator",
    )
    open311_token = fields.Char(
        string="Open311 Token",
        readonly=True,
        copy=False,
        index="btree_not_null",
        groups="hotline_base.group_hotline_operator",
    )
    open311_description = fields.Text(
        string="Submitted Description", readonly=True, copy=False, help="The request's text exactly as submitted."
    )
    open311_media_url = fields.Char(string="Photo URL", readonly=True, copy=False)
    open311_attributes = fields.Json(string="Answers", readonly=True, copy=False)
    open311_attributes_text = fields.Text(
        string="Answers to the Service's Questions", compute="_compute_open311_attributes_text"
    )
    open311_email = fields.Char(
        string="Submitter's E-mail", readonly=True, copy=False, groups="hotline_base.group_hotline_operator"
    )
    open311_account_id = fields.Char(
        string="Submitter's Account", readonly=True, copy=False, groups="hotline_base.group_hotline_operator"
    )
    open311_device_id = fields.Char(
        string="Submitter's Device", readonly=True, copy=False, groups="hotline_base.group_hotline_operator"
    )

    def init(self):
        super().init()
        # GET requests: a service's requests of a date window, newest first; and the same for open
        # requests only (a tenth of the cases: apps show what is still open), as a small partial index
        open_states = SQL(", ").join(SQL("%s", state) for state in OPEN_STATES)
        self.env.cr.execute(
            SQL(
                "CREATE INDEX IF NOT EXISTS hotline_case_category_reported_index"
                " ON hotline_case (category_id, reported_at DESC, id DESC)"
            )
        )
        self.env.cr.execute(
            SQL(
                "CREATE INDEX IF NOT EXISTS hotline_case_open_category_reported_index"
                " ON hotline_case (category_id, reported_at DESC, id DESC) WHERE state IN (%s)",
                open_states,
            )
        )

    # ------------------------------------------------------------
    # COMPUTES
    # ------------------------------------------------------------

    @api.depends("open311_attributes", "category_id")
    def _compute_open311_attributes_text(self):
        for case in self:
            answers = case.open311_attributes or {}
            # sudo: the questions' labels, which department staff may not read themselves
            questions = {attribute.code: attribute for attribute in case.category_id.sudo().open311_attribute_ids}
            lines = []
            for code, value in answers.items():
                question = questions.get(code)
                label = question.description if question else code
                if question and question.value_ids:
                    names = {choice.key: choice.name for choice in question.value_ids}
                    value = (
                        [names.get(key, key) for key in value] if isinstance(value, list) else names.get(value, value)
                    )
                lines.append(f"{label}: {', '.join(value) if isinstance(value, list) else value}")
            case.open311_attributes_text = "\n".join(lines) or False

    # ------------------------------------------------------------
    # CRUD
    # ------------------------------------------------------------

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            self._check_open311_fields({name for name, value in vals.items() if value})
        return super().create(vals_list)

    def write(self, vals):
        self._check_open311_fields(vals.keys())
        return super().write(vals)

    @api.model
    def _check_open311_fields(self, names):
        if self.env.su or not OPEN311_FIELDS & set(names):
            return
        api_user_id = self.env["ir.model.data"]._xmlid_to_res_id("hotline_open311.user_open311", False)
        if self.env.uid != api_user_id:
            raise AccessError(_("What an Open311 submission recorded on a case is set by the API only."))

    # ------------------------------------------------------------
    # BUSINESS: POST requests
    # ------------------------------------------------------------

    @api.model
    def _open311_create(self, client, category, params, attributes):
        """A case registered from an Open311 request: numbered, given a time limit and routed like any case."""
        client._open311_check_service(category)
        vals = self._open311_prepare_vals(client, category, params, attributes)
        return self.create(vals)

    @api.model
    def _open311_prepare_vals(self, client, category, params, attributes):
        description = self._open311_text(params, "description", self._open311_description_limit())
        latitude, longitude = self._open311_location(params)
        address = self._open311_text(params, "address_string", TEXT_LIMITS["address_string"])
        address_id = self._open311_text(params, "address_id", TEXT_LIMITS["address_id"])
        if latitude is None and not address and not address_id:
            raise Open311Error(400, _("A location is required: lat and long, address_string or address_id."))
        names = [self._open311_text(params, key, TEXT_LIMITS[key]) for key in ("last_name", "first_name")]
        vals = {
            "source": "open311",
            "category_id": category.id,
            "service_type_id": self._open311_service_type().id,
            "summary": self._open311_summary(description, category),
            "description": plaintext2html(description) if description else False,
            "address": address or address_id or False,
            "latitude": latitude or 0.0,
            "longitude": longitude or 0.0,
            "caller_name": "".join(name for name in names if name) or False,
            "caller_phone": self._open311_text(params, "phone", TEXT_LIMITS["phone"]) or False,
            "open311_client_id": client.id,
            "open311_token": secrets.token_urlsafe(16),
            "open311_description": description or False,
            "open311_media_url": self._open311_media_url(params),
            "open311_attributes": self._open311_answers(category, attributes) or False,
            "open311_email": self._open311_email(params),
            "open311_account_id": self._open311_text(params, "account_id", 64) or False,
            "open311_device_id": self._open311_text(params, "device_id", 128) or False,
        }
        return vals

    @api.model
    def _open311_text(self, params, key, limit):
        value = params.get(key)
        if value is None:
            return ""
        if not isinstance(value, str):
            raise Open311Error(400, _("%s must be text.", key))
        value = value.strip()
        if len(value) > limit:
            raise Open311Error(400, _("%(field)s is too long: at most %(limit)s characters.", field=key, limit=limit))
        return value

    @api.model
    def _open311_description_limit(self):
        # sudo: a harmless setting the API user cannot read
        value = self.env["ir.config_parameter"].sudo().get_param("hotline_open311.description_max_length", "4000")
        return int(value) if value.isdigit() else 4000

    @api.model
    def _open311_location(self, params):
        """(lat, long) as floats within WGS-84's range, or (None, None) when neither is given."""
        raw = {key: params.get(key) for key in ("lat", "long")}
        given = {key: value for key, value in raw.items() if value not in (None, "")}
        if not given:
            return None, None
        if len(given) == 1:
            raise Open311Error(400, _("lat and long go together: one of them is missing."))
        try:
            latitude, longitude = float(given["lat"]), float(given["long"])
        except (TypeError, ValueError):
            raise Open311Error(400, _("lat and long must be decimal degrees.")) from None
        if not -90 <= latitude <= 90:
            raise Open311Error(400, _("lat is out of range: it must be between -90 and 90."))
        if not -180 <= longitude <= 180:
            raise Open311Error(400, _("long is out of range: it must be between -180 and 180."))
        return latitude, longitude

    @api.model
    def _open311_media_url(self, params):
        url = self._open311_text(params, "media_url", 2048)
        if url and not url.lower().startswith(("http://", "https://")):
            raise Open311Error(400, _("media_url must be an http or https address."))
        return url or False

    @api.model
    def _open311_email(self, params):
        email = self._open311_text(params, "email", 254)
        if email and not email_normalize(email):
            raise Open311Error(400, _("email is not a valid e-mail address."))
        return email or False

    @api.model
    def _open311_answers(self, category, attributes):
        """{code: answer} for the category's questions; unknown codes and wrong answers get a 400."""
        questions = {attribute.code: attribute for attribute in category.open311_attribute_ids}
        unknown = sorted(set(attributes) - set(questions))
        if unknown:
            raise Open311Error(400, _("Unknown attribute for this service: %s", ", ".join(unknown)))
        tz_name = self._open311_tz()
        answers = {}
        for code, question in questions.items():
            answer = question._open311_clean_answer(attributes.get(code, []), tz_name)
            if answer is not None:
                answers[code] = answer
        return answers

    @api.model
    def _open311_summary(self, description, category):
        first_line = (description or "").strip().splitlines()[0].strip() if (description or "").strip() else ""
        if not first_line:
            return category.name
        return first_line if len(first_line) <= SUMMARY_LENGTH else first_line[: SUMMARY_LENGTH - 1] + "…"

    @api.model
    def _open311_service_type(self):
        return (
            self.env.ref("hotline_base.hotline_service_type_incident_report", raise_if_not_found=False)
            or self.env["hotline.service.type"]
        )

    @api.model
    def _open311_tz(self):
        """The time zone date-times without an offset are read in and answers written in.

        As the case's own deadlines (_hotline_tz): the user's (the API user's), else the centre's calendar's.
        """
        return self._hotline_tz() or "Asia/Shanghai"

    # ------------------------------------------------------------
    # BUSINESS: GET requests
    # ------------------------------------------------------------

    @api.model
    def _open311_public_domain(self):
        return [("category_id.open311_public", "=", True)]

    @api.model
    def _open311_get_domain(self, filters):
        """The cases a GET requests asks for. ``filters``: the checked parameters (see _open311_filters)."""
        domain = list(self._open311_public_domain())
        if filters.get("service_request_ids"):
            return [*domain, ("name", "in", filters["service_request_ids"])]
        if filters.get("service_codes"):
            domain.append(("category_id.code", "in", filters["service_codes"]))
        domain += [("reported_at", ">=", filters["start"]), ("reported_at", "<=", filters["end"])]
        statuses = set(filters.get("statuses") or ())
        if statuses == {"open"}:
            domain.append(("state", "in", OPEN_STATES))
        elif statuses == {"closed"}:
            domain.append(("state", "in", CLOSED_STATES))
        return domain

    @api.model
    def _open311_filters(self, params, max_page_size):
        """The GET requests parameters, checked: 400 in the spec's format for what cannot be read."""
        ids = self._open311_split(params.get("service_request_id"))
        if len(ids) > max_page_size:
            raise Open311Error(400, _("service_request_id: at most %s ids at once.", max_page_size))
        statuses = self._open311_split(params.get("status"))
        wrong = [status for status in statuses if status not in ("open", "closed")]
        if wrong:
            raise Open311Error(400, _("status must be open or closed, not %s.", ", ".join(wrong)))
        start, end = self._open311_window(params)
        return {
            "service_request_ids": ids,
            "service_codes": self._open311_split(params.get("service_code")),
            "statuses": statuses,
            "start": start,
            "end": end,
        }

    @api.model
    def _open311_window(self, params):
        tz_name = self._open311_tz()
        bounds = {}
        for key in ("start_date", "end_date"):
            if params.get(key):
                try:
                    bounds[key] = parse_datetime(params[key], tz_name, end_of_day=key == "end_date")
                except ValueError:
                    raise Open311Error(
                        400, _("%s must be a W3C date-time, e.g. 2026-11-30T08:00:00+08:00.", key)
                    ) from None
        max_days = self._open311_max_days()
        start, end = date_window(bounds.get("start_date"), bounds.get("end_date"), fields.Datetime.now(), max_days)
        if start > end:
            raise Open311Error(400, _("start_date is after end_date."))
        if end - start > timedelta(days=max_days, seconds=1):
            raise Open311Error(400, _("The dates may span at most %s days.", max_days))
        return start, end

    @api.model
    def _open311_max_days(self):
        # sudo: a harmless setting the API user cannot read
        value = self.env["ir.config_parameter"].sudo().get_param("hotline_open311.max_days", "90")
        return int(value) if value.isdigit() and int(value) > 0 else 90

    @api.model
    def _open311_split(self, value):
        if not value:
            return []
        if not isinstance(value, str):
            raise Open311Error(400, _("Lists are written as comma-separated text."))
        return [part.strip() for part in value.split(",") if part.strip()]

    def _open311_request_data(self):
        """The cases as GeoReport v2 service requests, in the order of ``self``: no caller name, phone or e-mail.

        One query for the page instead of the ORM's reads: GET requests serves every app of the city.
        The ids come from a search as the API user (access rules applied); the columns read are
        those an operator reads.
        """
        if not self:
            return []
        self.env.flush_all()
        tz = pytz.timezone(self._open311_tz())
        notes = self._open311_status_notes()
        self.env.cr.execute(self._open311_request_query())
        rows = {row["id"]: row for row in self.env.cr.dictfetchall()}
        return [self._open311_request_item(rows[case_id], notes, tz) for case_id in self.ids if case_id in rows]

    def _open311_request_query(self):
        lang = self.env.lang or "en_US"

        def translated(column):
            return SQL("COALESCE(%s->>%s, %s->>'en_US')", SQL(column), lang, SQL(column))

        return SQL(
            """
            SELECT c.id, c.name, c.state, c.source, c.open311_client_id, c.open311_description, c.open311_media_url,
                   c.summary, c.reported_at, c.write_date, COALESCE(c.handle_deadline, c.deadline) AS expected,
                   c.anonymous, c.address, c.latitude, c.longitude, c.resolution_type, c.handling_result,
                   master.name AS master_name, g.code AS service_code, %(category_name)s AS service_name,
                   %(notice)s AS service_notice, %(department)s AS department_name
              FROM hotline_case c
              JOIN hotline_category g ON g.id = c.category_id
              LEFT JOIN hotline_department d ON d.id = c.department_id
              LEFT JOIN hotline_case master ON master.id = c.duplicate_of_id
             WHERE c.id = ANY(%(ids)s)
            """,
            category_name=translated("g.name"),
            notice=translated("g.open311_notice"),
            department=translated("d.name"),
            ids=list(self.ids),
        )

    @api.model
    def _open311_request_item(self, row, notes, tz):
        hide_place = row["anonymous"]
        return {
            "service_request_id": row["name"],
            "status": "closed" if row["state"] in CLOSED_STATES else "open",
            "status_notes": self._open311_status_note(row, notes),
            "service_name": row["service_name"],
            "service_code": row["service_code"],
            "description": self._open311_public_description(row),
            "agency_responsible": row["department_name"] or None,
            "service_notice": row["service_notice"] or None,
            "requested_datetime": format_datetime(row["reported_at"], tz),
            "updated_datetime": format_datetime(row["write_date"], tz),
            "expected_datetime": format_datetime(row["expected"], tz),
            "address": None if hide_place else (row["address"] or None),
            "address_id": None,
            "zipcode": None,
            "lat": None if hide_place or not row["latitude"] else float(row["latitude"]),
            "long": None if hide_place or not row["longitude"] else float(row["longitude"]),
            "media_url": row["open311_media_url"] or None,
        }

    @api.model
    def _open311_public_description(self, row):
        """What was submitted for an API request; the one-line summary for the others.

        A case registered on the phone carries the operator's notes, which may name the caller.
        """
        if row["source"] == "open311" and row["open311_client_id"]:
            return row["open311_description"] or None
        return row["summary"] or None

    @api.model
    def _open311_status_notes(self):
        return {
            "new": _("Registered; waiting to be accepted by the centre."),
            "accepted": _("Accepted by the centre; being sent to the responsible department."),
            "assigned": _("Sent to the responsible department."),
            "in_progress": _("Being handled by the responsible department."),
            "feedback": _("Handled; the centre is checking the result."),
            "return_visit": _("Handled; the centre is calling back for your satisfaction."),
            "done": _("Completed."),
            "cancel": _("Closed without handling."),
        }

    @api.model
    def _open311_status_note(self, row, notes):
        if row["state"] == "cancel" and row["master_name"]:
            return _("Merged into request %s, which is handled instead.", row["master_name"])
        if row["state"] == "done" and row["resolution_type"] == "handled" and row["handling_result"]:
            return row["handling_result"]
        return notes.get(row["state"])
