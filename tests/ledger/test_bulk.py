"""`field__in_array`: membership in a list of any length as one parameter, on both databases."""

from datetime import date

import pytest

from choshu.ledger.models import Allocation, Installment, Levy
from tests.factories import make_levy, make_person

pytestmark = pytest.mark.django_db


def test_in_array_on_keys_foreign_keys_and_text() -> None:
    levy = make_levy(make_person(), [1_000, 2_000, 3_000], [date(2025, 6, 30)] * 3)
    first, second, third = levy.installments.order_by("installment_no")
    assert set(Installment.objects.filter(pk__in_array=[first.pk, third.pk, 10**12])) == {first, third}
    assert list(Installment.objects.filter(pk__in_array=[])) == []
    assert Installment.objects.filter(levy_id__in_array=[levy.pk]).count() == 3
    assert list(Levy.objects.filter(levy_no__in_array=[levy.levy_no, "nothing"])) == [levy]
    many = list(range(1, 60_001))  # beyond SQLite's limit of bound parameters in one statement
    assert Installment.objects.filter(pk__in_array=many + [second.pk]).count() == 3
    assert not Allocation.objects.filter(installment_id__in_array=[second.pk]).exists()
