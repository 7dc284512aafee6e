"""督促状 as a PDF, printed in house: A4 portrait, font embedded, each letter followed by its slips.

A letter (one page, or more when its lines do not fit) carries the document number
(`letter_number`, the one format other code imports), the issue date (発付日) in 和暦, the addressee
(〒, address, 方書, name with 様, or 御中 and the 指定番号 for an employer), the issuer
(``settings.CHOSHU_RECEIPT_ISSUER``), the demanded installments (年度, 税目, 期別, 納期限, 調定番号,
課税額, 督促額) with their total, the 指定期限 (`designated_date`) and the legal notices of the
revenues on the letter: the late fee (延滞金), what follows if the letter is not paid by the
指定期限 (滞納処分), and the 教示 (審査請求 and 取消訴訟). Taxes and NHI premiums differ (law.md §2, §3):

- taxes (地方税法): 延滞金 326条 (市町村民税) and 463条の24 (軽自動車税種別割); demand 329条 and
  attachment 331条1項 for 市町村民税 (law.md §3); 審査請求 to the 区長 within 3 months, and the
  取消訴訟 only after its decision (審査請求前置, 地方税法19条の12), within 6 months, the ward as
  defendant.
- NHI premiums (国民健康保険法・地方自治法): 延滞金 by the ward's ordinance; demand and
  enforcement 地方自治法231条の3第1項・第3項 with 国民健康保険法79条の2; 審査請求 to the
  東京都国民健康保険審査会 within 3 months (国保法91条, 99条), the 取消訴訟 only after its decision
  (103条). law.md marks the NHI basis NOT CONFIRMED: the texts are data here (`TAX_NOTICES`,
  `NHI_NOTICES`) so that they can be corrected in one place.

No demand fee (督促手数料) is printed: it is off (DESIGN.md, Decisions). The enclosed slips bill
each line's demanded amount (督促額) as of the issue date (`notices.slips.slips_for_amounts`), drawn
by `notices.slip_pdf.draw_slips`.
"""

from __future__ import annotations

import io
import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from django.conf import settings
from django.db.models import Exists, OuterRef, Prefetch
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas

from choshu.notices.demands import DemandError
from choshu.notices.models import DemandBatch, DemandLetter, DemandLine
from choshu.notices.pdf import FONT_NAME, japanese_font
from choshu.notices.slip_pdf import draw_slips
from choshu.notices.slips import slips_for_amounts
from choshu.people.models import Person
from choshu.rules.calendar import fiscal_year_label, wareki
from choshu.rules.money import format_yen
from choshu.rules.revenue import REVENUES

DESIGNATED_DAYS = 10  # 督促状を発した日から起算して十日を経過した日 (地方税法331条1項1号)
PRINTABLE = (DemandBatch.State.FIXED, DemandBatch.State.DISPATCHED)
LINE_ORDER = (
    "installment__levy__fiscal_year",
    "installment__due_date",
    "installment__levy__levy_no",
    "installment__installment_no",
    "pk",
)
NHI_APPEAL_BODY = "東京都国民健康保険審査会"

# Layout (points; A4 is 595 x 842).
WIDTH, HEIGHT = A4
LEFT, RIGHT = 20 * mm, WIDTH - 20 * mm
BOTTOM = 18 * mm  # nothing but the footer below this
FOOTER_Y = 10 * mm
NUMBER_Y = HEIGHT - 18 * mm  # 文書番号, then the issue date under it
ADDRESS_Y = HEIGHT - 40 * mm  # 〒, in the window of a 長3 envelope
ISSUER_Y = HEIGHT - 82 * mm
TITLE_Y = HEIGHT - 96 * mm
BODY_Y = HEIGHT - 108 * mm
NEXT_TABLE_Y = HEIGHT - 42 * mm  # where the table goes on on a continuation page
BODY_SIZE, TITLE_SIZE, NAME_SIZE, SUMMARY_SIZE, NOTICE_SIZE, ROW_SIZE = 9.5, 20, 13, 11, 7.5, 8.5
BODY_LEADING = 5 * mm
SUMMARY_LEADING = 7 * mm
NOTICE_LEADING = 3.8 * mm
ROW = 5.5 * mm
TABLE_HEAD = 7 * mm  # the header row and its rule
TOTAL_ROW = 8 * mm
NOTICE_GAP = 8 * mm  # between the total and the notices
# Table columns: left edges of the text columns, right edges of the money columns.
COL_YEAR, COL_REVENUE, COL_NO, COL_DUE, COL_LEVY = LEFT, LEFT + 21 * mm, LEFT + 60 * mm, LEFT + 73 * mm, LEFT + 103 * mm
LEVY_WIDTH = 24 * mm
COL_TAX, COL_AMOUNT = LEFT + 148 * mm, RIGHT


