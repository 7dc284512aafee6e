"""催告書 printed in house: what a reminder says, laid out by `notices.letter_pdf`.

A reminder (催告書, 最終催告書 or 差押予告書: its level's template) lists the installments still
owed (本税額, 未納額) as of its 基準日, asks for payment by the 指定期限 (the issue date + 10 days,
as on a demand: `demand_pdf.designated_date`) and tells the person where to ask for a payment
plan. It carries no 教示: a reminder is a request, not an administrative disposition (処分), so
it can be neither appealed nor sued against. The late-fee notice is the one of the letter's form
(taxes or NHI premiums, `demand_pdf.TAX_NOTICES` / `NHI_NOTICES`); the 最終催告書 and the
差押予告書 repeat the enforcement notice, the 差押予告書 naming the property that is attached
first. The texts are data (`BODIES`, `CONSULTATION`) so that they can be corrected in one place.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

from django.db.models import Prefetch

from choshu.notices.demand_pdf import NHI_NOTICES, TAX_NOTICES, designated_date
from choshu.notices.demands import DemandError
from choshu.notices.letter_pdf import Letter, Row, issuer_name, letters_pdf, row_order, ward_of
from choshu.notices.models import DemandLetter, Reminder, ReminderBatch, ReminderLevel, ReminderLine
from choshu.rules.calendar import wareki

Template = ReminderLevel.Template
PRINTABLE = (ReminderBatch.State.GENERATED, ReminderBatch.State.DISPATCHED)

BODIES = {
    Template.REMINDER: (
        "下記の{subject}は、督促状により納付をお願いしましたが、{as_of}現在、まだ納付が確認できません。"
        "指定期限までに、同封の納付書で納付してください。一度に納付することが難しい場合は、"
        "指定期限までに必ずご相談ください。なお、この催告書と行き違いに納付された場合は、ご容赦ください。"
    ),
    Template.FINAL: (
        "下記の{subject}は、これまで督促状及び催告書により納付をお願いしましたが、{as_of}現在、"
        "まだ納付が確認できません。指定期限までに納付又はご相談がない場合は、法令の定めるところにより、"
        "財産の差押えなどの滞納処分を行うことになります。直ちに、同封の納付書で納付してください。"
    ),
    Template.PRE_SEIZURE: (
        "下記の{subject}は、再三の催告にもかかわらず、{as_of}現在、まだ完納されていません。"
        "指定期限までに完納されない場合は、改めて通知することなく、あなたの財産(預貯金、給与、"
        "不動産、自動車など)の差押えを執行します。差押えを受けると、預貯金の払戻しや給与の受取りが"
        "制限されます。直ちに、同封の納付書で納付してください。"
    ),
}
CONSULTATION = (
    "病気、失業、事業の休廃業などにより一度に納付することが難しい場合は、分割して納付する方法や、"
    "法令の定める猶予の制度があります。指定期限までに、この催告書を持参の上、{ward}役所の収納担当窓口に"
    "ご相談ください。ご相談のないまま期限を過ぎた場合は、財産の調査を行います。"
)


def reminder_number(reminder: Reminder) -> str:
    """文書番号 of a reminder: 「催告第{batch}-{reminder}号」 (no query)."""
    return f"催告第{reminder.batch_id}-{reminder.pk}号"


def reminders_for_print(batch: ReminderBatch, reminder_ids: Collection[int] | None = None) -> list[Reminder]:
    """The reminders of a batch (not cancelled) to print, by 宛名番号, in two queries.

    Each comes with its batch, person and level, and its lines with installment and levy.
    """
    if batch.state not in PRINTABLE:
        raise DemandError(f"催告処理 #{batch.pk} は{batch.get_state_display()}です。印刷できません。")
    reminders = (
        Reminder.objects.filter(batch=batch)
        .select_related("batch", "person", "level")
        .prefetch_related(Prefetch("lines", queryset=ReminderLine.objects.select_related("installment__levy")))
        .order_by("person__atena_no", "form", "pk")
    )
    if reminder_ids is not None:
        reminders = reminders.filter(pk__in_array=sorted(set(reminder_ids)))
    return list(reminders)


def reminder_letters_pdf(reminders: Sequence[Reminder]) -> bytes:
    """One PDF of the reminders as loaded by `reminders_for_print` (no query), each with its slips."""
    ward = ward_of(issuer_name())
    return letters_pdf([reminder_letter(reminder, ward) for reminder in reminders], title="催告書")


def reminder_letter(reminder: Reminder, ward: str) -> Letter:
    """What a reminder prints: the installments owed, its level's body, the notices of its form."""
    notices = NHI_NOTICES if reminder.form == DemandLetter.Form.NHI else TAX_NOTICES
    template = Template(reminder.level.template)
    lines = sorted(reminder.lines.all(), key=lambda line: (row_order(line.installment), line.pk))
    sections: list[tuple[str, list[str]]] = [("延滞金について", [notices.late_fee.format(ward=ward)])]
    if template != Template.REMINDER:
        sections.append(("指定期限までに納付されない場合", [notices.enforcement]))
    sections.append(("納付が難しい場合", [CONSULTATION.format(ward=ward)]))
    batch = reminder.batch
    return Letter(
        title=template.label,
        number=reminder_number(reminder),
        key=reminder.pk,
        person=reminder.person,
        issue_date=batch.issue_date,
        deadline=designated_date(batch.issue_date),
        body=BODIES[template].format(subject=notices.subject, as_of=wareki(batch.as_of)),
        total_label="催告金額",
        columns=("本税額(円)", "未納額(円)"),
        rows=[Row(line.installment, line.installment.amount, line.amount) for line in lines],
        notices=sections,
    )
