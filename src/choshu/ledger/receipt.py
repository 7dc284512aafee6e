"""領収証書: the receipt of a counter payment (窓口収納), as data and as a PDF.

The PDF embeds the TrueType font at ``settings.PDF_FONT_PATH`` (IPAex Gothic): reportlab's
built-in CID fonts are not embedded and poppler renders their digits as empty boxes.
The receipt number (領収番号) is the payment id.
"""

from __future__ import annotations

import io
from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from django.conf import settings
from reportlab.lib.pagesizes import A5
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from choshu.ledger.models import Allocation, Payment
from choshu.notices.pdf import japanese_font
from choshu.people.models import Person
from choshu.rules.calendar import fiscal_year_label, wareki
from choshu.rules.money import format_yen
from choshu.rules.revenue import REVENUES


@dataclass(frozen=True)
class ReceiptLine:
    """One installment paid by the payment: 年度・税目・期別・本税・延滞金."""

    installment_id: int
    fiscal_year: int
    revenue: str
    installment_no: int
    principal: int
    late_fee: int

    @property
    def revenue_label(self) -> str:
        return REVENUES[self.revenue].label


@dataclass(frozen=True)
class Receipt:
    payment: Payment
    person: Person
    lines: list[ReceiptLine]
    overpayment: int  # 過誤納金: the part of the payment no installment kept

    @property
    def receipt_no(self) -> int:
        return self.payment.pk

    @property
    def revenues(self) -> frozenset[str]:
        return frozenset(line.revenue for line in self.lines)

    @property
    def total(self) -> int:
        return self.payment.amount


def receipt_of(*, payment: Payment) -> Receipt:
    """The receipt of `payment` in two queries (allocations with their levies; overpayments).

    A reversal (取消) carries negative amounts: its lines are the reversing allocations.
    """
    if payment.person is None:
        raise ValueError("a receipt needs a payment with a person")
    principal: dict[int, int] = defaultdict(int)
    late_fee: dict[int, int] = defaultdict(int)
    keys: dict[int, tuple[int, str, int]] = {}
    rows = (
        Allocation.objects.filter(payment=payment)
        .order_by("installment__due_date", "installment_id", "id")
        .values_list(
            "installment_id",
            "kind",
            "amount",
            "installment__levy__fiscal_year",
            "installment__levy__revenue",
            "installment__installment_no",
        )
    )
    for inst_id, kind, amount, fiscal_year, revenue, installment_no in rows:
        keys.setdefault(inst_id, (fiscal_year, revenue, installment_no))
        if kind == Allocation.Kind.LATE_FEE:
            late_fee[inst_id] += amount
        else:
            principal[inst_id] += amount
    lines = [
        ReceiptLine(inst_id, fy, rev, no, principal[inst_id], late_fee[inst_id])
        for inst_id, (fy, rev, no) in keys.items()
    ]
    overpaid = sum(payment.overpayments.values_list("amount", flat=True))
    return Receipt(payment=payment, person=payment.person, lines=lines, overpayment=overpaid)


def _yen(amount: int) -> str:
    return format_yen(amount)


def receipt_pdf(receipt: Receipt, *, issued_on: date) -> bytes:
    """領収証書 on one A5 page (portrait), font embedded."""
    font = japanese_font()
    buffer = io.BytesIO()
    width, height = A5
    c = Canvas(buffer, pagesize=A5, initialFontName=font, initialFontSize=9)
    c.setTitle(f"領収証書 {receipt.receipt_no}")
    c.setAuthor("choshu")
    left, right = 14 * mm, width - 14 * mm
    payment = receipt.payment
    is_reversal = payment.reverses_id is not None

    y = height - 20 * mm
    c.setFont(font, 18)
    c.drawCentredString(width / 2, y, "領収取消通知書" if is_reversal else "領 収 証 書")
    y -= 10 * mm
    c.setFont(font, 9)
    c.drawRightString(right, y, f"領収番号 {receipt.receipt_no}")
    y -= 5 * mm
    c.drawRightString(right, y, f"発行日 {wareki(issued_on)}")

    y -= 10 * mm
    c.setFont(font, 12)
    c.drawString(left, y, f"{receipt.person.name} 様")
    y -= 6 * mm
    c.setFont(font, 9)
    c.drawString(left, y, f"宛名番号 {receipt.person.atena_no}")
    y -= 5 * mm
    c.drawString(
        left, y, receipt.person.address + (" " + receipt.person.address_extra if receipt.person.address_extra else "")
    )

    y -= 12 * mm
    c.setFont(font, 11)
    c.drawString(left, y, "領収金額")
    c.setFont(font, 16)
    c.drawRightString(right, y, f"¥{_yen(receipt.total)}-")
    c.line(left, y - 2 * mm, right, y - 2 * mm)
    y -= 8 * mm
    c.setFont(font, 9)
    c.drawString(left, y, f"納付日 {wareki(payment.paid_on)}")
    c.drawRightString(right, y, f"収納日 {wareki(payment.accounted_on)}")

    # Table: 年度・税目・期別・本税・延滞金
    y -= 10 * mm
    cols = [left, left + 20 * mm, left + 68 * mm, right - 28 * mm, right]
    c.setFont(font, 9)
    c.drawString(cols[0], y, "年度")
    c.drawString(cols[1], y, "税目")
    c.drawString(cols[2], y, "期別")
    c.drawRightString(cols[3], y, "本税")
    c.drawRightString(cols[4], y, "延滞金")
    c.line(left, y - 1.5 * mm, right, y - 1.5 * mm)
    for line in receipt.lines:
        y -= 6 * mm
        c.drawString(cols[0], y, fiscal_year_label(line.fiscal_year))
        c.drawString(cols[1], y, line.revenue_label)
        c.drawString(cols[2], y, f"第{line.installment_no}期")
        c.drawRightString(cols[3], y, _yen(line.principal))
        c.drawRightString(cols[4], y, _yen(line.late_fee))
    if receipt.overpayment:
        y -= 6 * mm
        c.drawString(cols[1], y, "過誤納金")
        c.drawRightString(cols[3], y, _yen(receipt.overpayment))
    c.line(left, y - 2 * mm, right, y - 2 * mm)
    y -= 7 * mm
    principal_total = sum(line.principal for line in receipt.lines) + receipt.overpayment
    c.drawString(cols[1], y, "合計")
    c.drawRightString(cols[3], y, _yen(principal_total))
    c.drawRightString(cols[4], y, _yen(sum(line.late_fee for line in receipt.lines)))

    y -= 14 * mm
    c.drawString(left, y, "上記の金額を領収しました。" if not is_reversal else "上記の領収を取り消しました。")
    c.setFont(font, 10)
    c.drawRightString(right, 18 * mm, f"{getattr(settings, 'CHOSHU_RECEIPT_ISSUER', '新宿区長')}　　　　　　印")
    c.setFont(font, 7)
    c.drawString(left, 12 * mm, f"取扱 {payment.created_by.username if payment.created_by else ''}")
    c.showPage()
    c.save()
    return buffer.getvalue()
