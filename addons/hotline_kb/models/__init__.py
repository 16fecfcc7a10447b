from . import hotline_kb_tag
from . import hotline_kb_term
from . import hotline_kb_regulation
from . import hotline_kb_article
from . import hotline_case