def letter_number(letter: DemandLetter) -> str:
    """文書番号 of a letter: 「督促第{batch}-{letter}号」, e.g. 督促第12-3456号 (no query)."""
    return f"督促第{letter.batch_id}-{letter.pk}号"


def designated_date(issue_date: date) -> date:
    """指定期限: the day on which 10 days have elapsed counting from the issue date (issue date + 10).

    The issue date is the first day of the period (起算), so the ten days run to issue + 9 and the
    day on which they have elapsed (経過した日) is issue + 10: 7月15日 → 7月25日.

    Not moved past weekends or holidays. 地方税法20条の5第2項 moves the 期限 of what the taxpayer
    must do (申告, 納付, ...) when it falls on a closed day; this day is not such a 期限 (the
    納期限 has passed already, the late fee runs from it whatever this day is) but the end of the
    period after which the collector must attach (地方税法331条1項1号). Printing the statutory day
    keeps the letter in line with the limitation rule, which renews the period after the same
    unmoved day (DESIGN.md). law.md does not settle the point: should a lawyer rule that the day
    moves, change this function only (``rules.calendar.shift_due_date``). For NHI premiums the
    ward sets the deadline of a demand (地方自治法231条の3第1項); the same ten days are used.
    """
    return issue_date + timedelta(days=DESIGNATED_DAYS)


def letters_for_print(batch: DemandBatch, letter_ids: Collection[int] | None = None) -> list[DemandLetter]:
    """The letters of a fixed (or dispatched) batch to print, by 宛名番号, in two queries.

    Each letter comes with its batch and person, and its active lines (`demand_lines.all()`) in
    print order with their installment and levy. A letter none of whose lines is active (all
    paid before the fix) is left out. ``letter_ids`` chooses some letters (a reprint).
    """
    if batch.state not in PRINTABLE:
        raise DemandError(f"督促処理 #{batch.pk} は{batch.get_state_display()}です。印刷できるのは確定した処理です。")
    lines = DemandLine.objects.filter(active=True).select_related("installment__levy").order_by(*LINE_ORDER)
    letters = (
        DemandLetter.objects.filter(batch=batch)
        .filter(Exists(DemandLine.objects.filter(letter=OuterRef("pk"), active=True)))
        .select_related("batch", "person")
        .prefetch_related(Prefetch("demand_lines", queryset=lines))
        .order_by("person__atena_no", "pk")
    )
    if letter_ids is not None:
        letters = letters.filter(pk__in_array=sorted(set(letter_ids)))
    return list(letters)


def demand_letters_pdf(letters: Sequence[DemandLetter]) -> bytes:
    """One PDF: each letter's page(s), then its enclosed slips (one per line, 督促額, issue date).

    The letters come with batch, person and lines loaded (`letters_for_print`): no query here.
    """
    if not letters:
        raise ValueError("no letters to render")
    japanese_font()
    buffer = io.BytesIO()
    c = Canvas(buffer, pagesize=A4, initialFontName=FONT_NAME, initialFontSize=BODY_SIZE)
    c.setTitle("督促状")
    c.setAuthor("choshu")
    issuer = _issuer()
    for letter in letters:
        lines = _active_lines(letter)
        if not lines:
            raise ValueError(f"{letter_number(letter)}: no active line to demand")
        _draw_letter(c, letter, lines, issuer)
        issued_on = letter.batch.issue_date
        slips = slips_for_amounts(((line.installment, line.amount) for line in lines), as_of=issued_on)
        draw_slips(c, person=letter.person, slips=slips, issued_on=issued_on)
    c.save()
    return buffer.getvalue()


# The legal notices, per kind of revenue. {ward} is the ward (from the issuer), {issuer} the issuer.


@dataclass(frozen=True)
class Notices:
    subject: str  # what the body says is demanded
    demand_basis: str  # the article the demand is made under
    late_fee: str
    enforcement: str
    appeal: tuple[str, ...]


