"""A collection letter as a PDF (督促状, 催告書, ...): A4 portrait, font embedded, each letter
followed by its enclosed slips.

What a letter says is built by its kind (`notices.demand_pdf`, `notices.reminder_pdf`) as a
`Letter`; this module only lays it out. A letter (one page, or more when its rows do not fit)
carries the document number, the issue date (発付日) in 和暦, the addressee (〒, address, 方書, name
with 様, or 御中 and the 指定番号 for an employer), the 宛名番号 and the 整理番号 (which keys a
returned letter and the print house's piece list), the issuer (``settings.CHOSHU_RECEIPT_ISSUER``),
the title, the body, the total and the 指定期限, the installments (年度, 税目, 期別, 納期限, 調定番号
and two amounts) with their total, and the notices. The enclosed slips bill each row's amount as
of the issue date (`notices.slips.slips_for_amounts`, drawn by `notices.slip_pdf.draw_slips`).
"""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from django.conf import settings
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas

from choshu.ledger.models import Installment
from choshu.notices.pdf import FONT_NAME, japanese_font
from choshu.notices.slip_pdf import draw_slips
from choshu.notices.slips import slips_for_amounts
from choshu.people.models import Person
from choshu.rules.calendar import fiscal_year_label, wareki
from choshu.rules.money import format_yen
from choshu.rules.revenue import REVENUES

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
COL_BASE, COL_AMOUNT = LEFT + 148 * mm, RIGHT


@dataclass(frozen=True)
class Row:
    """One installment of a letter: its base amount (課税額, 本税額) and the amount asked for."""

    installment: Installment  # with its levy loaded
    base: int
    amount: int


@dataclass(frozen=True)
class Letter:
    """What one letter prints, built by its kind; the rows come in print order."""

    title: str  # 督促状, 催告書, ...
    number: str  # 文書番号
    key: int  # 整理番号
    person: Person
    issue_date: date
    deadline: date  # 指定期限
    body: str
    total_label: str  # 督促金額, 催告金額
    columns: tuple[str, str]  # the headings of the two amounts
    rows: Sequence[Row]
    notices: Sequence[tuple[str, Sequence[str]]]  # (heading, paragraphs)

    @property
    def total(self) -> int:
        return sum(row.amount for row in self.rows)


def letters_pdf(letters: Sequence[Letter], *, title: str) -> bytes:
    """One PDF: each letter's page(s), then its enclosed slips (one per row, as of the issue date)."""
    if not letters:
        raise ValueError("no letters to render")
    japanese_font()
    buffer = io.BytesIO()
    c = Canvas(buffer, pagesize=A4, initialFontName=FONT_NAME, initialFontSize=BODY_SIZE)
    c.setTitle(title)
    c.setAuthor("choshu")
    issuer = issuer_name()
    for letter in letters:
        if not letter.rows:
            raise ValueError(f"{letter.number}: no installment to print")
        _draw_letter(c, letter, issuer)
        slips = slips_for_amounts(((row.installment, row.amount) for row in letter.rows), as_of=letter.issue_date)
        draw_slips(c, person=letter.person, slips=slips, issued_on=letter.issue_date)
    c.save()
    return buffer.getvalue()


def issuer_name() -> str:
    return str(getattr(settings, "CHOSHU_RECEIPT_ISSUER", "新宿区長"))


def ward_of(issuer: str) -> str:
    """The municipality of the issuer: 新宿区長 → 新宿区 (the defendant of a 取消訴訟)."""
    match = re.match(r"(.*?[区市町村])長", issuer)
    return match.group(1) if match else issuer


def row_order(installment: Installment) -> tuple[int, date, str, int]:
    """Print order: 年度, 納期限, 調定番号, 期別."""
    levy = installment.levy
    return (levy.fiscal_year, installment.due_date, levy.levy_no, installment.installment_no)


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


