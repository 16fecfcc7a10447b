from odoo import fields
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import tagged

from .common import HotlineKbCommon


@tagged("post_install", "-at_install")
class TestArticles(HotlineKbCommon):
    def test_every_change_of_the_answer_is_kept(self):
        article = self.heating.with_user(self.editor)
        self.assertEqual(article.version, 1)
        article.body = "<p>本市供暖期为11月1日至次年3月31日。</p>"
        article.body = "<p>本市供暖期为11月10日至次年3月20日。</p>"
        self.assertEqual(article.version, 3)
        revisions = article.html_field_history_metadata["body"]
        self.assertEqual(len(revisions), 2)
        self.assertTrue(all(revision["create_uid"] == self.editor.id for revision in revisions))
        self.assertIn(
            "11月1日", article.html_field_history["body"][0]["patch"] + article.html_field_history["body"][1]["patch"]
        )
        # and the article is found with its new words only
        Article = self.env["hotline.kb.article"].with_user(self.operator)
        self.assertIn(article.id, [r["id"] for r in Article.search_articles("3月20日 供暖期")])

    def test_roles(self):
        # operators read what is in force, nothing else, and change nothing
        with self.assertRaises(AccessError):
            self.draft.with_user(self.operator).read(["name"])
        with self.assertRaises(AccessError):
            self.outdated.with_user(self.operator).read(["name"])
        self.assertEqual(self.heating.with_user(self.operator).name, self.heating.name)
        with self.assertRaises(AccessError):
            self.heating.with_user(self.operator).write({"name": "x"})
        with self.assertRaises(AccessError):
            self.env["hotline.kb.article"].with_user(self.operator).create({"name": "x"})
        with self.assertRaises(AccessError):
            self.env["hotline.kb.term"].with_user(self.operator).create({"name": "新词"})
        # department staff: public ones and their categories'
        staff = self.env["hotline.kb.article"].with_user(self.staff_water)
        visible = staff.search([("id", "in", (self.water_pressure | self.gas_leak | self.heating).ids)])
        self.assertEqual(visible, self.water_pressure | self.gas_leak)
        with self.assertRaises(AccessError):
            self.heating.with_user(self.staff_water).read(["body"])
        # editors see and change everything
        self.assertEqual(self.draft.with_user(self.editor).name, self.draft.name)
        self.draft.with_user(self.editor).action_publish()
        self.assertTrue(self.draft.is_current)

    def test_publishing_needs_an_answer_and_valid_dates(self):
        Article = self.env["hotline.kb.article"].with_user(self.editor)
        empty = Article.create({"name": "空答案"})
        with self.assertRaisesRegex(UserError, "no answer"):
            empty.action_publish()
        self.assertEqual(empty.state, "draft")
        with self.assertRaises(ValidationError):
            Article.create({"name": "日期颠倒", "valid_from": "2026-05-01", "valid_to": "2026-04-01"})

    def test_validity_follows_the_calendar(self):
        tomorrow = fields.Date.add(fields.Date.context_today(self.heating), days=1)
        self.heating.with_user(self.editor).valid_from = tomorrow
        self.assertFalse(self.heating.is_current, "not yet in force")
        self.heating.sudo().write({"valid_from": False})
        self.assertTrue(self.heating.is_current)

    def test_expired_regulations_are_flagged_and_reviewed(self):
        today = fields.Date.context_today(self.heating)
        Regulation = self.env["hotline.kb.regulation"].with_user(self.editor)
        expired = Regulation.create(
            {"name": "供热条例（旧）", "number": "云政〔2010〕1号", "date_expiry": fields.Date.add(today, days=-1)}
        )
        expiring = Regulation.create({"name": "供水办法", "date_expiry": fields.Date.add(today, days=10)})
        in_force = Regulation.create({"name": "燃气管理条例"})
        self.heating.with_user(self.editor).regulation_ids = expired
        self.water_outage.with_user(self.editor).regulation_ids = expiring
        self.gas_leak.with_user(self.editor).regulation_ids = in_force
        self.assertEqual(
            [self.heating.regulation_state, self.water_outage.regulation_state, self.gas_leak.regulation_state],
            ["expired", "expiring", "ok"],
        )
        Article = self.env["hotline.kb.article"]
        self.assertEqual(
            Article.search([("regulation_state", "!=", "ok"), ("id", "in", self._all().ids)]),
            self.heating | self.water_outage,
        )

        Article._cron_daily()
        Article._cron_daily()
        for article in (self.heating, self.water_outage):
            activities = article.activity_ids
            self.assertEqual(len(activities), 1, "one review, however often the cron runs")
            self.assertEqual(activities.user_id, self.editor)
        self.assertFalse(self.gas_leak.activity_ids)

    def _all(self):
        return (
            self.water_outage
            | self.water_pressure
            | self.gas_leak
            | self.heating
            | self.tree_title
            | self.tree_body
            | self.draft
            | self.outdated
        )

    def test_answer_used_on_a_case(self):
        case = (
            self.env["hotline.case"]
            .with_user(self.operator)
            .create({"summary": "小区停水", "caller_phone": "13800001111"})
        )
        text = self.water_outage.with_user(self.operator).hotline_kb_answer_text()
        self.assertIn("24小时", text)
        self.assertNotIn("<p>", text)
        case.write({"handling_result": text, "kb_article_ids": [(4, self.water_outage.id)]})
        self.assertEqual(self.water_outage.helpful_count, 1)
        self.assertEqual(self.water_outage.case_ids, case)
