"""充当通知書 and 還付通知書 (地方税法17条の2第5項, 17条の4): A4 portrait, one page each, font embedded.

The appropriation notice lists each installment the overpayment went to (年度・税目・期別, 本税 or
延滞金, the amount and the day it took effect, 充当適状) and the refund interest (還付加算金) on
it; the refund notice gives the amount, the interest with its period, class and days, and the
decision date.
"""

from __future__ import annotations

import io
from dataclasses import replace
from datetime import date

from django.conf import settings
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from choshu.ledger.models import Allocation, Overpayment, Refund
from choshu.ledger.overpayments import AppropriationNotice
from choshu.notices.pdf import japanese_font
from choshu.people.models import Person
from choshu.rules.calendar import fiscal_year_label, wareki
from choshu.rules.money import format_yen
from choshu.rules.refund import RefundInterest

WIDTH, HEIGHT = A4
LEFT, RIGHT = 20 * mm, WIDTH - 20 * mm


def _head(c: Canvas, font: str, *, title: str, number: str, person: Person, issued_on: date) -> float:
    """Title, number, issue date and addressee; returns the y below them."""
    y = HEIGHT - 25 * mm
    c.setFont(font, 9)
    c.drawRightString(RIGHT, y, number)
    c.drawRightString(RIGHT, y - 5 * mm, wareki(issued_on))
    y -= 14 * mm
    c.drawString(LEFT, y, f"〒{person.postal_code[:3]}-{person.postal_code[3:]}" if person.postal_code else "")
    y -= 5 * mm
    c.drawString(LEFT, y, person.address + (" " + person.address_extra if person.address_extra else ""))
    y -= 8 * mm
    c.setFont(font, 12)
    c.drawString(LEFT, y, f"{person.name} 様")
    c.setFont(font, 9)
    c.drawString(LEFT, y - 5 * mm, f"宛名番号 {person.atena_no}")
    c.drawRightString(RIGHT, y - 5 * mm, str(getattr(settings, "CHOSHU_RECEIPT_ISSUER", "新宿区長")))
    y -= 20 * mm
    c.setFont(font, 16)
    c.drawCentredString(WIDTH / 2, y, title)
    c.setFont(font, 9)
    return y - 12 * mm


def _origin(c: Canvas, y: float, overpayment: Overpayment) -> float:
    c.drawString(LEFT, y, f"過誤納金の発生日 {wareki(overpayment.arose_on)}")
    c.drawString(LEFT + 80 * mm, y, f"発生事由 {overpayment.get_reason_display()}")
    y -= 5 * mm
    c.drawString(LEFT, y, f"過誤納金の額 {format_yen(overpayment.amount)}円")
    c.drawString(LEFT + 80 * mm, y, f"納付日 {wareki(overpayment.payment.paid_on)}")
    return y - 10 * mm


def _interest(c: Canvas, y: float, interest: RefundInterest, *, label: str = "還付加算金") -> float:
    c.drawString(LEFT, y, f"{label} {format_yen(interest.amount)}円")
    y -= 5 * mm
    if interest.days:
        c.drawString(
            LEFT + 6 * mm,
            y,
            f"計算期間 {wareki(interest.first_day)}から{wareki(interest.end)}まで({interest.days}日)"
            f"・計算の基礎 {format_yen(interest.base)}円・{interest.label}",
        )
    else:
        c.drawString(LEFT + 6 * mm, y, f"計算期間なし({interest.label})")
    return y - 6 * mm


def _finish(c: Canvas, font: str, lines: list[str]) -> bytes:
    c.setFont(font, 8)
    y = 40 * mm
    for text in lines:
        c.drawString(LEFT, y, text)
        y -= 4.5 * mm
    c.showPage()
    return bytes(c.getpdfdata())


