from odoo import _, api, fields, models
from odoo.exceptions import AccessError
from odoo.osv import expression
from odoo.tools import SQL

from .hotline_case import OPEN_STATES

# Colours of the cases on the map, by state (overdue: red, due soon: orange, before the state's colour).
MAP_COLORS = {
    "new": "blue",
    "accepted": "blue",
    "assigned": "violet",
    "in_progress": "violet",
    "feedback": "teal",
    "return_visit": "teal",
    "done": "green",
}


class HotlineCase(models.Model):
    _inherit = "hotline.case"

    # ------------------------------------------------------------
    # BUSINESS: the map
    # ------------------------------------------------------------

    @api.model
    def hotline_map_data(self, domain, limit=20000, groupby=None):
        """Markers for the map view: ``[id, lat, lon, colour]`` of the located cases of ``domain`` (search
        panel included) the user may read; the popup's texts come with ``hotline_map_popup`` on a click.
        Grouped by a stored many2one or selection field (the search's first grouping), each marker also
        carries its group's value and ``groups`` lists ``[value, label]``.

        One query on the columns the markers need: 10,000 cases must come in a fraction of a second.
        """
        self._check_map_access()
        limit = max(1, min(int(limit or 20000), 50000))
        located = ["|", ("latitude", "!=", 0), ("longitude", "!=", 0)]
        group_field = self._hotline_map_group_field(groupby)
        self.flush_model(
            ["latitude", "longitude", "state", "overdue_state", *([group_field.name] if group_field else [])]
        )
        query = self._search(expression.AND([domain or [], located]), limit=limit)
        query.order = None  # any order: sorting would make the planner walk the primary key over every case
        table = self._table
        rows = self.env.execute_query(
            query.select(
                SQL.identifier(table, "id"),
                SQL("round(%s, 6)::float8", SQL.identifier(table, "latitude")),
                SQL("round(%s, 6)::float8", SQL.identifier(table, "longitude")),
                self._hotline_map_color_sql(),
                *([SQL.identifier(table, group_field.name)] if group_field else []),
            )
        )
        # the rows are the markers: no Python per case
        result = {"markers": rows, "truncated": len(rows) >= limit}
        if group_field:
            result["groups"] = self._hotline_map_group_labels(group_field, {row[4] for row in rows})
        return result

    @api.model
    def _hotline_map_group_field(self, groupby):
        """The field of the search's first grouping when the map can colour by it (stored, readable)."""
        name = (groupby or [""])[0].split(":")[0] if isinstance(groupby, list | tuple) else ""
        field = self._fields.get(name)
        if not field or not field.store or field.type not in ("many2one", "selection"):
            return None
        if field.groups and not self.env.user.has_groups(field.groups):
            return None
        return field

    @api.model
    def _hotline_map_group_labels(self, field, values):
        if field.type == "selection":
            labels = dict(field._description_selection(self.env))
        else:
            records = self.env[field.comodel_name].browse(value for value in values if value)
            labels = {record.id: record.display_name for record in records._filtered_access("read")}
        groups = [[value, labels.get(value) or (_("None") if not value else str(value))] for value in values]
        return sorted(groups, key=lambda group: group[1])

    def hotline_map_popup(self):
        """What a marker's popup shows: number, summary, status, deadline."""
        self._check_map_access()
        labels = dict(self._fields["state"]._description_selection(self.env))
        return [
            {
                "id": case.id,
                "title": case.name,
                "subtitle": case.summary or "",
                "state_label": labels.get(case.state, case.state),
                "deadline": fields.Datetime.to_string(case.deadline)
                if case.deadline and case.state in OPEN_STATES
                else False,
                "overdue": case.overdue_state == "overdue" and case.state in OPEN_STATES,
            }
            for case in self
        ]

    @api.model
    def _check_map_access(self):
        if not self.env.user.has_group("hotline_base.group_hotline_operator"):
            raise AccessError(_("Only the hotline centre sees cases on the map."))

    @api.model
    def _hotline_map_color_sql(self):
        """A marker's colour: red overdue, orange due soon, else by state (MAP_COLORS)."""
        state = SQL.identifier(self._table, "state")
        overdue_state = SQL.identifier(self._table, "overdue_state")
        open_states = SQL(", ").join(SQL("%s", name) for name in OPEN_STATES)
        by_state = SQL(" ").join(SQL("WHEN %s = %s THEN %s", state, name, color) for name, color in MAP_COLORS.items())
        return SQL(
            "CASE WHEN %(state)s IN (%(open)s) AND %(overdue)s = 'overdue' THEN 'red'"
            " WHEN %(state)s IN (%(open)s) AND %(overdue)s = 'warning' THEN 'orange' %(by_state)s ELSE 'grey' END",
            state=state,
            open=open_states,
            overdue=overdue_state,
            by_state=by_state,
        )
