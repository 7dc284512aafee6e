"""Authentication events in the access log (docs/audit.md): login, login failure, logout and
lockout, one entry each, from Django's and django-axes' signals (connected in StaffConfig.ready).
Unlocking and TOTP resets are logged by their services (staff.services).

Subjects name the account (``user:<id>``) when it exists; `query` holds the user name typed at
a failed login or lockout (the account may not exist). The password is never read: Django passes
the credentials with the password masked, and only the user name is taken.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest

from choshu.audit.models import AccessChannel, Action
from choshu.audit.services import access_log_write, ref, request_client_address
from choshu.staff.models import User

ANONYMOUS = "anonymous"


def _address(request: Any) -> str | None:
    return request_client_address(request) if isinstance(request, HttpRequest) else None


def _channel(request: Any) -> str:
    return AccessChannel.WEB if isinstance(request, HttpRequest) else AccessChannel.CLI


def _account(username: str) -> list[str]:
    pk = User.objects.filter(username=username).values_list("pk", flat=True).first() if username else None
    return [ref("user", pk)] if pk is not None else []


def log_auth_event(
    *, action: str, user: User | None = None, username: str = "", request: Any = None, actor: User | None = None
) -> None:
    """One entry: `user` the account concerned (else looked up by `username`), `actor` who acted."""
    subjects = [ref("user", user.pk)] if user is not None else _account(username)
    access_log_write(
        actor=actor,
        actor_label="" if actor is not None else ANONYMOUS,
        action=action,
        subjects=subjects,
        query=username if user is None else "",
        client_address=_address(request),
        channel=_channel(request),
    )


def on_logged_in(sender: object, request: Any, user: User, **kwargs: object) -> None:
    log_auth_event(action=Action.LOGIN, user=user, actor=user, request=request)


def on_logged_out(sender: object, request: Any, user: User | None, **kwargs: object) -> None:
    if user is not None:  # a logout without a session logs nobody out
        log_auth_event(action=Action.LOGOUT, user=user, actor=user, request=request)


# The lockout entry follows the entry of the failure that caused it, whichever receiver of
# `user_login_failed` (axes' or ours) runs first: the request carries what is pending.
_FAILURE_LOGGED = "_choshu_failure_logged"
_LOCKOUT_PENDING = "_choshu_lockout_pending"


def on_login_failed(sender: object, credentials: dict[str, Any], request: Any = None, **kwargs: object) -> None:
    username = str(credentials.get("username") or "")[:150]
    log_auth_event(action=Action.LOGIN_FAILED, username=username, request=request)
    if request is None:
        return
    setattr(request, _FAILURE_LOGGED, True)
    pending = getattr(request, _LOCKOUT_PENDING, None)
    if pending is not None:
        log_auth_event(action=Action.LOCKOUT, username=pending, request=request)


def on_locked_out(sender: object, request: Any, username: str | None, **kwargs: object) -> None:
    """axes signals every failure from the limit on; the lock itself is the failure that reaches it."""
    if getattr(request, "axes_failures_since_start", None) != settings.AXES_FAILURE_LIMIT:
        return
    name = str(username or "")[:150]
    if getattr(request, _FAILURE_LOGGED, False):
        log_auth_event(action=Action.LOCKOUT, username=name, request=request)
    else:
        setattr(request, _LOCKOUT_PENDING, name)


def connect() -> None:
    from axes.signals import user_locked_out
    from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed

    user_logged_in.connect(on_logged_in, dispatch_uid="choshu.staff.auth_events.login")
    user_logged_out.connect(on_logged_out, dispatch_uid="choshu.staff.auth_events.logout")
    user_login_failed.connect(on_login_failed, dispatch_uid="choshu.staff.auth_events.login_failed")
    user_locked_out.connect(on_locked_out, dispatch_uid="choshu.staff.auth_events.locked_out")
