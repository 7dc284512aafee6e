"""Security middleware (docs/security.md): response headers, designated terminals, required TOTP.

- `SecurityHeadersMiddleware`: Content-Security-Policy and Permissions-Policy on every response,
  `Cache-Control: no-store` on every response to a logged-in user (they carry personal data).
- `AllowedClientsMiddleware`: with `CHOSHU_ALLOWED_CLIENTS` set, any other client address gets 403
  on every URL, the login page included; `AllowedClientsWSGI` does the same for the static files
  that `runserver` serves outside Django's middleware.
- `TOTPRequiredMiddleware`: with `CHOSHU_TOTP_REQUIRED_ROLES` set, a user of those roles who has
  not given a one-time code in this session is sent to the enrolment or verification page.
"""

import ipaddress
from collections.abc import Callable, Iterable
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseForbidden, HttpResponseRedirect
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.cache import add_never_cache_headers
from django.utils.http import urlencode

from choshu.staff.selectors import totp_device_confirmed, totp_required

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
    ]
)
PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=(), payment=(), usb=()"

GetResponse = Callable[[HttpRequest], HttpResponse]
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


class SecurityHeadersMiddleware:
    def __init__(self, get_response: GetResponse) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        response.headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            add_never_cache_headers(response)  # Cache-Control: ... no-store, private
        return response


def client_allowed(address: str, networks: Iterable[Network]) -> bool:
    """Whether `address` (REMOTE_ADDR) lies in one of `networks`; an empty allowlist allows all."""
    networks = tuple(networks)
    if not networks:
        return True
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return any(ip.version == net.version and ip in net for net in networks)


def _refusal_page(address: str) -> str:
    return render_to_string("staff/client_refused.html", {"address": address})


class AllowedClientsMiddleware:
    def __init__(self, get_response: GetResponse) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        address = request.META.get("REMOTE_ADDR", "")
        if not client_allowed(address, settings.ALLOWED_CLIENTS):
            return HttpResponseForbidden(_refusal_page(address))
        return self.get_response(request)


class AllowedClientsWSGI:
    """The allowlist as a WSGI wrapper, for handlers that bypass the middleware (runserver's static files)."""

    def __init__(self, application: Callable[..., Any]) -> None:
        self.application = application

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        address = environ.get("REMOTE_ADDR", "")
        if client_allowed(address, settings.ALLOWED_CLIENTS):
            return self.application(environ, start_response)
        body = _refusal_page(address).encode()
        start_response(
            "403 Forbidden",
            [
                ("Content-Type", "text/html; charset=utf-8"),
                ("Content-Length", str(len(body))),
                ("Content-Security-Policy", CONTENT_SECURITY_POLICY),
                ("X-Content-Type-Options", "nosniff"),
            ],
        )
        return [body]


# URL names a user who still owes a one-time code may open.
TOTP_OPEN_URL_NAMES = ("otp_verify", "otp_enrol", "logout")


class TOTPRequiredMiddleware:
    """After `django_otp.middleware.OTPMiddleware`: no page but enrolment/verification until verified."""

    def __init__(self, get_response: GetResponse) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not totp_required(request.user):
            return self.get_response(request)
        open_paths = {reverse(name) for name in TOTP_OPEN_URL_NAMES}
        if request.path_info in open_paths or request.path_info.startswith("/" + settings.STATIC_URL.lstrip("/")):
            return self.get_response(request)
        target = reverse("otp_verify" if totp_device_confirmed(user=request.user) else "otp_enrol")  # type: ignore[arg-type]
        if request.headers.get("HX-Request"):  # htmx: a whole-page redirect, not a swapped fragment
            response = HttpResponse()
            response["HX-Redirect"] = target
            return response
        if request.method == "GET":
            target += "?" + urlencode({"next": request.get_full_path()})
        return HttpResponseRedirect(target)
