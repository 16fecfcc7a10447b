from . import (
    hotline_agent_state_log,
    hotline_call,
    hotline_call_cdr,
    hotline_call_event,
    hotline_case,
    hotline_pbx,
    res_config_settings,
    res_partner,
    res_users,
)
