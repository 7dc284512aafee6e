"""滞納整理 (delinquency cases): one case per obligor, its activities, payment plans and the events
that bear on limitation.

A case covers every delinquent installment of its person (due, principal unpaid) whatever the
revenue; which of them an officer sees is their revenue scope (`CaseRevenue`, refreshed by the
opening batch, says which revenues a case holds, so that lists filter without reading the ledger).
"""

from django.conf import settings
from django.db import models
from django.db.models import Q

from choshu.ledger.models import Installment
from choshu.people.models import Person
from choshu.rules.limitation import Effect


class CaseRun(models.Model):
    """案件作成処理: one run of the opening batch (open, refresh, assign, close)."""

    as_of = models.DateField("基準日")
    days_after_demand = models.PositiveSmallIntegerField("督促発送後の日数")
    opened = models.PositiveIntegerField("新規", default=0)
    assigned = models.PositiveIntegerField("自動割当", default=0)
    closed = models.PositiveIntegerField("完結", default=0)
    created_at = models.DateTimeField("実行日時", auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )


class Case(models.Model):
    """滞納整理票: the work on one obligor. At most one open case per person."""

    class State(models.TextChoices):
        OPEN = "open", "整理中"
        CLOSED = "closed", "完結"

    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="cases")
    state = models.CharField("状態", max_length=8, choices=State.choices, default=State.OPEN)
    officer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="担当者",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="cases",
    )
    opened_on = models.DateField("開始日")
    opened_by_run = models.ForeignKey(CaseRun, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    closed_on = models.DateField("完結日", null=True, blank=True)
    next_action_on = models.DateField("次回対応日", null=True, blank=True, db_index=True)
    last_contact_on = models.DateField("最終接触日", null=True, blank=True)
    amount = models.BigIntegerField("滞納額(本税)", default=0)  # as of the last batch or activity

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["person"], condition=Q(state="open"), name="case_one_open_per_person")
        ]
        indexes = [models.Index(fields=["state", "officer"])]

    def __str__(self) -> str:
        return f"滞納整理 #{self.pk}"


