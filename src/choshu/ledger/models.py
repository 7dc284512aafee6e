"""調定・期別・収納・消込・過誤納・充当・還付・未確認入金.

The money ledger is append-only. A posted row is never updated or deleted; a mistake is
corrected by a reversing row that points at the row it reverses (one reversal per row, enforced
by a unique key). The only mutable money column is `Installment.paid_principal`, a running total
of the principal allocations kept for set-based selection; `choshu verify` recomputes it.

Invariants (checked by ledger.verify and by the property tests):
- payment.amount = Σ its allocations + Σ its overpayments + Σ its suspense rows;
- installment: 0 ≤ paid_principal = Σ principal allocations ≤ amount;
- overpayment: Σ appropriated + Σ refunded ≤ amount.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q

from choshu.people.models import Person
from choshu.rules.latefee import WAIVER_KINDS
from choshu.rules.revenue import REVENUES

REVENUE_CHOICES = [(r.code, r.label) for r in REVENUES.values()]
WAIVER_CHOICES = [(k.code, k.label) for k in WAIVER_KINDS.values()]


def _signed(reverses_field: str) -> Q:
    """A row is positive, or negative when it reverses another row."""
    return Q(**{f"{reverses_field}__isnull": True, "amount__gt": 0}) | Q(
        **{f"{reverses_field}__isnull": False, "amount__lt": 0}
    )


class Levy(models.Model):
    """調定: an assessed amount for one obligor, revenue and fiscal year."""

    levy_no = models.CharField("調定番号", max_length=30, unique=True)
    person = models.ForeignKey(Person, verbose_name="納税義務者", on_delete=models.PROTECT, related_name="levies")
    revenue = models.CharField("税目", max_length=20, choices=REVENUE_CHOICES)
    fiscal_year = models.PositiveSmallIntegerField("年度")
    notice_no = models.CharField("通知書番号", max_length=30)

    class Meta:
        indexes = [models.Index(fields=["person", "revenue", "fiscal_year"])]

    def __str__(self) -> str:
        return self.levy_no


class LevyRevision(models.Model):
    """更正: one version of a levy's installment amounts (0 = the original levy)."""

    levy = models.ForeignKey(Levy, on_delete=models.PROTECT, related_name="revisions")
    revision_no = models.PositiveIntegerField("更正回数")
    revised_on = models.DateField("更正日", null=True, blank=True)
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["levy", "revision_no"], name="levy_revision_unique"),
            models.CheckConstraint(condition=Q(revision_no=0) | Q(revised_on__isnull=False), name="revision_has_date"),
        ]


class Installment(models.Model):
    """期別. `amount` is the amount after the latest revision (history in InstallmentAmount)."""

    levy = models.ForeignKey(Levy, on_delete=models.PROTECT, related_name="installments")
    installment_no = models.PositiveSmallIntegerField("期別")
    nominal_due_date = models.DateField("本来の納期限")
    due_date = models.DateField("納期限", db_index=True)
    legal_due_date = models.DateField("法定納期限")
    amount = models.BigIntegerField("税額")
    paid_principal = models.BigIntegerField("収納済本税", default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["levy", "installment_no"], name="installment_unique"),
            models.CheckConstraint(condition=Q(amount__gte=0), name="installment_amount_not_negative"),
            models.CheckConstraint(
                condition=Q(paid_principal__gte=0) & Q(paid_principal__lte=models.F("amount")),
                name="installment_balance_not_negative",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.levy_id}-{self.installment_no}"

    @property
    def balance(self) -> int:
        return self.amount - self.paid_principal


class InstallmentAmount(models.Model):
    """The amount of one installment in one revision (append-only history)."""

    installment = models.ForeignKey(Installment, on_delete=models.PROTECT, related_name="amounts")
    revision = models.ForeignKey(LevyRevision, on_delete=models.PROTECT, related_name="amounts")
    amount = models.BigIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["installment", "revision"], name="installment_amount_unique"),
            models.CheckConstraint(condition=Q(amount__gte=0), name="installment_amount_history_not_negative"),
        ]


