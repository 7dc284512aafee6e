"""委託・外部結合: contractors, contracts, approved data items, export packages, handovers that are
not export packages (paper documents, delivered printed matter), the handover ledger (管理簿),
erasure certificates (消去証明書), on-site audits (立入調査), incidents (事故) and retention runs.

Invariants kept by the services (governance.services) and, where a database can, by constraints:
- an export package is prepared by one user and approved by a different supervisor;
- an export runs only under an active contract whose approved items cover every field;
- the package password is never stored: only the package's SHA-256;
- every lifecycle step of a package or a handover appends one HandoverEntry; entries are never
  updated.
"""

from __future__ import annotations

from datetime import date

from django.conf import settings
from django.db import models
from django.db.models import Q


class Media(models.TextChoices):
    """処理させる情報項目の記録媒体 / 受渡しの媒体."""

    USB = "usb", "USBメモリ"
    DVD = "dvd", "DVD等"
    PAPER = "paper", "紙"
    ONLINE = "online", "オンライン(専用回線)"
    LGWAN = "lgwan", "LGWAN"


class Direction(models.TextChoices):
    """方向 of a handover-ledger row."""

    INTERNAL = "internal", "庁内"
    OUT = "out", "区→委託先"
    IN = "in", "委託先→区"


class Contractor(models.Model):
    """委託先・結合先."""

    name = models.CharField("名称", max_length=200, unique=True)
    address = models.CharField("所在地", max_length=200, blank=True)
    privacy_mark = models.BooleanField("プライバシーマーク", default=False)
    iso27001 = models.BooleanField("ISO 27001", default=False)
    note = models.CharField("備考", max_length=200, blank=True)

    def __str__(self) -> str:
        return self.name


