"""The direct-debit loop: our request file, answered by the bank, imported back."""

from dataclasses import replace
from datetime import date

import pytest

from choshu.formats.zengin_debit import parse_request, write_result
from choshu.ledger.models import DebitMandate, Installment
from choshu.ledger.verify import ledger_violations
from choshu.payments.debit import debit_request_build
from choshu.payments.models import ChannelRecord
from choshu.payments.services import channel_file_import
from choshu.staff.models import Role
from tests.factories import make_levy, make_person, make_user

pytestmark = pytest.mark.django_db
DEBIT = date(2026, 4, 30)


def _debtor(amount: int) -> Installment:
    person = make_person()
    DebitMandate.objects.create(
        person=person,
        revenue="resident_ordinary",
        bank_code="0005",
        branch_code="100",
        account_type="1",
        account_no="7654321",
        holder_kana="シンジュク タロウ",
        start_on=date(2025, 4, 1),
    )
    return make_levy(person, [amount], [DEBIT]).installments.get()


def test_a_request_answered_by_the_bank_posts_code_0_and_records_the_others():
    clerk = make_user(Role.CLERK)
    debited, short, stopped = _debtor(10_000), _debtor(20_000), _debtor(30_000)
    request = debit_request_build(actor=clerk, debit_date=DEBIT)
    assert request.count == 3
    read = parse_request(request.data, received_on=DEBIT)
    codes = {10_000: "0", 20_000: "1", 30_000: "8"}
    answered = write_result(read.header, [replace(r, result_code=codes[r.amount]) for r in read.records])

    result = channel_file_import(
        actor=clerk, format="zengin-debit-result", file_name="furikae.txt", data=answered, received_on=date(2026, 5, 2)
    )
    assert result.ok, result.errors
    assert result.counts == {"posted": 1, "not_paid": 2}
    for inst in (debited, short, stopped):
        inst.refresh_from_db()
    assert (debited.balance, short.balance, stopped.balance) == (0, 20_000, 30_000)
    payment = debited.allocations.get().payment
    assert (payment.channel, payment.paid_on) == ("direct_debit", DEBIT)
    reasons = dict(ChannelRecord.objects.filter(outcome="not_paid").values_list("installment_id", "result_text"))
    assert reasons == {short.pk: "資金不足", stopped.pk: "委託者の都合による振替停止"}
    assert ledger_violations(as_of=date(2026, 5, 2)) == []


def test_an_installment_paid_at_a_store_and_not_yet_confirmed_is_not_debited():
    from tests.payments.test_channel_import import _event, _import

    inst = _debtor(10_000)
    assert _import([_event("01", inst, paid_on=date(2026, 4, 20))], received_on=date(2026, 4, 21)).ok
    assert debit_request_build(actor=make_user(Role.CLERK), debit_date=DEBIT).count == 0
