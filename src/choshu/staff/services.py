"""Writes on staff accounts: unlocking after a lockout (ロック解除) and TOTP enrolment (二要素認証).

The lockout itself is django-axes' (settings AXES_*); a supervisor or an administrator lifts it.
An unlock and a TOTP reset each write one access-log entry in their transaction.
"""

from base64 import b32encode, b64encode
from io import BytesIO

import qrcode
import qrcode.image.svg
from axes.utils import reset as axes_reset
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django_otp.plugins.otp_totp.models import TOTPDevice

from choshu.audit.models import AccessChannel, Action
from choshu.audit.services import access_log_write, ref
from choshu.staff.models import User
from choshu.staff.selectors import totp_device_confirmed

TOTP_DEVICE_NAME = "choshu"


def _check_manager(actor: User | None) -> None:
    """`actor` None = the server's operator at the console (the command line without --user)."""
    if actor is not None and not actor.can_manage_accounts():
        raise PermissionDenied("ロック解除・二要素認証の再設定は係長またはシステム管理者のみが行えます。")


def _log(*, actor: User | None, action: str, username: str, channel: str, client_address: str | None) -> None:
    pk = User.objects.filter(username=username).values_list("pk", flat=True).first()
    access_log_write(
        actor=actor,
        action=action,
        subjects=[ref("user", pk)] if pk is not None else [],
        query=username,
        channel=channel,
        client_address=client_address,
    )


@transaction.atomic
def user_unlock(
    *, actor: User | None, username: str, channel: str = AccessChannel.CLI, client_address: str | None = None
) -> int:
    """Clear the failed logins recorded for `username`; returns how many failure records were removed."""
    _check_manager(actor)
    removed = int(axes_reset(username=username))
    _log(actor=actor, action=Action.UNLOCK, username=username, channel=channel, client_address=client_address)
    return removed


@transaction.atomic
def totp_devices_reset(
    *, actor: User | None, user: User, channel: str = AccessChannel.CLI, client_address: str | None = None
) -> int:
    """Remove `user`'s TOTP devices (a lost phone): the next login enrols a new one."""
    _check_manager(actor)
    deleted, _ = TOTPDevice.objects.filter(user=user).delete()
    _log(
        actor=actor,
        action=Action.TOTP_RESET,
        username=user.get_username(),
        channel=channel,
        client_address=client_address,
    )
    return deleted


@transaction.atomic
def totp_device_prepare(*, actor: User) -> TOTPDevice:
    """The device `actor` is enrolling: the unconfirmed one, or a new one with a fresh secret."""
    if totp_device_confirmed(user=actor):
        raise PermissionDenied("二要素認証の端末は登録済みです。")
    device = TOTPDevice.objects.filter(user=actor, confirmed=False).order_by("id").first()
    if device is None:
        device = TOTPDevice.objects.create(user=actor, name=TOTP_DEVICE_NAME, confirmed=False)
    return device


@transaction.atomic
def totp_device_confirm(*, actor: User, token: str) -> TOTPDevice | None:
    """Finish enrolment with the first code of the authenticator app; None if the code is wrong."""
    device = totp_device_prepare(actor=actor)
    if not device.verify_token(token):
        return None
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    return device


def totp_secret(device: TOTPDevice) -> str:
    """The secret in base32, for typing into an app by hand."""
    return b32encode(device.bin_key).decode()


def totp_qr_data_uri(device: TOTPDevice) -> str:
    """The device's otpauth:// URI as a QR code, an SVG data URI (drawn here; no outside service)."""
    image = qrcode.make(device.config_url, image_factory=qrcode.image.svg.SvgPathImage, box_size=8, border=2)
    buffer = BytesIO()
    image.save(buffer)
    return "data:image/svg+xml;base64," + b64encode(buffer.getvalue()).decode()