class Channel(models.TextChoices):
    COUNTER = "counter", "窓口"
    BANK = "bank", "金融機関窓口"
    DIRECT_DEBIT = "direct_debit", "口座振替"
    CVS = "cvs", "コンビニ"
    PAYEASY = "payeasy", "ペイジー"
    MOBILE_BANKING = "mobile_banking", "モバイルレジ(ネットバンキング)"
    CREDIT_CARD = "credit_card", "クレジットカード"
    APP = "app", "スマートフォン決済アプリ"
    POSTAL = "postal", "郵便振替"
    ELTAX = "eltax", "地方税共通納税"
    SEIZURE = "seizure", "差押・取立"


class Payment(models.Model):
    """収納: money received. A reversal is a negative payment pointing at the original."""

    class Status(models.TextChoices):
        PRELIMINARY = "preliminary", "速報"
        CONFIRMED = "confirmed", "確報"

    person = models.ForeignKey(Person, null=True, blank=True, on_delete=models.PROTECT, related_name="payments")
    channel = models.CharField("収納経路", max_length=20, choices=Channel.choices)
    amount = models.BigIntegerField("金額")
    paid_on = models.DateField("納付日")
    accounted_on = models.DateField("収納日")
    status = models.CharField("区分", max_length=12, choices=Status.choices, default=Status.CONFIRMED)
    reference = models.CharField("参照", max_length=100, blank=True)
    reverses = models.OneToOneField("self", null=True, blank=True, on_delete=models.PROTECT, related_name="reversal")
    note = models.CharField("摘要", max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT)

    class Meta:
        constraints = [models.CheckConstraint(condition=_signed("reverses"), name="payment_signed")]
        indexes = [models.Index(fields=["paid_on"])]


class Overpayment(models.Model):
    """過誤納金: money of a payment that no installment may keep."""

    class Reason(models.TextChoices):
        EXCESS = "excess", "過納(超過納付)"
        REVISION = "revision", "減額更正"

    person = models.ForeignKey(Person, null=True, blank=True, on_delete=models.PROTECT, related_name="overpayments")
    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="overpayments")
    installment = models.ForeignKey(Installment, null=True, blank=True, on_delete=models.PROTECT)
    reason = models.CharField("発生事由", max_length=10, choices=Reason.choices)
    amount = models.BigIntegerField("金額")
    arose_on = models.DateField("発生日")
    reverses = models.OneToOneField("self", null=True, blank=True, on_delete=models.PROTECT, related_name="reversal")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.CheckConstraint(condition=_signed("reverses"), name="overpayment_signed")]


class Appropriation(models.Model):
    """充当: the decision to apply an overpayment to a person's amounts due; lines are allocations."""

    overpayment = models.ForeignKey(Overpayment, on_delete=models.PROTECT, related_name="appropriations")
    decided_on = models.DateField("充当日")
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT)


class Refund(models.Model):
    """還付: paying an overpayment back, with refund interest (還付加算金)."""

    overpayment = models.ForeignKey(Overpayment, on_delete=models.PROTECT, related_name="refunds")
    amount = models.BigIntegerField("還付金額")
    interest = models.BigIntegerField("還付加算金", default=0)
    decided_on = models.DateField("支出決定日")
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0) & Q(interest__gte=0), name="refund_positive"),
        ]


