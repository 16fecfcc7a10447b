"""Writes one report table as an xlsx sheet: title, header, rows, totals row and a chart.

Not a model: the writer behind ``hotline.report.export``. The rows are written as they come (the
workbook is opened with ``constant_memory``), and the totals are kept as running sums, so a sheet
costs the memory of one row whatever the number of rows.
"""

import datetime
import re
from dataclasses import dataclass, field

from xlsxwriter.utility import xl_rowcol_to_cell

TITLE_ROW = 0
SUBTITLE_ROW = 1
HEADER_ROW = 3
FIRST_ROW = HEADER_ROW + 1
NUMBER_FORMATS = {
    "text": None,
    "date": "yyyy-mm-dd",
    "count": "#,##0",
    "decimal": "#,##0.0",
    "score": "0.00",
    "rate": "0.0%",
}
SHEET_NAME_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")


@dataclass
class Ratio:
    """A total computed from the totals: sum of the ``numerators`` columns / sum of the ``denominators``."""

    numerators: tuple
    denominators: tuple


@dataclass
class Overall:
    """A total measured on all the rows at once (an average computed in SQL), not from the column."""

    value: float | None


@dataclass
class Column:
    label: str
    style: str = "count"  # a key of NUMBER_FORMATS
    total: object = "sum"  # "sum", "max", a Ratio, an Overall or None (empty)
    width: int = 14


@dataclass
class Chart:
    kind: str = "column"  # column or line
    series: tuple = (1,)  # the columns drawn, against the first column
    subtype: str | None = None  # e.g. "stacked"


@dataclass
class Table:
    sheet_name: str
    title: str
    subtitle: str
    columns: list
    rows: object  # an iterable of lists, one value per column
    chart: Chart = field(default_factory=Chart)
    total_label: str = "Total"


class TableWriter:
    """Adds tables to an xlsxwriter workbook, one sheet each."""

    def __init__(self, workbook):
        self.workbook = workbook
        self.formats = self._make_formats()

    def _make_formats(self):
        formats = {
            "title": self.workbook.add_format({"bold": True, "font_size": 14}),
            "subtitle": self.workbook.add_format({"italic": True, "font_color": "#555555"}),
            "header": self.workbook.add_format(
                {"bold": True, "border": 1, "bg_color": "#D9E1F2", "text_wrap": True, "valign": "vcenter"}
            ),
        }
        for style, number_format in NUMBER_FORMATS.items():
            cell = {"border": 1}
            if number_format:
                cell["num_format"] = number_format
            formats[style] = self.workbook.add_format(cell)
            formats[f"total_{style}"] = self.workbook.add_format(dict(cell, bold=True, top=2, bg_color="#F2F2F2"))
        return formats

    # ------------------------------------------------------------

    def add_table(self, table):
        sheet = self.workbook.add_worksheet(self._sheet_name(table.sheet_name))
        self._write_titles(sheet, table)
        self._write_header(sheet, table.columns)
        totals = _Totals(table.columns)
        row = FIRST_ROW
        for values in table.rows:
            self._write_row(sheet, row, values, table.columns)
            totals.add(values)
            row += 1
        self._write_totals(sheet, row, table, totals)
        self._insert_chart(sheet, table, last_row=max(row - 1, FIRST_ROW), below=row + 2)
        return sheet

    def _sheet_name(self, name):
        taken = {sheet.name for sheet in self.workbook.worksheets()}
        base = SHEET_NAME_FORBIDDEN.sub("-", name)[:31]
        candidate, number = base, 1
        while candidate in taken:
            number += 1
            candidate = f"{base[:27]} ({number})"
        return candidate

    def _write_titles(self, sheet, table):
        sheet.set_row(HEADER_ROW, 32)
        for col, column in enumerate(table.columns):
            sheet.set_column(col, col, column.width)
        sheet.write_string(TITLE_ROW, 0, table.title, self.formats["title"])
        sheet.write_string(SUBTITLE_ROW, 0, table.subtitle, self.formats["subtitle"])

    def _write_header(self, sheet, columns):
        for col, column in enumerate(columns):
            sheet.write_string(HEADER_ROW, col, column.label, self.formats["header"])

    def _write_row(self, sheet, row, values, columns):
        for col, (value, column) in enumerate(zip(values, columns, strict=True)):
            self._write_value(sheet, row, col, value, self.formats[column.style])

    def _write_value(self, sheet, row, col, value, cell_format):
        if value is None or value is False:
            sheet.write_blank(row, col, None, cell_format)
        elif isinstance(value, datetime.date):
            sheet.write_datetime(row, col, value, cell_format)
        elif isinstance(value, int | float):
            sheet.write_number(row, col, value, cell_format)
        else:
            sheet.write_string(row, col, str(value), cell_format)

    def _write_totals(self, sheet, row, table, totals):
        sheet.write_string(row, 0, table.total_label, self.formats["total_text"])
        for col, column in enumerate(table.columns[1:], 1):
            cell_format = self.formats[f"total_{column.style}"]
            formula, value = self._total_cell(row, col, column.total, totals)
            if formula:
                sheet.write_formula(row, col, formula, cell_format, value)
            else:
                self._write_value(sheet, row, col, value, cell_format)

    def _total_cell(self, row, col, total, totals):
        """(formula or None, value) of a totals cell; the value is the formula's result, cached in the file."""
        data = f"{xl_rowcol_to_cell(FIRST_ROW, col)}:{xl_rowcol_to_cell(row - 1, col)}" if totals.count else None
        if total in ("sum", "max") and data:
            return f"={total.upper()}({data})", totals.values[col]
        if total in ("sum", "max"):
            return None, 0
        if isinstance(total, Ratio):
            numerator = "+".join(xl_rowcol_to_cell(row, index) for index in total.numerators)
            denominator = "+".join(xl_rowcol_to_cell(row, index) for index in total.denominators)
            return f"=IF(({denominator})=0,0,({numerator})/({denominator}))", totals.ratio(total)
        if isinstance(total, Overall):
            return None, total.value
        return None, None

    def _insert_chart(self, sheet, table, last_row, below):
        options = {"type": table.chart.kind}
        if table.chart.subtype:
            options["subtype"] = table.chart.subtype
        chart = self.workbook.add_chart(options)
        for col in table.chart.series:
            chart.add_series(
                {
                    "name": [sheet.name, HEADER_ROW, col],
                    "categories": [sheet.name, FIRST_ROW, 0, last_row, 0],
                    "values": [sheet.name, FIRST_ROW, col, last_row, col],
                }
            )
        chart.set_title({"name": table.title})
        chart.set_legend({"position": "bottom"})
        chart.set_size({"width": 760, "height": 380})
        sheet.insert_chart(below, 0, chart)


class _Totals:
    """Running sums (or maxima) of the numeric columns."""

    def __init__(self, columns):
        self.columns = columns
        self.values = [0] * len(columns)
        self.count = 0

    def add(self, values):
        self.count += 1
        for col, (value, column) in enumerate(zip(values, self.columns, strict=True)):
            if not isinstance(value, int | float) or isinstance(value, bool):
                continue
            if column.total == "max":
                self.values[col] = max(self.values[col], value)
            else:
                self.values[col] += value

    def ratio(self, ratio):
        numerator = sum(self.values[index] for index in ratio.numerators)
        denominator = sum(self.values[index] for index in ratio.denominators)
        return numerator / denominator if denominator else 0
