"""Exports of a reviewed comparison: an Excel workbook (openpyxl), the JSON of the comparison
with its reviews, and the rows both share (and the print page shows)."""

from __future__ import annotations

import io
from typing import Any

from ..compare.notices import labels, provenance_rows, quality_notice, reference_name, relevance_notice
from ..compare.quotes import plain
from ..schema import Comparison

HEADERS = ("Mã", "Nhóm", "Nội dung của Chỉ thị", "Trạng thái (chithi)", "Điểm", "Trạng thái (người xem xét)",
           "Căn cứ trong kế hoạch", "Cụm từ khớp", "Nhận xét", "Người xem xét", "Thời điểm xem xét")
WIDTHS = (9, 6, 48, 16, 7, 18, 80, 30, 40, 18, 22)


def review_rows(comparison: Comparison, reviews: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per provision: computed and reviewed status, evidence (or the closest passage), review."""
    status = labels()["status"]
    rows = []
    for p in comparison.provisions:
        review = reviews.get(p.id)
        quotes = [" ".join(plain(e.quote).split()) for e in p.evidence]
        if not quotes and p.closest is not None:
            quotes = [f"(đoạn gần nhất, dưới ngưỡng) {' '.join(plain(p.closest.quote).split())}"]
        cues = sorted({c for e in p.evidence for c in e.cues})
        rows.append({
            "id": p.id, "group": p.group, "title": p.title, "computed": p.status, "computed_label": status[p.status],
            "score": p.score, "reviewed": review["status"] if review else None,
            "reviewed_label": status[review["status"]] if review else "", "evidence": "\n\n".join(quotes),
            "cues": ", ".join(cues), "comment": review["comment"] if review else "",
            "reviewer": review["reviewer"] if review else "", "reviewed_at": review["created_at"] if review else "",
        })
    return rows


def agreement(rows: list[dict[str, Any]]) -> tuple[float | None, int, int]:
    """(share of reviewed provisions whose review kept chithi's status, reviewed, agreed)."""
    reviewed = [r for r in rows if r["reviewed"]]
    agreed = sum(r["reviewed"] == r["computed"] for r in reviewed)
    return (agreed / len(reviewed) if reviewed else None), len(reviewed), agreed


def workbook(comparison: Comparison, rows: list[dict[str, Any]], plan_name: str) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill

    book = Workbook()
    sheet = book.active
    sheet.title = "Chỉ thị 20"
    sheet.append(HEADERS)
    for r in rows:
        sheet.append([r["id"], r["group"], r["title"], r["computed_label"], r["score"], r["reviewed_label"], r["evidence"],
                      r["cues"], r["comment"], r["reviewer"], r["reviewed_at"]])
    bold, fill = Font(bold=True, color="FFFFFF"), PatternFill("solid", fgColor="12355B")
    for cell in sheet[1]:
        cell.font, cell.fill = bold, fill
    for column, width in zip("ABCDEFGHIJK", WIDTHS):
        sheet.column_dimensions[column].width = width
    for line in sheet.iter_rows(min_row=2):
        for cell in line:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = sheet.dimensions

    info = book.create_sheet("Thông tin")
    share, reviewed, agreed = agreement(rows)
    level, reasons, _ = quality_notice(comparison)
    lines = [("Kế hoạch", plan_name), ("Đối chiếu với", reference_name(comparison)),
             ("Văn bản có phải kế hoạch thực hiện?", relevance_notice(comparison)[0]),
             ("Mức độ đề cập (chithi)", "—" if comparison.summary.overall is None else f"{round(100 * comparison.summary.overall)}%"),
             ("Chất lượng văn bản", f"{level}. {'; '.join(reasons)}".strip(". ")),
             ("Tỷ lệ đồng ý của người xem xét", "—" if share is None else f"{round(100 * share)}% ({agreed}/{reviewed})")]
    lines += provenance_rows(comparison)
    for label, value in lines:
        info.append([label, value])
    info.column_dimensions["A"].width, info.column_dimensions["B"].width = 36, 100
    for cell in info["A"]:
        cell.font = Font(bold=True)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
