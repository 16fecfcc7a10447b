"""The CSV of earlier registrations a supervisor imports with base_import: its columns (the seed's) and
the import's options. Plain Python (no Odoo import): bench/generate_case_import.py and
bench/bench_case_import.py write and import the same file before Odoo is loaded."""

IMPORT_FIELDS = [
    "name",
    "reported_at",
    "caller_name",
    "caller_phone",
    "summary",
    "address",
    "category_id",
    "service_type_id",
    "district_id",
    "department_id",
]
IMPORT_OPTIONS = {
    "import_skip_records": [],
    "import_set_empty_fields": [],
    "fallback_values": {},
    "name_create_enabled_fields": {},
    "encoding": "utf-8",
    "separator": ",",
    "quoting": '"',
    "date_format": "%Y-%m-%d",
    "datetime_format": "%Y-%m-%d %H:%M:%S",
    "float_thousand_separator": ",",
    "float_decimal_separator": ".",
    "advanced": False,
    "has_headers": True,
    "keep_matches": False,
    "limit": 2000,
    "skip": 0,
    "tracking_disable": True,
}
