import json
import logging
import re
from urllib.parse import urlencode

from werkzeug.datastructures import MultiDict

from odoo import _, http
from odoo.http import request

from ..tools.georeport import FORMATS, SPECIFICATION, Open311Error, error_document, render

_logger = logging.getLogger(__name__)

BASE = "/open311/v2"
FMT = "<any(json,xml):fmt>"
ROUTE_OPTIONS = {"type": "http", "auth": "none", "csrf": False, "save_session": False}
ATTRIBUTE_KEY = re.compile(r"^attribute\[([^\[\]]+)\](\[\])?$")
CHANGESET = "2026-11-30 00:00"
DEFAULT_PAGE_SIZE = 100
MAX_PAGE_SIZE = 1000


class Open311Controller(http.Controller):
    """Open311 GeoReport v2: every method in JSON and XML, errors in the spec's format, never an HTML page."""

    # ------------------------------------------------------------
    # discovery and services
    # ------------------------------------------------------------

    @http.route(f"{BASE}/discovery.{FMT}", methods=["GET"], readonly=True, **ROUTE_OPTIONS)
    def open311_discovery(self, fmt, **_params):
        return self._open311_call(fmt, lambda: ("discovery", self._open311_discovery_document()))

    @http.route(f"{BASE}/services.{FMT}", methods=["GET"], readonly=True, **ROUTE_OPTIONS)
    def open311_services(self, fmt, **_params):
        def services():
            categories = request.env["hotline.category"]._open311_services()
            return "services", [category._open311_service_data() for category in categories]

        return self._open311_call(fmt, services)

    @http.route(f"{BASE}/services/<string:service_code>.{FMT}", methods=["GET"], readonly=True, **ROUTE_OPTIONS)
    def open311_service_definition(self, fmt, service_code, **_params):
        def definition():
            category = request.env["hotline.category"]._open311_find_service(service_code)
            return "service_definition", category._open311_definition_data()

        return self._open311_call(fmt, definition)

    # ------------------------------------------------------------
    # requests
    # ------------------------------------------------------------

    @http.route(f"{BASE}/requests.{FMT}", methods=["GET"], readonly=True, **ROUTE_OPTIONS)
    def open311_requests(self, fmt, **_params):
        return self._open311_call(fmt, self._open311_search_requests)

    @http.route(f"{BASE}/requests.{FMT}", methods=["POST"], readonly=False, **ROUTE_OPTIONS)
    def open311_submit_request(self, fmt, **_params):
        return self._open311_call(fmt, self._open311_submit)

    @http.route(f"{BASE}/requests/<string:service_request_id>.{FMT}", methods=["GET"], readonly=True, **ROUTE_OPTIONS)
    def open311_request(self, fmt, service_request_id, **_params):
        def one_request():
            cases = request.env["hotline.case"].search(
                [*request.env["hotline.case"]._open311_public_domain(), ("name", "=", service_request_id)], limit=1
            )
            if not cases:
                raise Open311Error(404, _("Unknown service_request_id: %s", service_request_id))
            return "service_requests", cases._open311_request_data()

        return self._open311_call(fmt, one_request)

    @http.route(f"{BASE}/tokens/<string:token>.{FMT}", methods=["GET"], readonly=True, **ROUTE_OPTIONS)
    def open311_token(self, fmt, token, **_params):
        def from_token():
            cases = request.env["hotline.case"].search(
                [*request.env["hotline.case"]._open311_public_domain(), ("open311_token", "=", token)], limit=1
            )
            if not cases:
                raise Open311Error(404, _("Unknown token: %s", token))
            return "service_requests", [{"service_request_id": cases.name, "token": token}]

        return self._open311_call(fmt, from_token)

    @http.route([f"{BASE}", f"{BASE}/", f"{BASE}/<path:path>"], methods=["GET", "POST"], readonly=True, **ROUTE_OPTIONS)
    def open311_unknown(self, path="", **_params):
        fmt = "xml" if path.endswith(".xml") else "json"

        method = f"{BASE}/{path}"

        def unknown():
            raise Open311Error(404, _("No such Open311 method: %s", method))

        return self._open311_call(fmt, unknown)

    # ------------------------------------------------------------
    # the calls
    # ------------------------------------------------------------

    def _open311_call(self, fmt, handler):
        """Run ``handler`` (returns root tag, document[, headers]) as the API user in the asked language.

        Whatever goes wrong, the answer is the spec's error list: never a stack trace or an HTML page.
        """
        try:
            self._open311_environment()
            result = handler()
        except Open311Error as error:
            return self._open311_error(fmt, error.status, error.description)
        except Exception:
            _logger.exception("Open311: %s failed", request.httprequest.path)
            request.env.cr.rollback()
            return self._open311_error(fmt, 500, "Internal error: the request could not be processed.")
        if isinstance(result, tuple) and len(result) == 3:
            root, document, headers = result
        else:
            (root, document), headers = result, {}
        return self._open311_response(fmt, root, document, headers=headers)

    def _open311_environment(self):
        """The API acts as its own user (an operator without login), in the requester's language."""
        # sudo: the API user, the languages and the settings are read before there is a user
        env = request.env(su=True)
        # cached by the registry: no query for the API user on each request
        user_id = env["ir.model.data"]._xmlid_to_res_id("hotline_open311.user_open311", raise_if_not_found=False)
        if not user_id:
            raise Open311Error(503, "The Open311 API is not configured.")
        params = self._open311_params()
        lang = self._open311_lang(env, params.get("locale"))
        jurisdiction = env["ir.config_parameter"].get_param("hotline_open311.jurisdiction_id")
        request.update_env(user=user_id, context={"lang": lang})
        if params.get("jurisdiction_id") and jurisdiction and params["jurisdiction_id"] != jurisdiction:
            raise Open311Error(404, _("Unknown jurisdiction_id: %s", params["jurisdiction_id"]))

    def _open311_lang(self, env, locale):
        """The requester's language (``locale``: zh_CN, zh-CN, en, en_US...), else the configured default."""
        installed = [code for code, _name in env["res.lang"].get_installed()]
        wanted = (locale or "").replace("-", "_")
        if wanted in installed:
            return wanted
        prefix = wanted.split("_")[0].lower()
        if prefix:
            for code in installed:
                if code.split("_")[0].lower() == prefix:
                    return code
        default = env["ir.config_parameter"].get_param("hotline_open311.default_locale", "zh_CN")
        return default if default in installed else "en_US"

    def _open311_params(self):
        """Query and body parameters; a POST body is form-encoded (the spec) or a JSON object."""
        cached = getattr(request, "_open311_params", None)
        if cached is not None:
            return cached
        httprequest = request.httprequest
        params = MultiDict(httprequest.args)
        if httprequest.method == "POST":
            params.update(self._open311_body(httprequest))
        request._open311_params = params
        return params

    def _open311_body(self, httprequest):
        mimetype = httprequest.mimetype or ""
        if mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
            return httprequest.form
        data = httprequest.get_data()
        if mimetype == "application/json" or (mimetype in ("", "text/plain") and data.strip()[:1] == b"{"):
            try:
                body = json.loads(data.decode("utf-8"))
            except (UnicodeDecodeError, ValueError):
                raise Open311Error(400, _("The request body is not valid JSON.")) from None
            if not isinstance(body, dict):
                raise Open311Error(400, _("The request body must be a JSON object."))
            return self._open311_flatten_json(body)
        if data.strip():
            raise Open311Error(
                400, _("The request body must be form-encoded (application/x-www-form-urlencoded) or JSON.")
            )
        return MultiDict()

    def _open311_flatten_json(self, body):
        """A JSON body as the form's keys: ``{"attribute": {"CODE": ["a", "b"]}}`` -> attribute[CODE][]."""
        params = MultiDict()
        for key, value in body.items():
            if key == "attribute" and isinstance(value, dict):
                for code, answer in value.items():
                    answers = answer if isinstance(answer, list) else [answer]
                    for item in answers:
                        params.add(f"attribute[{code}][]", self._open311_json_scalar(item))
            elif isinstance(value, dict | list):
                raise Open311Error(400, _("%s must be a single value.", key))
            else:
                params.add(key, self._open311_json_scalar(value))
        return params

    def _open311_json_scalar(self, value):
        if value is None:
            return ""
        if isinstance(value, dict | list):
            raise Open311Error(400, _("An attribute's answer must be a value or a list of values."))
        return str(value) if not isinstance(value, bool) else ("true" if value else "false")

    # ------------------------------------------------------------
    # the documents
    # ------------------------------------------------------------

    def _open311_discovery_document(self):
        env = request.env
        company = env.company.sudo()  # sudo: the centre's public contact details
        contact = ", ".join(part for part in (company.name, company.phone, company.email) if part)
        base_url = env["ir.config_parameter"].sudo().get_param("web.base.url", "")
        return {
            "changeset": CHANGESET,
            "contact": contact,
            "key_service": _("API keys for submitting requests are issued by the centre's administrators: %s", contact),
            "endpoints": [
                {
                    "specification": SPECIFICATION,
                    "url": f"{base_url}{BASE}",
                    "changeset": CHANGESET,
                    "type": "production",
                    "formats": ["text/xml", "application/json"],
                }
            ],
        }

    def _open311_page(self, params):
        settings = request.env["ir.config_parameter"].sudo()  # sudo: harmless settings
        default = int(settings.get_param("hotline_open311.page_size", DEFAULT_PAGE_SIZE))
        maximum = int(settings.get_param("hotline_open311.max_page_size", MAX_PAGE_SIZE))
        values = {}
        for key, fallback in (("page", 1), ("page_size", default)):
            raw = params.get(key)
            if raw in (None, ""):
                values[key] = fallback
                continue
            if not raw.isdigit() or int(raw) < 1:
                raise Open311Error(400, _("%s must be a whole number from 1.", key))
            values[key] = int(raw)
        if values["page_size"] > maximum:
            raise Open311Error(400, _("page_size may be at most %s.", maximum))
        return values["page"], values["page_size"], maximum

    def _open311_search_requests(self):
        params = self._open311_params()
        page, page_size, maximum = self._open311_page(params)
        Case = request.env["hotline.case"]
        domain = Case._open311_get_domain(Case._open311_filters(params, maximum))
        cases = Case.search(
            domain,
            order="reported_at desc, id desc",
            limit=page_size + 1,
            offset=(page - 1) * page_size,
        )
        headers = {}
        if len(cases) > page_size:
            query = MultiDict(params)
            query["page"] = str(page + 1)
            query["page_size"] = str(page_size)
            next_url = f"{request.httprequest.base_url}?{urlencode(list(query.items(multi=True)))}"
            headers["Link"] = f'<{next_url}>; rel="next"'
        return "service_requests", cases[:page_size]._open311_request_data(), headers

    def _open311_submit(self):
        params = self._open311_params()
        env = request.env
        # sudo: the key is checked before anyone is known; keys are readable by administrators only
        client = env["hotline.open311.client"].sudo()._open311_authenticate(params.get("api_key"))
        if client.state == "active":
            client._open311_check_rate()
        client = client.sudo(False)
        Log = env["hotline.open311.log"]
        service_code = (params.get("service_code") or "").strip()
        remote_addr = request.httprequest.remote_addr
        try:
            client._open311_check_active()
            if not service_code:
                raise Open311Error(400, _("service_code is required."))
            with env.cr.savepoint():
                category = env["hotline.category"]._open311_find_service(service_code)
                case = env["hotline.case"]._open311_create(client, category, params, self._open311_attributes(params))
                document = self._open311_submitted_document(case)
        except Open311Error as error:
            Log._open311_record(client, "refused", error.status, None, service_code, error.description, remote_addr)
            raise
        Log._open311_record(client, "accepted", 200, case, service_code, None, remote_addr)
        return "service_requests", document

    def _open311_attributes(self, params):
        """{code: [values]} from attribute[CODE]=x and attribute[CODE][]=x parameters."""
        attributes = {}
        for key, value in params.items(multi=True):
            match = ATTRIBUTE_KEY.match(key)
            if match:
                attributes.setdefault(match.group(1), []).append(value)
        return attributes

    def _open311_submitted_document(self, case):
        category = case.category_id
        item = {"service_request_id": case.name, "token": case.open311_token}
        if category.open311_type != "realtime":
            # batch and black-box services hand out the token; the number comes later (GET tokens)
            item["service_request_id"] = None
        item["service_notice"] = category.open311_notice or None
        item["account_id"] = case.open311_account_id or None
        return [item]

    # ------------------------------------------------------------
    # responses
    # ------------------------------------------------------------

    def _open311_response(self, fmt, root, document, status=200, headers=None):
        response = request.make_response(
            render(fmt, root, document), headers=[("Content-Type", FORMATS[fmt])], status=status
        )
        for name, value in (headers or {}).items():
            response.headers[name] = value
        response.headers["Access-Control-Allow-Origin"] = "*"
        return response

    def _open311_error(self, fmt, status, description):
        return self._open311_response(fmt, "errors", error_document(status, description), status=status)
