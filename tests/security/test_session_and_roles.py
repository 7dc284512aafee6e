"""Idle session timeout; the admin and the auditor cannot open a person's ledger (acceptance)."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.test import Client
from django.utils import timezone

from choshu.staff.models import Role
from tests.factories import make_levy, make_person, make_user

pytestmark = pytest.mark.django_db


def _password_login(client: Client, role: str) -> None:
    user = make_user(role)
    response = client.post("/login/", {"username": user.username, "password": f"pw-{user.username}"})
    assert response.status_code == 302


def _session(client: Client) -> Session:
    return Session.objects.get(session_key=client.cookies[settings.SESSION_COOKIE_NAME].value)


def test_idle_limit_defaults_to_thirty_minutes_and_the_cookie_dies_with_the_browser(client: Client) -> None:
    assert settings.SESSION_COOKIE_AGE == 30 * 60
    _password_login(client, Role.CLERK)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    assert cookie["max-age"] == "" and cookie["expires"] == ""  # no persistent cookie
    assert cookie["httponly"] and cookie["samesite"] == "Lax"


def test_a_session_idle_beyond_the_limit_is_rejected(client: Client) -> None:
    _password_login(client, Role.CLERK)
    assert client.get("/").status_code == 200
    Session.objects.filter(pk=_session(client).pk).update(expire_date=timezone.now() - timedelta(seconds=1))
    response = client.get("/")
    assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_activity_extends_the_session(client: Client) -> None:
    _password_login(client, Role.CLERK)
    session = _session(client)
    Session.objects.filter(pk=session.pk).update(expire_date=timezone.now() + timedelta(minutes=1))
    assert client.get("/").status_code == 200  # one minute left: the request renews the idle period
    renewed = Session.objects.get(pk=session.pk).expire_date
    assert renewed > timezone.now() + timedelta(minutes=29)


@pytest.mark.parametrize("role", [Role.AUDITOR, Role.ADMIN])
def test_the_admin_and_the_auditor_cannot_open_a_persons_ledger(client: Client, role: str) -> None:
    person = make_person()
    make_levy(person, [10_000], [timezone.localdate()])
    _password_login(client, role)
    assert client.get("/").status_code == 200  # they do log in
    for url in (f"/persons/{person.atena_no}/", f"/search/?q={person.atena_no}"):
        response = client.get(url)
        assert response.status_code == 403
        assert person.name not in response.content.decode()
