from odoo import _, api, fields, models, tools
from odoo.exceptions import UserError, ValidationError
from odoo.tools import SQL, html2plaintext

from ..tools.segment import snippet, words_tsquery

STATES = [("draft", "Draft"), ("published", "Published"), ("archived", "Archived")]
# ts_rank weights for D, C, B, A: body (C) counts, keywords (B) more, the title (A) most
RANK_WEIGHTS = "{0.05, 0.2, 0.5, 1.0}"
# an article of the case's own category ranks this much higher
CATEGORY_BOOST = 1.5
# A word found in more than LIST_MIN_ARTICLES articles (小区, 街道, 停水 ...) would make ts_rank score
# tens of thousands of rows: the GIN index selects, it cannot order. Such a word keeps a list of
# its LIST_SIZE best articles (hotline_kb_word_list, rebuilt nightly); a question ranks the lists of
# its frequent words, every article of its rarer words, and what changed since the lists were built.
LIST_MIN_ARTICLES = 500
LIST_SIZE = 200


class HotlineKbArticle(models.Model):
    _name = "hotline.kb.article"
    _description = "Knowledge Base Article"
    _inherit = ["hotline.mail.mixin", "mail.thread", "mail.activity.mixin", "html.field.history.mixin"]
    _order = "helpful_count desc, name, id"

    name = fields.Char(string="Question", required=True, tracking=True, translate=False)
    body = fields.Html(string="Standard Answer", sanitize=True, sanitize_style=True)
    category_id = fields.Many2one("hotline.category", string="Category", index=True, tracking=True)
    tag_ids = fields.Many2many("hotline.kb.tag", string="Keywords")
    regulation_ids = fields.Many2many(
        "hotline.kb.regulation",
        "hotline_kb_article_regulation_rel",
        "article_id",
        "regulation_id",
        string="Regulations Cited",
    )
    state = fields.Selection(STATES, default="draft", required=True, index=True, tracking=True, copy=False)
    version = fields.Integer(
        default=1, readonly=True, copy=False, tracking=True, help="Goes up each time the answer changes."
    )
    valid_from = fields.Date(tracking=True)
    valid_to = fields.Date(tracking=True)
    is_current = fields.Boolean(
        string="In Force",
        readonly=True,
        copy=False,
        index=True,
        help="Published and within its validity dates (checked every night).",
    )
    is_public = fields.Boolean(string="Public (FAQ)", tracking=True, help="Shown to citizens in the FAQ.")
    view_count = fields.Integer(string="Views", readonly=True, copy=False)
    case_ids = fields.Many2many(
        "hotline.case", "hotline_case_kb_article_rel", "article_id", "case_id", string="Cases Answered", copy=False
    )
    helpful_count = fields.Integer(
        string="Times Used",
        compute="_compute_helpful_count",
        store=True,
        help="How many cases were answered with this article.",
    )
    regulation_state = fields.Selection(
        [("ok", "In Force"), ("expiring", "Expiring Soon"), ("expired", "Expired")],
        string="Regulations",
        compute="_compute_regulation_state",
        search="_search_regulation_state",
    )
    active = fields.Boolean(default=True)

    # ------------------------------------------------------------
    # COMPUTES
    # ------------------------------------------------------------

    @api.depends("case_ids")
    def _compute_helpful_count(self):
        for article in self:
            article.helpful_count = len(article.case_ids)

    @api.depends("regulation_ids.date_expiry")
    def _compute_regulation_state(self):
        for article in self:
            states = set(article.regulation_ids.mapped("expiry_state"))
            article.regulation_state = (
                "expired" if "expired" in states else "expiring" if "expiring" in states else "ok"
            )

    def _search_regulation_state(self, operator, value):
        if operator not in ("=", "!=") or value not in ("ok", "expiring", "expired"):
            raise UserError(_("Unsupported search on the regulations' state."))
        Regulation = self.env["hotline.kb.regulation"]
        flagged = {state: Regulation.search(Regulation._expiry_domain(state)).ids for state in ("expired", "expiring")}
        if value == "ok":
            domain = [("regulation_ids", "not in", flagged["expired"] + flagged["expiring"])]
        elif value == "expiring":
            domain = [("regulation_ids", "in", flagged["expiring"]), ("regulation_ids", "not in", flagged["expired"])]
        else:
            domain = [("regulation_ids", "in", flagged["expired"])]
        return domain if operator == "=" else ["!", *domain]

    # ------------------------------------------------------------
    # CONSTRAINTS
    # ------------------------------------------------------------

    @api.constrains("valid_from", "valid_to")
    def _check_validity(self):
        for article in self:
            if article.valid_from and article.valid_to and article.valid_to < article.valid_from:
                raise ValidationError(_("%s: the answer cannot stop being valid before it starts.", article.name))

    # ------------------------------------------------------------
    # CRUD
    # ------------------------------------------------------------

    def init(self):
        super().init()
        self.env.cr.execute(
            SQL(
                """
                ALTER TABLE hotline_kb_article ADD COLUMN IF NOT EXISTS search_vector tsvector;
                CREATE INDEX IF NOT EXISTS hotline_kb_article_search_vector_index
                    ON hotline_kb_article USING gin (search_vector);
                CREATE INDEX IF NOT EXISTS hotline_kb_article_write_date_index
                    ON hotline_kb_article (write_date);
                CREATE TABLE IF NOT EXISTS hotline_kb_word_list (
                    word varchar NOT NULL,
                    article_id integer NOT NULL REFERENCES hotline_kb_article (id) ON DELETE CASCADE,
                    score float4 NOT NULL
                );
                CREATE INDEX IF NOT EXISTS hotline_kb_word_list_word_index ON hotline_kb_word_list (word);
                """
            )
        )

    @api.model_create_multi
    def create(self, vals_list):
        articles = super().create(vals_list)
        articles._update_is_current()
        articles._reindex()
        return articles

    def write(self, vals):
        if "body" in vals:
            for article in self:
                if article.body != vals["body"]:
                    # version goes up with each change of the answer (the history mixin keeps the text)
                    super(HotlineKbArticle, article).write({"version": article.version + 1})
        result = super().write(vals)
        if {"state", "valid_from", "valid_to", "active"} & vals.keys():
            self._update_is_current()
        if {"name", "body", "tag_ids"} & vals.keys():
            self._reindex()
        return result

    def _get_versioned_fields(self):
        return ["body"]

    # ------------------------------------------------------------
    # ACTIONS
    # ------------------------------------------------------------

    def action_publish(self):
        for article in self:
            if html2plaintext(article.body or "").strip() == "":
                raise UserError(_("%s has no answer yet: write it before publishing.", article.name))
        self.write({"state": "published"})

    def action_archive_article(self):
        self.write({"state": "archived"})

    def action_back_to_draft(self):
        self.write({"state": "draft"})

    # ------------------------------------------------------------
    # SEARCH
    # ------------------------------------------------------------

    @api.model
    def search_articles(self, query, category_id=False, limit=10):
        """Published articles in force, most relevant first: ``[{id, name, snippet, score, category}]``.

        The question is cut into words as the articles were (Chinese word segmentation with the
        hotline's dictionary and synonyms); ranking weighs the title above the keywords above the
        answer, and an article of ``category_id`` (or its subcategories) above the others. Without
        words, the category's most used articles come first.
        """
        limit = max(1, min(int(limit or 10), 50))
        segmenter = self.env["hotline.kb.term"]._segmenter()
        words = segmenter.query_words(query or "")
        domain = [("is_current", "=", True)]
        if not words:
            if not category_id:
                return []
            articles = self.search(domain + [("category_id", "child_of", int(category_id))], limit=limit)
            return [article._search_result(0.0, []) for article in articles]
        rows = self._ranked_rows(domain, segmenter.tsquery(query), category_id, limit, words)
        articles = self.browse([row[0] for row in rows])
        scores = dict(rows)
        return [article._search_result(scores[article.id], words) for article in articles]

    @api.model
    def _faq_search(self, query, category_id, limit, domain):
        """The FAQ's search, within ``domain`` (public articles in force, for citizens)."""
        segmenter = self.env["hotline.kb.term"]._segmenter()
        words = segmenter.query_words(query or "")
        if not words:
            return []
        rows = self._ranked_rows(domain, segmenter.tsquery(query), category_id, limit, words)
        scores = dict(rows)
        return [article._search_result(scores[article.id], words) for article in self.browse(scores)]

    def _ranked_rows(self, domain, tsquery, category_id, limit, words=()):
        """[(id, score)] of the articles matching ``domain`` (and the user's record rules), ranked in SQL
        by ``tsquery``. When some of the question's ``words`` have word lists, only the candidates
        (``_candidates_sql``) are ranked; if they give fewer than ``limit`` answers, every match is."""
        query = self._search(domain)
        vector = SQL.identifier(self._table, "search_vector")
        ts_query = SQL("to_tsquery('simple', %s)", tsquery)
        score = SQL("ts_rank(%s::float4[], %s, %s, 1)", RANK_WEIGHTS, vector, ts_query)
        if category_id:
            categories = self.env["hotline.category"].search([("id", "child_of", int(category_id))]).ids or [0]
            in_category = SQL("%s = ANY(%s)", SQL.identifier(self._table, "category_id"), categories)
            score = SQL("%s * (CASE WHEN %s THEN %s ELSE 1.0 END)", score, in_category, CATEGORY_BOOST)
        query.add_where(SQL("%s @@ %s", vector, ts_query))
        candidates = self._candidates_sql(words, ts_query)
        if candidates is not None:
            # an array computed once, then read by primary key: the planner would otherwise scan every
            # article matching the question and join the candidates to them
            query.add_where(SQL("%s = ANY(ARRAY(%s))", SQL.identifier(self._table, "id"), candidates))
        query.order = SQL("2 DESC, %s DESC", SQL.identifier(self._table, "id"))
        query.limit = limit
        rows = self.env.execute_query(query.select(SQL.identifier(self._table, "id"), score))
        if candidates is not None and len(rows) < limit:
            # the lists were built for other readers (record rules, categories) or are stale: rank all
            return self._ranked_rows(domain, tsquery, category_id, limit)
        return [(row[0], round(float(row[1]), 6)) for row in rows]

    @api.model
    def _candidates_sql(self, words, ts_query):
        """The ids worth ranking for a question, or None to rank every match: the word lists of its
        frequent words, the articles of its other words, and the articles changed since the lists."""
        listed_at, listed_words = self._word_lists()
        frequent = [word for word in words if word in listed_words]
        if not frequent:
            return None
        rare = [word for word in words if word not in listed_words]
        self.flush_model(["write_date"])
        parts = [SQL("SELECT article_id FROM hotline_kb_word_list WHERE word = ANY(%s)", frequent)]
        if rare:
            rare_query = words_tsquery(rare)
            parts.append(
                SQL(
                    "SELECT id FROM hotline_kb_article WHERE search_vector @@ to_tsquery('simple', %s)",
                    rare_query,
                )
            )
        parts.append(
            SQL(
                "SELECT id FROM hotline_kb_article WHERE write_date >= %s AND search_vector @@ %s",
                listed_at,
                ts_query,
            )
        )
        return SQL(" UNION ").join(parts)

    @api.model
    @tools.ormcache()
    def _word_lists(self):
        """(when the word lists were built, the words that have one); cached until they are rebuilt."""
        listed_at = self.env["ir.config_parameter"].sudo().get_param("hotline_kb.word_lists_at")
        if not listed_at:
            return None, frozenset()
        self.env.cr.execute(SQL("SELECT DISTINCT word FROM hotline_kb_word_list"))
        return listed_at, frozenset(row[0] for row in self.env.cr.fetchall())

    @api.model
    def _build_word_lists(self, min_articles=LIST_MIN_ARTICLES, size=LIST_SIZE):
        """Rebuild the word lists: for every word of more than ``min_articles`` articles in force, its
        ``size`` best articles by the word's own rank. Set-based SQL (one statement per run, measured in
        docs/BENCHMARKS.md); returns the number of words listed."""
        started = self.env.cr.now()
        self.env.cr.execute(SQL("DELETE FROM hotline_kb_word_list"))
        self.env.cr.execute(
            SQL(
                """
                INSERT INTO hotline_kb_word_list (word, article_id, score)
                SELECT frequent.word, best.id, best.score
                  FROM ts_stat('SELECT search_vector FROM hotline_kb_article WHERE is_current') AS frequent
                 CROSS JOIN LATERAL (
                        SELECT id, ts_rank(%(weights)s::float4[], search_vector, lexeme, 1) AS score
                          FROM hotline_kb_article, to_tsquery('simple', quote_literal(frequent.word)) AS lexeme
                         WHERE is_current AND search_vector @@ lexeme
                         ORDER BY score DESC, id DESC
                         LIMIT %(size)s
                       ) AS best
                 WHERE frequent.ndoc > %(min_articles)s
                """,
                weights=RANK_WEIGHTS,
                size=size,
                min_articles=min_articles,
            )
        )
        self.env.cr.execute(SQL("SELECT count(DISTINCT word) FROM hotline_kb_word_list"))
        count = self.env.cr.fetchone()[0]
        # articles changed while the lists were built are taken as changed since
        self.env["ir.config_parameter"].sudo().set_param(
            "hotline_kb.word_lists_at", fields.Datetime.to_string(started) if count else ""
        )
        self.env.registry.clear_cache()
        return count

    def _search_result(self, score, words):
        self.ensure_one()
        return {
            "id": self.id,
            "name": self.name,
            "snippet": str(snippet(html2plaintext(self.body or ""), words)),
            "score": score,
            "category": self.category_id.display_name or "",
            "helpful_count": self.helpful_count,
        }

    @api.model
    def hotline_kb_open(self, article_id):
        """The article as the search panel shows it; counts a view."""
        article = self.browse(int(article_id))
        article.check_access("read")
        # a counter, not a change of the article: no write access, no tracking, no history
        self.env.execute_query(
            SQL("UPDATE hotline_kb_article SET view_count = COALESCE(view_count, 0) + 1 WHERE id = %s", article.id)
        )
        self.invalidate_model(["view_count"])
        return {
            "id": article.id,
            "name": article.name,
            "body": article.body or "",
            "category": article.category_id.display_name or "",
            "version": article.version,
            "regulations": [
                {"name": regulation.display_name, "expiry_state": regulation.expiry_state}
                for regulation in article.regulation_ids
            ],
            "view_count": article.view_count,
            "helpful_count": article.helpful_count,
        }

    def hotline_kb_answer_text(self):
        """The standard answer as plain text, to put into a case."""
        self.ensure_one()
        return html2plaintext(self.body or "").strip()

    # ------------------------------------------------------------
    # INDEX AND VALIDITY
    # ------------------------------------------------------------

    def _reindex(self):
        """Segment title, keywords and answer, and store them as a weighted full-text vector."""
        if not self:
            return
        segmenter = self.env["hotline.kb.term"]._segmenter()
        # sudo: the index is technical data kept in step with the article whoever changes it
        for article in self.sudo().with_context(active_test=False):
            self.env.cr.execute(
                SQL(
                    """
                    UPDATE hotline_kb_article
                       SET search_vector = setweight(to_tsvector('simple', %s), 'A')
                                        || setweight(to_tsvector('simple', %s), 'B')
                                        || setweight(to_tsvector('simple', %s), 'C')
                     WHERE id = %s
                    """,
                    segmenter.document(article.name),
                    segmenter.document(" ".join(article.tag_ids.mapped("name"))),
                    segmenter.document(html2plaintext(article.body or "")),
                    article.id,
                )
            )

    @api.model
    def _reindex_all(self, batch_size=1000):
        """Rebuild every article's vector (after the dictionary changed); returns how many."""
        ids = self.with_context(active_test=False).search([]).ids
        for start in range(0, len(ids), batch_size):
            batch = self.browse(ids[start : start + batch_size])
            batch._reindex()
            batch.invalidate_recordset()
        # the vectors changed without the articles' write_date: the lists must follow
        self._build_word_lists()
        return len(ids)

    def _update_is_current(self):
        today = fields.Date.context_today(self)
        for article in self:
            current = (
                article.active
                and article.state == "published"
                and (not article.valid_from or article.valid_from <= today)
                and (not article.valid_to or article.valid_to >= today)
            )
            if article.is_current != current:
                # computed from the dates and the state: no tracking, no new version
                super(HotlineKbArticle, article).write({"is_current": current})

    @api.model
    def _cron_daily(self):
        """Every night: articles enter or leave their validity; editors review what cites expiring regulations."""
        articles = self.with_context(active_test=False).search(
            ["|", ("state", "=", "published"), ("is_current", "=", True)]
        )
        articles._update_is_current()
        self._build_word_lists()
        self.env["hotline.kb.regulation"]._hotline_ask_for_reviews()
