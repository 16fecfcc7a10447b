"""Chinese word segmentation for the knowledge base (jieba), with the hotline's own dictionary.

The same function turns article text (when it is indexed) and a question (when it is searched)
into words, so both sides agree: a dictionary term stays one word, and a synonym is replaced by
the word it stands for (煤气 -> 燃气).
"""

import logging
import re
import threading

import jieba
from markupsafe import Markup, escape

jieba.setLogLevel(logging.WARNING)

# Words that carry no meaning in a citizen's question ("我家小区停水了怎么办").
STOPWORDS = frozenset(
    """
    的 了 吗 呢 吧 啊 呀 么 和 与 及 或 是 在 有 就 都 也 还 又 要 会 能 可 可以 可不可以 把 被 给 让
    我 我们 我家 你 你们 您 他 她 它 他们 这 那 这个 那个 这里 那里 这样 那样 哪 哪里 哪个 哪些 哪几
    什么 怎么 怎么办 怎样 如何 为什么 为何 多少 几 几天 请问 请 问 一下 一个 已经 现在 今天 一直 没有 没
    不 不是 好 想 需要 应该 该 办 找 谁 问题 情况 反映 咨询 投诉 请求 帮忙 帮 一 个 到 从 对 向 去 来 说
    """.split()
)
WORD = re.compile(r"\w", re.UNICODE)


class Segmenter:
    """A jieba tokenizer loaded with the hotline's terms; ``synonyms`` maps a synonym to its term."""

    def __init__(self, terms=(), synonyms=None):
        self.tokenizer = jieba.Tokenizer()
        self.tokenizer.initialize()
        self.synonyms = dict(synonyms or {})
        for word in {*terms, *self.synonyms, *self.synonyms.values()}:
            # a high frequency: the term is never split into smaller words
            self.tokenizer.add_word(word, freq=200000)

    def words(self, text):
        """The meaningful words of ``text``, synonyms replaced, in order, with repetitions."""
        result = []
        for token in self.tokenizer.cut_for_search(text or ""):
            token = token.strip().lower()
            if not token or not WORD.search(token) or token in STOPWORDS:
                continue
            result.append(self.synonyms.get(token, token))
        return result

    def document(self, text):
        """Text for ``to_tsvector('simple', ...)``: the words separated by spaces."""
        return " ".join(self.words(text))

    def query_words(self, question):
        """The distinct words of a question, longest first (the most specific first)."""
        return sorted(set(self.words(question)), key=lambda word: (-len(word), word))

    def tsquery(self, question, leave_out=(), max_words=None):
        """A ``to_tsquery('simple', ...)`` text matching any word of the question, or '' if none;
        without the words of ``leave_out`` (unless the question has no other word), and only the
        ``max_words`` most specific (longest) ones when given."""
        words = self.query_words(question)
        words = [word for word in words if word not in leave_out] or words
        words = words[:max_words] if max_words else words
        return words_tsquery(words)


def words_tsquery(words):
    """A ``to_tsquery('simple', ...)`` text matching any of ``words`` (quoted lexemes), or ''."""
    return " | ".join("'{}'".format(word.replace("'", "''").replace("\\", "")) for word in words)


def snippet(text, words, width=80):
    """An excerpt of ``text`` around the first matched word, with the matched words in <mark>."""
    text = re.sub(r"\s+", " ", text or "").strip()
    if not text:
        return Markup("")
    surface = {word for word in words if word}
    positions = [text.lower().find(word) for word in surface]
    positions = [position for position in positions if position >= 0]
    start = max(min(positions) - width // 4, 0) if positions else 0
    excerpt = text[start : start + width]
    prefix = "…" if start else ""
    suffix = "…" if start + width < len(text) else ""
    if not surface:
        return escape(prefix + excerpt + suffix)
    pattern = re.compile("|".join(re.escape(word) for word in sorted(surface, key=len, reverse=True)), re.IGNORECASE)
    parts = []
    last = 0
    for match in pattern.finditer(excerpt):
        parts.append(escape(excerpt[last : match.start()]))
        parts.append(Markup("<mark>%s</mark>") % match.group(0))
        last = match.end()
    parts.append(escape(excerpt[last:]))
    return Markup(escape(prefix)) + Markup("").join(parts) + Markup(escape(suffix))


_segmenters = {}
_lock = threading.Lock()


def get_segmenter(key, loader):
    """The segmenter for ``key`` (database and dictionary version), built once per process by ``loader()``."""
    segmenter = _segmenters.get(key)
    if segmenter is None:
        with _lock:
            segmenter = _segmenters.get(key)
            if segmenter is None:
                terms, synonyms = loader()
                segmenter = Segmenter(terms, synonyms)
                # one dictionary version per database is enough: forget the older ones
                for old_key in [k for k in _segmenters if k[0] == key[0]]:
                    del _segmenters[old_key]
                _segmenters[key] = segmenter
    return segmenter
