"""納付書 as a PDF: A4 portrait, three slips a page, one slip per installment.

Each slip shows the addressee, 年度・税目・期別, the amount (principal only; the late fee is billed
separately), the due date and the slip's deadline in 和暦, the convenience-store barcode drawn as
GS1-128 (Code 128 with FNC1 first) with its digits under it, the Pay-easy keys, the eL番号 and the
QR code. The TrueType font at ``settings.PDF_FONT_PATH`` (IPAex Gothic) is embedded: reportlab's
CID fonts are not, and poppler renders their digits as empty boxes.

The barcode's module is 0.205 mm, so its 288 modules are 59 mm wide (the guideline's limit is
60 mm); rasterised at 300 dpi it is read by zbar (tests/notices/test_slip_pdf.py).
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import date

from reportlab.graphics import renderPDF
from reportlab.graphics.barcode.code128 import Code128
from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.graphics.shapes import Drawing
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from choshu.formats.cvs_barcode import human_readable
from choshu.notices.pdf import FONT_NAME, japanese_font
from choshu.notices.slips import Slip, barcode_cap
from choshu.people.models import Person
from choshu.rules.calendar import fiscal_year_label, wareki
from choshu.rules.money import format_yen

FNC1 = "\xf1"  # reportlab's Code128 writes FNC1 for this character
MODULE = 0.205 * mm
BARCODE_HEIGHT = 13 * mm
QR_SIZE = 28 * mm
SLIPS_PER_PAGE = 3
SLIP_HEIGHT = 92 * mm


def _grouped(digits: str, size: int = 4) -> str:
    return "-".join(digits[i : i + size] for i in range(0, len(digits), size))


def _draw_barcode(c: Canvas, digits: str, *, x: float, y: float) -> None:
    """GS1-128 at (x, y) = the first bar's lower left, the digits grouped by field under it."""
    symbol = Code128(FNC1 + digits, barWidth=MODULE, barHeight=BARCODE_HEIGHT, quiet=0, humanReadable=False)
    symbol.drawOn(c, x, y)
    c.setFont(FONT_NAME, 7.5)
    c.drawString(x, y - 3.5 * mm, human_readable(digits))


def _draw_qr(c: Canvas, payload: str, *, x: float, y: float) -> None:
    widget = QrCodeWidget(payload, barLevel="M")
    x0, y0, x1, y1 = widget.getBounds()
    w, h = x1 - x0, y1 - y0
    drawing = Drawing(QR_SIZE, QR_SIZE, transform=[QR_SIZE / w, 0, 0, QR_SIZE / h, 0, 0])
    drawing.add(widget)
    renderPDF.draw(drawing, c, x, y)