def appropriation_notice_pdf(notice: AppropriationNotice, *, issued_on: date) -> bytes:
    font = japanese_font()
    appropriation = notice.appropriation
    overpayment = notice.overpayment
    person = overpayment.person
    assert person is not None, "an appropriation always has a person"
    c = Canvas(io.BytesIO(), pagesize=A4, initialFontName=font, initialFontSize=9)
    c.setTitle(f"充当通知書 {appropriation.pk}")
    c.setAuthor("choshu")
    y = _head(
        c, font, title="過誤納金充当通知書", number=f"充当番号 {appropriation.pk}", person=person, issued_on=issued_on
    )
    c.drawString(LEFT, y, "あなたの過誤納金を、次のとおり未納の地方税等に充当しましたので通知します。")
    y -= 10 * mm
    y = _origin(c, y, overpayment)
    c.drawString(LEFT, y, f"充当日 {wareki(appropriation.decided_on)}")
    y -= 9 * mm
    cols = [LEFT, LEFT + 24 * mm, LEFT + 70 * mm, LEFT + 90 * mm, RIGHT - 40 * mm, RIGHT]
    for x, text in zip(cols[:3], ("年度", "税目", "期別"), strict=True):
        c.drawString(x, y, text)
    c.drawString(cols[3], y, "充当先")
    c.drawRightString(cols[4], y, "充当額")
    c.drawRightString(cols[5], y, "充当適状日")
    c.line(LEFT, y - 1.5 * mm, RIGHT, y - 1.5 * mm)
    for line in notice.lines:
        y -= 6 * mm
        c.drawString(cols[0], y, fiscal_year_label(line.fiscal_year))
        c.drawString(cols[1], y, line.revenue_label)
        c.drawString(cols[2], y, f"第{line.installment_no}期")
        c.drawString(cols[3], y, Allocation.Kind(line.kind).label)
        c.drawRightString(cols[4], y, format_yen(line.amount))
        c.drawRightString(cols[5], y, wareki(line.effective_on))
    c.line(LEFT, y - 2 * mm, RIGHT, y - 2 * mm)
    y -= 7 * mm
    c.drawString(cols[1], y, "合計")
    c.drawRightString(cols[4], y, format_yen(notice.total))
    y -= 12 * mm
    c.drawString(LEFT, y, f"充当に係る還付加算金 {format_yen(notice.interest.amount)}円")
    y -= 5 * mm
    for part in notice.interest.parts:
        i = part.interest
        period = f"{wareki(i.first_day)}から{wareki(i.end)}まで({i.days}日)" if i.days else "計算期間なし"
        c.drawString(
            LEFT + 6 * mm, y, f"充当適状日 {wareki(part.appropriable_on)} 分 {format_yen(part.amount)}円: {period}"
        )
        y -= 5 * mm
    return _finish(
        c,
        font,
        [
            "この充当は地方税法第17条の2の規定によるものです。",
            "この処分に不服がある場合は、この通知を受けた日の翌日から起算して3か月以内に審査請求をすることができます。",
        ],
    )


def refund_notice_pdf(refund: Refund, interest: RefundInterest, *, issued_on: date) -> bytes:
    font = japanese_font()
    overpayment = refund.overpayment
    person = overpayment.person
    assert person is not None, "a refund always has a person"
    c = Canvas(io.BytesIO(), pagesize=A4, initialFontName=font, initialFontSize=9)
    c.setTitle(f"還付通知書 {refund.pk}")
    c.setAuthor("choshu")
    y = _head(c, font, title="過誤納金還付通知書", number=f"還付番号 {refund.pk}", person=person, issued_on=issued_on)
    c.drawString(LEFT, y, "あなたの過誤納金を、次のとおり還付しますので通知します。")
    y -= 10 * mm
    y = _origin(c, y, overpayment)
    c.drawString(LEFT, y, f"支出決定日 {wareki(refund.decided_on)}")
    y -= 9 * mm
    c.setFont(font, 11)
    c.drawString(LEFT, y, f"還付金額 {format_yen(refund.amount)}円")
    c.setFont(font, 9)
    y -= 7 * mm
    y = _interest(c, y, replace(interest, amount=refund.interest))  # the amount decided is the record
    c.setFont(font, 11)
    c.drawString(LEFT, y - 2 * mm, f"合計 {format_yen(refund.amount + refund.interest)}円")
    c.setFont(font, 9)
    return _finish(
        c,
        font,
        [
            "還付金は、届出の口座への振込または窓口でお支払いします。",
            "還付加算金は地方税法第17条の4の規定により計算しています(100円未満切捨て、1,000円未満は加算しません)。",
            "この処分に不服がある場合は、この通知を受けた日の翌日から起算して3か月以内に審査請求をすることができます。",
        ],
    )
