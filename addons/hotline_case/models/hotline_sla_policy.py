from odoo import _, api, fields, models, tools
from odoo.exceptions import ValidationError


class HotlineSlaPolicy(models.Model):
    _name = "hotline.sla.policy"
    _description = "Time Limit Policy"
    _order = "sequence, id"

    sequence = fields.Integer(default=10)
    name = fields.Char(required=True, translate=True)
    category_ids = fields.Many2many(
        "hotline.category", string="Categories", help="Applies to these categories and their subcategories; empty: any."
    )
    service_type_ids = fields.Many2many("hotline.service.type", string="Service Types", help="Empty: any.")
    priority = fields.Selection(
        [("0", "Normal"), ("1", "Urgent"), ("2", "Emergency")], help="Applies to this priority only; empty: any."
    )
    accept_hours = fields.Float(string="Acceptance (hours)", default=2.0, help="0: no limit.")
    dispatch_hours = fields.Float(string="Dispatch (hours)", default=2.0, help="0: no limit.")
    handle_hours = fields.Float(string="Handling (hours)", default=40.0, help="0: no limit.")
    return_visit_hours = fields.Float(string="Verification and Return Visit (hours)", default=16.0, help="0: no limit.")
    working_time = fields.Boolean(
        default=True,
        help="Count only the working hours of the department's calendar (with public holidays and make-up days); "
        "off: round the clock, e.g. for emergencies.",
    )
    warning_ratio = fields.Float(
        default=0.8, help="Share of the time limit after which a reminder is sent, e.g. 0.8 for 80%."
    )
    active = fields.Boolean(default=True)

    # ------------------------------------------------------------
    # CONSTRAINTS
    # ------------------------------------------------------------

    @api.constrains("accept_hours", "dispatch_hours", "handle_hours", "return_visit_hours", "warning_ratio")
    def _check_hours(self):
        for policy in self:
            hours = (policy.accept_hours, policy.dispatch_hours, policy.handle_hours, policy.return_visit_hours)
            if any(value < 0 for value in hours):
                raise ValidationError(_("Time limits cannot be negative (policy %s).", policy.name))
            if not 0 < policy.warning_ratio <= 1:
                raise ValidationError(_("The warning ratio must be between 0 and 1 (policy %s).", policy.name))

    # ------------------------------------------------------------
    # CRUD: the active policies are kept in the registry's cache (every registration reads them)
    # ------------------------------------------------------------

    @api.model_create_multi
    def create(self, vals_list):
        self.env.registry.clear_cache()
        return super().create(vals_list)

    def write(self, vals):
        self.env.registry.clear_cache()
        return super().write(vals)

    def unlink(self):
        self.env.registry.clear_cache()
        return super().unlink()

    @api.model
    def _active_policies(self):
        """The active policies in their order, searched once until a policy changes."""
        return self.browse(self._active_policy_ids())

    @api.model
    @tools.ormcache()
    def _active_policy_ids(self):
        # sudo: the same list for every user (no record rules on policies); reading them checks access
        return tuple(self.sudo().with_context(active_test=True).search([]).ids)

    # ------------------------------------------------------------
    # BUSINESS
    # ------------------------------------------------------------

    def _get_stage_hours(self, state):
        """The limit in hours of a case's stage ``state`` (0: none)."""
        self.ensure_one()
        field_name = {
            "new": "accept_hours",
            "accepted": "dispatch_hours",
            "assigned": "handle_hours",
            "in_progress": "handle_hours",
            "feedback": "return_visit_hours",
            "return_visit": "return_visit_hours",
        }.get(state)
        return self[field_name] if field_name else 0.0

    def _matches_case(self, case):
        self.ensure_one()
        Rule = self.env["hotline.routing.rule"]
        return (
            Rule._matches_hierarchy(self.category_ids, case.category_id)
            and (not self.service_type_ids or case.service_type_id in self.service_type_ids)
            and (not self.priority or self.priority == case.priority)
        )

    @api.model
    def _find_policy(self, case):
        """The first active policy (by sequence) that matches ``case``, else the default from the settings."""
        return self._match_policy(case, self._active_policies()) or self._get_default_policy()

    @api.model
    def _match_policy(self, case, policies):
        """The first of ``policies`` that matches ``case``, or no policy."""
        for policy in policies:
            if policy._matches_case(case):
                return policy
        return self.browse()

    @api.model
    def _get_default_policy(self):
        # sudo: a harmless setting every user's cases need
        value = self.env["ir.config_parameter"].sudo().get_param("hotline_case.default_sla_policy_id")
        if not (value and value.isdigit()):
            return self.browse()
        policy = self.browse(int(value))
        return policy if policy.id in self._active_policy_ids() else policy.exists()