def _draw_slip(c: Canvas, slip: Slip, person: Person, *, top: float, issued_on: date) -> None:
    width = A4[0]
    left, right = 15 * mm, width - 15 * mm
    column = 112 * mm

    y = top - 8 * mm
    c.setFont(FONT_NAME, 15)
    c.drawString(left, y, "納 付 書")
    if slip.reissue:
        c.setFont(FONT_NAME, 9)
        c.drawString(left + 28 * mm, y, "(再発行)")
    c.setFont(FONT_NAME, 11)
    c.drawString(
        left + 46 * mm, y, f"{fiscal_year_label(slip.fiscal_year)}　{slip.revenue_label}　第{slip.installment_no}期"
    )
    c.setFont(FONT_NAME, 8)
    c.drawRightString(right, y, f"発行日 {wareki(issued_on)}")

    # Addressee
    c.setFont(FONT_NAME, 9)
    c.drawString(left, top - 16 * mm, f"〒{person.postal_code}")
    c.drawString(left, top - 21 * mm, person.address)
    if person.address_extra:
        c.drawString(left, top - 26 * mm, person.address_extra)
    c.setFont(FONT_NAME, 13)
    c.drawString(left, top - 33 * mm, f"{person.name} 様")

    # Amount and dates
    c.setFont(FONT_NAME, 9)
    c.drawString(column, top - 16 * mm, "納付金額")
    c.setFont(FONT_NAME, 16)
    c.drawRightString(right, top - 16.5 * mm, f"{format_yen(slip.amount)}円")
    c.line(column, top - 18.5 * mm, right, top - 18.5 * mm)
    c.setFont(FONT_NAME, 9)
    c.drawString(column, top - 24 * mm, "納期限")
    c.drawRightString(right, top - 24 * mm, wareki(slip.due_date))
    c.drawString(column, top - 29 * mm, "使用期限")
    c.drawRightString(right, top - 29 * mm, wareki(slip.deadline))
    c.drawString(column, top - 34 * mm, "調定番号")
    c.drawRightString(right, top - 34 * mm, slip.levy_no)

    c.setFont(FONT_NAME, 7.5)
    c.drawString(
        left,
        top - 40 * mm,
        "この納付書の金額は本税のみです。延滞金は含まれていません(延滞金は別に納付書でお知らせします)。",
    )

    # Pay-easy keys and eL番号
    keys = slip.payeasy
    c.setFont(FONT_NAME, 9)
    c.drawString(left, top - 47 * mm, "ペイジー")
    c.drawString(left + 17 * mm, top - 47 * mm, f"収納機関番号 {keys.institution_no}")
    c.drawString(left + 57 * mm, top - 47 * mm, f"納付区分 {keys.category}")
    c.drawString(left + 17 * mm, top - 52 * mm, f"納付番号 {_grouped(keys.payment_no)}")
    c.drawString(left + 75 * mm, top - 52 * mm, f"確認番号 {keys.confirmation_no}")
    c.drawString(left, top - 58 * mm, "eL番号")
    c.drawString(left + 17 * mm, top - 58 * mm, slip.el_no.display())

    # QR code (eL-QR slot) at the right
    qr_x, qr_y = right - QR_SIZE, top - 44 * mm - QR_SIZE
    _draw_qr(c, slip.qr, x=qr_x, y=qr_y)
    c.setFont(FONT_NAME, 6)
    c.drawCentredString(qr_x + QR_SIZE / 2, qr_y - 2.5 * mm, "QRコード(独自形式)")

    # Convenience-store barcode, or why there is none
    if slip.barcode is not None:
        c.setFont(FONT_NAME, 8)
        c.drawString(left, top - 64 * mm, "コンビニエンスストア・スマートフォン決済用バーコード")
        _draw_barcode(c, slip.barcode, x=left + 5 * mm, y=top - 80 * mm)
    else:
        c.setFont(FONT_NAME, 8)
        c.drawString(
            left,
            top - 66 * mm,
            f"納付金額が{format_yen(barcode_cap())}円を超えるため、コンビニエンスストアでは納付できません。",
        )
        c.drawString(left, top - 71 * mm, "金融機関の窓口またはペイジーで納付してください。")


def draw_slips(c: Canvas, *, person: Person, slips: Sequence[Slip], issued_on: date) -> None:
    """Draw ``slips`` on ``c`` from a fresh page on, three a page with cut lines between them, and
    end their last page (``showPage``): another document (a demand letter) can enclose them."""
    if not slips:
        raise ValueError("no slips to render")
    japanese_font()
    width, height = A4
    first_top = height - 10 * mm
    for i, slip in enumerate(slips):
        position = i % SLIPS_PER_PAGE
        if i and position == 0:
            c.showPage()
        top = first_top - position * SLIP_HEIGHT
        if position:
            c.saveState()
            c.setDash(3, 3)
            c.setLineWidth(0.3)
            c.line(8 * mm, top + 2 * mm, width - 8 * mm, top + 2 * mm)
            c.restoreState()
        _draw_slip(c, slip, person, top=top, issued_on=issued_on)
    c.showPage()


def slip_pdf(*, person: Person, slips: Sequence[Slip], issued_on: date) -> bytes:
    """The slips of one person on A4 pages, three a page, with cut lines between them."""
    if not slips:
        raise ValueError("no slips to render")
    japanese_font()
    buffer = io.BytesIO()
    c = Canvas(buffer, pagesize=A4, initialFontName=FONT_NAME, initialFontSize=9)
    c.setTitle("納付書")
    c.setAuthor("choshu")
    draw_slips(c, person=person, slips=slips, issued_on=issued_on)
    c.save()
    return buffer.getvalue()
