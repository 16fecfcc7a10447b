from . import hotline_cdr_import
