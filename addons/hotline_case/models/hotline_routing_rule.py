from odoo import api, fields, models


class HotlineRoutingRule(models.Model):
    _name = "hotline.routing.rule"
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

    def _matches_case(self, case):
        """Whether this rule applies to ``case`` (a hotline.case record or a new record)."""
        self.ensure_one()
        return (
            self._matches_hierarchy(self.category_ids, case.category_id)
            and self._matches_hierarchy(self.district_ids, case.district_id)
            and (not self.service_type_ids or case.service_type_id in self.service_type_ids)
            and self._matches_keywords(case._hotline_routing_text())
        )

    @api.model
    def _matches_hierarchy(self, allowed, record):
        """Empty ``allowed`` matches anything; else ``record`` must be one of them or below one of them."""
        if not allowed:
            return True
        if not record:
            return False
        ancestors = {int(part) for part in (record.parent_path or str(record.id)).split("/") if part}
        ancestors.add(record.id)
        return bool(ancestors & set(allowed.ids))

    def _matches_keywords(self, text):
        keywords = self._get_keywords()
        if not keywords:
            return True
        text = (text or "").lower()
        return any(keyword in text for keyword in keywords)

    @api.model
    def _find_rule(self, case):
        """The first active rule (by sequence) that matches ``case``."""
        for rule in self.search([]):
            if rule._matches_case(case):
                return rule
        return self.browse()