class CaseRevenue(models.Model):
    """A revenue with delinquent installments in the case (for scope filters)."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="revenues")
    revenue = models.CharField("税目", max_length=20)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["case", "revenue"], name="case_revenue_unique")]
        indexes = [models.Index(fields=["revenue", "case"])]


class AssignmentRule(models.Model):
    """担当割当ルール: the first active rule (by order) that fits a new case gives its officer.

    Conditions, each optional: the address begins with ``address_prefix`` (the district, 地区),
    the amount owed is at least ``min_amount``, the case holds one of ``revenues``.
    """

    order = models.PositiveSmallIntegerField("順位", unique=True)
    address_prefix = models.CharField("地区(住所の前方一致)", max_length=100, blank=True)
    min_amount = models.BigIntegerField("滞納額の下限", default=0)
    revenues = models.JSONField("税目(空は全税目)", default=list, blank=True)
    officer = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="担当者", on_delete=models.PROTECT, related_name="+"
    )
    active = models.BooleanField("使用中", default=True)

    class Meta:
        ordering = ["order"]


class Activity(models.Model):
    """交渉経過: what was done on a case — who, when, what. An acknowledgement of the debt (債務承認)
    renews limitation for the installments of its revenues (`LimitationEvent`)."""

    class Kind(models.TextChoices):
        PHONE = "phone", "電話"
        VISIT = "visit", "臨戸"
        COUNTER = "counter", "窓口相談"
        LETTER = "letter", "文書"
        NOTE = "note", "メモ"
        SURVEY = "survey", "現地調査"

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="activities")
    kind = models.CharField("種別", max_length=10, choices=Kind.choices)
    occurred_at = models.DateTimeField("日時")
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField("記録日時", auto_now_add=True)
    contacted = models.BooleanField("本人と接触", default=False)
    acknowledged = models.BooleanField("債務の承認", default=False)
    summary = models.TextField("内容", max_length=2000)
    revenues = models.JSONField("税目", default=list)  # the recording officer's scope within the case

    class Meta:
        ordering = ["-occurred_at", "-pk"]


class PaymentPlan(models.Model):
    """分納誓約: the person pledges to pay the delinquent installments covered (`PlanTarget`) by
    the promised amounts and dates (`PlanInstallment`). The pledge acknowledges the debt."""

    class State(models.TextChoices):
        ACTIVE = "active", "履行中"
        BREACHED = "breached", "不履行"
        COMPLETED = "completed", "完了"
        CANCELLED = "cancelled", "取消"

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="plans")
    state = models.CharField("状態", max_length=10, choices=State.choices, default=State.ACTIVE)
    pledged_on = models.DateField("誓約日")
    total = models.BigIntegerField("誓約額")
    revenues = models.JSONField("税目", default=list)
    note = models.CharField("備考", max_length=200, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField("作成日時", auto_now_add=True)
    breached_on = models.DateField("不履行日", null=True, blank=True)
    closed_on = models.DateField("終了日", null=True, blank=True)

    class Meta:
        constraints = [models.CheckConstraint(condition=Q(total__gt=0), name="plan_total_positive")]


class PlanInstallment(models.Model):
    """One promised payment of a plan (第N回)."""

    plan = models.ForeignKey(PaymentPlan, on_delete=models.CASCADE, related_name="schedule")
    number = models.PositiveSmallIntegerField("回")
    due_on = models.DateField("納付予定日")
    amount = models.BigIntegerField("誓約額")

    class Meta:
        ordering = ["number"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "number"], name="plan_installment_unique"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="plan_installment_positive"),
        ]


class PlanTarget(models.Model):
    """A delinquent installment a plan covers, with its unpaid principal on the pledge day."""

    plan = models.ForeignKey(PaymentPlan, on_delete=models.CASCADE, related_name="targets")
    installment = models.ForeignKey(Installment, on_delete=models.PROTECT, related_name="+")
    amount = models.BigIntegerField("誓約時の未納額")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["plan", "installment"], name="plan_target_unique")]


class LimitationRule(models.Model):
    """時効の事由: the kinds of event and their effect, as data a lawyer can correct
    (`rules.limitation.EventKind`; seeded from `DEFAULT_KINDS`)."""

    code = models.CharField("コード", max_length=30, unique=True)
    label = models.CharField("名称", max_length=50)
    effect = models.CharField("効果", max_length=20, choices=[(e.value, e.value) for e in Effect])
    offset_days = models.PositiveSmallIntegerField("起算までの日数", default=0)
    first_only = models.BooleanField("初回のみ有効", default=False)


class LimitationEvent(models.Model):
    """An event on an installment that bears on limitation (承認, 差押, 交付要求, ...), recorded by
    the service that caused it (``source``, e.g. ``activity:12``, ``plan:3``). Demands and
    reminders are read from their own letters (notices)."""

    installment = models.ForeignKey(Installment, on_delete=models.PROTECT, related_name="limitation_events")
    kind = models.CharField("事由", max_length=30)
    on = models.DateField("発生日")
    until = models.DateField("終了日", null=True, blank=True)
    source = models.CharField("根拠", max_length=50)
    recorded_at = models.DateTimeField("記録日時", auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["installment", "on"])]


class InstallmentLimitation(models.Model):
    """The limitation of an installment as the last limitation run computed it (時効管理)."""

    class Ground(models.TextChoices):
        LIMITATION = "limitation", "時効完成"
        SUSPENSION = "suspension", "執行停止3年経過"
        IMMEDIATE = "immediate", "即時消滅"

    installment = models.OneToOneField(Installment, on_delete=models.CASCADE, related_name="limitation")
    completes_on = models.DateField("時効完成日", null=True, blank=True, db_index=True)
    extinguished_on = models.DateField("消滅日", null=True, blank=True)
    ground = models.CharField("消滅事由", max_length=12, choices=Ground.choices, blank=True)
    computed_on = models.DateField("計算基準日")


class LimitationRun(models.Model):
    """時効管理処理: one run of the limitation batch, with its counts."""

    as_of = models.DateField("基準日")
    installments = models.PositiveIntegerField("対象期別", default=0)
    within_six_months = models.PositiveIntegerField("6か月以内に完成", default=0)
    extinguished = models.PositiveIntegerField("消滅", default=0)
    created_at = models.DateTimeField("実行日時", auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
