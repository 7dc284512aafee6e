"""分納誓約書 and 分納不履行通知書 as PDF: A4 portrait, the font embedded (`notices.pdf`), dates in
和暦, amounts in yen; the layout follows the collection letters (`notices.letter_pdf`).

**分納誓約書** (`pledge_pdf`): what the person signs. Addressed to the issuer (宛先: the 区長), it
names the person (宛名番号, 氏名), lists the installments covered with their unpaid principal on the
誓約日 and the schedule (回・納付予定日・金額) with the total, states that the person acknowledges
the debt (承認, 民法152条), that failing a payment cancels the plan and that enforcement (滞納処分)
may follow, that the late fee (延滞金) is settled after the principal, and leaves the lines for
住所・氏名・印 and 電話番号.

**分納不履行通知書** (`breach_notice_pdf`): to the person's address, the promised amounts due by the
基準日 and not paid (each row's shortfall), the 指定期限 (the issue date + 10 days, as on a demand:
`notices.demand_pdf.designated_date`) and a request to pay or to consult before it; it warns that
the plan may then be cancelled and enforcement follow. Like a reminder it is a request, not an
administrative disposition (処分), so it carries no 教示.

The texts are data (`PLEDGE_BODY`, `PLEDGE_TERMS`, `BREACH_BODY`) so that they can be corrected in
one place. A long table goes on to further pages.
"""

from __future__ import annotations

import io
from collections.abc import Collection, Sequence
from datetime import date

from django.db.models import Prefetch
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas

from choshu.cases.models import PaymentPlan, PlanInstallment, PlanTarget
from choshu.cases.plans import PlanError, PlanProgress, progress_of, with_totals
from choshu.ledger.models import Installment
from choshu.notices.demand_pdf import designated_date
from choshu.notices.letter_pdf import issuer_name, row_order, ward_of
from choshu.notices.pdf import FONT_NAME, japanese_font
from choshu.people.models import Person
from choshu.rules.calendar import fiscal_year_label, wareki
from choshu.rules.money import format_yen
from choshu.rules.revenue import REVENUES

# Layout (points; A4 is 595 x 842).
WIDTH, HEIGHT = A4
LEFT, RIGHT = 20 * mm, WIDTH - 20 * mm
TOP = HEIGHT - 18 * mm
BOTTOM = 20 * mm
FOOTER_Y = 10 * mm
BODY_SIZE, TITLE_SIZE, NAME_SIZE, ROW_SIZE, SMALL_SIZE = 10, 20, 13, 9, 8
LEADING = 5.5 * mm
ROW = 5.5 * mm

PLEDGE_BODY = (
    "私は、下記の{subject}を滞納していることを承認し、その本税を下記の納付計画のとおり分割して"
    "納付することを誓約します。"
)
PLEDGE_TERMS = (
    "上記の滞納額(本税)が未納であることを承認します(債務の承認)。",
    "納付計画のとおり納付しなかったときは、この分納誓約は取り消され、残額を直ちに一括して納付しなければ"
    "ならないこと、及び財産の差押えなどの滞納処分を受けることがあることを承知しています。",
    "延滞金は、本税を完納した日までの日数により計算されます。延滞金は本税の完納後に別に納付します。",
    "住所、電話番号、勤務先などに変更があったときは、速やかに届け出ます。",
)
BREACH_BODY = (
    "あなたが{pledged_on}に誓約された{subject}の分納について、{as_of}現在、下記の誓約額の納付が確認"
    "できません。指定期限までに未納の誓約額を納付するか、{ward}役所の収納担当窓口にご相談ください。"
    "指定期限までに納付又はご相談がない場合は、分納誓約を取り消し、滞納額の全額について、財産の差押え"
    "などの滞納処分を行うことがあります。なお、この通知と行き違いに納付された場合は、ご容赦ください。"
)
BREACH_NOTES = (
    "延滞金は、本税を完納した日までの日数により計算されます。本税の完納後に別にお知らせします。",
    "分納の計画の変更を希望される場合も、指定期限までにご相談ください。",
)


def pledge_number(plan: PaymentPlan) -> str:
    return f"分納誓約第{plan.pk}号"


def breach_number(plan: PaymentPlan) -> str:
    return f"分納不履行第{plan.pk}号"


def plans_for_print(plan_ids: Collection[int]) -> list[PaymentPlan]:
    """The plans with their case and person, schedule, targets (installment, levy) and totals
    (``paid``, ``unpaid``), by 宛名番号, in three queries."""
    targets = PlanTarget.objects.select_related("installment__levy")
    return list(
        with_totals(PaymentPlan.objects.filter(pk__in_array=sorted(set(plan_ids))))
        .select_related("case__person")
        .prefetch_related(
            Prefetch("schedule", queryset=PlanInstallment.objects.order_by("number")),
            Prefetch("targets", queryset=targets),
        )
        .order_by("case__person__atena_no", "pk")
    )


