from . import (
    test_access,
    test_agent_state,
    test_cdr_import,
    test_click_to_call,
    test_pbx_endpoints,
    test_screen_pop,
    test_screen_pop_tour,
)
