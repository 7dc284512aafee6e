from datetime import date

import pytest
from django.core.management import call_command
from django.db import connection

from choshu.ledger.models import Allocation
from choshu.ledger.services import counter_payment_post
from choshu.ledger.verify import ledger_violations
from choshu.staff.models import Role
from tests.factories import make_levy, make_person, make_user
from tests.payments.test_channel_import import _event, _import

pytestmark = pytest.mark.django_db


def _paid_installment():
    person = make_person()
    inst = make_levy(person, [50_000], [date(2025, 6, 30)]).installments.get()
    counter_payment_post(
        actor=make_user(Role.CLERK), person=person, installment_ids=[inst.pk], amount=50_000, paid_on=date(2025, 6, 30)
    )
    return inst


def test_clean_ledger_has_no_violations(capsys):
    _paid_installment()
    call_command("verify")
    assert capsys.readouterr().out.strip().endswith("0 violations")


@pytest.mark.parametrize(
    ("sql", "check"),
    [
        ("UPDATE ledger_allocation SET amount = 49000", "payment_balance"),
        ("UPDATE ledger_installment SET paid_principal = 1000", "installment_paid"),
        ("UPDATE ledger_installmentamount SET amount = 1", "installment_amount"),
    ],
)
def test_a_corrupted_row_is_reported_and_exits_1(sql, check, capsys):
    inst = _paid_installment()
    with connection.cursor() as cursor:
        cursor.execute(sql)
    found = ledger_violations(as_of=date(2025, 7, 1))
    assert check in {v.check for v in found}
    with pytest.raises(SystemExit) as exit_:
        call_command("verify", "--json")
    assert exit_.value.code == 1
    assert f'"check": "{check}"' in capsys.readouterr().out
    assert Allocation.objects.filter(installment=inst).exists()


def test_channel_money_counted_twice_is_reported():
    """A 速報 then its 確報 post once; a record pointed at a second payment breaks `channel_once`."""
    inst = make_levy(make_person(), [12_300], [date(2025, 7, 31)]).installments.get()
    assert _import([_event("01", inst)]).ok
    assert _import([_event("02", inst)], name="kakuho.csv").ok
    assert ledger_violations(as_of=date(2025, 8, 1)) == []
    with connection.cursor() as cursor:  # the 速報 made to look posted with the 確報's payment
        cursor.execute("UPDATE payments_channelrecord SET payment_id = (SELECT MAX(id) FROM ledger_payment)")
    found = {(v.check, v.detail) for v in ledger_violations(as_of=date(2025, 8, 1))}
    assert ("channel_once", "a 速報 with a payment") in found
    assert any(check == "channel_once" and "posted by 2 channel records" in detail for check, detail in found)
