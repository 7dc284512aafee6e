"""Acceptance: `choshu audit verify` passes on a demo city after a simulated working day, and
fails, naming the entry, after one log row is altered directly in the database."""

import json

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.models import F
from django.test import Client
from django.utils import timezone

from choshu.audit.models import AccessLogEntry
from choshu.ledger.models import Installment, Payment
from choshu.staff.models import Role
from tests.factories import make_user

pytestmark = pytest.mark.django_db


def _verify(capsys: pytest.CaptureFixture[str]) -> tuple[int, dict[str, object]]:
    try:
        call_command("audit", "verify", "--json")
    except SystemExit as exit_:
        return int(exit_.code or 0), json.loads(capsys.readouterr().out)
    return 0, json.loads(capsys.readouterr().out)


def test_working_day_then_tamper(client: Client, capsys: pytest.CaptureFixture[str]) -> None:
    call_command("seed", persons=200, seed=1)
    capsys.readouterr()
    today = timezone.localdate()
    open_installment = (
        Installment.objects.filter(paid_principal__lt=F("amount"), levy__person__isnull=False)
        .select_related("levy__person")
        .order_by("id")
        .first()
    )
    assert open_installment is not None
    person = open_installment.levy.person
    clerk, supervisor = make_user(Role.CLERK, username="clerk1"), make_user(Role.SUPERVISOR, username="chief1")

    client.force_login(clerk)
    assert client.get("/search/", {"q": person.name_kana.split()[0]}).status_code == 200
    assert client.get("/search/", {"q": person.atena_no}).status_code == 200
    assert client.get(f"/persons/{person.atena_no}/").status_code == 200
    assert client.get(f"/persons/{person.atena_no}/counter/").status_code == 200
    posted = client.post(
        f"/persons/{person.atena_no}/counter/",
        {"installment_ids": [open_installment.pk], "amount": "1000", "paid_on": today.isoformat()},
    )
    assert posted.status_code == 302
    payment = Payment.objects.order_by("-id").first()
    assert payment is not None
    assert client.get(posted["Location"]).status_code == 200
    assert client.get(f"/payments/{payment.pk}/receipt.pdf").status_code == 200
    client.force_login(supervisor)
    assert client.post(f"/payments/{payment.pk}/reverse/", {"reason": "誤入力"}).status_code == 302
    call_command("ledger", person.atena_no, "--json")
    capsys.readouterr()

    actions = list(AccessLogEntry.objects.order_by("seq").values_list("action", flat=True))
    assert actions == [
        *("login", "search", "search", "read", "read", "change", "read", "print"),
        *("login", "change", "read"),
    ]
    code, result = _verify(capsys)
    assert (code, result["ok"], result["count"]) == (0, True, 11)

    with connection.cursor() as cursor:  # someone hides that they printed the receipt
        cursor.execute("UPDATE audit_accesslogentry SET subjects = %s WHERE seq = %s", ['["person:1"]', 8])
    code, result = _verify(capsys)
    assert (code, result["ok"], result["broken_seq"], result["count"]) == (1, False, 8, 7)
