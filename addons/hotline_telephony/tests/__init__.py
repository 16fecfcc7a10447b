from . import (
    test_access,
    test_agent_state,
    test_call_legs,
    test_cdr_import,
    test_click_to_call,
    test_event_queries,
    test_live_calls,
    test_pbx_endpoints,
    test_pbx_technical_user,
    test_screen_pop,
    test_screen_pop_tour,
    test_stale_calls,
)
