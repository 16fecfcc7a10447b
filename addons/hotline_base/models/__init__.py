from . import (
    hotline_bulletin,
    hotline_calendar_day,
    hotline_category,
    hotline_department,
    hotline_district,
    hotline_reminder,
    hotline_service_type,
    res_config_settings,
    res_partner,
    res_users,
)
