"""The public FAQ: the knowledge base's public answers, by category, with the same search as the operators'."""

from markupsafe import Markup
from werkzeug.exceptions import NotFound

from odoo import http
from odoo.http import request


class HotlineKbFaq(http.Controller):
    _faq_limit = 30

    def _faq_for_department(self):
        user = request.env.user
        return bool(user.share and not user._is_public() and user.hotline_department_id)

    def _faq_articles(self):
        if self._faq_for_department():
            # department staff: the record rules give them the public answers and their categories' ones
            return request.env["hotline.kb.article"]
        # sudo: citizens (public user) read the public answers in force, and only those (_faq_domain)
        return request.env["hotline.kb.article"].sudo()

    def _faq_domain(self):
        if self._faq_for_department():
            return [("is_current", "=", True)]
        return [("is_public", "=", True), ("is_current", "=", True)]

    @http.route(["/hotline/faq"], type="http", auth="public", website=True, sitemap=False)
    def hotline_faq(self, search="", category=None, **kw):
        Article = self._faq_articles()
        domain = self._faq_domain()
        category_id = int(category) if category and str(category).isdigit() else False
        if search.strip():
            results = Article._faq_search(search, category_id, self._faq_limit, self._faq_domain())
        else:
            if category_id:
                domain = domain + [("category_id", "child_of", category_id)]
            results = [article._search_result(0.0, []) for article in Article.search(domain, limit=self._faq_limit)]
        for result in results:
            # built from escaped text with <mark> around the matched words
            result["snippet"] = Markup(result["snippet"])
        categories = Article.search(self._faq_domain()).category_id
        values = {
            "results": results,
            "search": search,
            "categories": categories.sorted("display_name"),
            "category_id": category_id,
        }
        return request.render("hotline_kb.faq_page", values)

    @http.route(["/hotline/faq/<int:article_id>"], type="http", auth="public", website=True, sitemap=False)
    def hotline_faq_article(self, article_id, **kw):
        article = self._faq_articles().search(self._faq_domain() + [("id", "=", article_id)])
        if not article:
            raise NotFound()
        return request.render("hotline_kb.faq_article_page", {"article": article})
