{
    "name": "Hotline 12319: Knowledge Base",
    "summary": "The answer book: common questions, standard answers and regulations, searched in Chinese",
    "version": "18.0.1.0.0",
    "category": "Services/Hotline",
    "author": "Hotline 12319",
    "website": "https://example.city/hotline12319",
    "license": "LGPL-3",
    "depends": ["hotline_case", "web_editor"],
    "external_dependencies": {"python": ["jieba"]},
    "data": [
        "security/hotline_kb_security.xml",
        "security/ir.model.access.csv",
        "data/hotline_kb_term_data.xml",
        "data/ir_cron_data.xml",
        "views/hotline_kb_article_views.xml",
        "views/hotline_kb_regulation_views.xml",
        "views/hotline_case_views.xml",
        "views/hotline_kb_faq_templates.xml",
        "views/hotline_kb_menus.xml",
    ],
    "demo": [
        "demo/hotline_kb_regulation_demo.xml",
        "demo/hotline_kb_article_demo.xml",
        "demo/res_users_demo.xml",
    ],
    "assets": {
        "web.assets_backend": [
            "hotline_kb/static/src/kb_search/**/*",
            "hotline_kb/static/src/kb_suggestions/**/*",
            "hotline_kb/static/src/article_form/**/*",
        ],
        "web.assets_tests": [
            "hotline_kb/static/src/tests/tours/**/*",
        ],
    },
    "installable": True,
}
