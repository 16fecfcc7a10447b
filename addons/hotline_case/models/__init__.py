from . import (
    hotline_case,
    hotline_case_department_log,
    hotline_case_extension,
    hotline_case_portal,
    hotline_case_stage_log,
    hotline_case_supervision,
    hotline_routing_rule,
    hotline_sla_policy,
    hotline_working_time,
    res_config_settings,
    res_partner,
)
