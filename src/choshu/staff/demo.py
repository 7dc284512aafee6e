"""One demo user per role for `make demo` (never for production)."""

from django.db import transaction

from choshu.rules.revenue import REVENUES
from choshu.staff.models import Role, User

ALL = list(REVENUES)
DEMO_USERS: list[tuple[str, Role, list[str]]] = [
    ("clerk", Role.CLERK, ALL),
    ("officer", Role.OFFICER, ALL),
    ("nhi", Role.NHI_OFFICER, ["nhi"]),
    ("supervisor", Role.SUPERVISOR, ALL),
    ("auditor", Role.AUDITOR, []),
    ("admin", Role.ADMIN, []),
]


@transaction.atomic
def demo_users_ensure() -> list[tuple[str, str, str]]:
    """Create (or reset) the demo users; returns (username, password, role label)."""
    created = []
    for username, role, scopes in DEMO_USERS:
        password = f"demo-{username}"
        user, _ = User.objects.get_or_create(username=username)
        user.role = role
        user.revenue_scopes = scopes
        user.is_staff = role == Role.ADMIN
        user.set_password(password)
        user.save()
        created.append((username, password, role.label))
    return created
