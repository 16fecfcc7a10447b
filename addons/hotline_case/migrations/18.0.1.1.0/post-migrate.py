"""The case's numbers come from PostgreSQL sequences (implementation "standard") since 18.0.1.1.0:
registering no longer holds a row lock on the sequence until the end of the request.

The sequences are noupdate data, so an existing database is switched here. Odoo creates the
new PostgreSQL sequences of the yearly ranges at the main sequence's number; each range gets its
own next number back, so numbering goes on where it stopped.
"""

from odoo import SUPERUSER_ID, api


def migrate(cr, version):
    env = api.Environment(cr, SUPERUSER_ID, {})
    sequences = env["ir.sequence"].search([("code", "=like", "hotline.case%"), ("implementation", "=", "no_gap")])
    if not sequences:
        return
    next_of_range = {date_range: date_range.number_next_actual for date_range in sequences.date_range_ids}
    next_of_sequence = {sequence: sequence.number_next_actual for sequence in sequences}
    sequences.write({"implementation": "standard"})
    for date_range, number in next_of_range.items():
        date_range.number_next_actual = number
    for sequence, number in next_of_sequence.items():
        sequence.number_next_actual = number
