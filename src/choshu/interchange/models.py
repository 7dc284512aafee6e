"""連携ファイル取込: a persisted record of every interchange import, accepted or rejected."""

from django.conf import settings
from django.db import models


class ImportRun(models.Model):
    """One `choshu import` of a persons, levies or accounts file (取込実行記録)."""

    class Kind(models.TextChoices):
        PERSONS = "persons", "宛名"
        LEVIES = "levies", "調定"
        ACCOUNTS = "accounts", "口座振替"

    kind = models.CharField("種類", max_length=10, choices=Kind.choices)
    file_name = models.CharField("ファイル名", max_length=255)
    sha256 = models.CharField("SHA-256", max_length=64, db_index=True)
    rows = models.PositiveIntegerField("行数", default=0)
    created = models.PositiveIntegerField("新規", default=0)
    updated = models.PositiveIntegerField("更新", default=0)
    unchanged = models.PositiveIntegerField("変更なし", default=0)
    error_count = models.PositiveIntegerField("エラー数", default=0)
    # The first problems found (line, column, reason), for the import result screen.
    errors = models.JSONField("エラー", default=list, blank=True)
    ok = models.BooleanField("取込済", default=False)
    started_at = models.DateTimeField("開始")
    finished_at = models.DateTimeField("終了")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="実行者", null=True, blank=True, on_delete=models.PROTECT
    )

    class Meta:
        indexes = [models.Index(fields=["kind", "-started_at"])]

    def __str__(self) -> str:
        return f"{self.kind} {self.file_name} ({'ok' if self.ok else 'rejected'})"
