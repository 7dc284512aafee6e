"""Argon2 hashing; ten consecutive wrong passwords lock the account (django-axes); unlocking."""

from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.contrib.auth.hashers import identify_hasher
from django.core.exceptions import PermissionDenied
from django.core.management import CommandError, call_command
from django.test import Client
from django.utils import timezone

from choshu.staff.models import Role, User
from choshu.staff.services import user_unlock
from tests.factories import make_user

pytestmark = pytest.mark.django_db


def _login(client: Client, username: str, password: str) -> int:
    return client.post("/login/", {"username": username, "password": password}).status_code


def _logged_in(client: Client) -> bool:
    return client.get("/").status_code == 200


def test_a_new_password_is_stored_with_argon2() -> None:
    user = make_user(Role.CLERK, username="argon")
    assert user.password.startswith("argon2$argon2id$")
    assert identify_hasher(user.password).algorithm == "argon2"
    assert User.objects.get(pk=user.pk).check_password("pw-argon")


def test_ten_wrong_passwords_lock_the_account(client: Client) -> None:
    make_user(Role.CLERK, username="target")
    statuses = [_login(client, "target", f"wrong-{n}") for n in range(10)]
    assert statuses[:9] == [200] * 9  # the login page again, "wrong password"
    assert statuses[9] == 403  # the tenth failure locks
    response = client.post("/login/", {"username": "target", "password": "pw-target"})
    body = response.content.decode()
    assert response.status_code == 403
    assert "ロックされています" in body and "10回" in body and "係長またはシステム管理者" in body
    assert not _logged_in(client)


def test_nine_wrong_passwords_do_not_lock_and_a_success_resets_the_count(client: Client) -> None:
    make_user(Role.CLERK, username="careless")
    for n in range(9):
        assert _login(client, "careless", f"wrong-{n}") == 200
    assert _login(client, "careless", "pw-careless") == 302  # still allowed
    client.post("/logout/")
    for n in range(9):  # consecutive failures only: the success above started a new count
        assert _login(client, "careless", f"wrong-{n}") == 200
    assert _login(client, "careless", "pw-careless") == 302


def test_the_lock_is_per_user_name_not_per_terminal(client: Client) -> None:
    make_user(Role.CLERK, username="locked1")
    make_user(Role.CLERK, username="colleague")
    for n in range(10):
        _login(client, "locked1", f"wrong-{n}")
    other = Client()  # the same terminal (address 127.0.0.1), another clerk
    assert _login(other, "colleague", "pw-colleague") == 302
    from_elsewhere = Client(REMOTE_ADDR="10.0.0.99")  # the locked name, from another terminal
    assert _login(from_elsewhere, "locked1", "pw-locked1") == 403


def test_a_supervisor_unlocks_the_account_by_command(client: Client) -> None:
    make_user(Role.CLERK, username="forgetful")
    supervisor = make_user(Role.SUPERVISOR, username="kakaricho")
    for n in range(10):
        _login(client, "forgetful", f"wrong-{n}")
    assert _login(client, "forgetful", "pw-forgetful") == 403
    call_command("staff", "unlock", "forgetful", "--user", supervisor.username)
    assert not AccessAttempt.objects.filter(username="forgetful").exists()
    assert _login(client, "forgetful", "pw-forgetful") == 302
    assert _logged_in(client)


def test_locked_command_lists_locked_accounts(client: Client, capsys: pytest.CaptureFixture[str]) -> None:
    make_user(Role.CLERK, username="shown")
    for n in range(10):
        _login(client, "shown", f"wrong-{n}")
    _login(client, "notshown", "wrong")  # one failure: not locked
    call_command("staff", "locked")
    out = capsys.readouterr().out
    assert "shown\t10回" in out and "notshown" not in out


def test_a_clerk_may_not_unlock() -> None:
    clerk = make_user(Role.CLERK)
    with pytest.raises(PermissionDenied):
        user_unlock(actor=clerk, username="anyone")
    with pytest.raises(CommandError, match="収納担当.*アカウントの管理.*role clerk"):
        call_command("staff", "unlock", "anyone", "--user", clerk.username)


def test_a_configured_cool_off_unlocks_by_itself(client: Client, settings: object) -> None:
    settings.AXES_COOLOFF_TIME = timedelta(minutes=15)  # type: ignore[attr-defined]
    make_user(Role.CLERK, username="patient")
    for n in range(10):
        _login(client, "patient", f"wrong-{n}")
    response = client.post("/login/", {"username": "patient", "password": "pw-patient"})
    assert response.status_code == 403 and "15分後" in response.content.decode()
    AccessAttempt.objects.filter(username="patient").update(attempt_time=timezone.now() - timedelta(minutes=16))
    assert _login(client, "patient", "pw-patient") == 302


def test_force_login_is_not_affected_by_the_lockout_backend(client: Client) -> None:
    client.force_login(make_user(Role.CLERK))
    assert _logged_in(client)