def _progress(plan: PaymentPlan, as_of: date) -> PlanProgress:
    paid, unpaid = plan.paid, plan.unpaid  # type: ignore[attr-defined]  # from plans_for_print
    return progress_of(plan, list(plan.schedule.all()), paid=paid, unpaid=unpaid, as_of=as_of)


def _subject(revenues: Collection[str]) -> str:
    kinds = {REVENUES[r].is_tax for r in revenues if r in REVENUES}
    if kinds == {False}:
        return "国民健康保険料"
    return "税及び国民健康保険料" if kinds == {True, False} else "税"


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


class _Sheet:
    """A canvas with a cursor going down the page; a block that does not fit starts a new page."""

    def __init__(self, c: Canvas, title: str, number: str, person: Person) -> None:
        self.c, self.title, self.number, self.person = c, title, number, person
        self.page = 1
        self.y = TOP

    def font(self, size: float) -> None:
        self.c.setFont(FONT_NAME, size)

    def need(self, height: float) -> None:
        if self.y - height < BOTTOM:
            self.new_page()

    def new_page(self) -> None:
        self.finish_page()
        self.c.showPage()
        self.page += 1
        self.font(13)
        self.c.drawString(LEFT, TOP - 4 * mm, f"{self.title}(続き)")
        self.font(BODY_SIZE)
        self.c.drawRightString(RIGHT, TOP - 2 * mm, self.number)
        self.c.drawRightString(RIGHT, TOP - 7 * mm, f"{self.person.name} 様")
        self.y = TOP - 18 * mm

    def finish_page(self) -> None:
        self.font(SMALL_SIZE)
        self.c.drawCentredString(WIDTH / 2, FOOTER_Y, f"{self.number}  {self.page}ページ")

    def paragraph(self, text: str, *, size: float = BODY_SIZE, indent: float = 0, first: str = "") -> None:
        """``text`` wrapped; ``first`` (a number such as "(1)") hangs before its first line."""
        lines = _wrap(text, RIGHT - LEFT - indent, size)
        for n, line in enumerate(lines):
            self.need(LEADING)
            self.font(size)
            if n == 0 and first:
                self.c.drawString(LEFT + indent - stringWidth(first, FONT_NAME, size) - 1 * mm, self.y, first)
            self.c.drawString(LEFT + indent, self.y, line)
            self.y -= LEADING

    def heading(self, text: str) -> None:
        self.need(LEADING + 3 * ROW)  # a heading is not left alone at the foot of a page
        self.y -= 2 * mm
        self.font(11)
        self.c.drawString(LEFT, self.y, text)
        self.y -= LEADING + 1 * mm

    def table(
        self,
        columns: Sequence[tuple[str, float, str]],
        rows: Sequence[Sequence[str]],
        total: Sequence[str] | None = None,
    ) -> None:
        """A table: columns are (heading, x, align "l" or "r"); the header repeats on each page."""

        def header() -> None:
            self.font(ROW_SIZE)
            for text, x, align in columns:
                (self.c.drawRightString if align == "r" else self.c.drawString)(x, self.y, text)
            self.c.setLineWidth(0.5)
            self.c.line(LEFT, self.y - 2 * mm, RIGHT, self.y - 2 * mm)
            self.y -= ROW + 1 * mm

        self.need(2 * ROW + 1 * mm)
        header()
        for cells in rows:
            if self.y - ROW < BOTTOM:
                self.font(ROW_SIZE)
                self.c.drawRightString(RIGHT, self.y, "(次ページに続きます)")
                self.new_page()
                header()
            self.font(ROW_SIZE)
            for text, (_, x, align) in zip(cells, columns, strict=True):
                (self.c.drawRightString if align == "r" else self.c.drawString)(x, self.y, text)
            self.y -= ROW
        self.c.line(LEFT, self.y + ROW - 2 * mm, RIGHT, self.y + ROW - 2 * mm)
        if total is not None:
            self.need(ROW)
            self.font(BODY_SIZE)
            for text, (_, x, align) in zip(total, columns, strict=True):
                if text:
                    (self.c.drawRightString if align == "r" else self.c.drawString)(x, self.y - 1 * mm, text)
            self.y -= ROW + 2 * mm


