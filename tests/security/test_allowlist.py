"""Optional allowlist of client addresses (指定端末, CHOSHU_ALLOWED_CLIENTS)."""

from ipaddress import ip_network
from wsgiref.util import setup_testing_defaults

import pytest
from django.test import Client

from choshu.staff.management.commands.runserver import Command as Runserver
from choshu.staff.models import Role
from choshu.web.middleware import AllowedClientsWSGI, client_allowed
from tests.factories import make_user

pytestmark = pytest.mark.django_db

TERMINALS = (ip_network("10.1.2.0/24"), ip_network("192.168.0.5"), ip_network("fd00::/64"))


@pytest.fixture
def allowlist(settings: object) -> None:
    settings.ALLOWED_CLIENTS = TERMINALS  # type: ignore[attr-defined]


def test_addresses_are_matched_against_ips_and_networks() -> None:
    assert client_allowed("10.1.2.77", TERMINALS)
    assert client_allowed("192.168.0.5", TERMINALS)
    assert not client_allowed("192.168.0.6", TERMINALS)
    assert client_allowed("::ffff:10.1.2.3", TERMINALS)  # IPv4-mapped IPv6
    assert client_allowed("fd00::1", TERMINALS)
    assert not client_allowed("fd01::1", TERMINALS)
    assert not client_allowed("", TERMINALS) and not client_allowed("not-an-ip", TERMINALS)
    assert client_allowed("203.0.113.9", ())  # empty allowlist: off


def test_another_terminal_gets_403_on_every_url(client: Client, allowlist: None) -> None:
    for url in ("/login/", "/", "/search/", "/persons/1/", "/static/web/choshu.css", "/no-such-page/"):
        response = client.get(url, REMOTE_ADDR="10.1.3.1")
        assert response.status_code == 403, url
        assert "この端末からは利用できません" in response.content.decode()
        assert "10.1.3.1" in response.content.decode()
        assert "Content-Security-Policy" in response.headers
    assert client.post("/login/", {"username": "x", "password": "y"}, REMOTE_ADDR="10.1.3.1").status_code == 403


def test_a_designated_terminal_works_as_usual(client: Client, allowlist: None) -> None:
    assert client.get("/login/", REMOTE_ADDR="10.1.2.9").status_code == 200
    make_user(Role.CLERK, username="terminal")
    response = client.post("/login/", {"username": "terminal", "password": "pw-terminal"}, REMOTE_ADDR="10.1.2.9")
    assert response.status_code == 302
    assert client.get("/", REMOTE_ADDR="10.1.2.9").status_code == 200
    assert client.get("/", REMOTE_ADDR="10.9.9.9").status_code == 403  # the same session, another terminal


def test_switched_off_every_address_is_served(client: Client) -> None:
    assert client.get("/login/", REMOTE_ADDR="203.0.113.9").status_code == 200


def _wsgi_get(app: AllowedClientsWSGI, path: str, address: str) -> tuple[str, bytes]:
    environ: dict[str, object] = {"PATH_INFO": path, "REMOTE_ADDR": address}
    setup_testing_defaults(environ)
    status: list[str] = []
    body = b"".join(app(environ, lambda s, headers, exc_info=None: status.append(s)))
    return status[0], body


def test_runserver_applies_the_allowlist_to_static_files(allowlist: None) -> None:
    handler = Runserver().get_handler(use_static_handler=True, insecure_serving=True)
    assert isinstance(handler, AllowedClientsWSGI)
    status, body = _wsgi_get(handler, "/static/web/choshu.css", "10.1.3.1")
    assert status.startswith("403") and "この端末からは利用できません" in body.decode()
    status, body = _wsgi_get(handler, "/static/web/choshu.css", "10.1.2.3")
    assert status.startswith("200") and b".htmx-indicator" in body
