from email.utils import formataddr

from odoo import models


class HotlineMailMixin(models.AbstractModel):
    """Messages of users without a mailbox: many operators have no e-mail address.

    Their messages still reach everyone in the Odoo inbox, and by e-mail those who
    have one, sent from the centre's address under the user's name. List it before
    ``mail.thread`` in ``_inherit``.
    """

    _name = "hotline.mail.mixin"
    _description = "Hotline Messages Without a Mailbox"

    def _message_compute_author(self, author_id=None, email_from=None, raise_on_email=True):
        author_id, email_from = super()._message_compute_author(author_id, email_from, raise_on_email=False)
        if not email_from and author_id:
            email_from = self._hotline_centre_email_from(author_id)
        return author_id, email_from

    def _hotline_centre_email_from(self, author_id):
        """The author's name at the centre's address, or False when the centre has none."""
        address = self.env.company.email or self.env["ir.mail_server"]._get_default_from_address()
        if not address:
            return False
        # sudo: the author's name, whoever posts
        name = self.env["res.partner"].sudo().browse(author_id).name or self.env.company.name
        return formataddr((name, address))
