"""Random sequences of levies, revisions, payments, imports, reversals, appropriations and refunds keep every
invariant."""

from contextlib import contextmanager
from datetime import date, timedelta

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from choshu.formats import cvs_csv
from choshu.formats.cvs_barcode import build_barcode, free_area
from choshu.formats.payment_key import payment_key
from choshu.ledger.models import Installment, Overpayment, Payment
from choshu.ledger.postings import Posting, payments_post
from choshu.ledger.services import (
    LedgerError,
    counter_payment_post,
    levy_revise,
    overpayment_appropriate,
    overpayment_refund,
    payment_hold_in_suspense,
    payment_reverse,
    suspense_resolve,
)
from choshu.ledger.verify import ledger_violations
from choshu.payments.services import channel_file_import
from choshu.staff.models import Role
from tests.factories import make_levy, make_person, make_user

START = date(2025, 4, 1)
DUES = [date(2025, 6, 30), date(2025, 8, 31), date(2025, 10, 31), date(2026, 1, 31)]

op = st.one_of(
    st.tuples(st.just("pay"), st.integers(0, 3), st.integers(1, 150_000), st.integers(0, 300), st.integers(1, 15)),
    st.tuples(st.just("revise"), st.integers(0, 3), st.lists(st.integers(0, 80_000), min_size=4, max_size=4)),
    st.tuples(st.just("reverse"), st.integers(0, 50)),
    st.tuples(st.just("appropriate"), st.integers(0, 50), st.integers(0, 300)),
    st.tuples(st.just("refund"), st.integers(0, 50), st.integers(0, 400)),
    st.tuples(st.just("suspense"), st.integers(1, 100_000), st.integers(0, 300), st.integers(0, 3)),
    st.tuples(
        st.just("import"),  # a convenience-store file: 速報, 確報 or 取消 of earlier or new till payments
        st.lists(
            st.tuples(st.sampled_from(["01", "02", "03"]), st.integers(0, 7), st.integers(0, 5)), min_size=1, max_size=5
        ),
        st.integers(0, 300),
    ),
    st.tuples(
        st.just("channel"),
        st.lists(st.tuples(st.integers(-1, 7), st.integers(1, 120_000), st.integers(0, 300)), min_size=1, max_size=4),
    ),
)


@contextmanager
def rolled_back():
    with transaction.atomic():
        yield
        transaction.set_rollback(True)


@pytest.mark.django_db
@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(op, min_size=1, max_size=12))
def test_invariants_hold_after_every_service_call(ops):
    with rolled_back():
        clerk = make_user(Role.CLERK)
        boss = make_user(Role.SUPERVISOR)
        person = make_person()
        levies = [make_levy(person, [30_000, 30_000, 30_000, 30_000], DUES, fiscal_year=2025) for _ in range(2)]
        revision = {lv.pk: 0 for lv in levies}
        installments = list(Installment.objects.filter(levy__in=levies).order_by("pk"))
        for step in ops:
            try:
                if step[0] == "pay":
                    _, which, amount, day, mask = step
                    chosen = [i.pk for n, i in enumerate(installments) if mask >> (n % 4) & 1] or [
                        installments[which].pk
                    ]
                    counter_payment_post(
                        actor=clerk,
                        person=person,
                        installment_ids=chosen,
                        amount=amount,
                        paid_on=START + timedelta(days=day),
                    )
                elif step[0] == "revise":
                    _, which, amounts = step
                    levy = levies[which % 2]
                    revision[levy.pk] += 1
                    levy_revise(
                        actor=None,
                        levy=levy,
                        revision_no=revision[levy.pk],
                        revised_on=START + timedelta(days=100),
                        installments={n + 1: (DUES[n], a) for n, a in enumerate(amounts)},
                    )
                elif step[0] == "reverse":
                    payments = list(Payment.objects.filter(reverses__isnull=True).order_by("pk"))
                    if payments:
                        payment_reverse(actor=boss, payment=payments[step[1] % len(payments)], reason="訂正")
                elif step[0] == "appropriate":
                    overs = list(Overpayment.objects.filter(reverses__isnull=True).order_by("pk"))
                    if overs:
                        overpayment_appropriate(
                            actor=None,
                            overpayment=overs[step[1] % len(overs)],
                            decided_on=START + timedelta(days=step[2]),
                        )
                elif step[0] == "refund":
                    overs = list(Overpayment.objects.filter(reverses__isnull=True).order_by("pk"))
                    if overs:
                        overpayment_refund(
                            actor=boss,
                            overpayment=overs[step[1] % len(overs)],
                            decided_on=START + timedelta(days=step[2]),
                        )
                elif step[0] == "suspense":
                    _, amount, day, which = step
                    held = payment_hold_in_suspense(
                        actor=None,
                        channel="bank",
                        amount=amount,
                        paid_on=START + timedelta(days=day),
                        accounted_on=START + timedelta(days=day + 2),
                        reference="t",
                        reason="宛名不明",
                    )
                    suspense_resolve(
                        actor=clerk,
                        suspense=held.suspense.get(),
                        person=person,
                        installment_ids=[installments[which].pk],
                    )
                elif step[0] == "channel":  # channel money, back-dated or not; -1 = a key that names nothing
                    payments_post(
                        actor=None,
                        postings=[
                            Posting(
                                channel="cvs",
                                amount=amount,
                                paid_on=START + timedelta(days=day),
                                reference="p",
                                installment_id=installments[which].pk if which >= 0 else None,
                            )
                            for which, amount, day in step[1]
                        ],
                        accounted_on=START + timedelta(days=301),
                    )
                elif step[0] == "import":
                    _, records, day = step
                    events = [
                        cvs_csv.make_event(
                            data_type=data_type,
                            barcode=build_barcode(
                                company_code="912345",
                                free_area=free_area(prefix="59919", key=payment_key(installments[which].pk)),
                                reissue=0,
                                due_date=None,
                                amount=10_000 + till * 1_000,
                            ),
                            paid_on=START + timedelta(days=day),
                            paid_time=f"{till:04d}",
                            settles_on=START + timedelta(days=day + 4) if data_type == "02" else None,
                        )
                        for data_type, which, till in records
                    ]
                    channel_file_import(
                        actor=clerk,
                        format="cvs-csv",
                        file_name="t.csv",
                        data=cvs_csv.dump(events),
                        received_on=START + timedelta(days=301),
                    )
            except LedgerError:
                pass  # a refused call must leave the ledger as it was; the checks below see that too
            assert ledger_violations(as_of=date(2026, 3, 31)) == []
            assert not Installment.objects.filter(paid_principal__gt=0, amount__lt=0).exists()
            for inst in Installment.objects.all():
                assert 0 <= inst.paid_principal <= inst.amount
