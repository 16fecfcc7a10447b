"""Department portal: department staff keep their own components' state, address and position up to date.

Every route reads and writes as the logged-in user: the record rule limits them to their department's
components and the model refuses any other field than the ones the form offers.
"""

from werkzeug.exceptions import NotFound

from odoo import _, http
from odoo.exceptions import AccessError, MissingError, UserError, ValidationError
from odoo.http import request
from odoo.osv import expression

from odoo.addons.portal.controllers.portal import CustomerPortal
from odoo.addons.portal.controllers.portal import pager as portal_pager


class HotlineComponentPortal(CustomerPortal):
    _hotline_components_per_page = 30

    def _prepare_home_portal_values(self, counters):
        values = super()._prepare_home_portal_values(counters)
        if "hotline_component_count" in counters:
            Component = request.env["hotline.component"]
            values["hotline_component_count"] = (
                Component.search_count(self._hotline_component_domain()) if Component.has_access("read") else 0
            )
        return values

    def _hotline_component_domain(self):
        department = request.env.user.hotline_department_id
        if not department:
            return expression.FALSE_DOMAIN
        return [("department_id", "=", department.id)]

    def _hotline_component_filters(self):
        return {
            "all": {"label": _("All"), "domain": []},
            "in_use": {"label": _("In Use"), "domain": [("state", "=", "in_use")]},
            "damaged": {"label": _("Damaged"), "domain": [("state", "=", "damaged")]},
            "removed": {"label": _("Removed"), "domain": [("state", "=", "removed")]},
        }

    def _hotline_get_component(self, component_id):
        try:
            component = request.env["hotline.component"].browse(component_id).exists()
            component.check_access("read")
        except (AccessError, MissingError) as error:
            raise NotFound() from error
        if not component:
            raise NotFound()
        return component

    @http.route(
        ["/my/hotline/components", "/my/hotline/components/page/<int:page>"], type="http", auth="user", website=True
    )
    def portal_my_hotline_components(self, page=1, filterby="all", search=None, **kw):
        Component = request.env["hotline.component"]
        filters = self._hotline_component_filters()
        filterby = filterby if filterby in filters else "all"
        domain = expression.AND([self._hotline_component_domain(), filters[filterby]["domain"]])
        if search:
            domain = expression.AND(
                [domain, ["|", "|", ("code", "ilike", search), ("name", "ilike", search), ("address", "ilike", search)]]
            )
        count = Component.search_count(domain)
        pager = portal_pager(
            url="/my/hotline/components",
            url_args={"filterby": filterby, "search": search},
            total=count,
            page=page,
            step=self._hotline_components_per_page,
        )
        components = Component.search(domain, limit=self._hotline_components_per_page, offset=pager["offset"])
        values = self._prepare_portal_layout_values()
        values.update(
            {
                "components": components,
                "department": request.env.user.hotline_department_id,
                "page_name": "hotline_component",
                "pager": pager,
                "default_url": "/my/hotline/components",
                "searchbar_filters": filters,
                "filterby": filterby,
                "search": search,
                "search_in": "all",
                "searchbar_inputs": {"all": {"input": "all", "label": _("Search in Code, Name and Address")}},
            }
        )
        return request.render("hotline_case.portal_my_hotline_components", values)

    @http.route("/my/hotline/components/<int:component_id>", type="http", auth="user", website=True)
    def portal_my_hotline_component(self, component_id, saved=None, **kw):
        component = self._hotline_get_component(component_id)
        return self._hotline_render_component(component, message=_("Saved.") if saved else None)

    @http.route(
        "/my/hotline/components/<int:component_id>/save", type="http", auth="user", website=True, methods=["POST"]
    )
    def portal_hotline_component_save(self, component_id, **post):
        component = self._hotline_get_component(component_id)
        try:
            component.write(self._hotline_component_vals(component, post))
        except (UserError, ValidationError, AccessError) as error:
            request.env.cr.rollback()
            return self._hotline_render_component(component, error=error.args[0], status=400, form_values=post)
        return request.redirect(f"/my/hotline/components/{component.id}?saved=1")

    def _hotline_component_vals(self, component, post):
        states = dict(component._fields["state"].selection)
        vals = {"address": (post.get("address") or "").strip()}
        if post.get("state") in states:
            vals["state"] = post["state"]
        for name in ("latitude", "longitude"):
            value = (post.get(name) or "").strip()
            try:
                vals[name] = float(value)
            except ValueError:
                message = _("The coordinates must be decimal numbers, e.g. 30.5812 and 114.3021.")
                raise ValidationError(message) from None
        return vals

    def _hotline_render_component(self, component, error=None, message=None, status=200, form_values=None):
        values = self._prepare_portal_layout_values()
        values.update(
            {
                "component": component,
                "page_name": "hotline_component",
                "error": error,
                "message": message,
                "form_values": form_values or {},
                "states": component._fields["state"]._description_selection(request.env),
            }
        )
        return request.render("hotline_case.portal_my_hotline_component", values, status=status)
