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


class User(AbstractUser):
    role = models.CharField("役割", max_length=20, choices=Role.choices)
    # Revenue codes this user may see and act on (税目の範囲); empty = none.
    revenue_scopes = models.JSONField("担当税目", default=list, blank=True)

    def scopes(self) -> frozenset[str]:
        return frozenset(code for code in self.revenue_scopes if code in REVENUES)

    def sees_personal_data(self) -> bool:
        return self.is_active and self.role in PERSONAL_DATA_ROLES and bool(self.scopes())

    def can_post_payments(self) -> bool:
        return self.sees_personal_data() and self.role in POSTING_ROLES

    def can_reverse_payments(self) -> bool:
        return self.sees_personal_data() and self.role == Role.SUPERVISOR