class Allocation(models.Model):
    """消込: part of a payment (or of an appropriation) applied to an installment's principal or late fee.

    `effective_on` is the day from whose next day the late-fee base is lowered: the payment's
    `paid_on`, or for an appropriation the day it became possible (充当適状).
    """

    class Kind(models.TextChoices):
        PRINCIPAL = "principal", "本税"
        LATE_FEE = "late_fee", "延滞金"

    class Reason(models.TextChoices):
        ALLOCATE = "allocate", "消込"
        REVERSE = "reverse", "取消"
        RELEASE = "release", "減額更正による解除"
        REPOST = "repost", "遡及収納による再消込"

    payment = models.ForeignKey(Payment, null=True, blank=True, on_delete=models.PROTECT, related_name="allocations")
    appropriation = models.ForeignKey(
        Appropriation, null=True, blank=True, on_delete=models.PROTECT, related_name="allocations"
    )
    # Indexed by (installment, kind) below; a second index on installment alone would only slow inserts.
    installment = models.ForeignKey(Installment, on_delete=models.PROTECT, related_name="allocations", db_index=False)
    kind = models.CharField("区分", max_length=10, choices=Kind.choices)
    reason = models.CharField("事由", max_length=10, choices=Reason.choices, default=Reason.ALLOCATE)
    amount = models.BigIntegerField("金額")
    effective_on = models.DateField("効力発生日")
    reverses = models.OneToOneField("self", null=True, blank=True, on_delete=models.PROTECT, related_name="reversal")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(payment__isnull=False, appropriation__isnull=True)
                | Q(payment__isnull=True, appropriation__isnull=False),
                name="allocation_one_source",
            ),
            models.CheckConstraint(
                condition=Q(reason="allocate", amount__gt=0, reverses__isnull=True)
                | Q(reason="reverse", amount__lt=0, reverses__isnull=False)
                | Q(reason__in=["release", "repost"], amount__lt=0, reverses__isnull=True),
                name="allocation_signed",
            ),
        ]
        indexes = [models.Index(fields=["installment", "kind"])]


class Suspense(models.Model):
    """未確認入金: money held until it can be matched; resolved by negative rows, never lost."""

    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="suspense")
    amount = models.BigIntegerField("金額")
    reason = models.CharField("理由", max_length=200)
    resolves = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="resolutions")
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT)

    class Meta:
        constraints = [models.CheckConstraint(condition=_signed("resolves"), name="suspense_signed")]


class DebitMandate(models.Model):
    """口座振替: a direct-debit mandate for one person and revenue (natural key: person, revenue, start_on)."""

    class AccountType(models.TextChoices):
        ORDINARY = "1", "普通"
        CURRENT = "2", "当座"
        TAX_RESERVE = "3", "納税準備預金"
        OTHER = "9", "その他"

    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="mandates")
    revenue = models.CharField("税目", max_length=20, choices=REVENUE_CHOICES)
    bank_code = models.CharField("金融機関コード", max_length=4)
    branch_code = models.CharField("支店コード", max_length=3)
    account_type = models.CharField("預金種目", max_length=1, choices=AccountType.choices)
    account_no = models.CharField("口座番号", max_length=7)
    holder_kana = models.CharField("口座名義(カナ)", max_length=40)
    start_on = models.DateField("振替開始日")
    end_on = models.DateField("振替終了日", null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["person", "revenue", "start_on"], name="mandate_unique"),
            models.CheckConstraint(
                condition=Q(end_on__isnull=True) | Q(end_on__gte=models.F("start_on")), name="mandate_period"
            ),
        ]


class LateFeeWaiver(models.Model):
    """延滞金の免除: a period (both ends included) in which an installment's late fee is waived, in
    full or by half (`rules.latefee.WAIVER_KINDS`, law.md §8). `source` names what caused it, e.g.
    "deferral:12" (猶予) or "suspension:3" (執行停止); the ledger does not look behind it.
    `ends_on` empty: still in force (through the day the fee is computed to). A cancelled row
    (`cancelled_at`) is kept as history and no longer waives anything."""

    installment = models.ForeignKey(Installment, on_delete=models.PROTECT, related_name="late_fee_waivers")
    starts_on = models.DateField("免除期間(始期)")
    ends_on = models.DateField("免除期間(終期)", null=True, blank=True)
    kind = models.CharField("免除の種類", max_length=10, choices=WAIVER_CHOICES)
    source = models.CharField("根拠", max_length=40, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)
    cancelled_at = models.DateTimeField("取消日時", null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__isnull=True) | Q(ends_on__gte=models.F("starts_on")), name="late_fee_waiver_period"
            ),
            models.CheckConstraint(condition=Q(kind__in=list(WAIVER_KINDS)), name="late_fee_waiver_kind"),
        ]
