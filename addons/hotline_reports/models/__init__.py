from . import hotline_evaluation_rule
from . import hotline_evaluation_check
from . import hotline_report_case
from . import hotline_report_call
from . import hotline_report_agent
from . import hotline_report_department
from . import res_config_settings
from . import hotline_report_export
