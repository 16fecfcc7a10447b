from odoo import tools
from odoo.tools import SQL


def create_report_view(model):
    """(Re)create the SQL view of a report model (``_auto = False``) from its ``_query()``."""
    tools.drop_view_if_exists(model.env.cr, model._table)
    model.env.cr.execute(SQL("CREATE OR REPLACE VIEW %s AS (%s)", SQL.identifier(model._table), model._query()))
