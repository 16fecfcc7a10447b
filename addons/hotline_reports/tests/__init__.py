from . import test_figures
from . import test_reports_tour
