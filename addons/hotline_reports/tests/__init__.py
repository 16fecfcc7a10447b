from . import test_figures
from . import test_reports_tour
from . import test_dashboard
from . import test_export
from . import test_heat_map
