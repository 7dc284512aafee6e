"""Staff accounts (職員): each user has one role and the revenues they may work on."""

from django.contrib.auth.models import AbstractUser
from django.db import models

from choshu.rules.revenue import REVENUES


class Role(models.TextChoices):
    CLERK = "clerk", "収納担当"
    OFFICER = "officer", "滞納整理担当"
    NHI_OFFICER = "nhi_officer", "国保担当"
    SUPERVISOR = "supervisor", "係長"
    AUDITOR = "auditor", "監査"
    ADMIN = "admin", "システム管理者"


# Roles that work on persons' money and therefore see personal data within their revenue scope.
PERSONAL_DATA_ROLES = frozenset({Role.CLERK, Role.OFFICER, Role.NHI_OFFICER, Role.SUPERVISOR})
# Roles that may post a counter payment (窓口収納); only a supervisor may reverse one.
POSTING_ROLES = frozenset({Role.CLERK, Role.SUPERVISOR})
# Roles that work delinquency cases (滞納整理).
CASE_ROLES = frozenset({Role.OFFICER, Role.NHI_OFFICER, Role.SUPERVISOR})
# Roles that may unlock an account or reset someone's TOTP device.
ACCOUNT_MANAGER_ROLES = frozenset({Role.SUPERVISOR, Role.ADMIN})


class Right(models.TextChoices):
    """A named right: the value is the `User` method that checks it (`User.has_right`).

    Management commands declare the right they need (`required_right`, docs/security.md).
    """

    NONE = "none", "なし(個人情報を扱わない) / none (no personal data)"
    SEES_PERSONAL_DATA = "sees_personal_data", "個人情報の閲覧 / see personal data"
    CAN_POST_PAYMENTS = "can_post_payments", "収納の登録 / post payments"
    CAN_REVERSE_PAYMENTS = "can_reverse_payments", "収納の取消 / reverse payments"
    CAN_IMPORT = "can_import", "連携ファイルの取込(全税目) / import interchange files (every revenue)"
    CAN_DECIDE_REFUNDS = "can_decide_refunds", "還付の決定 / decide refunds"
    CAN_WORK_CASES = "can_work_cases", "滞納整理 / work delinquency cases"
    CAN_RUN_RETENTION = "can_run_retention", "保存期間経過データの消去 / purge data past retention"
    CAN_AUDIT = "can_audit", "アクセスログの監査 / audit the access log"
    CAN_MANAGE_ACCOUNTS = "can_manage_accounts", "アカウントの管理 / manage staff accounts"


class User(AbstractUser):
    role = models.CharField("役割", max_length=20, choices=Role.choices)
    # Revenue codes this user may see and act on (税目の範囲); empty = none.
    revenue_scopes = models.JSONField("担当税目", default=list, blank=True)

    def scopes(self) -> frozenset[str]:
        return frozenset(code for code in self.revenue_scopes if code in REVENUES)

    def holds_every_revenue(self) -> bool:
        return self.scopes() == frozenset(REVENUES)

    def sees_personal_data(self) -> bool:
        return self.is_active and self.role in PERSONAL_DATA_ROLES and bool(self.scopes())

    def can_post_payments(self) -> bool:
        return self.sees_personal_data() and self.role in POSTING_ROLES

    def can_reverse_payments(self) -> bool:
        return self.sees_personal_data() and self.role == Role.SUPERVISOR

    def can_import(self) -> bool:
        """An interchange file may carry every revenue: a poster holding every revenue."""
        return self.can_post_payments() and self.holds_every_revenue()

    def can_decide_refunds(self) -> bool:
        return self.sees_personal_data() and self.role == Role.SUPERVISOR

    def can_work_cases(self) -> bool:
        return self.sees_personal_data() and self.role in CASE_ROLES

    def can_run_retention(self) -> bool:
        return self.sees_personal_data() and self.role == Role.SUPERVISOR

    def can_audit(self) -> bool:
        return self.is_active and self.role == Role.AUDITOR

    def can_manage_accounts(self) -> bool:
        return self.is_active and self.role in ACCOUNT_MANAGER_ROLES

    def has_right(self, right: str) -> bool:
        if right == Right.NONE:
            return True
        if right not in Right.values:
            raise ValueError(f"unknown right {right!r}")
        return bool(getattr(self, right)())
