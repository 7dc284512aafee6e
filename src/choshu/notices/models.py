"""督促 (demand notices): a batch of letters for installments unpaid after their due date.

A batch is prepared (its letters chosen), then fixed (the choice re-read under lock: what was paid
or reported paid (速報) since drops out), then dispatched; before dispatch it can be cancelled. A
fixed line records that the installment was demanded on the batch's issue date (督促状の発付日):
the limitation engine reads it (a demand renews the limitation period, law.md §3).
"""

from django.conf import settings
from django.db import models
from django.db.models import Q

from choshu.ledger.models import Installment
from choshu.people.models import Person


class DemandBatch(models.Model):
    """督促状の発付処理 (one run): its parameters, state and counts."""

    class State(models.TextChoices):
        PREPARED = "prepared", "作成済(確定前)"
        FIXED = "fixed", "確定"
        DISPATCHED = "dispatched", "発送済"
        CANCELLED = "cancelled", "取消"

    due_on = models.DateField("納期限")
    issue_date = models.DateField("発付日")
    revenues = models.JSONField("税目", default=list)
    state = models.CharField("状態", max_length=12, choices=State.choices, default=State.PREPARED)
    letters = models.PositiveIntegerField("通数", default=0)
    lines = models.PositiveIntegerField("期別数", default=0)
    amount = models.BigIntegerField("督促額計", default=0)
    dropped = models.PositiveIntegerField("確定時に除いた期別", default=0)
    late = models.BooleanField("納期限後20日超の発付", default=False)
    created_at = models.DateTimeField("作成日時", auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    fixed_at = models.DateTimeField("確定日時", null=True, blank=True)
    cancelled_at = models.DateTimeField("取消日時", null=True, blank=True)
    cancel_reason = models.CharField("取消理由", max_length=200, blank=True)
    dispatched_on = models.DateField("発送日", null=True, blank=True)


class DemandLetter(models.Model):
    """督促状: one per person (or employer) and form per batch.

    The form follows the law the revenue is collected under: taxes (地方税法) and NHI premiums
    (国民健康保険法・地方自治法231条の3) carry different legal notices and appeal bodies, so a person
    owing both gets two letters.
    """

    class Form(models.TextChoices):
        TAX = "tax", "督促状(地方税)"
        NHI = "nhi", "督促状(国民健康保険料)"

    batch = models.ForeignKey(DemandBatch, on_delete=models.PROTECT, related_name="demand_letters")
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="demand_letters")
    form = models.CharField("様式", max_length=3, choices=Form.choices, default=Form.TAX)
    amount = models.BigIntegerField("督促額計", default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["batch", "person", "form"], name="demand_letter_unique")]


class DemandLine(models.Model):
    """One demanded installment of a letter: 督促対象期別, its tax amount and demanded amount.

    `active` is false once its batch is cancelled or when the fix dropped it (paid meanwhile); an
    installment has at most one active line, so running a batch again demands nothing twice.
    """

    letter = models.ForeignKey(DemandLetter, on_delete=models.PROTECT, related_name="demand_lines")
    installment = models.ForeignKey(Installment, on_delete=models.PROTECT, related_name="demand_lines")
    tax_amount = models.BigIntegerField("課税額")
    amount = models.BigIntegerField("督促額")
    active = models.BooleanField("有効", default=True)
    dropped_reason = models.CharField("除外理由", max_length=100, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["installment"], condition=Q(active=True), name="demand_line_once"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="demand_line_positive"),
        ]


class ReturnedMail(models.Model):
    """返戻: a letter (督促状) or reminder (催告書) the post office brought back. The address it was
    sent to is kept, so the person's address counts as unreachable (宛所不明) until the register
    gives a new one."""

    class Reason(models.TextChoices):
        UNKNOWN_ADDRESS = "unknown_address", "宛所に尋ねあたりません"
        MOVED = "moved", "転居先不明"
        INCOMPLETE = "incomplete", "あて名不完全"
        REFUSED = "refused", "受取拒否"
        UNCLAIMED = "unclaimed", "保管期間経過"
        OTHER = "other", "その他"

    letter = models.OneToOneField(
        DemandLetter, null=True, blank=True, on_delete=models.PROTECT, related_name="returned_mail"
    )
    reminder = models.OneToOneField(
        "Reminder", null=True, blank=True, on_delete=models.PROTECT, related_name="returned_mail"
    )
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="returned_mail")
    address = models.CharField("送付先住所", max_length=200)  # as on record when the return is entered
    address_extra = models.CharField("送付先方書", max_length=100, blank=True)
    returned_on = models.DateField("返戻日")
    reason = models.CharField("返戻理由", max_length=20, choices=Reason.choices)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField("記録日時", auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["person", "returned_on"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(letter__isnull=False, reminder__isnull=True)
                | Q(letter__isnull=True, reminder__isnull=False),
                name="returned_mail_one_document",
            )
        ]

    @property
    def document_no(self) -> int:
        """The 整理番号 of the returned letter or reminder."""
        return self.letter_id or self.reminder_id  # type: ignore[return-value]


