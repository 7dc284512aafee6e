"""No personal data leaves unless its access-log entry is written (docs/audit.md, "When").

A screen that reads writes its entry after rendering and before the response leaves; a change
writes it in the change's transaction. If the entry cannot be written, the reader gets a 500
with no personal data in it, and the change is rolled back. The same for `choshu ledger`.
"""

import pytest
from django.core.management import call_command
from django.db import DatabaseError
from django.test import Client

from choshu.audit.models import AccessLogEntry
from choshu.ledger.models import Payment
from choshu.staff.models import Role
from tests.audit.conftest import ATENA, World
from tests.audit.test_access_logging import CASES
from tests.factories import make_user

pytestmark = pytest.mark.django_db


def _fail_the_log(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(self: AccessLogEntry, *args: object, **kwargs: object) -> None:
        raise DatabaseError("access log unavailable")

    monkeypatch.setattr(AccessLogEntry, "save", refuse)


def _personal(world: World) -> list[str]:
    person = world.person
    return [person.name, person.name_kana, person.atena_no, person.address, "10,000"]


@pytest.mark.parametrize("name", sorted(CASES))
def test_a_screen_shows_nothing_if_its_entry_cannot_be_written(
    world: World, name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    case = CASES[name]
    client = Client(raise_request_exception=False)
    client.force_login(make_user(case.role))  # the login's own entry is written before the failure
    before = (Payment.objects.count(), AccessLogEntry.objects.count())
    _fail_the_log(monkeypatch)
    response = getattr(client, case.method)(case.url(world), case.data(world))
    assert response.status_code == 500
    assert response["Content-Type"].startswith("text/html")  # the error page, not the PDF or the data
    body = response.content.decode()
    for text in _personal(world):
        assert text not in body, (name, text)
    assert (Payment.objects.count(), AccessLogEntry.objects.count()) == before  # a change is rolled back


def test_a_counter_posting_is_rolled_back_if_its_entry_cannot_be_written(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = Client(raise_request_exception=False)
    client.force_login(make_user(Role.CLERK))
    before = Payment.objects.count()
    _fail_the_log(monkeypatch)
    response = client.post(
        f"/persons/{ATENA}/counter/",
        {"installment_ids": [world.installment_id], "amount": "20000", "paid_on": world.payment.paid_on.isoformat()},
    )
    assert response.status_code == 500 and Payment.objects.count() == before


def test_the_ledger_command_prints_nothing_if_its_entry_cannot_be_written(
    world: World, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _fail_the_log(monkeypatch)
    with pytest.raises(DatabaseError):
        call_command("ledger", ATENA, "--json")
    assert capsys.readouterr().out == ""
