"""Authentication events in the access log: login, login failure (the user name typed, never the
password), logout, lockout, unlock and TOTP reset — one entry each, in the hash chain."""

import json

import pytest
from django.core.management import call_command
from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice

from choshu.audit.models import AccessLogEntry
from choshu.audit.services import access_log_verify
from choshu.staff.models import Role, User
from choshu.staff.services import user_unlock
from tests.factories import make_user

pytestmark = pytest.mark.django_db


def _last_seq() -> int:
    return AccessLogEntry.objects.order_by("-seq").values_list("seq", flat=True).first() or 0


def _since(seq: int) -> list[AccessLogEntry]:
    return list(AccessLogEntry.objects.filter(seq__gt=seq).order_by("seq"))


def _post_login(client: Client, username: str, password: str) -> int:
    return client.post("/login/", {"username": username, "password": password}, REMOTE_ADDR="192.0.2.7").status_code


def _entry_text(entry: AccessLogEntry) -> str:
    return json.dumps(
        [entry.actor_label, entry.action, entry.subjects, entry.query, entry.purpose, entry.client_address],
        ensure_ascii=False,
    )


def test_a_login_and_a_logout_are_one_entry_each(client: Client) -> None:
    user = make_user(Role.CLERK, username="tanaka")
    before = _last_seq()
    assert _post_login(client, "tanaka", "pw-tanaka") == 302
    [login] = _since(before)
    assert (login.action, login.actor_id, login.actor_label, login.subjects) == (
        "login",
        user.pk,
        "tanaka",
        [f"user:{user.pk}"],
    )
    assert (login.client_address, login.channel, login.query) == ("192.0.2.7", "web", "")
    before = _last_seq()
    client.post("/logout/", REMOTE_ADDR="192.0.2.7")
    [logout] = _since(before)
    assert (logout.action, logout.actor_id, logout.subjects) == ("logout", user.pk, [f"user:{user.pk}"])
    before = _last_seq()
    client.post("/logout/")  # no session: nobody is logged out
    assert _since(before) == []


def test_a_failed_login_names_the_user_typed_and_never_the_password(client: Client) -> None:
    user = make_user(Role.CLERK, username="suzuki")
    before = _last_seq()
    assert _post_login(client, "suzuki", "Secret-Guess-42") == 200
    assert _post_login(client, "nosuchuser", "Other-Secret-77") == 200
    known, unknown = _since(before)
    assert (known.action, known.actor_id, known.actor_label) == ("login_fail", None, "anonymous")
    assert (known.subjects, known.query, known.client_address) == ([f"user:{user.pk}"], "suzuki", "192.0.2.7")
    assert (unknown.action, unknown.subjects, unknown.query) == ("login_fail", [], "nosuchuser")
    for entry in (known, unknown):
        assert "Secret-Guess-42" not in _entry_text(entry) and "Other-Secret-77" not in _entry_text(entry)
        assert "*" not in entry.query  # not even the masked password


def test_the_tenth_failure_locks_and_is_logged_once(client: Client) -> None:
    user = make_user(Role.CLERK, username="target")
    before = _last_seq()
    for n in range(10):
        _post_login(client, "target", f"wrong-{n}")
    entries = _since(before)
    assert [e.action for e in entries] == ["login_fail"] * 10 + ["lockout"]
    lockout = entries[-1]
    assert (lockout.subjects, lockout.query, lockout.actor_id) == ([f"user:{user.pk}"], "target", None)
    before = _last_seq()
    assert _post_login(client, "target", "pw-target") == 403  # locked: a failure, not a second lockout
    assert [e.action for e in _since(before)] == ["login_fail"]


def test_unlock_by_command_is_one_entry(client: Client) -> None:
    user = make_user(Role.CLERK, username="forgetful")
    supervisor = make_user(Role.SUPERVISOR, username="kakaricho")
    for n in range(10):
        _post_login(client, "forgetful", f"wrong-{n}")
    before = _last_seq()
    call_command("staff", "unlock", "forgetful", "--user", "kakaricho")
    [entry] = _since(before)
    assert (entry.action, entry.actor_id, entry.channel) == ("unlock", supervisor.pk, "cli")
    assert (entry.subjects, entry.query) == ([f"user:{user.pk}"], "forgetful")
    before = _last_seq()
    user_unlock(actor=None, username="forgetful", channel="web", client_address="192.0.2.9")  # as a screen would
    [screen] = _since(before)
    assert (screen.action, screen.channel, screen.client_address) == ("unlock", "web", "192.0.2.9")
    assert screen.actor_label.startswith(("os:", "cli"))


def test_totp_reset_is_one_entry() -> None:
    user = make_user(Role.SUPERVISOR, username="lostphone")
    admin = make_user(Role.ADMIN, [], username="sysadmin")
    TOTPDevice.objects.create(user=user, name="choshu", confirmed=True)
    before = _last_seq()
    call_command("staff", "totp-reset", "lostphone", "--user", "sysadmin")
    [entry] = _since(before)
    assert (entry.action, entry.actor_id, entry.subjects, entry.query) == (
        "totp_reset",
        admin.pk,
        [f"user:{user.pk}"],
        "lostphone",
    )
    assert not TOTPDevice.objects.filter(user=user).exists()


def test_a_refused_unlock_writes_nothing() -> None:
    make_user(Role.CLERK, username="clerk-x")
    before = _last_seq()
    with pytest.raises(Exception, match="アカウントの管理"):
        call_command("staff", "unlock", "anyone", "--user", "clerk-x")
    assert _since(before) == []


def test_authentication_events_are_in_the_chain(client: Client) -> None:
    make_user(Role.CLERK, username="chained")
    _post_login(client, "chained", "wrong")
    _post_login(client, "chained", "pw-chained")
    client.post("/logout/")
    assert [e.action for e in AccessLogEntry.objects.order_by("seq")] == ["login_fail", "login", "logout"]
    assert access_log_verify().ok
    assert User.objects.get(username="chained").last_login is not None
