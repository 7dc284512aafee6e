"""Who may do what in 委託・外部結合.

- 係長 (supervisor): manages contracts (handlers, on-site audits, incidents) and approves exports;
- 収納担当・滞納整理担当・国保担当 and 係長: prepare exports within their revenue scope and record
  handovers, returns and certificates of packages within it, and of paper documents and printed
  matter (not revenue-bound);
- 監査 (auditor): reads contracts, exports (without the selection), the handover ledger,
  certificates, audits, incidents and retention runs; never personal data;
- システム管理者 (admin): nothing here.
A worker without any revenue scope is treated like the admin.
"""

from choshu.staff.models import Role, User


def can_view(user: User) -> bool:
    return user.is_active and (user.role == Role.AUDITOR or user.sees_personal_data())


def can_manage_contracts(user: User) -> bool:
    return user.sees_personal_data() and user.role == Role.SUPERVISOR


def can_prepare_exports(user: User) -> bool:
    return user.sees_personal_data()


def can_record_handovers(user: User) -> bool:
    """管理簿: handovers, returns and certificates, of packages (within scope) and of paper."""
    return user.sees_personal_data()


def can_approve_exports(user: User) -> bool:
    return user.sees_personal_data() and user.role == Role.SUPERVISOR


def can_run_retention(user: User) -> bool:
    return user.can_run_retention()
