"""PDFs of 委託・外部結合: the password notice (パスワード通知書) and the handover ledger (管理簿).

Both embed the TrueType font at ``settings.PDF_FONT_PATH`` (IPAex Gothic), as the receipt does.
The password notice is generated in memory for the approver's response and never written.
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from datetime import date, datetime

from django.utils import timezone
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfgen.canvas import Canvas

from choshu.governance.exports import export_kind
from choshu.governance.models import ExportPackage, HandoverEntry
from choshu.notices.pdf import japanese_font
from choshu.rules.calendar import wareki


def _moment(value: datetime) -> str:
    local = timezone.localtime(value)
    return f"{wareki(local.date())} {local:%H:%M}"


def password_notice_pdf(*, package: ExportPackage, password: str, issued_on: date) -> bytes:
    """パスワード通知書 (A4 portrait): the package it opens, its SHA-256, and the password."""
    font = japanese_font()
    buffer = io.BytesIO()
    width, height = A4
    c = Canvas(buffer, pagesize=A4, initialFontName=font, initialFontSize=10)
    c.setTitle(f"パスワード通知書 出力番号{package.pk}")
    c.setAuthor("choshu")
    left, right = 20 * mm, width - 20 * mm
    contract = package.contract
    kind = export_kind(package.kind)

    y = height - 28 * mm
    c.setFont(font, 20)
    c.drawCentredString(width / 2, y, "パスワード通知書")
    y -= 12 * mm
    c.setFont(font, 10)
    c.drawRightString(right, y, f"発行日 {wareki(issued_on)}")
    y -= 6 * mm
    c.drawRightString(right, y, f"出力番号 {package.pk}")
    y -= 12 * mm
    c.setFont(font, 12)
    c.drawString(left, y, f"{contract.contractor.name} 御中")
    y -= 14 * mm
    c.setFont(font, 10)
    lines = [
        ("契約", f"{contract.contract_no} {contract.title}"),
        ("データの内容", kind.label),
        ("件数", f"{package.record_count:,}件"),
        ("ファイル名", package.file_name),
        ("暗号化", "ZIP(AES-256)"),
        ("SHA-256", package.sha256[:32]),
        ("", package.sha256[32:]),
    ]
    for label, value in lines:
        c.drawString(left, y, label)
        c.drawString(left + 32 * mm, y, value)
        y -= 7 * mm
    y -= 8 * mm
    c.drawString(left, y, "パスワード")
    c.setFont(font, 22)
    c.drawString(left + 32 * mm, y - 2 * mm, password)
    c.rect(left + 29 * mm, y - 7 * mm, right - left - 29 * mm, 14 * mm)
    y -= 14 * mm
    c.setFont(font, 9)
    c.drawString(
        left + 32 * mm,
        y,
        f"英大文字・英小文字・数字の{len(password)}文字(紛らわしい文字 0 O o 1 l I 2 Z 5 S は使用しない)",
    )
    y -= 16 * mm
    c.setFont(font, 10)
    for note in (
        "1 この通知書は、電磁的媒体とは別の機会に、鍵付きカバン等を使用して手渡しで受け渡します。",
        "2 この通知書は、業務履行後に電磁的媒体とともに返却してください。",
        "3 パスワードを電子メール等で送信し、又は複写してはなりません。",
        "4 受け渡したデータは業務履行後に消去し、消去証明書を提出してください。",
    ):
        c.drawString(left, y, note)
        y -= 7 * mm
    c.setFont(font, 8)
    c.drawString(left, 15 * mm, f"承認 {package.approved_by.username if package.approved_by else ''}")
    c.showPage()
    c.save()
    return buffer.getvalue()


LEDGER_COLUMNS: tuple[tuple[str, float], ...] = (
    ("日時", 34),
    ("方向", 20),
    ("区分", 34),
    ("契約・委託先", 48),
    ("情報の内容", 70),
    ("媒体番号", 22),
    ("件数", 14),
    ("点数", 10),
    ("区の取扱者", 22),
    ("委託先の取扱者", 26),
)


def _fit(c: Canvas, text: str, font: str, size: float, width: float) -> str:
    while text and pdfmetrics.stringWidth(text, font, size) > width:
        text = text[:-2] + "…"
    return text


def handover_ledger_pdf(*, entries: Iterable[HandoverEntry], title: str, printed_at: datetime) -> bytes:
    """管理簿 (A4 landscape): 日時・方向・区分・内容・媒体・数量・双方の取扱者, one row per entry."""
    font = japanese_font()
    buffer = io.BytesIO()
    width, height = landscape(A4)
    c = Canvas(buffer, pagesize=landscape(A4), initialFontName=font, initialFontSize=8)
    c.setTitle(f"管理簿 {title}")
    c.setAuthor("choshu")
    left = 10 * mm
    size = 7.5
    page = 0

    def header() -> float:
        nonlocal page
        page += 1
        c.setFont(font, 14)
        c.drawString(left, height - 14 * mm, f"個人情報受渡し管理簿 {title}")
        c.setFont(font, 8)
        c.drawRightString(width - left, height - 14 * mm, f"印刷 {_moment(printed_at)}  {page}頁")
        y = height - 24 * mm
        x = left
        for label, w in LEDGER_COLUMNS:
            c.drawString(x, y, label)
            x += w * mm
        c.line(left, y - 1.5 * mm, width - left, y - 1.5 * mm)
        return y - 6 * mm

    y = header()
    rows = 0
    for entry in entries:
        if y < 14 * mm:
            c.showPage()
            y = header()
        values = [
            _moment(entry.occurred_at),
            entry.get_direction_display(),
            entry.get_step_display(),
            f"{entry.contract.contract_no} {entry.contract.contractor.name}",
            entry.contents,
            entry.media_id,
            f"{entry.records:,}" if entry.records else "",
            f"{entry.pieces}" if entry.pieces else "",
            entry.our_handler.get_full_name() or entry.our_handler.username,
            entry.contractor_handler.name if entry.contractor_handler else "",
        ]
        c.setFont(font, size)
        x = left
        for (_, w), value in zip(LEDGER_COLUMNS, values, strict=True):
            c.drawString(x, y, _fit(c, value, font, size, w * mm - 2 * mm))
            x += w * mm
        y -= 6 * mm
        rows += 1
    if rows == 0:
        c.drawString(left, y, "記録はありません。")
    c.showPage()
    c.save()
    return buffer.getvalue()