TARGET_COLUMNS = (
    ("年度", LEFT, "l"),
    ("税目", LEFT + 22 * mm, "l"),
    ("期別", LEFT + 62 * mm, "l"),
    ("納期限", LEFT + 76 * mm, "l"),
    ("調定番号", LEFT + 108 * mm, "l"),
    ("未納本税額(円)", RIGHT, "r"),
)
SCHEDULE_COLUMNS = (("回", LEFT, "l"), ("納付予定日", LEFT + 20 * mm, "l"), ("金額(円)", LEFT + 95 * mm, "r"))
SHORTFALL_COLUMNS = (
    ("回", LEFT, "l"),
    ("納付予定日", LEFT + 20 * mm, "l"),
    ("誓約額(円)", LEFT + 95 * mm, "r"),
    ("納付済額(円)", LEFT + 132 * mm, "r"),
    ("未納額(円)", RIGHT, "r"),
)


def _target_row(inst: Installment, amount: int) -> list[str]:
    levy = inst.levy
    return [
        fiscal_year_label(levy.fiscal_year),
        REVENUES[levy.revenue].label,
        f"第{inst.installment_no}期",
        wareki(inst.due_date),
        levy.levy_no,
        format_yen(amount),
    ]


def _canvas(buffer: io.BytesIO, title: str) -> Canvas:
    japanese_font()
    c = Canvas(buffer, pagesize=A4, initialFontName=FONT_NAME, initialFontSize=BODY_SIZE)
    c.setTitle(title)
    c.setAuthor("choshu")
    return c


def _draw_pledge(c: Canvas, plan: PaymentPlan, issuer: str) -> None:
    person = plan.case.person
    sheet = _Sheet(c, "分納誓約書", pledge_number(plan), person)
    sheet.font(BODY_SIZE)
    c.drawRightString(RIGHT, TOP, sheet.number)
    c.drawRightString(RIGHT, TOP - 6 * mm, wareki(plan.pledged_on))
    sheet.font(12)
    c.drawString(LEFT, TOP - 16 * mm, "(宛先)")
    c.drawString(LEFT + 14 * mm, TOP - 16 * mm, issuer)
    sheet.font(TITLE_SIZE)
    c.drawCentredString(WIDTH / 2, TOP - 34 * mm, "分納誓約書")
    sheet.y = TOP - 48 * mm
    sheet.paragraph(PLEDGE_BODY.format(subject=_subject(plan.revenues)))
    sheet.y -= 2 * mm
    sheet.paragraph(f"宛名番号 {person.atena_no}    滞納者 {person.name}")

    targets = sorted(plan.targets.all(), key=lambda t: (row_order(t.installment), t.pk))
    sheet.heading("1 分納の対象(誓約日現在の未納本税額)")
    sheet.table(
        TARGET_COLUMNS,
        [_target_row(t.installment, t.amount) for t in targets],
        total=["", "合計", "", "", "", f"{format_yen(plan.total)}円"],
    )
    schedule = sorted(plan.schedule.all(), key=lambda s: s.number)
    sheet.heading(f"2 納付計画(全{len(schedule)}回)")
    sheet.table(
        SCHEDULE_COLUMNS,
        [[f"第{s.number}回", wareki(s.due_on), format_yen(s.amount)] for s in schedule],
        total=["合計", "", f"{format_yen(sum(s.amount for s in schedule))}円"],
    )
    sheet.heading("3 誓約事項")
    for n, term in enumerate(PLEDGE_TERMS, start=1):
        sheet.paragraph(term, indent=8 * mm, first=f"({n})")
    if plan.note:
        sheet.paragraph(f"備考: {plan.note}", size=SMALL_SIZE)

    sheet.need(44 * mm)  # the signature block stays whole
    sheet.y -= 6 * mm
    sheet.font(11)
    c.drawString(LEFT, sheet.y, "誓約者")
    c.setLineWidth(0.5)
    x, line_end = LEFT + 30 * mm, RIGHT - 12 * mm
    for label in ("住所", "氏名", "電話番号"):
        sheet.y -= 11 * mm
        sheet.font(BODY_SIZE)
        c.drawString(LEFT + 8 * mm, sheet.y, label)
        c.line(x, sheet.y - 1.5 * mm, line_end, sheet.y - 1.5 * mm)
        if label == "氏名":
            c.circle(RIGHT - 5 * mm, sheet.y + 1.5 * mm, 4.5 * mm)
            sheet.font(SMALL_SIZE)
            c.drawCentredString(RIGHT - 5 * mm, sheet.y, "印")
    sheet.finish_page()
    c.showPage()


def pledge_pdf(plan: PaymentPlan) -> bytes:
    """分納誓約書 of one plan, for the person's signature (three queries)."""
    [loaded] = plans_for_print([plan.pk])
    buffer = io.BytesIO()
    c = _canvas(buffer, "分納誓約書")
    _draw_pledge(c, loaded, issuer_name())
    c.save()
    return buffer.getvalue()


