"""The small world the access-log tests read and change: one person, one levy, one payment."""

from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.utils import timezone

from choshu.ledger.models import Payment
from choshu.ledger.services import counter_payment_post
from choshu.people.models import Person
from choshu.staff.models import Role
from tests.factories import make_levy, make_person, make_user

ATENA = "710001"


@dataclass
class World:
    person: Person
    payment: Payment
    installment_id: int


@pytest.fixture
def world() -> World:
    today = timezone.localdate()
    person = make_person(atena_no=ATENA)
    levy = make_levy(person, [10_000, 20_000], [today + timedelta(days=20), today + timedelta(days=50)])
    first, second = levy.installments.order_by("installment_no")
    payment = counter_payment_post(
        actor=make_user(Role.CLERK), person=person, installment_ids=[first.pk], amount=10_000, paid_on=today
    )
    return World(person, payment, second.pk)
