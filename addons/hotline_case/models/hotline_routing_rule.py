from odoo import api, fields, models, tools


class HotlineRoutingRule(models.Model):
    _name = "hotline.routing.rule"
    # the active rules are kept in the registry's cache (_hotline_rule_table): every acceptance reads them
    _inherit = ["hotline.cached.config.mixin"]
    _description = "Case Routing Rule"
    _order = "sequence, id"

    sequence = fields.Integer(default=10)
    name = fields.Char(required=True, translate=True)
    category_ids = fields.Many2many(
        "hotline.category", string="Categories", help="Matches these categories and their subcategories; empty: any."
    )
    district_ids = fields.Many2many(
        "hotline.district", string="Districts", help="Matches these districts and their sub-districts; empty: any."
    )
    service_type_ids = fields.Many2many("hotline.service.type", string="Service Types", help="Empty: any.")
    keywords = fields.Char(
        help="Comma-separated words; the rule matches when the summary, details or address contain one of them. "
        "Empty: any."
    )
    department_id = fields.Many2one("hotline.department", string="Department", required=True, ondelete="cascade")
    active = fields.Boolean(default=True)

    # ------------------------------------------------------------
    # BUSINESS
    # ------------------------------------------------------------

    def _get_keywords(self):
        self.ensure_one()
        words = (self.keywords or "").replace("，", ",").replace("、", ",").replace(";", ",").split(",")
        return [word.strip().lower() for word in words if word.strip()]

    @api.model
    @tools.ormcache()
    def _hotline_rule_table(self):
        """The active rules in their order, as (id, category ids, district ids, service type ids, keywords,
        department id): routing a case reads no rule record."""
        # sudo: routing is configuration applied for every user. active_test off for the criteria:
        # archiving a category or district does not widen a rule.
        rules = self.sudo().with_context(active_test=True).search([]).with_context(active_test=False)
        return tuple(
            (
                rule.id,
                frozenset(rule.category_ids.ids),
                frozenset(rule.district_ids.ids),
                frozenset(rule.service_type_ids.ids),
                tuple(rule._get_keywords()),
                rule.department_id.id,
            )
            for rule in rules
        )

    @api.model
    def _find_rule(self, case):
        """The first active rule (by sequence) that matches ``case``: its category and district (or a parent
        of them), its service type, one of its keywords in the summary, details or address; a rule's empty
        criteria match anything."""
        rule_id, _department_id = self._hotline_match(case)
        return self.browse(rule_id)

    @api.model
    def _hotline_route(self, case):
        """The department of the first rule that matches ``case`` (see ``_find_rule``), or none."""
        _rule_id, department_id = self._hotline_match(case)
        return self.env["hotline.department"].browse(department_id)

    @api.model
    def _hotline_match(self, case):
        categories = case.category_id._hotline_lineage_ids()
        districts = case.district_id._hotline_lineage_ids()
        service_type_id = case.service_type_id.id
        text = None
        for (
            rule_id,
            category_ids,
            district_ids,
            service_type_ids,
            keywords,
            department_id,
        ) in self._hotline_rule_table():
            if (
                (category_ids and not category_ids & categories)
                or (district_ids and not district_ids & districts)
                or (service_type_ids and service_type_id not in service_type_ids)
            ):
                continue
            if keywords:
                text = (case._hotline_routing_text() or "").lower() if text is None else text
                if not any(keyword in text for keyword in keywords):
                    continue
            return rule_id, department_id
        return False, False
