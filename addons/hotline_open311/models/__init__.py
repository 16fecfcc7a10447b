from . import (
    hotline_case,
    hotline_category,
    hotline_open311_attribute,
    hotline_open311_attribute_value,
    hotline_open311_client,
    hotline_open311_log,
)
