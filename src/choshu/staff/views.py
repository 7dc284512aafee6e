"""Login-related screens: the lockout page (django-axes) and TOTP enrolment and verification."""

from typing import cast

from django import forms
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import AuthenticationForm
from django.core.validators import RegexValidator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render, resolve_url
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods
from django_otp import login as otp_login
from django_otp import match_token

from choshu.audit.models import Action
from choshu.staff.auth_events import log_auth_event
from choshu.staff.models import User
from choshu.staff.selectors import totp_device_confirmed, totp_required
from choshu.staff.services import totp_device_confirm, totp_device_prepare, totp_qr_data_uri, totp_secret

WRONG_CODE = "確認コードが正しくありません。続けて誤った場合は、少し待ってから入力してください。"


def lockout_response(
    request: HttpRequest, original_response: HttpResponse | None = None, credentials: dict[str, object] | None = None
) -> HttpResponse:
    """AXES_LOCKOUT_CALLABLE: the login page again, saying the account is locked (403)."""
    cooloff = settings.AXES_COOLOFF_TIME
    username = str((credentials or {}).get("username") or request.POST.get("username", ""))
    context = {
        "form": AuthenticationForm(request, initial={"username": username}),
        "locked": True,
        "failure_limit": settings.AXES_FAILURE_LIMIT,
        "cooloff_minutes": int(cooloff.total_seconds() // 60) if cooloff else None,
        "next": "",
    }
    return render(request, "web/login.html", context, status=403)


class TOTPCodeForm(forms.Form):
    code = forms.CharField(
        label="確認コード(6桁)",
        min_length=6,
        max_length=6,
        validators=[RegexValidator(r"^[0-9]{6}$", "6桁の数字を入力してください。")],
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code", "autofocus": True}),
    )


def _next_url(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return target
    return resolve_url(settings.LOGIN_REDIRECT_URL)


@require_http_methods(["GET", "POST"])
@login_required
def otp_verify(request: HttpRequest) -> HttpResponse:
    """二要素認証: the 6-digit code of the user's authenticator app, after the password."""
    user = cast(User, request.user)
    if not totp_required(user):
        return redirect(_next_url(request))
    if not totp_device_confirmed(user=user):
        return redirect("otp_enrol")
    form = TOTPCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        device = match_token(user, form.cleaned_data["code"])
        if device is not None:
            otp_login(request, device)
            return redirect(_next_url(request))
        log_auth_event(action=Action.TOTP_FAILED, user=user, actor=user, request=request)
        form.add_error("code", WRONG_CODE)
    return render(request, "staff/otp_verify.html", {"form": form, "next": _next_url(request)})


@require_http_methods(["GET", "POST"])
@login_required
def otp_enrol(request: HttpRequest) -> HttpResponse:
    """二要素認証の登録: scan the QR code into an authenticator app, then give its first code."""
    user = cast(User, request.user)
    if not totp_required(user):
        return redirect(_next_url(request))
    if totp_device_confirmed(user=user):
        return redirect("otp_verify")
    form = TOTPCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        device = totp_device_confirm(actor=user, token=form.cleaned_data["code"])
        if device is not None:
            otp_login(request, device)
            return redirect(_next_url(request))
        form.add_error("code", WRONG_CODE)
    device = totp_device_prepare(actor=user)
    context = {
        "form": form,
        "next": _next_url(request),
        "qr": totp_qr_data_uri(device),
        "secret": totp_secret(device),
    }
    return render(request, "staff/otp_enrol.html", context)