TAX_NOTICES = Notices(
    subject="税",
    demand_basis="地方税法第329条第1項(市町村民税)等",
    late_fee=(
        "納期限の翌日から納付の日までの期間の日数に応じて、延滞金が加算されます(地方税法第326条(市町村民税)、"
        "第463条の24(軽自動車税種別割)等)。延滞金は本税を完納された後に計算し、別に納付書をお送りします。"
    ),
    enforcement=(
        "指定期限までに完納されないときは、地方税法第331条第1項(市町村民税)等の規定により、"
        "財産の差押えなどの滞納処分を受けることがあります。"
    ),
    appeal=(
        "この督促に不服がある場合は、この督促があったことを知った日の翌日から起算して3か月以内に、"
        "{ward}長に対して審査請求をすることができます。",
        "この督促の取消しの訴えは、審査請求に対する裁決を経た後でなければ提起できません(地方税法第19条の12)。"
        "取消しの訴えは、裁決があったことを知った日の翌日から起算して6か月以内に、{ward}を被告として"
        "(訴訟において{ward}を代表する者は{ward}長となります。)提起することができます。"
        "ただし、審査請求があった日から3か月を経過しても裁決がないときなどは、裁決を経ないで提起することができます。",
    ),
)

NHI_NOTICES = Notices(
    subject="国民健康保険料",
    demand_basis="地方自治法第231条の3第1項",
    late_fee=(
        "納期限の翌日から納付の日までの期間の日数に応じて、{ward}の国民健康保険条例の定めるところにより"
        "延滞金が加算されます。延滞金は保険料を完納された後に計算し、別に納付書をお送りします。"
    ),
    enforcement=(
        "指定期限までに完納されないときは、国民健康保険法第79条の2及び地方自治法第231条の3第3項の規定により、"
        "地方税の滞納処分の例により、財産の差押えなどの処分を受けることがあります。"
    ),
    appeal=(
        "この督促に不服がある場合は、この督促があったことを知った日の翌日から起算して3か月以内に、"
        f"{NHI_APPEAL_BODY}に対して審査請求をすることができます(国民健康保険法第91条第1項、第99条)。",
        "この督促の取消しの訴えは、審査請求に対する裁決を経た後でなければ提起できません(国民健康保険法第103条)。"
        "取消しの訴えは、裁決があったことを知った日の翌日から起算して6か月以内に、{ward}を被告として"
        "(訴訟において{ward}を代表する者は{ward}長となります。)提起することができます。"
        "ただし、審査請求があった日から3か月を経過しても裁決がないときなどは、裁決を経ないで提起することができます。",
    ),
)


def _notices_of(lines: Sequence[DemandLine]) -> list[Notices]:
    """The notices that apply to the revenues on the letter: taxes, NHI premiums, or both."""
    kinds = {REVENUES[line.installment.levy.revenue].is_tax for line in lines}
    return [n for is_tax, n in ((True, TAX_NOTICES), (False, NHI_NOTICES)) if is_tax in kinds]


def _issuer() -> str:
    return str(getattr(settings, "CHOSHU_RECEIPT_ISSUER", "新宿区長"))


def _ward(issuer: str) -> str:
    """The municipality of the issuer: 新宿区長 → 新宿区 (the defendant of a 取消訴訟)."""
    match = re.match(r"(.*?[区市町村])長", issuer)
    return match.group(1) if match else issuer


def _active_lines(letter: DemandLetter) -> list[DemandLine]:
    """The letter's active lines in print order (reads the prefetched lines when loaded)."""
    lines = [line for line in letter.demand_lines.all() if line.active]
    return sorted(
        lines,
        key=lambda line: (
            line.installment.levy.fiscal_year,
            line.installment.due_date,
            line.installment.levy.levy_no,
            line.installment.installment_no,
            line.pk,
        ),
    )


# Drawing.


def _wrap(text: str, width: float, size: float) -> list[str]:
    """Break Japanese text into lines no wider than ``width`` (a closing mark stays on its line)."""
    lines: list[str] = []
    current = ""
    for char in text:
        if current and stringWidth(current + char, FONT_NAME, size) > width and char not in "、。)」』":
            lines.append(current)
            current = ""
        current += char
    if current:
        lines.append(current)
    return lines


def _notice_lines(notices: list[Notices], ward: str) -> list[tuple[float, str]]:
    """(indent, text) lines of the notices block, wrapped."""
    both = len(notices) > 1
    out: list[tuple[float, str]] = [(0, "【ご注意】")]
    headings = ("延滞金について", "指定期限までに納付されない場合", "教示(不服申立て及び取消訴訟について)")
    for section, heading in enumerate(headings):
        out.append((2 * mm, f"■{heading}"))
        for n in notices:
            for text in ((n.late_fee,), (n.enforcement,), n.appeal)[section]:
                label = f"({n.subject}) " if both else ""
                for part in _wrap(label + text.format(ward=ward), RIGHT - LEFT - 6 * mm, NOTICE_SIZE):
                    out.append((6 * mm, part))
    return out


