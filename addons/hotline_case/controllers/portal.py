"""Department portal: department staff (portal users) list and handle their department's cases.

Every route reads the case as the logged-in user first (record rules decide what they see);
only then does it call the workflow, in sudo where portal users have no write access
(see the comment at each sudo).
"""

from datetime import datetime

import pytz
from werkzeug.exceptions import NotFound

from odoo import _, fields, http
from odoo.exceptions import AccessError, MissingError, UserError, ValidationError
from odoo.http import request
from odoo.osv import expression

from odoo.addons.portal.controllers.portal import CustomerPortal
from odoo.addons.portal.controllers.portal import pager as portal_pager

OPEN_STATES = ("new", "accepted", "assigned", "in_progress", "feedback", "return_visit")
DATETIME_FORMATS = ("%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S")


class HotlineCasePortal(CustomerPortal):
    _hotline_items_per_page = 20

    # ------------------------------------------------------------
    # HOME COUNTER
    # ------------------------------------------------------------

    def _prepare_home_portal_values(self, counters):
        values = super()._prepare_home_portal_values(counters)
        if "hotline_case_count" in counters:
            Case = request.env["hotline.case"]
            open_domain = expression.AND([self._hotline_case_domain(), [("state", "in", OPEN_STATES)]])
            values["hotline_case_count"] = Case.search_count(open_domain) if Case.has_access("read") else 0
        return values

    # ------------------------------------------------------------
    # HELPERS
    # ------------------------------------------------------------

    def _hotline_department(self):
        return request.env.user.hotline_department_id

    def _hotline_case_domain(self):
        """The cases of the user's department: handled by it or assisted by it.

        Record rules apply on top of this; a user without a department sees nothing here.
        """
        department = self._hotline_department()
        if not department:
            return expression.FALSE_DOMAIN
        return [
            ("dispatched_at", "!=", False),
            "|",
            ("department_id", "=", department.id),
            ("assist_department_ids", "in", department.ids),
        ]

    def _hotline_searchbar_filters(self):
        now = fields.Datetime.now()
        return {
            "open": {"label": _("Open"), "domain": [("state", "in", OPEN_STATES)]},
            "assigned": {"label": _("To Sign Off"), "domain": [("state", "=", "assigned")]},
            "in_progress": {"label": _("In Progress"), "domain": [("state", "=", "in_progress")]},
            "feedback": {"label": _("Result Submitted"), "domain": [("state", "in", ("feedback", "return_visit"))]},
            "overdue": {
                "label": _("Overdue"),
                "domain": [
                    ("state", "in", OPEN_STATES),
                    "|",
                    ("is_overdue", "=", True),
                    ("deadline", "<", now),
                ],
            },
            "supervised": {"label": _("Supervised"), "domain": [("is_supervised", "=", True)]},
            "done": {"label": _("Completed"), "domain": [("state", "=", "done")]},
            "all": {"label": _("All"), "domain": []},
        }

    def _hotline_searchbar_sortings(self):
        return {
            "deadline": {"label": _("Deadline"), "order": "deadline asc, id desc"},
            "newest": {"label": _("Newest"), "order": "reported_at desc, id desc"},
            "priority": {"label": _("Priority"), "order": "priority desc, deadline asc, id desc"},
            "name": {"label": _("Case Number"), "order": "name desc"},
        }

    def _hotline_searchbar_inputs(self):
        return {
            "all": {"input": "all", "label": _("Search in All")},
            "name": {"input": "name", "label": _("Search in Case Number")},
            "summary": {"input": "summary", "label": _("Search in Summary")},
            "address": {"input": "address", "label": _("Search in Address")},
        }

    def _hotline_search_domain(self, search_in, search):
        if not search:
            return []
        fields_by_input = {"name": ["name"], "summary": ["summary"], "address": ["address"]}
        names = fields_by_input.get(search_in, ["name", "summary", "address"])
        return expression.OR([[(name, "ilike", search)] for name in names])

    def _hotline_get_case(self, case_id):
        """The case as the current user, after checking they may read it and it is their department's.

        :raise NotFound: missing case, or one the user may not read (never a hint of its data)
        """
        try:
            self._document_check_access("hotline.case", case_id)
        except (AccessError, MissingError) as error:
            raise NotFound() from error
        case = request.env["hotline.case"].browse(case_id)
        if not self._hotline_can_see(case):
            raise NotFound()
        return case

    def _hotline_can_see(self, case):
        return bool(case.exists() and case.has_access("read") and case.filtered_domain(self._hotline_case_domain()))

    def _hotline_is_handler(self, case):
        """Whether the user works in the handling department (assisting departments only read and comment)."""
        department = self._hotline_department()
        return bool(department) and case.department_id == department

    def _hotline_check_handler(self, case):
        if not self._hotline_is_handler(case):
            raise UserError(_("Only the handling department can do this; assisting departments can comment."))

    def _hotline_parse_datetime(self, value):
        """A datetime typed in the user's time zone, as naive UTC; False when empty or not a date."""
        value = (value or "").strip()
        if not value:
            return False
        for date_format in DATETIME_FORMATS:
            try:
                local = datetime.strptime(value, date_format)
                break
            except ValueError:
                continue
        else:
            return False
        tz_name = request.env.user.tz or request.env.context.get("tz") or "UTC"
        try:
            tz = pytz.timezone(tz_name)
        except pytz.UnknownTimeZoneError:
            tz = pytz.utc
        return tz.localize(local).astimezone(pytz.utc).replace(tzinfo=None)

    def _hotline_messages(self):
        return {
            "started": _("You signed off the case: it is now in progress."),
            "returned": _("The case was returned to the centre."),
            "extension": _("Your extension request was sent to the centre."),
            "answered": _("Your answer to the supervision was sent."),
            "feedback": _("The handling result was submitted to the centre."),
        }

    def _hotline_run(self, case, action, message_key, **kwargs):
        """Runs ``action`` in a savepoint: on a refusal nothing is kept and the page shows why."""
        try:
            with request.env.cr.savepoint():
                self._hotline_check_handler(case)
                action(case, **kwargs)
        except (UserError, ValidationError) as error:
            request.env.invalidate_all()
            return self._hotline_render_case(case, error=error.args[0], status=400, form_values=kwargs)
        request.env.invalidate_all()
        if not self._hotline_can_see(case):
            # e.g. returned to the centre: the case left the department
            return request.redirect(f"/my/hotline?message={message_key}")
        return request.redirect(f"/my/hotline/{case.id}?message={message_key}")

    # ------------------------------------------------------------
    # LIST
    # ------------------------------------------------------------

    # readonly: the list is read from the streaming replica when one is configured (db_replica_host)
    @http.route(["/my/hotline", "/my/hotline/page/<int:page>"], type="http", auth="user", website=True, readonly=True)
    def portal_my_hotline_cases(
        self, page=1, sortby=None, filterby=None, search=None, search_in="all", message=None, **kw
    ):
        values = self._prepare_portal_layout_values()
        Case = request.env["hotline.case"]
        filters = self._hotline_searchbar_filters()
        sortings = self._hotline_searchbar_sortings()
        inputs = self._hotline_searchbar_inputs()
        filterby = filterby if filterby in filters else "open"
        sortby = sortby if sortby in sortings else "deadline"
        search_in = search_in if search_in in inputs else "all"

        domain = expression.AND(
            [
                self._hotline_case_domain(),
                filters[filterby]["domain"],
                self._hotline_search_domain(search_in, search),
            ]
        )
        case_count = Case.search_count(domain)
        pager = portal_pager(
            url="/my/hotline",
            url_args={"sortby": sortby, "filterby": filterby, "search": search, "search_in": search_in},
            total=case_count,
            page=page,
            step=self._hotline_items_per_page,
        )
        cases = Case.search(
            domain, order=sortings[sortby]["order"], limit=self._hotline_items_per_page, offset=pager["offset"]
        )
        request.session["my_hotline_cases_history"] = cases.ids[:100]
        values.update(
            {
                "cases": cases,
                "department": self._hotline_department(),
                "page_name": "hotline_case",
                "default_url": "/my/hotline",
                "pager": pager,
                "searchbar_sortings": sortings,
                "sortby": sortby,
                "searchbar_filters": filters,
                "filterby": filterby,
                "searchbar_inputs": inputs,
                "search_in": search_in,
                "search": search,
                "now": fields.Datetime.now(),
                "message": self._hotline_messages().get(message),
            }
        )
        return request.render("hotline_case.portal_my_hotline_cases", values)

    # ------------------------------------------------------------
    # ONE CASE
    # ------------------------------------------------------------

    def _hotline_render_case(self, case, error=None, message=None, status=200, form_values=None):
        values = self._prepare_portal_layout_values()
        department = self._hotline_department()
        is_handler = self._hotline_is_handler(case)
        supervisions = case.supervision_ids.filtered(
            lambda s: s.state == "open" and (not s.department_id or s.department_id == department)
        )
        values.update(
            {
                "case": case,
                "department": department,
                "is_handler": is_handler,
                "open_supervisions": supervisions,
                "attachments": self._hotline_case_attachments(case),
                "page_name": "hotline_case",
                "error": error,
                "message": message,
                "form_values": form_values or {},
                "now": fields.Datetime.now(),
                "user_tz": request.env.user.tz or "UTC",
            }
        )
        values = self._get_page_view_values(case, None, values, "my_hotline_cases_history", False)
        return request.render("hotline_case.portal_my_hotline_case", values, status=status)

    def _hotline_case_attachments(self, case):
        """The case's files, with download tokens; call only after _hotline_get_case."""
        # portal users have no access to ir.attachment; they may read these files because they
        # read the case (checked by _hotline_get_case), so they get them through access tokens
        attachments = case._hotline_portal_attachments()
        attachments.generate_access_token()
        return attachments

    @http.route("/my/hotline/<int:case_id>", type="http", auth="user", website=True)
    def portal_my_hotline_case(self, case_id, message=None, **kw):
        case = self._hotline_get_case(case_id)
        if case._hotline_portal_phone_shown():
            request.env["hotline.audit.log"]._hotline_log("phone_view", case)
        return self._hotline_render_case(case, message=self._hotline_messages().get(message))

    @http.route("/my/hotline/<int:case_id>/start", type="http", auth="user", website=True, methods=["POST"])
    def portal_hotline_case_start(self, case_id, **kw):
        case = self._hotline_get_case(case_id)
        return self._hotline_run(case, self._hotline_do_start, "started")

    @http.route("/my/hotline/<int:case_id>/return", type="http", auth="user", website=True, methods=["POST"])
    def portal_hotline_case_return(self, case_id, reason="", **kw):
        case = self._hotline_get_case(case_id)
        return self._hotline_run(case, self._hotline_do_return, "returned", reason=reason)

    @http.route("/my/hotline/<int:case_id>/extension", type="http", auth="user", website=True, methods=["POST"])
    def portal_hotline_case_extension(self, case_id, new_deadline="", reason="", **kw):
        case = self._hotline_get_case(case_id)
        return self._hotline_run(
            case, self._hotline_do_extension, "extension", new_deadline=new_deadline, reason=reason
        )

    @http.route(
        "/my/hotline/<int:case_id>/supervision/<int:supervision_id>/answer",
        type="http",
        auth="user",
        website=True,
        methods=["POST"],
    )
    def portal_hotline_case_answer(self, case_id, supervision_id, answer="", **kw):
        case = self._hotline_get_case(case_id)
        return self._hotline_run(
            case, self._hotline_do_answer, "answered", supervision_id=supervision_id, answer=answer
        )

    @http.route("/my/hotline/<int:case_id>/feedback", type="http", auth="user", website=True, methods=["POST"])
    def portal_hotline_case_feedback(self, case_id, handling_result="", **kw):
        case = self._hotline_get_case(case_id)
        uploads = [upload for upload in request.httprequest.files.getlist("attachments") if upload.filename]
        return self._hotline_run(
            case, self._hotline_do_feedback, "feedback", handling_result=handling_result, uploads=uploads
        )

    # ------------------------------------------------------------
    # ACTIONS (called after _hotline_get_case and _hotline_check_handler)
    # ------------------------------------------------------------

    def _hotline_do_start(self, case):
        # sudo: department staff have read-only access to cases; the workflow checks the state
        case.sudo().action_start()

    def _hotline_do_return(self, case, reason):
        reason = (reason or "").strip()
        if not reason:
            raise UserError(_("Give the reason for returning the case to the centre."))
        # sudo: department staff have read-only access to cases; the workflow checks the state
        case.sudo()._hotline_return_to_center(reason)

    def _hotline_do_extension(self, case, new_deadline, reason):
        reason = (reason or "").strip()
        deadline = self._hotline_parse_datetime(new_deadline)
        if not deadline:
            raise UserError(_("Enter the new deadline as a date and time, e.g. 2026-05-31 18:00."))
        if not reason:
            raise UserError(_("Give the reason for the extension."))
        current = case.deadline
        if deadline <= fields.Datetime.now() or (current and deadline <= current):
            raise UserError(_("The new deadline must be later than the current one."))
        if case.extension_ids.filtered(lambda e: e.state == "requested"):
            raise UserError(_("An extension request for this case is already waiting for the centre's decision."))
        # sudo: department staff cannot create extension requests themselves; the workflow checks the state
        case.sudo()._hotline_request_extension(reason, requested_deadline=deadline)

    def _hotline_do_answer(self, case, supervision_id, answer):
        answer = (answer or "").strip()
        supervision = case.supervision_ids.filtered(lambda s: s.id == supervision_id)
        if not supervision:
            raise NotFound()
        if supervision.state != "open":
            raise UserError(_("This supervision is no longer open."))
        if not answer:
            raise UserError(_("Write your answer to the supervision."))
        # sudo: department staff cannot write supervisions; they were allowed to read this one
        supervision.sudo()._hotline_answer(answer)

    def _hotline_do_feedback(self, case, handling_result, uploads):
        handling_result = (handling_result or "").strip()
        if not handling_result:
            raise UserError(_("Describe the handling result before submitting it."))
        files = []
        for upload in uploads:
            data = upload.read()
            if not data:
                raise UserError(_("The file %s is empty.", upload.filename))
            files.append((upload.filename, data))
        # sudo: department staff have read-only access to cases and cannot attach files to them;
        # the workflow checks the state, and ir.attachment still sanitizes the files with the user's rights
        case.sudo()._hotline_submit_feedback(handling_result, attachments=files)