def _draw_breach(c: Canvas, plan: PaymentPlan, progress: PlanProgress, issue_date: date, issuer: str) -> None:
    person = plan.case.person
    unpaid_rows = [row for row in progress.rows if row.due and row.shortfall > 0]
    sheet = _Sheet(c, "分納不履行通知書", breach_number(plan), person)
    sheet.font(BODY_SIZE)
    c.drawRightString(RIGHT, TOP, sheet.number)
    c.drawRightString(RIGHT, TOP - 6 * mm, wareki(issue_date))
    y = HEIGHT - 40 * mm
    digits = person.postal_code.replace("-", "")
    c.drawString(LEFT + 5 * mm, y, f"〒{digits[:3]}-{digits[3:]}" if len(digits) == 7 else f"〒{person.postal_code}")
    c.drawString(LEFT + 5 * mm, y - 5 * mm, person.address)
    if person.address_extra:
        c.drawString(LEFT + 5 * mm, y - 10 * mm, person.address_extra)
    sheet.font(NAME_SIZE)
    c.drawString(LEFT + 5 * mm, y - 19 * mm, f"{person.name} {'御中' if person.kind == Person.Kind.BUSINESS else '様'}")
    sheet.font(BODY_SIZE)
    c.drawString(LEFT + 5 * mm, y - 26 * mm, f"宛名番号 {person.atena_no}")
    sheet.font(11)
    c.drawRightString(RIGHT, HEIGHT - 82 * mm, issuer)
    sheet.font(TITLE_SIZE)
    c.drawCentredString(WIDTH / 2, HEIGHT - 96 * mm, "分納不履行通知書")
    sheet.y = HEIGHT - 108 * mm
    body = BREACH_BODY.format(
        pledged_on=wareki(plan.pledged_on),
        subject=_subject(plan.revenues),
        as_of=wareki(progress.as_of),
        ward=ward_of(issuer),
    )
    sheet.paragraph(body)
    sheet.y -= 2 * mm
    sheet.font(11)
    for label, value in (
        ("未納の誓約額", f"{format_yen(sum(row.shortfall for row in unpaid_rows))}円"),
        ("指定期限", wareki(designated_date(issue_date))),
    ):
        sheet.need(7 * mm)
        sheet.font(11)
        c.drawString(LEFT + 5 * mm, sheet.y, label)
        c.drawRightString(LEFT + 90 * mm, sheet.y, value)
        sheet.y -= 7 * mm
    sheet.heading("納付が確認できない誓約額")
    sheet.table(
        SHORTFALL_COLUMNS,
        [
            [
                f"第{row.number}回",
                wareki(row.due_on),
                format_yen(row.amount),
                format_yen(row.covered),
                format_yen(row.shortfall),
            ]
            for row in unpaid_rows
        ],
        total=["合計", "", "", "", f"{format_yen(sum(row.shortfall for row in unpaid_rows))}円"],
    )
    sheet.heading("分納の状況")
    for label, amount in (
        ("誓約額(本税)", progress.total),
        ("誓約後の納付額", progress.paid),
        ("残額", progress.remaining),
    ):
        sheet.need(LEADING)
        sheet.font(BODY_SIZE)
        c.drawString(LEFT + 5 * mm, sheet.y, label)
        c.drawRightString(LEFT + 90 * mm, sheet.y, f"{format_yen(amount)}円")
        sheet.y -= LEADING
    sheet.heading("【ご注意】")
    for note in BREACH_NOTES:
        sheet.paragraph(note, size=SMALL_SIZE + 1, indent=4 * mm, first="■")
    sheet.finish_page()
    c.showPage()


def breach_notices_pdf(plans: Sequence[PaymentPlan], *, issue_date: date, as_of: date | None = None) -> bytes:
    """分納不履行通知書, one per plan (three queries): the promised amounts due by ``as_of`` (default:
    the plan's 不履行日, else the issue date) and not paid. A plan with nothing unpaid is refused."""
    if not plans:
        raise ValueError("no plans to render")
    loaded = plans_for_print([plan.pk for plan in plans])
    issuer = issuer_name()
    buffer = io.BytesIO()
    c = _canvas(buffer, "分納不履行通知書")
    for plan in loaded:
        on = as_of or plan.breached_on or issue_date
        if issue_date < on:
            raise PlanError("発付日は基準日以降にしてください。")
        progress = _progress(plan, on)
        if not any(row.due and row.shortfall > 0 for row in progress.rows):
            raise PlanError(f"分納誓約 #{plan.pk} には{wareki(on)}現在、未納の誓約額がありません。")
        _draw_breach(c, plan, progress, issue_date, issuer)
    c.save()
    return buffer.getvalue()


def breach_notice_pdf(plan: PaymentPlan, *, issue_date: date, as_of: date | None = None) -> bytes:
    """分納不履行通知書 of one plan (see `breach_notices_pdf`)."""
    return breach_notices_pdf([plan], issue_date=issue_date, as_of=as_of)