def _body(notices: list[Notices]) -> list[str]:
    subject = "及び".join(n.subject for n in notices)
    basis = "並びに".join(n.demand_basis for n in notices)
    text = (
        f"下記の{subject}は、納期限を過ぎても完納されていませんので、{basis}の規定により督促します。"
        "指定期限までに、同封の納付書で納付してください。"
        "なお、この督促状と行き違いに納付された場合は、ご容赦ください。"
    )
    return _wrap(text, RIGHT - LEFT, BODY_SIZE)


def _table_top_first(body_lines: int) -> float:
    """The y of the table header on a letter's first page (below the body and the summary)."""
    return BODY_Y - body_lines * BODY_LEADING - 2 * SUMMARY_LEADING - 4 * mm


def _rows_between(top: float, bottom: float) -> int:
    return max(0, int((top - TABLE_HEAD - bottom) // ROW))


def _paginate(count: int, first_top: float, notices_height: float) -> list[int]:
    """How many lines each page of a letter holds; the last page also holds the total and notices."""
    pages: list[int] = []
    top = first_top
    while True:
        if count <= _rows_between(top, BOTTOM + TOTAL_ROW + NOTICE_GAP + notices_height):
            pages.append(count)
            return pages
        take = max(1, min(_rows_between(top, BOTTOM), count - 1))  # leave a line for the last page
        pages.append(take)
        count -= take
        top = NEXT_TABLE_Y


def _postal(code: str) -> str:
    digits = code.replace("-", "")
    if len(digits) == 7 and digits.isdigit():
        return f"〒{digits[:3]}-{digits[3:]}"
    return f"〒{code}" if code else ""


def _is_employer(person: Person) -> bool:
    return person.kind == Person.Kind.BUSINESS


def _draw_head(c: Canvas, letter: DemandLetter, issuer: str, body: list[str], total: int) -> None:
    """The first page down to the table: number, date, addressee, issuer, title, body, summary."""
    person = letter.person
    batch = letter.batch
    c.setFont(FONT_NAME, BODY_SIZE)
    c.drawRightString(RIGHT, NUMBER_Y, letter_number(letter))
    c.drawRightString(RIGHT, NUMBER_Y - 5 * mm, wareki(batch.issue_date))

    y = ADDRESS_Y
    c.drawString(LEFT + 5 * mm, y, _postal(person.postal_code))
    c.drawString(LEFT + 5 * mm, y - 5 * mm, person.address)
    if person.address_extra:
        c.drawString(LEFT + 5 * mm, y - 10 * mm, person.address_extra)
    c.setFont(FONT_NAME, NAME_SIZE)
    c.drawString(LEFT + 5 * mm, y - 19 * mm, f"{person.name} {'御中' if _is_employer(person) else '様'}")
    c.setFont(FONT_NAME, BODY_SIZE)
    y -= 26 * mm
    if _is_employer(person) and person.designation_no:
        c.drawString(LEFT + 5 * mm, y, f"指定番号 {person.designation_no}")
        y -= 5 * mm
    c.drawString(LEFT + 5 * mm, y, f"宛名番号 {person.atena_no}")
    c.drawString(LEFT + 45 * mm, y, f"整理番号 {letter.pk}")  # keys a returned letter (返戻)

    c.setFont(FONT_NAME, 11)
    c.drawRightString(RIGHT, ISSUER_Y, issuer)
    c.setFont(FONT_NAME, TITLE_SIZE)
    c.drawCentredString(WIDTH / 2, TITLE_Y, "督促状")

    c.setFont(FONT_NAME, BODY_SIZE)
    y = BODY_Y
    for text in body:
        c.drawString(LEFT, y, text)
        y -= BODY_LEADING
    c.setFont(FONT_NAME, SUMMARY_SIZE)
    y -= 2 * mm
    c.drawString(LEFT + 5 * mm, y, "督促金額")
    c.drawRightString(LEFT + 90 * mm, y, f"{format_yen(total)}円")
    y -= SUMMARY_LEADING
    c.drawString(LEFT + 5 * mm, y, "指定期限")
    c.drawRightString(LEFT + 90 * mm, y, wareki(designated_date(batch.issue_date)))
    c.setFont(FONT_NAME, BODY_SIZE)


def _draw_continuation_head(c: Canvas, letter: DemandLetter) -> None:
    c.setFont(FONT_NAME, 13)
    c.drawString(LEFT, HEIGHT - 22 * mm, "督促状(続き)")
    c.setFont(FONT_NAME, BODY_SIZE)
    c.drawRightString(RIGHT, HEIGHT - 20 * mm, letter_number(letter))
    honorific = "御中" if _is_employer(letter.person) else "様"
    c.drawRightString(RIGHT, HEIGHT - 25 * mm, f"{letter.person.name} {honorific}")


def _draw_fitted(c: Canvas, x: float, y: float, text: str, width: float, size: float) -> None:
    """Text at (x, y), its size lowered (down to 5 pt) until it is no wider than ``width``."""
    while size > 5 and stringWidth(text, FONT_NAME, size) > width:
        size -= 0.5
    c.setFont(FONT_NAME, size)
    c.drawString(x, y, text)


def _draw_table(c: Canvas, top: float, lines: Sequence[DemandLine], *, total: int | None) -> float:
    """Header, rows and (on the last page) the total; returns the y below them."""
    c.setFont(FONT_NAME, ROW_SIZE)
    for x, text in ((COL_YEAR, "年度"), (COL_REVENUE, "税目"), (COL_NO, "期別"), (COL_DUE, "納期限")):
        c.drawString(x, top, text)
    c.drawString(COL_LEVY, top, "調定番号")
    c.drawRightString(COL_TAX, top, "課税額(円)")
    c.drawRightString(COL_AMOUNT, top, "督促額(円)")
    c.setLineWidth(0.5)
    c.line(LEFT, top - 2 * mm, RIGHT, top - 2 * mm)
    y = top - TABLE_HEAD
    for line in lines:
        inst = line.installment
        levy = inst.levy
        c.setFont(FONT_NAME, ROW_SIZE)
        c.drawString(COL_YEAR, y, fiscal_year_label(levy.fiscal_year))
        c.drawString(COL_REVENUE, y, REVENUES[levy.revenue].label)
        c.drawString(COL_NO, y, f"第{inst.installment_no}期")
        c.drawString(COL_DUE, y, wareki(inst.due_date))
        _draw_fitted(c, COL_LEVY, y, levy.levy_no, LEVY_WIDTH, ROW_SIZE)
        c.setFont(FONT_NAME, ROW_SIZE)
        c.drawRightString(COL_TAX, y, format_yen(line.tax_amount))
        c.drawRightString(COL_AMOUNT, y, format_yen(line.amount))
        y -= ROW
    c.line(LEFT, y + ROW - 2 * mm, RIGHT, y + ROW - 2 * mm)
    c.setFont(FONT_NAME, BODY_SIZE)
    if total is None:
        c.drawRightString(RIGHT, y - 1 * mm, "(次ページに続きます)")
        return y
    c.drawString(COL_REVENUE, y - 1 * mm, "合計")
    c.drawRightString(COL_AMOUNT, y - 1 * mm, f"{format_yen(total)}円")
    return y - TOTAL_ROW


def _draw_letter(c: Canvas, letter: DemandLetter, lines: Sequence[DemandLine], issuer: str) -> None:
    notices = _notices_of(lines)
    notice_lines = _notice_lines(notices, _ward(issuer))
    body = _body(notices)
    total = sum(line.amount for line in lines)
    pages = _paginate(len(lines), _table_top_first(len(body)), len(notice_lines) * NOTICE_LEADING)
    start = 0
    for n, count in enumerate(pages, start=1):
        last = n == len(pages)
        if n == 1:
            _draw_head(c, letter, issuer, body, total)
            top = _table_top_first(len(body))
        else:
            _draw_continuation_head(c, letter)
            top = NEXT_TABLE_Y
        y = _draw_table(c, top, lines[start : start + count], total=total if last else None)
        start += count
        if last:  # _paginate kept NOTICE_GAP and every notice line free below the total
            y -= NOTICE_GAP - NOTICE_LEADING
            c.setFont(FONT_NAME, NOTICE_SIZE)
            for indent, text in notice_lines:
                c.drawString(LEFT + indent, y, text)
                y -= NOTICE_LEADING
        c.setFont(FONT_NAME, 8)
        c.drawCentredString(WIDTH / 2, FOOTER_Y, f"{letter_number(letter)}  {n}/{len(pages)}")
        c.showPage()
