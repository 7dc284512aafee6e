"""Access log (アクセスログ): one append-only entry per read, search, export, print or change of
personal data, and per authentication event (login, failure, logout, lockout, unlock, TOTP
reset), chained by SHA-256 over a gap-free sequence.

`AccessLogEntry.seq` is 1, 2, 3, … with no gap; `hash` = SHA-256 of the entry's canonical
serialisation (`audit.chain.canonical`), which includes `prev_hash`, the previous entry's hash
(64 zeros for seq 1). `AccessLogHead` is one row (pk 1) holding the last seq and hash: a writer
locks it (select_for_update) to take the next seq, so entries are serialised on SQLite and
PostgreSQL alike. Entries hold references (``person:123``), never copies of personal data, except
`query`, the search text as typed.

Entries are never updated or deleted by the application: `save` refuses an update and `delete`
refuses always (the queryset too).
"""

from typing import Any

from django.conf import settings
from django.db import models

GENESIS_HASH = "0" * 64


class Action(models.TextChoices):
    READ = "read", "閲覧"
    SEARCH = "search", "検索"
    EXPORT = "export", "出力"
    PRINT = "print", "印刷"
    CHANGE = "change", "更新"
    # Authentication events (subjects: the account, "user:<id>"; query: the user name typed).
    LOGIN = "login", "ログイン"
    LOGIN_FAILED = "login_fail", "ログイン失敗"
    LOGOUT = "logout", "ログアウト"
    LOCKOUT = "lockout", "アカウントロック"
    UNLOCK = "unlock", "ロック解除"
    TOTP_RESET = "totp_reset", "二要素認証の再設定"
    TOTP_FAILED = "totp_fail", "二要素認証の失敗"


AUTH_ACTIONS = frozenset(
    {
        Action.LOGIN,
        Action.LOGIN_FAILED,
        Action.LOGOUT,
        Action.LOCKOUT,
        Action.UNLOCK,
        Action.TOTP_RESET,
        Action.TOTP_FAILED,
    }
)


class AccessChannel(models.TextChoices):
    WEB = "web", "画面"
    CLI = "cli", "コマンド"


class AppendOnlyError(RuntimeError):
    """An attempt to update or delete an access-log entry."""


class AccessLogQuerySet(models.QuerySet["AccessLogEntry"]):
    def update(self, **kwargs: Any) -> int:
        raise AppendOnlyError("access-log entries are never updated")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise AppendOnlyError("access-log entries are never deleted")


class AccessLogEntry(models.Model):
    """アクセスログ: one access to personal data."""

    seq = models.BigIntegerField("通番", primary_key=True)
    at = models.DateTimeField("日時", db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="利用者",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    # Username, or for a command run without --user the operating-system user ("os:taro").
    actor_label = models.CharField("利用者名", max_length=150)
    action = models.CharField("操作", max_length=10, choices=Action.choices)
    # References only: ["person:123", "payment:45"], never names, addresses or amounts.
    subjects = models.JSONField("対象", default=list, blank=True)
    query = models.CharField("検索語", max_length=200, blank=True)
    # "counter", "case:12", "batch:import:7", "audit"; empty = none given.
    purpose = models.CharField("目的", max_length=100, blank=True)
    client_address = models.CharField("端末アドレス", max_length=45, blank=True)  # empty for a command
    channel = models.CharField("経路", max_length=3, choices=AccessChannel.choices)
    prev_hash = models.CharField("前ハッシュ", max_length=64)
    hash = models.CharField("ハッシュ", max_length=64)

    objects = AccessLogQuerySet.as_manager()

    class Meta:
        verbose_name = "アクセスログ"
        indexes = [
            models.Index(fields=["actor_label", "at"], name="audit_entry_actor_at"),
            models.Index(fields=["action", "at"], name="audit_entry_action_at"),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(seq__gte=1), name="audit_entry_seq_positive"),
        ]

    def __str__(self) -> str:
        return f"#{self.seq} {self.at:%Y-%m-%d %H:%M:%S} {self.actor_label} {self.action}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise AppendOnlyError("access-log entries are never updated")
        kwargs["force_insert"] = True
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise AppendOnlyError("access-log entries are never deleted")


class AccessLogHead(models.Model):
    """The chain's head (one row, pk 1): the last seq and hash, locked by every writer."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    last_seq = models.BigIntegerField("最終通番", default=0)
    last_hash = models.CharField("最終ハッシュ", max_length=64, default=GENESIS_HASH)

    class Meta:
        constraints = [models.CheckConstraint(condition=models.Q(id=1), name="audit_head_single_row")]
