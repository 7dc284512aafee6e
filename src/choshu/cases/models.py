"""滞納整理 (delinquency cases): one case per obligor, its activities, payment plans and the events
that bear on limitation.

A case covers every delinquent installment of its person (due, principal unpaid) whatever the
revenue; which of them an officer sees is their revenue scope (`CaseRevenue`, refreshed by the
opening batch, says which revenues a case holds, so that lists filter without reading the ledger).
"""

from django.conf import settings
from django.db import models
from django.db.models import F, Q

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
        constraints = [
            models.CheckConstraint(condition=Q(total__gt=0), name="plan_total_positive"),
            models.UniqueConstraint(
                fields=["case"], condition=Q(state__in=["active", "breached"]), name="plan_one_in_force_per_case"
            ),
        ]


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
    revenues = models.JSONField("税目", default=list)
    installments = models.PositiveIntegerField("対象期別", default=0)
    within_six_months = models.PositiveIntegerField("6か月以内に完成", default=0)
    extinguished = models.PositiveIntegerField("消滅", default=0)
    created_at = models.DateTimeField("実行日時", auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )


class Deferral(models.Model):
    """猶予: 徴収猶予 (地方税法15条) or 換価の猶予 (by the authority 15条の5, on application 15条の6)
    of the installments covered (`DeferralTarget`), for a period, possibly paid in installments
    (`DeferralInstallment`). Requested by an officer, approved by a supervisor (係長). The late-fee
    waiver for the period (`waiver`) follows law.md §8 and is data on the row."""

    class Kind(models.TextChoices):
        COLLECTION = "collection", "徴収猶予(15条)"
        REALISATION = "realisation", "換価の猶予(職権・15条の5)"
        REALISATION_APPLIED = "realisation_applied", "換価の猶予(申請・15条の6)"

    class Ground(models.TextChoices):
        DISASTER = "disaster", "災害・盗難(1号)"
        ILLNESS = "illness", "病気・負傷(2号)"
        BUSINESS_CLOSED = "business_closed", "事業の廃止・休止(3号)"
        BUSINESS_LOSS = "business_loss", "事業の著しい損失(4号)"
        SIMILAR_PERSONAL = "similar_personal", "1号・2号に類する事実(5号)"
        SIMILAR_BUSINESS = "similar_business", "3号・4号に類する事実(5号)"
        LATE_ASSESSMENT = "late_assessment", "納期限後1年以上経過後の賦課(15条2項)"
        HARDSHIP = "hardship", "事業の継続・生活の維持が困難(換価の猶予)"

    class Waiver(models.TextChoices):
        FULL = "full", "全額免除"
        HALF = "half", "2分の1免除"
        NONE = "none", "免除なし"

    class State(models.TextChoices):
        REQUESTED = "requested", "承認待ち"
        APPROVED = "approved", "許可"
        REJECTED = "rejected", "不許可"
        CANCELLED = "cancelled", "取消"

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="deferrals")
    kind = models.CharField("種類", max_length=20, choices=Kind.choices)
    ground = models.CharField("事由", max_length=20, choices=Ground.choices)
    applied_on = models.DateField("申請日", null=True, blank=True)
    starts_on = models.DateField("猶予期間(始期)")
    ends_on = models.DateField("猶予期間(終期)")
    waiver = models.CharField("延滞金の免除", max_length=5, choices=Waiver.choices)
    state = models.CharField("状態", max_length=10, choices=State.choices, default=State.REQUESTED)
    revenues = models.JSONField("税目", default=list)
    note = models.CharField("備考", max_length=200, blank=True)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField("起案日時", auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField("決裁日時", null=True, blank=True)
    cancelled_on = models.DateField("取消日", null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(ends_on__gte=F("starts_on")), name="deferral_period"),
            models.CheckConstraint(
                condition=Q(decided_by__isnull=True) | ~Q(decided_by=F("requested_by")), name="deferral_four_eyes"
            ),
        ]


class DeferralTarget(models.Model):
    deferral = models.ForeignKey(Deferral, on_delete=models.CASCADE, related_name="targets")
    installment = models.ForeignKey(Installment, on_delete=models.PROTECT, related_name="+")
    amount = models.BigIntegerField("猶予額(本税)")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["deferral", "installment"], name="deferral_target_unique")]


class DeferralInstallment(models.Model):
    """A payment the deferral asks for during its period (分割納付)."""

    deferral = models.ForeignKey(Deferral, on_delete=models.CASCADE, related_name="schedule")
    number = models.PositiveSmallIntegerField("回")
    due_on = models.DateField("納付期限")
    amount = models.BigIntegerField("金額")

    class Meta:
        ordering = ["number"]
        constraints = [
            models.UniqueConstraint(fields=["deferral", "number"], name="deferral_installment_unique"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="deferral_installment_positive"),
        ]


