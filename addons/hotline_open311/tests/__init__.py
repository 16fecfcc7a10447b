from . import test_access, test_requests, test_services, test_workflow
