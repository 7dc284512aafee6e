"""Reads about staff accounts: lockouts (django-axes) and TOTP devices (django-otp)."""

from typing import Any

from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import QuerySet
from django_otp.plugins.otp_totp.models import TOTPDevice

from choshu.staff.models import User


def locked_out_attempts() -> QuerySet[AccessAttempt]:
    """The failure records that currently lock an account, newest first (one per user name)."""
    return AccessAttempt.objects.filter(failures_since_start__gte=settings.AXES_FAILURE_LIMIT).order_by("-attempt_time")


def totp_device_confirmed(*, user: User) -> bool:
    """Whether `user` has finished enrolling a TOTP device."""
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def totp_required(user: Any) -> bool:
    """Whether `user` (request.user, after django-otp's middleware) still owes a TOTP code this session."""
    roles = settings.TOTP_REQUIRED_ROLES
    return bool(roles) and user.is_authenticated and getattr(user, "role", None) in roles and not user.is_verified()
