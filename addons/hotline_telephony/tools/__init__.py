from .cdr import (
    CDR_TEXT_FIELDS,
    CdrRow,
    agent_extension,
    group_rows,
    parse_cdr_time,
    parse_master_csv,
    row_from_payload,
    summarize_call,
)
