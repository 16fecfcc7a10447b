from . import (
    test_access,
    test_case_tour,
    test_case_workflow,
    test_duplicates,
    test_import_export,
    test_integrity,
    test_portal,
    test_registration,
    test_routing,
    test_sla,
    test_supervision,
    test_working_time,
)
