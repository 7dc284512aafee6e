import pytest
from django.test import Client

from choshu.staff.models import Role
from tests.factories import make_user

pytestmark = pytest.mark.django_db


def test_login_page_is_japanese(client: Client) -> None:
    response = client.get("/login/")
    body = response.content.decode()
    assert response.status_code == 200
    assert 'lang="ja"' in body and "ログイン" in body and "パスワード" in body


def test_login_with_password_then_logout(client: Client) -> None:
    make_user(Role.CLERK, username="clerk1")
    response = client.post("/login/", {"username": "clerk1", "password": "pw-clerk1"})
    assert response.status_code == 302 and response["Location"] == "/"
    home = client.get("/")
    assert home.status_code == 200 and "収納担当" in home.content.decode()
    assert client.post("/logout/").status_code == 302
    assert client.get("/").status_code == 302


def test_wrong_password_is_refused(client: Client) -> None:
    make_user(Role.CLERK, username="clerk2")
    response = client.post("/login/", {"username": "clerk2", "password": "wrong"})
    assert response.status_code == 200
    assert "正しくありません" in response.content.decode()
    assert client.get("/").status_code == 302
