"""収納データ取込: channel files and their records, kept after the raw file is gone.

Seed 002 asks that data held on the terminal be deleted once registered: choshu keeps the file's
name, SHA-256, counts and every parsed record (ChannelRecord), never the file itself.

A record is what the channel said (速報, 確報, 取消, 振替不能 …) and what the import did with it
(``outcome``). Money reaches the ledger only as a ``Payment`` (choshu.ledger); a 速報 is not money:
it marks the installment "payment pending" until its 確報 or 取消 arrives (``settled_by``).
"""

from django.conf import settings
from django.db import models
from django.db.models import Q

from choshu.ledger.models import Channel, Installment, Payment


class ChannelImport(models.Model):
    """One import of a channel file (収納データ取込実行記録), accepted or rejected."""

    format = models.CharField("形式", max_length=30)
    file_name = models.CharField("ファイル名", max_length=255)
    sha256 = models.CharField("SHA-256", max_length=64, db_index=True)
    received_on = models.DateField("受領日")
    records = models.PositiveIntegerField("件数", default=0)
    amount = models.BigIntegerField("金額計", default=0)
    posted = models.PositiveIntegerField("消込", default=0)
    pending = models.PositiveIntegerField("速報", default=0)
    cancelled = models.PositiveIntegerField("取消", default=0)
    suspense = models.PositiveIntegerField("未確認", default=0)
    not_paid = models.PositiveIntegerField("振替不能", default=0)
    held = models.PositiveIntegerField("要確認", default=0)
    error_count = models.PositiveIntegerField("エラー数", default=0)
    errors = models.JSONField("エラー", default=list, blank=True)  # the first problems: [line, column, reason]
    ok = models.BooleanField("取込済", default=False)
    started_at = models.DateTimeField("開始")
    finished_at = models.DateTimeField("終了")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="実行者", null=True, blank=True, on_delete=models.PROTECT
    )

    class Meta:
        constraints = [
            # the same file is accepted once; a second attempt is recorded as rejected
            models.UniqueConstraint(fields=["sha256"], condition=Q(ok=True), name="channel_import_file_once")
        ]
        indexes = [models.Index(fields=["-started_at"])]

    def __str__(self) -> str:
        return f"{self.format} {self.file_name} ({'ok' if self.ok else 'rejected'})"


class ChannelRecord(models.Model):
    """One record of an accepted channel file (収納データ明細)."""

    class Kind(models.TextChoices):
        PRELIMINARY = "preliminary", "速報"
        CONFIRMED = "confirmed", "確報"
        CANCEL = "cancel", "取消"
        CORRECTION = "correction", "訂正"
        DEBIT_FAILED = "debit_failed", "振替不能"

    class Outcome(models.TextChoices):
        PENDING = "pending", "納付確認中"  # 速報 matched to an installment
        POSTED = "posted", "消込済"  # money posted to the ledger (allocations, overpayment)
        SUSPENSE = "suspense", "未確認入金"  # money that matched nothing, held
        CANCELLED = "cancelled", "取消済"  # a 取消 applied to its 速報 or payment
        UNMATCHED = "unmatched", "該当なし"  # a 速報 or 取消 that names nothing: no money, listed
        NOT_PAID = "not_paid", "振替不能"  # a direct debit that did not happen; reason recorded
        HELD = "held", "要確認"  # a correction a clerk must look at

    channel_import = models.ForeignKey(ChannelImport, on_delete=models.PROTECT, related_name="lines")
    line = models.PositiveIntegerField("行")
    kind = models.CharField("種別", max_length=12, choices=Kind.choices)
    channel = models.CharField("収納経路", max_length=20, choices=Channel.choices)
    key_type = models.CharField("照合キー種別", max_length=12)
    key = models.CharField("照合キー", max_length=20)
    amount = models.BigIntegerField("金額")
    paid_on = models.DateField("収納日")
    settles_on = models.DateField("振込予定日", null=True, blank=True)
    payment_ref = models.CharField("収納識別", max_length=120)
    record_key = models.CharField("レコード識別", max_length=140, unique=True)
    result_code = models.CharField("振替結果コード", max_length=2, blank=True)
    result_text = models.CharField("振替結果", max_length=40, blank=True)
    agent_code = models.CharField("収納機関コード", max_length=10, blank=True)
    extra = models.JSONField("付帯情報", default=dict, blank=True)
    # Indexed by (installment, kind) below; a second index on installment alone would only slow inserts.
    installment = models.ForeignKey(
        Installment, null=True, blank=True, on_delete=models.PROTECT, related_name="channel_records", db_index=False
    )
    outcome = models.CharField("処理結果", max_length=10, choices=Outcome.choices)
    note = models.CharField("処理内容", max_length=200, blank=True)
    payment = models.ForeignKey(
        Payment, null=True, blank=True, on_delete=models.PROTECT, related_name="channel_records"
    )
    # A 速報's later 確報 or 取消; a confirmed record's 取消. Set once, by the import that brings it.
    settled_by = models.OneToOneField("self", null=True, blank=True, on_delete=models.PROTECT, related_name="settles")

    class Meta:
        indexes = [
            models.Index(fields=["payment_ref"]),
            models.Index(fields=["installment", "kind"]),
            models.Index(fields=["outcome", "paid_on"]),
        ]

    def __str__(self) -> str:
        return f"{self.channel_import_id}:{self.line} {self.kind} {self.amount}"


class DebitRequest(models.Model):
    """口座振替依頼データの作成記録: one request file written for a debit date (never the file).

    A second file for the same date is refused unless a reason is given (the bank would debit
    twice); every file written is recorded with its counts, total and SHA-256.
    """

    debit_date = models.DateField("引落日", db_index=True)
    records = models.PositiveIntegerField("件数")
    total = models.BigIntegerField("合計金額")
    sha256 = models.CharField("SHA-256", max_length=64)
    again_reason = models.CharField("再作成の理由", max_length=200, blank=True)
    created_at = models.DateTimeField("作成日時", auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
