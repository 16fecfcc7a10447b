from odoo import _, api, fields, models, tools
from odoo.exceptions import ValidationError


class HotlineSlaPolicy(models.Model):
    _name = "hotline.sla.policy"
    _inherit = ["hotline.cached.config.mixin"]
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
    # CACHE: the active policies are kept in the registry's cache (every registration reads them)
    # ------------------------------------------------------------

    @api.model
    def _active_policies(self):
        """The active policies in their order, searched once until a policy changes."""
        return self.browse(self._active_policy_ids())

    @api.model
    def _active_policy_ids(self):
        return tuple(row[0] for row in self._hotline_policy_table())

    @api.model
    @tools.ormcache()
    def _hotline_policy_table(self):
        """The active policies in their order, as (id, category ids, service type ids, priority): matching a
        case against them reads no policy record."""
        # sudo: the same table for every user (no record rules on policies); reading a policy checks access.
        # active_test off for the categories and service types: archiving one does not widen a policy.
        policies = self.sudo().with_context(active_test=True).search([]).with_context(active_test=False)
        return tuple(
            (
                policy.id,
                frozenset(policy.category_ids.ids),
                frozenset(policy.service_type_ids.ids),
                policy.priority or False,
            )
            for policy in policies
        )

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

    @api.model
    def _find_policy(self, case):
        """The first active policy (by sequence) that matches ``case``, else the default from the settings."""
        return self._match_policy(case) or self._get_default_policy()

    @api.model
    def _match_policy(self, case):
        """The first active policy that matches ``case`` (its category or a parent category, service type and
        priority; a policy's empty criteria match anything), or no policy."""
        categories = case.category_id._hotline_lineage_ids()
        service_type_id, priority = case.service_type_id.id, case.priority
        for policy_id, category_ids, service_type_ids, policy_priority in self._hotline_policy_table():
            if (
                (not category_ids or category_ids & categories)
                and (not service_type_ids or service_type_id in service_type_ids)
                and (not policy_priority or policy_priority == priority)
            ):
                return self.browse(policy_id)
        return self.browse()

    @api.model
    def _get_default_policy(self):
        # sudo: a harmless setting every user's cases need
        value = self.env["ir.config_parameter"].sudo().get_param("hotline_case.default_sla_policy_id")
        if not (value and value.isdigit()):
            return self.browse()
        policy = self.browse(int(value))
        return policy if policy.id in self._active_policy_ids() else policy.exists()
