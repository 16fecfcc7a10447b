from . import faq
