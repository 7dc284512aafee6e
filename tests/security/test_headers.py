"""Security headers, cookies, and templates that the Content-Security-Policy does not break."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client
from django.utils import timezone

from choshu.staff.models import Role
from choshu.web.middleware import CONTENT_SECURITY_POLICY
from tests.factories import make_levy, make_person, make_user

pytestmark = pytest.mark.django_db

SRC = Path(__file__).resolve().parents[2] / "src" / "choshu"
EXPECTED_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)


def test_every_response_carries_the_security_headers(client: Client) -> None:
    for response in (client.get("/login/"), client.get("/no-such-page/")):
        assert response["Content-Security-Policy"] == EXPECTED_CSP == CONTENT_SECURITY_POLICY
        assert response["X-Frame-Options"] == "DENY"
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["Referrer-Policy"] == "same-origin"
        assert "camera=()" in response["Permissions-Policy"]


def test_pages_for_a_logged_in_user_are_never_stored(client: Client) -> None:
    person = make_person()
    make_levy(person, [5_000], [timezone.localdate()])
    client.force_login(make_user(Role.CLERK))
    for url in ("/", f"/persons/{person.atena_no}/", f"/search/?q={person.atena_no}"):
        response = client.get(url)
        assert response.status_code == 200
        assert "no-store" in response["Cache-Control"] and "private" in response["Cache-Control"]
        assert response["Content-Security-Policy"] == EXPECTED_CSP


def test_the_login_form_checks_csrf() -> None:
    make_user(Role.CLERK, username="csrf")
    strict = Client(enforce_csrf_checks=True)
    assert strict.post("/login/", {"username": "csrf", "password": "pw-csrf"}).status_code == 403
    strict.get("/login/")
    token = strict.cookies["csrftoken"].value
    response = strict.post("/login/", {"username": "csrf", "password": "pw-csrf", "csrfmiddlewaretoken": token})
    assert response.status_code == 302


def _settings_in_subprocess(env: dict[str, str], expression: str) -> str:
    code = f"import django; django.setup(); from django.conf import settings as s; print({expression})"
    environ = {**os.environ, "DJANGO_SETTINGS_MODULE": "choshu.settings", **env}
    return subprocess.run([sys.executable, "-c", code], env=environ, capture_output=True, text=True, check=True).stdout


def test_secure_cookies_and_hsts_are_switched_on_for_production() -> None:
    expression = "s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_HSTS_SECONDS"
    assert _settings_in_subprocess({"CHOSHU_SECURE_COOKIES": "1"}, expression).split() == ["True", "True", "31536000"]
    assert _settings_in_subprocess({"CHOSHU_SECURE_COOKIES": "0"}, expression).split() == ["False", "False", "0"]


def test_security_settings_are_read_from_the_environment() -> None:
    env = {
        "CHOSHU_LOCKOUT_FAILURES": "5",
        "CHOSHU_LOCKOUT_COOLOFF_MINUTES": "20",
        "CHOSHU_SESSION_IDLE_MINUTES": "15",
        "CHOSHU_TOTP_REQUIRED_ROLES": "supervisor, admin",
        "CHOSHU_ALLOWED_CLIENTS": "10.0.0.0/24, 192.168.1.7",
    }
    expression = (
        "s.AXES_FAILURE_LIMIT, int(s.AXES_COOLOFF_TIME.total_seconds()), s.SESSION_COOKIE_AGE, "
        "'+'.join(sorted(s.TOTP_REQUIRED_ROLES)), '+'.join(map(str, s.ALLOWED_CLIENTS))"
    )
    assert _settings_in_subprocess(env, expression).split() == [
        "5",
        "1200",
        "900",
        "admin+supervisor",
        "10.0.0.0/24+192.168.1.7/32",
    ]


def test_https_responses_carry_hsts_when_switched_on(client: Client, settings: object) -> None:
    settings.SECURE_HSTS_SECONDS = 31_536_000  # type: ignore[attr-defined]
    assert client.get("/login/", secure=True)["Strict-Transport-Security"] == "max-age=31536000"


# What the CSP above would block in a template: inline scripts, inline styles, event handler attributes.
FORBIDDEN_IN_TEMPLATES = {
    "inline <script>": re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE),
    "<style> element": re.compile(r"<style\b", re.IGNORECASE),
    "style attribute": re.compile(r"\sstyle\s*=", re.IGNORECASE),
    "event handler attribute": re.compile(r"\son[a-z]+\s*=", re.IGNORECASE),
    "hx-on attribute (needs eval)": re.compile(r"\shx-on", re.IGNORECASE),
    "javascript: URL": re.compile(r"javascript:", re.IGNORECASE),
}


def test_no_template_needs_inline_script_or_style() -> None:
    templates = sorted(SRC.glob("*/templates/**/*.html"))
    assert len(templates) >= 10
    problems = [
        f"{path.relative_to(SRC)}: {what}"
        for path in templates
        for what, pattern in FORBIDDEN_IN_TEMPLATES.items()
        if pattern.search(path.read_text(encoding="utf-8"))
    ]
    assert problems == []


def test_htmx_does_not_inject_its_inline_indicator_style(client: Client) -> None:
    body = client.get("/login/").content.decode()
    assert """<meta name="htmx-config" content='{"includeIndicatorStyles":false}'>""" in body
    css = (SRC / "web" / "static" / "web" / "choshu.css").read_text(encoding="utf-8")
    assert ".htmx-request .htmx-indicator" in css
