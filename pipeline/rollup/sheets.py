"""The roll-up's tables as one Excel workbook (a sheet per table) and as CSV files.

Headers are Vietnamese, the header row is frozen and filtered. The workbook is written in
openpyxl's streaming mode, so an archive of 100,000 documents stays in bounded memory.
CSV files are UTF-8 with a byte-order mark, which spreadsheet programs need to read
Vietnamese correctly.
"""

from __future__ import annotations

import csv
from pathlib import Path

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from .queries import Table

MAX_SHEET_NAME = 31


def write_workbook(tables: list[Table], path: Path) -> None:
    workbook = Workbook(write_only=True)
    for table in tables:
        sheet = workbook.create_sheet(table.name[:MAX_SHEET_NAME])
        sheet.freeze_panes = "A2"
        widths = [max(len(c), 10) for c in table.columns]
        for row in table.rows[:200]:
            widths = [max(w, min(60, len(str(v)) if v is not None else 0)) for w, v in zip(widths, row)]
        for index, width in enumerate(widths, start=1):
            sheet.column_dimensions[get_column_letter(index)].width = width + 2
        header = []
        for name in table.columns:
            cell = WriteOnlyCell(sheet, value=name)
            cell.font = Font(bold=True)
            header.append(cell)
        sheet.append(header)
        for row in table.rows:
            sheet.append(list(row))
        sheet.auto_filter.ref = f"A1:{get_column_letter(len(table.columns))}{len(table.rows) + 1}"
    workbook.save(path)


def write_csv(table: Table, folder: Path) -> Path:
    path = folder / f"{table.name}.csv"
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(table.columns)
        writer.writerows(table.rows)
    return path
