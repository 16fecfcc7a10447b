from datetime import date

from odoo.tests import TransactionCase, new_test_user


class TestSequenceFastPath(TransactionCase):
    """``ir.sequence._hotline_next_by_code`` draws the numbers ``next_by_code`` would, in one query."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.operator = new_test_user(
            cls.env, login="t_seq_operator", groups="hotline_base.group_hotline_operator", email=False
        )

    @property
    def Sequence(self):
        return self.env["ir.sequence"].with_user(self.operator)

    def _sequence(self, code, **values):
        return self.env["ir.sequence"].create(
            {
                "name": code,
                "code": code,
                "prefix": "T-%(year)s-",
                "padding": 4,
                "implementation": "standard",
                "use_date_range": True,
                **values,
            }
        )

    def test_same_numbers_as_next_by_code(self):
        self._sequence("test.hotline.seq")
        day = date(2031, 5, 4)
        Sequence = self.Sequence.with_context(ir_sequence_date=day)
        # the first number of a year creates its date range through next_by_code
        numbers = [
            Sequence.next_by_code("test.hotline.seq", sequence_date=day),
            Sequence._hotline_next_by_code("test.hotline.seq", sequence_date=day),
            Sequence._hotline_next_by_code("test.hotline.seq", sequence_date=day),
            Sequence.next_by_code("test.hotline.seq", sequence_date=day),
            Sequence._hotline_next_by_code("test.hotline.seq", sequence_date=day),
        ]
        self.assertEqual(numbers, ["T-2031-0001", "T-2031-0002", "T-2031-0003", "T-2031-0004", "T-2031-0005"])

    def test_one_query_once_the_range_exists(self):
        self._sequence("test.hotline.seq")
        day = date(2031, 5, 4)
        Sequence = self.Sequence.with_context(ir_sequence_date=day)
        Sequence._hotline_next_by_code("test.hotline.seq", sequence_date=day)
        Sequence._hotline_next_by_code("test.hotline.seq", sequence_date=day)
        with self.assertQueryCount(1):
            number = Sequence._hotline_next_by_code("test.hotline.seq", sequence_date=day)
        self.assertEqual(number, "T-2031-0003")

    def test_each_year_its_own_counter(self):
        self._sequence("test.hotline.seq")
        for day, expected in ((date(2031, 12, 31), "T-2031-0001"), (date(2032, 1, 1), "T-2032-0001")):
            for _index in range(2):
                number = self.Sequence.with_context(ir_sequence_date=day)._hotline_next_by_code(
                    "test.hotline.seq", sequence_date=day
                )
            self.assertEqual(number, expected.replace("0001", "0002"))

    def test_a_changed_prefix_applies_at_once(self):
        sequence = self._sequence("test.hotline.seq")
        day = date(2031, 5, 4)
        Sequence = self.Sequence.with_context(ir_sequence_date=day)
        Sequence._hotline_next_by_code("test.hotline.seq", sequence_date=day)
        Sequence._hotline_next_by_code("test.hotline.seq", sequence_date=day)
        sequence.prefix = "NEW-%(y)s-"
        self.assertEqual(Sequence._hotline_next_by_code("test.hotline.seq", sequence_date=day), "NEW-31-0003")

    def test_other_sequences_go_through_next_by_code(self):
        no_gap = self._sequence("test.hotline.nogap", prefix="NG-", implementation="no_gap", use_date_range=False)
        hourly = self._sequence("test.hotline.hourly", prefix="H%(h24)s-", use_date_range=False)
        self.assertEqual(self.Sequence._hotline_next_by_code("test.hotline.nogap"), "NG-0001")
        self.assertEqual(self.Sequence._hotline_next_by_code("test.hotline.nogap"), "NG-0002")
        self.assertEqual(no_gap.number_next_actual, 3)
        self.assertRegex(self.Sequence._hotline_next_by_code("test.hotline.hourly"), r"^H\d\d-0001$")
        self.assertEqual(hourly.number_next_actual, 2)
        self.assertFalse(self.Sequence._hotline_next_by_code("test.hotline.none"))
