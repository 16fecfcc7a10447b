from . import (
    hotline_case_cancel,
    hotline_case_export,
    hotline_case_merge,
    hotline_case_reject,
    hotline_case_return,
    hotline_case_transfer,
)