class Contract(models.Model):
    """A contract or linkage (委託・再委託・外部結合) and what the council approved for it."""

    class Kind(models.TextChoices):
        OUTSOURCING = "outsourcing", "委託"
        SUB_OUTSOURCING = "sub_outsourcing", "再委託"
        LINKAGE = "linkage", "外部結合"

    contract_no = models.CharField("契約番号", max_length=30, unique=True)
    title = models.CharField("件名", max_length=200)
    kind = models.CharField("区分", max_length=20, choices=Kind.choices)
    contractor = models.ForeignKey(
        Contractor, verbose_name="委託先", on_delete=models.PROTECT, related_name="contracts"
    )
    # 再委託: the contract it sub-outsources; sub-outsourcing needs an approved parent (特記事項10).
    parent = models.ForeignKey(
        "self", verbose_name="元契約", null=True, blank=True, on_delete=models.PROTECT, related_name="subcontracts"
    )
    purpose = models.TextField("目的")
    council_ref = models.CharField("審議会承認", max_length=200)
    starts_on = models.DateField("開始日")
    ends_on = models.DateField("終了日")
    terminated_on = models.DateField("解除日", null=True, blank=True)
    media = models.JSONField("記録媒体", default=list)  # Media codes
    approved_items = models.JSONField("承認データ項目", default=list)  # catalogue codes
    return_days = models.PositiveSmallIntegerField("媒体返却期限(受渡しから日数)", default=30)
    erasure_days = models.PositiveSmallIntegerField("消去証明書提出期限(返却から日数)", default=14)
    # 特記事項16: an on-site audit at least once per fiscal year (off for e.g. the Government Cloud).
    yearly_audit = models.BooleanField("年度ごとの立入調査", default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="登録者", on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField("登録日時", auto_now_add=True)

    class Meta:
        ordering = ["-starts_on", "contract_no"]
        constraints = [
            models.CheckConstraint(condition=Q(ends_on__gte=models.F("starts_on")), name="contract_period_ordered"),
            models.CheckConstraint(
                condition=~Q(kind="sub_outsourcing") | Q(parent__isnull=False), name="sub_outsourcing_has_parent"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.contract_no} {self.title}"

    def is_active(self, on: date) -> bool:
        """In force on `on`: within its period and not terminated on or before that day."""
        return self.starts_on <= on <= self.ends_on and (self.terminated_on is None or self.terminated_on > on)


class ContractHandler(models.Model):
    """取扱責任者・取扱者 reported by the contractor (特記事項13)."""

    class Role(models.TextChoices):
        RESPONSIBLE = "responsible", "取扱責任者"
        HANDLER = "handler", "取扱者"

    contract = models.ForeignKey(Contract, on_delete=models.PROTECT, related_name="handlers")
    role = models.CharField("区分", max_length=12, choices=Role.choices)
    name = models.CharField("氏名", max_length=100)
    reported_on = models.DateField("報告日")
    withdrawn_on = models.DateField("解除日", null=True, blank=True)

    class Meta:
        ordering = ["contract", "role", "name"]

    def __str__(self) -> str:
        return f"{self.name}({self.get_role_display()})"


class OnSiteAudit(models.Model):
    """立入調査: at least once per fiscal year (特記事項16)."""

    class Result(models.TextChoices):
        GOOD = "good", "適正"
        FINDINGS = "findings", "指摘あり"

    contract = models.ForeignKey(Contract, on_delete=models.PROTECT, related_name="audits")
    audited_on = models.DateField("実施日")
    auditors = models.CharField("実施者", max_length=200)
    result = models.CharField("結果", max_length=10, choices=Result.choices)
    findings = models.TextField("所見", blank=True)
    follow_up = models.TextField("改善措置", blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-audited_on"]
        indexes = [models.Index(fields=["contract", "audited_on"])]


class Incident(models.Model):
    """事故: reported by the contractor in writing (特記事項19), followed up until closed."""

    contract = models.ForeignKey(Contract, on_delete=models.PROTECT, related_name="incidents")
    occurred_on = models.DateField("発生日")
    reported_on = models.DateField("報告日")
    summary = models.CharField("概要", max_length=200)
    report = models.TextField("報告内容", blank=True)
    follow_up = models.TextField("対応", blank=True)
    closed_on = models.DateField("完了日", null=True, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-occurred_on"]


class ExportPackage(models.Model):
    """One export (外部提供データ): prepared → approved → handed over → returned → erased.

    The password is never stored. `selection` holds references (person ids), never copies.
    """

    class State(models.TextChoices):
        PREPARED = "prepared", "作成待ち(承認待ち)"
        APPROVED = "approved", "承認済"
        HANDED_OVER = "handed_over", "受渡済"
        RETURNED = "returned", "返却済"
        ERASED = "erased", "消去確認済"
        CANCELLED = "cancelled", "取消"

    kind = models.CharField("種類", max_length=50)
    contract = models.ForeignKey(Contract, verbose_name="契約", on_delete=models.PROTECT, related_name="packages")
    purpose = models.CharField("用途", max_length=200)
    state = models.CharField("状態", max_length=12, choices=State.choices, default=State.PREPARED)
    fields = models.JSONField("項目", default=list)  # catalogue codes written, in column order
    revenues = models.JSONField("税目", default=list)  # the revenue scope the selection was made in
    keys = models.JSONField("指定", default=list)  # what the preparer gave: 宛名番号, 指定番号, 処理番号
    selection = models.JSONField("対象", default=list)  # person ids (references only)
    record_count = models.PositiveIntegerField("件数", default=0)
    prepared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="作成者", on_delete=models.PROTECT, related_name="+"
    )
    prepared_at = models.DateTimeField("作成日時")
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="承認者",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    approved_at = models.DateTimeField("承認日時", null=True, blank=True)
    file_name = models.CharField("ファイル名", max_length=200, blank=True)
    sha256 = models.CharField("SHA-256", max_length=64, blank=True)
    size = models.PositiveBigIntegerField("サイズ", default=0)
    file_deleted_at = models.DateTimeField("ファイル削除日時", null=True, blank=True)
    media_id = models.CharField("媒体番号", max_length=50, blank=True)
    handed_over_at = models.DateTimeField("受渡日時", null=True, blank=True)
    notice_handed_over_at = models.DateTimeField("通知書受渡日時", null=True, blank=True)
    return_due_on = models.DateField("返却期限", null=True, blank=True)
    returned_at = models.DateTimeField("返却日時", null=True, blank=True)
    erased_at = models.DateTimeField("消去確認日時", null=True, blank=True)
    cancelled_at = models.DateTimeField("取消日時", null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["state", "return_due_on"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(approved_by__isnull=True) | ~Q(approved_by=models.F("prepared_by")),
                name="export_approved_by_another_user",
            ),
            models.CheckConstraint(
                condition=Q(state__in=["prepared", "cancelled"]) | (Q(approved_by__isnull=False) & ~Q(sha256="")),
                name="export_approved_has_digest",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.pk} {self.kind}"


class Handover(models.Model):
    """受渡し that is not an export package: paper documents (紙資料) handed to a contractor, or
    printed matter (印刷物) it delivers. Outgoing ones are tracked like a package where it applies:
    the return by a deadline, then an erasure (destruction) certificate.

    handed_over → returned → erased (out, as the flags require); received (in: 納品, inspected
    by a later issue); closed (out with nothing to track).
    """

    class State(models.TextChoices):
        HANDED_OVER = "handed_over", "受渡済"
        RETURNED = "returned", "返却済"
        ERASED = "erased", "消去確認済"
        RECEIVED = "received", "受領済(納品)"
        CLOSED = "closed", "完了(返却・証明書不要)"

    # Out or in: what stays inside the ward is not a handover.
    DIRECTIONS = [(d.value, d.label) for d in (Direction.OUT, Direction.IN)]

    contract = models.ForeignKey(
        Contract, verbose_name="契約", on_delete=models.PROTECT, related_name="document_handovers"
    )
    direction = models.CharField("方向", max_length=10, choices=DIRECTIONS)
    media = models.CharField("媒体", max_length=10, choices=Media.choices)
    media_id = models.CharField("媒体番号", max_length=50, blank=True)
    contents = models.CharField("情報の内容", max_length=200)  # what it is, never personal data
    records = models.PositiveIntegerField("件数", default=0)
    pieces = models.PositiveIntegerField("点数", default=1)
    return_required = models.BooleanField("返却を要する", default=False)
    certificate_required = models.BooleanField("消去証明書を要する", default=False)
    state = models.CharField("状態", max_length=12, choices=State.choices)
    handed_over_at = models.DateTimeField("受渡日時")
    return_due_on = models.DateField("返却期限", null=True, blank=True)
    returned_at = models.DateTimeField("返却日時", null=True, blank=True)
    erased_at = models.DateTimeField("消去確認日時", null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="記録者", on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-handed_over_at", "-id"]
        indexes = [models.Index(fields=["state", "return_due_on"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(direction="out") | (Q(return_required=False) & Q(certificate_required=False)),
                name="handover_in_is_not_tracked",
            ),
            models.CheckConstraint(
                condition=Q(return_required=False) | ~Q(media_id=""), name="handover_returned_medium_has_id"
            ),
        ]

    def __str__(self) -> str:
        return f"受渡番号 {self.pk} {self.contents}"


class ErasureCertificate(models.Model):
    """消去証明書 (特記事項12): received from the contractor, or issued by us citing a retention run."""

    contract = models.ForeignKey(Contract, on_delete=models.PROTECT, related_name="certificates")
    package = models.OneToOneField(
        ExportPackage, null=True, blank=True, on_delete=models.PROTECT, related_name="certificate"
    )
    handover = models.OneToOneField(
        Handover, null=True, blank=True, on_delete=models.PROTECT, related_name="certificate"
    )
    retention_run = models.ForeignKey(
        "RetentionRun", null=True, blank=True, on_delete=models.PROTECT, related_name="certificates"
    )
    certificate_no = models.CharField("証明書番号", max_length=50)
    issued_on = models.DateField("発行日")
    issuer = models.CharField("発行者", max_length=200)
    received_on = models.DateField("受領日")
    received_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-received_on"]
        constraints = [
            models.UniqueConstraint(fields=["contract", "certificate_no"], name="certificate_no_unique_per_contract")
        ]


class HandoverEntry(models.Model):
    """管理簿: one row per handover step (日時・取扱者・情報の内容・数量). Append-only."""

    class Step(models.TextChoices):
        PREPARED = "prepared", "作成"
        APPROVED = "approved", "承認・暗号化"
        HANDED_OVER = "handed_over", "媒体の受渡し"
        NOTICE_HANDED_OVER = "notice_handed_over", "パスワード通知書の受渡し"
        RETURNED = "returned", "媒体の返却"
        ERASED = "erased", "消去証明書の受領"
        CANCELLED = "cancelled", "取消"
        RECEIVED = "received", "納品物の受領"

    Direction = Direction

    contract = models.ForeignKey(Contract, verbose_name="契約", on_delete=models.PROTECT, related_name="handovers")
    package = models.ForeignKey(
        ExportPackage, verbose_name="データ", null=True, blank=True, on_delete=models.PROTECT, related_name="entries"
    )
    handover = models.ForeignKey(
        Handover, verbose_name="受渡し", null=True, blank=True, on_delete=models.PROTECT, related_name="entries"
    )
    step = models.CharField("区分", max_length=20, choices=Step.choices)
    direction = models.CharField("方向", max_length=10, choices=Direction.choices)
    occurred_at = models.DateTimeField("日時")
    media_id = models.CharField("媒体番号", max_length=50, blank=True)
    contents = models.CharField("情報の内容", max_length=300)
    records = models.PositiveIntegerField("件数", default=0)
    pieces = models.PositiveIntegerField("点数", default=0)
    our_handler = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="区の取扱者", on_delete=models.PROTECT, related_name="+"
    )
    contractor_handler = models.ForeignKey(
        ContractHandler,
        verbose_name="委託先の取扱者",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    note = models.CharField("備考", max_length=200, blank=True)
    recorded_at = models.DateTimeField("記録日時", auto_now_add=True)

    class Meta:
        ordering = ["occurred_at", "id"]
        indexes = [models.Index(fields=["contract", "occurred_at"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(direction="internal") | Q(contractor_handler__isnull=False),
                name="handover_outside_names_contractor_handler",
            ),
            models.CheckConstraint(
                condition=Q(package__isnull=True) | Q(handover__isnull=True), name="handover_entry_one_subject"
            ),
        ]


class RetentionRun(models.Model):
    """One run of one retention rule (保存期間経過データの消去): what it deleted, when, by whom."""

    class State(models.TextChoices):
        RUNNING = "running", "実行中"
        DONE = "done", "完了"
        FAILED = "failed", "失敗"

    rule = models.CharField("規則", max_length=50)
    as_of = models.DateField("基準日")
    cutoff = models.DateField("対象(この日より前)")
    dry_run = models.BooleanField("試行", default=False)
    state = models.CharField("状態", max_length=10, choices=State.choices, default=State.RUNNING)
    eligible = models.PositiveIntegerField("対象件数", default=0)
    deleted = models.PositiveIntegerField("消去件数", default=0)
    chunks = models.JSONField("チャンク", default=list)  # [{"first": pk, "last": pk, "count": n}]
    error = models.TextField("エラー", blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="実行者",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    started_at = models.DateTimeField("開始")
    finished_at = models.DateTimeField("終了", null=True, blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        indexes = [models.Index(fields=["rule", "-started_at"])]

    def __str__(self) -> str:
        return f"{self.rule} {self.started_at:%Y-%m-%d %H:%M}{' (dry run)' if self.dry_run else ''}"
