from . import (
    test_sms_gateway,
    test_case_texts,
    test_channels,
    test_group_sms,
    test_survey,
    test_voice_notice,
    test_incident,
    test_pbx_technical_user,
)
