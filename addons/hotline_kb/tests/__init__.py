from . import test_search, test_articles, test_faq, test_kb_tour
