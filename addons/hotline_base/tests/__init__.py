from . import (
    test_access,
    test_bulletin_tour,
    test_health,
    test_phone,
    test_reference_data,
    test_reminder,
    test_sequence,
    test_working_calendar,
)