class DeliveryInspection(models.Model):
    """納品検査: the contractor's piece list for a print export, reconciled by letter number."""

    package = models.ForeignKey(
        "governance.ExportPackage", on_delete=models.PROTECT, related_name="delivery_inspections"
    )
    inspected_at = models.DateTimeField("検査日時")
    inspected_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    expected = models.PositiveIntegerField("予定通数")
    delivered = models.PositiveIntegerField("納品通数")
    missing = models.JSONField("不足(文書番号)", default=list)
    extra = models.JSONField("過剰・不明(納品一覧の値)", default=list)
    duplicated = models.JSONField("重複(文書番号)", default=list)
    passed = models.BooleanField("合格")
    note = models.CharField("備考", max_length=200, blank=True)

    class Meta:
        ordering = ["-inspected_at", "-id"]


class ReminderLevel(models.Model):
    """催告の段階, as data: when a level applies (days since the last letter actually sent, the
    amount owed, the revenues) and what it produces (the template, the level after it)."""

    class Template(models.TextChoices):
        REMINDER = "reminder", "催告書"
        FINAL = "final", "最終催告書"
        PRE_SEIZURE = "pre_seizure", "差押予告書"

    order = models.PositiveSmallIntegerField("順位", unique=True)
    name = models.CharField("名称", max_length=50)
    template = models.CharField("様式", max_length=20, choices=Template.choices)
    min_days = models.PositiveSmallIntegerField("前回発送からの日数")
    min_amount = models.BigIntegerField("滞納額の下限", default=1)
    revenues = models.JSONField("税目(空は全税目)", default=list, blank=True)
    next_level = models.ForeignKey(
        "self", verbose_name="次の段階", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    active = models.BooleanField("使用中", default=True)

    class Meta:
        ordering = ["order"]

    def __str__(self) -> str:
        return self.name


class ReminderBatch(models.Model):
    """催告書の作成 (generate) and, separately, its dispatch."""

    class State(models.TextChoices):
        GENERATED = "generated", "作成済"
        DISPATCHED = "dispatched", "発送済"
        CANCELLED = "cancelled", "取消"

    as_of = models.DateField("基準日")
    issue_date = models.DateField("発付日")
    revenues = models.JSONField("税目", default=list)
    state = models.CharField("状態", max_length=12, choices=State.choices, default=State.GENERATED)
    letters = models.PositiveIntegerField("通数", default=0)
    amount = models.BigIntegerField("催告額計", default=0)
    created_at = models.DateTimeField("作成日時", auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    dispatched_on = models.DateField("発送日", null=True, blank=True)
    cancelled_at = models.DateTimeField("取消日時", null=True, blank=True)
    cancel_reason = models.CharField("取消理由", max_length=200, blank=True)


class Reminder(models.Model):
    """催告書: one per person and form per batch, at one level."""

    batch = models.ForeignKey(ReminderBatch, on_delete=models.PROTECT, related_name="reminders")
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="reminders")
    form = models.CharField("様式", max_length=3, choices=DemandLetter.Form.choices)
    level = models.ForeignKey(ReminderLevel, on_delete=models.PROTECT, related_name="+")
    amount = models.BigIntegerField("催告額")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["batch", "person", "form"], name="reminder_unique")]


class ReminderLine(models.Model):
    reminder = models.ForeignKey(Reminder, on_delete=models.PROTECT, related_name="lines")
    installment = models.ForeignKey(Installment, on_delete=models.PROTECT, related_name="+")
    amount = models.BigIntegerField("未納額")