class Seizure(models.Model):
    """差押: property attached for the installments covered (`SeizureTarget`). Collection (取立)
    posts a payment of channel `seizure`; the seizure ends when collected in full or released.
    While in force it postpones limitation, which runs anew from its end (law.md §6)."""

    class Property(models.TextChoices):
        DEPOSIT = "deposit", "預貯金"
        SALARY = "salary", "給与"
        RECEIVABLE = "receivable", "売掛金等の債権"
        VEHICLE = "vehicle", "自動車"
        REAL_ESTATE = "real_estate", "不動産"
        OTHER = "other", "その他"

    class State(models.TextChoices):
        IN_FORCE = "in_force", "差押中"
        COLLECTED = "collected", "取立完了"
        RELEASED = "released", "解除"

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="seizures")
    property = models.CharField("財産の種類", max_length=12, choices=Property.choices)
    description = models.CharField("財産の表示", max_length=200)
    third_party = models.CharField("第三債務者等", max_length=100, blank=True)
    amount = models.BigIntegerField("差押額")
    seized_on = models.DateField("差押日")
    state = models.CharField("状態", max_length=10, choices=State.choices, default=State.IN_FORCE)
    collected = models.BigIntegerField("取立額", default=0)
    ended_on = models.DateField("終了日", null=True, blank=True)
    release_reason = models.CharField("解除理由", max_length=200, blank=True)
    revenues = models.JSONField("税目", default=list)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField("記録日時", auto_now_add=True)

    class Meta:
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="seizure_amount_positive")]


class SeizureTarget(models.Model):
    seizure = models.ForeignKey(Seizure, on_delete=models.CASCADE, related_name="targets")
    installment = models.ForeignKey(Installment, on_delete=models.PROTECT, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["seizure", "installment"], name="seizure_target_unique")]


class Suspension(models.Model):
    """滞納処分の執行停止 (地方税法15条の7) of the installments covered (`SuspensionTarget`): ground
    1 (no property), 2 (living would be endangered), 3 (whereabouts and property unknown). The
    obligation is extinguished when it has lasted 3 years, or at once under ground 1 when it
    clearly cannot be collected (第5項); cancelled when the ground ends. Decided by a supervisor;
    the person is notified (通知日). Late fees are waived for the period (15条の9)."""

    class Ground(models.IntegerChoices):
        NO_PROPERTY = 1, "滞納処分をすることができる財産がないとき(1号)"
        HARDSHIP = 2, "生活を著しく窮迫させるおそれがあるとき(2号)"
        UNKNOWN = 3, "所在及び財産がともに不明であるとき(3号)"

    class State(models.TextChoices):
        IN_FORCE = "in_force", "停止中"
        CANCELLED = "cancelled", "取消"
        EXTINGUISHED = "extinguished", "消滅"

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="suspensions")
    ground = models.PositiveSmallIntegerField("事由", choices=Ground.choices)
    started_on = models.DateField("停止日")
    notified_on = models.DateField("通知日", null=True, blank=True)
    state = models.CharField("状態", max_length=12, choices=State.choices, default=State.IN_FORCE)
    immediate = models.BooleanField("即時消滅(15条の7第5項)", default=False)
    cancelled_on = models.DateField("取消日", null=True, blank=True)
    extinguished_on = models.DateField("消滅日", null=True, blank=True)
    reason = models.CharField("理由", max_length=200)
    revenues = models.JSONField("税目", default=list)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField("決裁日時", auto_now_add=True)


class SuspensionTarget(models.Model):
    suspension = models.ForeignKey(Suspension, on_delete=models.CASCADE, related_name="targets")
    installment = models.ForeignKey(Installment, on_delete=models.PROTECT, related_name="+")
    amount = models.BigIntegerField("停止額(本税)")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["suspension", "installment"], name="suspension_target_unique")]


class SurveyResult(models.Model):
    """現地調査の結果 (seed 000): what the contractor found at the address of a person of a
    field-survey export, imported from our documented CSV layout (docs/field-survey.md)."""

    class Residence(models.TextChoices):
        LIVES = "lives", "居住あり"
        ABSENT = "absent", "居住なし"
        UNKNOWN = "unknown", "不明"

    package = models.ForeignKey("governance.ExportPackage", on_delete=models.PROTECT, related_name="survey_results")
    serial = models.PositiveIntegerField("整理番号")
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="survey_results")
    case = models.ForeignKey(Case, null=True, blank=True, on_delete=models.PROTECT, related_name="survey_results")
    residence = models.CharField("居住の有無", max_length=8, choices=Residence.choices)
    exterior = models.CharField("現地の外観状況", max_length=200, blank=True)
    visited_on = models.DateField("訪問日")
    slip_handed = models.BooleanField("連絡票の交付", default=False)
    imported_at = models.DateTimeField("取込日時", auto_now_add=True)
    imported_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["package", "serial"], name="survey_result_unique")]
