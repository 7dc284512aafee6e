"""督促状 printed in house: what a demand letter says, laid out by `notices.letter_pdf`.

A letter carries its document number (`letter_number`, the one format other code imports), the
demanded installments (課税額, 督促額) with their total, the 指定期限 (`designated_date`) and the
legal notices of its form (a letter is for taxes or for NHI premiums, never both): the late fee
(延滞金), what follows if the letter is not paid by the 指定期限 (滞納処分), and the 教示 (審査請求
and 取消訴訟). Taxes and NHI premiums differ (law.md §2, §3):

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
each line's demanded amount (督促額) as of the issue date.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from django.db.models import Exists, OuterRef, Prefetch

from choshu.notices.demands import DemandError
from choshu.notices.letter_pdf import Letter, Row, issuer_name, letters_pdf, row_order, ward_of
from choshu.notices.models import DemandBatch, DemandLetter, DemandLine

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
    """One PDF of the letters as loaded by `letters_for_print` (no query), each with its slips."""
    ward = ward_of(issuer_name())
    return letters_pdf([demand_letter(letter, ward) for letter in letters], title="督促状")


def demand_letter(letter: DemandLetter, ward: str) -> Letter:
    """What a demand letter prints: its active lines, the notices of its form."""
    lines = sorted(
        (line for line in letter.demand_lines.all() if line.active),
        key=lambda line: (row_order(line.installment), line.pk),
    )
    notices = NHI_NOTICES if letter.form == DemandLetter.Form.NHI else TAX_NOTICES
    return Letter(
        title="督促状",
        number=letter_number(letter),
        key=letter.pk,
        person=letter.person,
        issue_date=letter.batch.issue_date,
        deadline=designated_date(letter.batch.issue_date),
        body=(
            f"下記の{notices.subject}は、納期限を過ぎても完納されていませんので、{notices.demand_basis}の規定により"
            "督促します。指定期限までに、同封の納付書で納付してください。"
            "なお、この督促状と行き違いに納付された場合は、ご容赦ください。"
        ),
        total_label="督促金額",
        columns=("課税額(円)", "督促額(円)"),
        rows=[Row(line.installment, line.tax_amount, line.amount) for line in lines],
        notices=[
            ("延滞金について", [notices.late_fee.format(ward=ward)]),
            ("指定期限までに納付されない場合", [notices.enforcement]),
            ("教示(不服申立て及び取消訴訟について)", [text.format(ward=ward) for text in notices.appeal]),
        ],
    )


# The legal notices, per form. {ward} is the ward of the issuer.


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
