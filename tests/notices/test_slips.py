from datetime import date, timedelta

import pytest
from pytest_django import DjangoAssertNumQueries, Settings

from choshu.formats.cvs_barcode import parse_barcode
from choshu.formats.elqr import ChoshuElQrV1, ElQrPayload
from choshu.formats.payeasy import PayEasyKeys, confirmation_matches
from choshu.formats.payment_key import payment_key
from choshu.ledger.services import counter_payment_post
from choshu.notices.slips import reissue_of, slip_deadline, slips_for
from choshu.staff.models import Role
from tests.factories import make_levy, make_person, make_user

pytestmark = pytest.mark.django_db

JUN30, JUL31, SEP1 = date(2025, 6, 30), date(2025, 7, 31), date(2025, 9, 1)


class FixedEncoder:
    """A stand-in encoder, to show the ELQR_ENCODER setting is honoured."""

    def encode(self, *, keys: PayEasyKeys, amount: int, due_date: date | None) -> str:
        return f"TEST:{keys.payment_no}:{amount}:{due_date}"


def test_deadline_and_reissue_rules() -> None:
    assert slip_deadline(due_date=JUN30, as_of=JUN30) == JUN30
    assert slip_deadline(due_date=JUN30, as_of=date(2025, 5, 1)) == JUN30
    assert slip_deadline(due_date=JUN30, as_of=date(2025, 7, 1)) == date(2025, 7, 15)
    assert reissue_of(due_date=JUN30, as_of=JUN30) == 0
    assert reissue_of(due_date=JUN30, as_of=date(2025, 7, 1)) == 1


def test_a_slip_carries_every_key_of_its_installment() -> None:
    person = make_person()
    levy = make_levy(person, [12_300], [JUN30], revenue="light_vehicle", fiscal_year=2025)
    inst = levy.installments.get()
    [slip] = slips_for(person=person, as_of=date(2025, 6, 1))

    assert (slip.installment_id, slip.levy_no, slip.revenue, slip.fiscal_year, slip.installment_no) == (
        inst.pk,
        levy.levy_no,
        "light_vehicle",
        2025,
        1,
    )
    assert (slip.amount, slip.due_date, slip.deadline, slip.reissue) == (12_300, JUN30, JUN30, 0)
    assert slip.revenue_label == "軽自動車税(種別割)"

    key = payment_key(inst.pk)
    assert slip.barcode is not None
    barcode = parse_barcode(slip.barcode)
    assert (barcode.company_code, barcode.free_area, barcode.reissue, barcode.due_date, barcode.amount) == (
        "912345",
        "59919" + key,
        0,
        JUN30,
        12_300,
    )
    assert barcode.biller_key(5) == key

    keys = slip.payeasy
    assert (keys.institution_no, keys.payment_no, keys.category) == ("01131", key, "201")
    assert confirmation_matches(
        secret="slip-test-secret", institution_no="01131", payment_no=key, confirmation_no=keys.confirmation_no
    )
    assert slip.el_no.digits == "01131" + key + keys.confirmation_no + "201"
    assert ChoshuElQrV1().decode(slip.qr) == ElQrPayload(keys=keys, amount=12_300, due_date=JUN30)


def test_only_unpaid_installments_with_their_outstanding_principal() -> None:
    person = make_person()
    levy = make_levy(person, [10_000, 20_000, 30_000], [JUN30, JUL31, SEP1])
    first, second, _third = levy.installments.order_by("installment_no")
    clerk = make_user(Role.CLERK)
    counter_payment_post(actor=clerk, person=person, installment_ids=[first.pk], amount=10_000, paid_on=JUN30)
    counter_payment_post(actor=clerk, person=person, installment_ids=[second.pk], amount=5_000, paid_on=JUN30)

    slips = slips_for(person=person, as_of=JUN30)
    assert [(s.installment_no, s.amount) for s in slips] == [(2, 15_000), (3, 30_000)]
    assert [parse_barcode(s.barcode).amount for s in slips if s.barcode] == [15_000, 30_000]


def test_a_slip_issued_after_the_due_date_is_a_reissue_with_its_own_deadline() -> None:
    person = make_person()
    make_levy(person, [10_000], [JUN30])
    as_of = date(2025, 8, 20)
    [slip] = slips_for(person=person, as_of=as_of)
    assert (slip.due_date, slip.deadline, slip.reissue) == (JUN30, as_of + timedelta(days=14), 1)
    assert slip.barcode is not None
    barcode = parse_barcode(slip.barcode)
    assert (barcode.reissue, barcode.due_date) == (1, date(2025, 9, 3))
    assert ChoshuElQrV1().decode(slip.qr).due_date == date(2025, 9, 3)


def test_no_barcode_above_the_cap(settings: Settings) -> None:
    person = make_person()
    make_levy(person, [300_000, 300_001, 1_500_000], [JUN30, JUL31, SEP1])
    slips = slips_for(person=person, as_of=JUN30)
    assert [s.barcode is not None for s in slips] == [True, False, False]
    assert all(s.qr and s.payeasy for s in slips)  # the other channels still work

    settings.CVS_BARCODE_CAP = 100_000
    assert [s.barcode for s in slips_for(person=person, as_of=JUN30)] == [None, None, None]
    settings.CVS_BARCODE_CAP = 5_000_000  # above what 6 digits hold: the format's own limit applies
    assert [s.barcode is not None for s in slips_for(person=person, as_of=JUN30)] == [True, True, False]


def test_fiscal_year_and_revenue_filters() -> None:
    person = make_person()
    make_levy(person, [1_000], [JUN30], revenue="resident_ordinary", fiscal_year=2024)
    make_levy(person, [2_000], [JUL31], revenue="nhi", fiscal_year=2025)
    make_levy(person, [3_000], [SEP1], revenue="light_vehicle", fiscal_year=2025)
    make_levy(make_person(), [9_000], [JUN30])  # someone else's

    assert [s.amount for s in slips_for(person=person, as_of=JUN30)] == [1_000, 2_000, 3_000]
    assert [s.amount for s in slips_for(person=person, fiscal_year=2025, as_of=JUN30)] == [2_000, 3_000]
    assert [s.amount for s in slips_for(person=person, as_of=JUN30, revenues={"nhi"})] == [2_000]
    assert [s.payeasy.category for s in slips_for(person=person, as_of=JUN30)] == ["101", "301", "201"]


def test_one_query_whatever_the_number_of_installments(django_assert_num_queries: DjangoAssertNumQueries) -> None:
    person = make_person()
    for year in (2023, 2024, 2025):
        make_levy(person, [10_000] * 4, [JUN30, JUL31, SEP1, date(2025, 10, 31)], fiscal_year=year)
    with django_assert_num_queries(1):
        slips = slips_for(person=person, as_of=JUN30)
    assert len(slips) == 12


def test_the_elqr_encoder_is_pluggable(settings: Settings) -> None:
    settings.ELQR_ENCODER = f"{__name__}.FixedEncoder"
    person = make_person()
    inst = make_levy(person, [4_000], [JUN30]).installments.get()
    [slip] = slips_for(person=person, as_of=JUN30)
    assert slip.qr == f"TEST:{payment_key(inst.pk)}:4000:2025-06-30"
