"""Optional TOTP (django-otp) for the roles in CHOSHU_TOTP_REQUIRED_ROLES."""

from base64 import b64decode
from urllib.parse import unquote

import pytest
from django.core.management import call_command
from django.test import Client
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from choshu.audit.models import AccessLogEntry
from choshu.staff.models import Role, User
from tests.factories import make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def totp_on(settings: object) -> None:
    settings.TOTP_REQUIRED_ROLES = frozenset({"supervisor", "admin"})  # type: ignore[attr-defined]


def _code(device: TOTPDevice, shift: int = 0) -> str:
    value = totp(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return f"{(value + shift) % 1_000_000:06d}"


def _supervisor_with_device(client: Client) -> tuple[User, TOTPDevice]:
    user = make_user(Role.SUPERVISOR)
    device = TOTPDevice.objects.create(user=user, name="choshu", confirmed=True)
    client.force_login(user)
    return user, device


def test_a_supervisor_gives_a_code_before_any_page(client: Client, totp_on: None) -> None:
    _, device = _supervisor_with_device(client)
    for url in ("/", "/search/?q=1", "/counter/"):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/otp/verify/?next=")
    page = client.get("/otp/verify/?next=/search/")
    assert page.status_code == 200 and "確認コード" in page.content.decode()
    response = client.post("/otp/verify/", {"code": _code(device), "next": "/search/"})
    assert response.status_code == 302 and response["Location"] == "/search/"
    assert client.get("/").status_code == 200
    assert client.get("/search/").status_code == 200


def test_a_wrong_code_is_refused(client: Client, totp_on: None) -> None:
    _, device = _supervisor_with_device(client)
    response = client.post("/otp/verify/", {"code": _code(device, shift=1)})
    assert response.status_code == 200 and "確認コードが正しくありません" in response.content.decode()
    assert client.post("/otp/verify/", {"code": "12ab56"}).status_code == 200
    assert client.get("/").status_code == 302
    # The wrong code is in the access log (the malformed one never reached the check).
    assert AccessLogEntry.objects.filter(action="totp_fail").count() == 1


def test_an_htmx_request_is_redirected_as_a_whole_page(client: Client, totp_on: None) -> None:
    _supervisor_with_device(client)
    response = client.get("/search/?q=1", headers={"HX-Request": "true"})
    assert response["HX-Redirect"] == "/otp/verify/"


def test_logout_stays_open_before_the_code(client: Client, totp_on: None) -> None:
    _supervisor_with_device(client)
    assert client.post("/logout/").status_code == 302
    assert client.get("/otp/verify/").status_code == 302  # logged out: to the login page
    assert client.get("/").headers["Location"].startswith("/login/")


def test_a_clerk_is_not_asked(client: Client, totp_on: None) -> None:
    client.force_login(make_user(Role.CLERK))
    assert client.get("/").status_code == 200
    assert client.get("/otp/verify/").status_code == 302  # nothing to verify: on to the dashboard


def test_switched_off_nobody_is_asked(client: Client, settings: object) -> None:
    settings.TOTP_REQUIRED_ROLES = frozenset()  # type: ignore[attr-defined]
    _supervisor_with_device(client)
    assert client.get("/").status_code == 200


def test_first_login_enrols_a_device_with_a_qr_code(client: Client, totp_on: None) -> None:
    user = make_user(Role.ADMIN, scopes=())
    client.force_login(user)
    response = client.get("/")
    assert response.status_code == 302 and response["Location"].startswith("/otp/enrol/")
    page = client.get("/otp/enrol/").content.decode()
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    qr = page.split('src="data:image/svg+xml;base64,', 1)[1].split('"', 1)[0]
    svg = b64decode(qr).decode()
    assert svg.lstrip().startswith("<?xml") and "<svg" in svg and "<path" in svg
    assert "otpauth://totp/choshu" in unquote(device.config_url)
    assert client.get("/otp/enrol/").status_code == 200  # reloading keeps the same secret
    assert TOTPDevice.objects.filter(user=user).count() == 1
    assert client.post("/otp/enrol/", {"code": _code(device, shift=1)}).status_code == 200  # wrong first code
    device.refresh_from_db()
    assert not device.confirmed
    device.throttling_failure_count = 0  # the wrong code above throttles the next try for a second
    device.save()
    response = client.post("/otp/enrol/", {"code": _code(device), "next": "/"})
    assert response.status_code == 302 and response["Location"] == "/"
    device.refresh_from_db()
    assert device.confirmed
    assert client.get("/").status_code == 200
    assert client.get("/otp/enrol/").status_code == 302  # no second device by the password alone


def test_totp_reset_command_removes_the_device(client: Client, totp_on: None) -> None:
    user, _ = _supervisor_with_device(client)
    call_command("staff", "totp-reset", user.username)
    assert not TOTPDevice.objects.filter(user=user).exists()
    assert client.get("/")["Location"].startswith("/otp/enrol/")
