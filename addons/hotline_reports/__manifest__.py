{
    "name": "Hotline 12319: Reports",
    "summary": "Statistics of calls and cases, department evaluation and ranking, spot checks, exports",
    "version": "18.0.1.0.0",
    "category": "Services/Hotline",
    "author": "Hotline 12319",
    "website": "https://example.city/hotline12319",
    "license": "LGPL-3",
    "depends": ["hotline_case", "hotline_telephony"],
    "data": [
        "security/ir.model.access.csv",
        "security/hotline_reports_security.xml",
        "data/hotline_evaluation_rule_data.xml",
        "views/hotline_report_case_views.xml",
        "views/hotline_report_call_views.xml",
        "views/hotline_evaluation_views.xml",
        "views/res_config_settings_views.xml",
        "report/hotline_evaluation_ranking_report.xml",
        "views/hotline_reports_menus.xml",
    ],
    "assets": {
        "web.assets_tests": [
            "hotline_reports/static/src/tests/tours/**/*",
        ],
    },
    "installable": True,
}