def _notice_lines(notices: Sequence[tuple[str, Sequence[str]]]) -> list[tuple[float, str]]:
    """(indent, text) lines of the notices block, wrapped."""
    out: list[tuple[float, str]] = [(0, "【ご注意】")]
    for heading, paragraphs in notices:
        out.append((2 * mm, f"■{heading}"))
        for text in paragraphs:
            out += [(6 * mm, part) for part in _wrap(text, RIGHT - LEFT - 6 * mm, NOTICE_SIZE)]
    return out


def _table_top_first(body_lines: int) -> float:
    """The y of the table header on a letter's first page (below the body and the summary)."""
    return BODY_Y - body_lines * BODY_LEADING - 2 * SUMMARY_LEADING - 4 * mm


def _rows_between(top: float, bottom: float) -> int:
    return max(0, int((top - TABLE_HEAD - bottom) // ROW))


def _paginate(count: int, first_top: float, notices_height: float) -> list[int]:
    """How many rows each page of a letter holds; the last page also holds the total and notices."""
    pages: list[int] = []
    top = first_top
    while True:
        if count <= _rows_between(top, BOTTOM + TOTAL_ROW + NOTICE_GAP + notices_height):
            pages.append(count)
            return pages
        take = max(1, min(_rows_between(top, BOTTOM), count - 1))  # leave a row for the last page
        pages.append(take)
        count -= take
        top = NEXT_TABLE_Y


def _postal(code: str) -> str:
    digits = code.replace("-", "")
    if len(digits) == 7 and digits.isdigit():
        return f"〒{digits[:3]}-{digits[3:]}"
    return f"〒{code}" if code else ""


def _honorific(person: Person) -> str:
    return "御中" if person.kind == Person.Kind.BUSINESS else "様"


def _draw_head(c: Canvas, letter: Letter, issuer: str, body: list[str]) -> None:
    """The first page down to the table: number, date, addressee, issuer, title, body, summary."""
    person = letter.person
    c.setFont(FONT_NAME, BODY_SIZE)
    c.drawRightString(RIGHT, NUMBER_Y, letter.number)
    c.drawRightString(RIGHT, NUMBER_Y - 5 * mm, wareki(letter.issue_date))

    y = ADDRESS_Y
    c.drawString(LEFT + 5 * mm, y, _postal(person.postal_code))
    c.drawString(LEFT + 5 * mm, y - 5 * mm, person.address)
    if person.address_extra:
        c.drawString(LEFT + 5 * mm, y - 10 * mm, person.address_extra)
    c.setFont(FONT_NAME, NAME_SIZE)
    c.drawString(LEFT + 5 * mm, y - 19 * mm, f"{person.name} {_honorific(person)}")
    c.setFont(FONT_NAME, BODY_SIZE)
    y -= 26 * mm
    if person.kind == Person.Kind.BUSINESS and person.designation_no:
        c.drawString(LEFT + 5 * mm, y, f"指定番号 {person.designation_no}")
        y -= 5 * mm
    c.drawString(LEFT + 5 * mm, y, f"宛名番号 {person.atena_no}")
    c.drawString(LEFT + 45 * mm, y, f"整理番号 {letter.key}")

    c.setFont(FONT_NAME, 11)
    c.drawRightString(RIGHT, ISSUER_Y, issuer)
    c.setFont(FONT_NAME, TITLE_SIZE)
    c.drawCentredString(WIDTH / 2, TITLE_Y, letter.title)

    c.setFont(FONT_NAME, BODY_SIZE)
    y = BODY_Y
    for text in body:
        c.drawString(LEFT, y, text)
        y -= BODY_LEADING
    c.setFont(FONT_NAME, SUMMARY_SIZE)
    y -= 2 * mm
    c.drawString(LEFT + 5 * mm, y, letter.total_label)
    c.drawRightString(LEFT + 90 * mm, y, f"{format_yen(letter.total)}円")
    y -= SUMMARY_LEADING
    c.drawString(LEFT + 5 * mm, y, "指定期限")
    c.drawRightString(LEFT + 90 * mm, y, wareki(letter.deadline))
    c.setFont(FONT_NAME, BODY_SIZE)


def _draw_continuation_head(c: Canvas, letter: Letter) -> None:
    c.setFont(FONT_NAME, 13)
    c.drawString(LEFT, HEIGHT - 22 * mm, f"{letter.title}(続き)")
    c.setFont(FONT_NAME, BODY_SIZE)
    c.drawRightString(RIGHT, HEIGHT - 20 * mm, letter.number)
    c.drawRightString(RIGHT, HEIGHT - 25 * mm, f"{letter.person.name} {_honorific(letter.person)}")


def _draw_fitted(c: Canvas, x: float, y: float, text: str, width: float, size: float) -> None:
    """Text at (x, y), its size lowered (down to 5 pt) until it is no wider than ``width``."""
    while size > 5 and stringWidth(text, FONT_NAME, size) > width:
        size -= 0.5
    c.setFont(FONT_NAME, size)
    c.drawString(x, y, text)


def _draw_table(c: Canvas, letter: Letter, top: float, rows: Sequence[Row], *, last: bool) -> float:
    """Header, rows and (on the last page) the total; returns the y below them."""
    c.setFont(FONT_NAME, ROW_SIZE)
    for x, text in ((COL_YEAR, "年度"), (COL_REVENUE, "税目"), (COL_NO, "期別"), (COL_DUE, "納期限")):
        c.drawString(x, top, text)
    c.drawString(COL_LEVY, top, "調定番号")
    c.drawRightString(COL_BASE, top, letter.columns[0])
    c.drawRightString(COL_AMOUNT, top, letter.columns[1])
    c.setLineWidth(0.5)
    c.line(LEFT, top - 2 * mm, RIGHT, top - 2 * mm)
    y = top - TABLE_HEAD
    for row in rows:
        inst = row.installment
        levy = inst.levy
        c.setFont(FONT_NAME, ROW_SIZE)
        c.drawString(COL_YEAR, y, fiscal_year_label(levy.fiscal_year))
        c.drawString(COL_REVENUE, y, REVENUES[levy.revenue].label)
        c.drawString(COL_NO, y, f"第{inst.installment_no}期")
        c.drawString(COL_DUE, y, wareki(inst.due_date))
        _draw_fitted(c, COL_LEVY, y, levy.levy_no, LEVY_WIDTH, ROW_SIZE)
        c.setFont(FONT_NAME, ROW_SIZE)
        c.drawRightString(COL_BASE, y, format_yen(row.base))
        c.drawRightString(COL_AMOUNT, y, format_yen(row.amount))
        y -= ROW
    c.line(LEFT, y + ROW - 2 * mm, RIGHT, y + ROW - 2 * mm)
    c.setFont(FONT_NAME, BODY_SIZE)
    if not last:
        c.drawRightString(RIGHT, y - 1 * mm, "(次ページに続きます)")
        return y
    c.drawString(COL_REVENUE, y - 1 * mm, "合計")
    c.drawRightString(COL_AMOUNT, y - 1 * mm, f"{format_yen(letter.total)}円")
    return y - TOTAL_ROW


def _draw_letter(c: Canvas, letter: Letter, issuer: str) -> None:
    notice_lines = _notice_lines(letter.notices)
    body = _wrap(letter.body, RIGHT - LEFT, BODY_SIZE)
    pages = _paginate(len(letter.rows), _table_top_first(len(body)), len(notice_lines) * NOTICE_LEADING)
    start = 0
    for n, count in enumerate(pages, start=1):
        last = n == len(pages)
        if n == 1:
            _draw_head(c, letter, issuer, body)
            top = _table_top_first(len(body))
        else:
            _draw_continuation_head(c, letter)
            top = NEXT_TABLE_Y
        y = _draw_table(c, letter, top, letter.rows[start : start + count], last=last)
        start += count
        if last:  # _paginate kept NOTICE_GAP and every notice line free below the total
            y -= NOTICE_GAP - NOTICE_LEADING
            c.setFont(FONT_NAME, NOTICE_SIZE)
            for indent, text in notice_lines:
                c.drawString(LEFT + indent, y, text)
                y -= NOTICE_LEADING
        c.setFont(FONT_NAME, 8)
        c.drawCentredString(WIDTH / 2, FOOTER_Y, f"{letter.number}  {n}/{len(pages)}")
        c.showPage()
