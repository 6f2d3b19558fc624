"""Writing a table to CSV or Excel with a watermark naming who exported it and when."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from typing import Any

from openpyxl import Workbook

FORMATS = {
    "csv": ("text/csv; charset=utf-8", "csv"),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx"),
}


def export_table(fmt: str, *, watermark: str, header: Sequence[str], rows: Iterable[Sequence[Any]]) -> bytes:
    """The file content: the watermark line first, then the header and rows."""
    if fmt == "csv":
        buffer = io.StringIO()
        buffer.write("\ufeff")  # Excel opens UTF-8 CSV with Chinese text correctly only with a BOM
        writer = csv.writer(buffer)
        writer.writerow([watermark])
        writer.writerow(header)
        writer.writerows(rows)
        return buffer.getvalue().encode()
    if fmt == "xlsx":
        book = Workbook()
        sheet = book.active
        sheet.title = "export"
        sheet.append([watermark])
        sheet.append(list(header))
        for row in rows:
            sheet.append(list(row))
        sheet.oddHeader.center.text = watermark
        sheet.oddFooter.center.text = watermark
        book.properties.description = watermark
        out = io.BytesIO()
        book.save(out)
        return out.getvalue()
    raise ValueError(f"unknown export format {fmt!r}; use one of {', '.join(FORMATS)}")
