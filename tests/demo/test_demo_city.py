"""The demo city generator (`choshu seed`): determinism, realism and the ledger invariants."""

from collections import defaultdict
from datetime import date
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db.models import Count, F, Max, Q, Sum

from choshu.demo import names, ward
from choshu.demo.city import CityGenerator, CityParams, nominal_due_dates, split_amount
from choshu.demo.services import city_seed
from choshu.ledger.models import (
    Allocation,
    DebitMandate,
    Installment,
    InstallmentAmount,
    Levy,
    LevyRevision,
    Overpayment,
    Payment,
)
from choshu.people.kana import kana_key
from choshu.people.models import Household, Person
from choshu.rules.calendar import shift_due_date
from choshu.rules.latefee import compute_late_fee
from choshu.rules.revenue import REVENUES
from tests.factories import make_person

TODAY = date(2026, 11, 25)


def _snapshot() -> tuple[list[tuple[object, ...]], list[tuple[object, ...]], list[tuple[object, ...]]]:
    persons = list(
        Person.objects.order_by("atena_no").values_list("atena_no", "name", "name_kana", "birth_date", "address")
    )
    installments = list(
        Installment.objects.order_by("levy__levy_no", "installment_no").values_list(
            "levy__levy_no", "levy__person__atena_no", "installment_no", "due_date", "amount", "paid_principal"
        )
    )
    payments = list(
        Payment.objects.order_by("person__atena_no", "paid_on", "amount", "channel").values_list(
            "person__atena_no", "channel", "amount", "paid_on", "accounted_on"
        )
    )
    return persons, installments, payments


def _delete_city() -> None:
    for model in (
        Allocation,
        Overpayment,
        Payment,
        DebitMandate,
        InstallmentAmount,
        Installment,
        LevyRevision,
        Levy,
        Person,
        Household,
    ):
        model.objects.all().delete()


def test_corporate_number_check_digit() -> None:
    assert names.corporate_number("000012050002") == "7000012050002"  # 国税庁
    assert names.is_valid_corporate_number("7000012050002")
    assert not names.is_valid_corporate_number("6000012050002")


def test_split_amount_sends_the_remainder_to_installment_one() -> None:
    assert split_amount(123_456, 4, 1000) == [33_456, 30_000, 30_000, 30_000]
    assert split_amount(60_050, 10, 100) == [6_050, 6_000, 6_000, 6_000, 6_000, 6_000, 6_000, 6_000, 6_000, 6_000]
    assert sum(split_amount(987_600, 12, 100)) == 987_600


def test_nominal_due_dates_per_revenue() -> None:
    assert nominal_due_dates("resident_ordinary", 2025) == [
        date(2025, 6, 30),
        date(2025, 8, 31),
        date(2025, 10, 31),
        date(2026, 1, 31),
    ]
    nhi = nominal_due_dates("nhi", 2027)
    assert len(nhi) == 10 and nhi[0] == date(2027, 6, 30)
    assert nhi[8] == date(2028, 2, 29) and nhi[9] == date(2028, 3, 31)
    special = nominal_due_dates("resident_special", 2025)
    assert len(special) == 12 and special[0] == date(2025, 7, 10) and special[-1] == date(2026, 6, 10)
    assert nominal_due_dates("light_vehicle", 2026) == [date(2026, 5, 31)]


def test_generator_is_deterministic_for_a_seed() -> None:
    def rows(seed: int) -> dict[str, list[tuple[object, ...]]]:
        generator = CityGenerator(CityParams(persons=400, seed=seed, today=TODAY, chunk_size=150), {})
        merged: dict[str, list[tuple[object, ...]]] = defaultdict(list)
        for chunk in generator.chunks():
            for table, table_rows in chunk.items():
                merged[table].extend(table_rows)
        return merged

    first, again, other = rows(7), rows(7), rows(8)
    assert first == again
    assert len(first["person"]) == 400
    assert [r[3] for r in first["person"]] != [r[3] for r in other["person"]]


def test_names_and_kana_come_from_the_same_pair() -> None:
    last = {kanji: kana for kanji, kana, _ in names.LAST_NAMES_WEIGHTED}
    first = {"1": dict(names.MALE_FIRST), "2": dict(names.FEMALE_FIRST)}
    generator = CityGenerator(CityParams(persons=500, seed=3, today=TODAY), {})
    persons = [row for chunk in generator.chunks() for row in chunk["person"]]
    individuals = [p for p in persons if p[2] == "individual"]
    assert len(individuals) > 400
    for _, _, _, name, kana, key, _, sex, *_ in individuals:
        last_kanji, first_kanji = str(name).split(" ")
        assert kana == f"{last[last_kanji]} {first[str(sex)][first_kanji]}"
        assert key == kana_key(str(kana))
    businesses = [p for p in persons if p[2] == "business"]
    assert businesses
    for business in businesses:
        assert names.is_valid_corporate_number(str(business[16]))


@pytest.mark.django_db
def test_small_city_keeps_every_ledger_invariant() -> None:
    report = city_seed(persons=300, seed=11, today=TODAY, chunk_size=120)
    assert Person.objects.count() == 300 == report.counts["person"]
    assert report.fiscal_years == (2024, 2025, 2026)

    # payment.amount = Σ allocations + Σ overpayments (no suspense in the demo city)
    allocated = dict(Allocation.objects.values_list("payment_id").annotate(s=Sum("amount")))
    overpaid = dict(Overpayment.objects.values_list("payment_id").annotate(s=Sum("amount")))
    payments = list(Payment.objects.values_list("id", "amount"))
    assert payments
    for payment_id, amount in payments:
        assert amount > 0
        assert amount == allocated.get(payment_id, 0) + overpaid.get(payment_id, 0)

    # installment: 0 ≤ paid_principal = Σ principal allocations ≤ amount
    principal = dict(
        Allocation.objects.filter(kind="principal").values_list("installment_id").annotate(s=Sum("amount"))
    )
    installments = list(Installment.objects.values_list("id", "amount", "paid_principal", "due_date"))
    for installment_id, amount, paid, due in installments:
        assert paid == principal.get(installment_id, 0)
        assert 0 <= paid <= amount
        if due >= TODAY:
            assert paid == 0
    assert Installment.objects.filter(paid_principal__gt=0).exists()

    # allocations take effect on the payment's paid_on; payments are dated up to today
    assert Allocation.objects.exclude(effective_on=F("payment__paid_on")).count() == 0
    assert not Payment.objects.filter(Q(paid_on__gt=TODAY) | Q(accounted_on__lt=F("paid_on"))).exists()

    # due dates: shifted past closed days; legal due date = due date
    for nominal, due, legal in Installment.objects.values_list("nominal_due_date", "due_date", "legal_due_date"):
        assert due == legal == shift_due_date(nominal)

    # the latest revision's amounts are the installment amounts; revision 0 exists for every levy
    assert LevyRevision.objects.filter(revision_no=0).count() == Levy.objects.count()
    assert InstallmentAmount.objects.filter(revision__revision_no=0).count() == Installment.objects.count()
    latest = {
        row["installment_id"]: row["last"]
        for row in InstallmentAmount.objects.values("installment_id").annotate(last=Max("revision__revision_no"))
    }
    amounts = {
        (i, r): a
        for i, r, a in InstallmentAmount.objects.values_list("installment_id", "revision__revision_no", "amount")
    }
    for installment_id, amount, _, _ in installments:
        assert amounts[installment_id, latest[installment_id]] == amount
    revised = LevyRevision.objects.filter(revision_no=1)
    assert revised.exists()
    assert not revised.filter(revised_on__isnull=True).exists()

    # late fees: only on fully paid installments, after the principal, no more than the fixed fee
    for allocation in Allocation.objects.filter(kind="late_fee").select_related("installment__levy"):
        installment = allocation.installment
        assert installment.paid_principal == installment.amount
        principal_rows = list(
            Allocation.objects.filter(installment=installment, kind="principal").values_list("effective_on", "amount")
        )
        assert max(d for d, _ in principal_rows) <= allocation.effective_on
        fee = compute_late_fee(
            principal=installment.amount,
            due_date=installment.due_date,
            payments=principal_rows,
            first_tier_months=REVENUES[installment.levy.revenue].first_tier_months,
        )
        assert fee.fixed and 0 < allocation.amount <= fee.amount

    # at least one double payment left as an overpayment
    overpayment = Overpayment.objects.select_related("payment").first()
    assert overpayment is not None
    assert overpayment.reason == "excess" and overpayment.amount == overpayment.payment.amount


@pytest.mark.django_db
def test_city_shape_addresses_levies_and_direct_debit() -> None:
    city_seed(persons=600, seed=5, today=TODAY)
    towns = {town: postal for town, postal, _, _ in ward.TOWNS}
    residents = Person.objects.filter(kind="individual", residency="resident")
    for postal, address in residents.values_list("postal_code", "address"):
        rest = address.removeprefix(ward.WARD)
        assert rest != address
        town = max((t for t in towns if rest.startswith(t)), key=len)
        assert towns[town] == postal
    moved = Person.objects.filter(residency="moved_out")
    assert moved.exists()
    assert not moved.filter(moved_out_on__isnull=True).exists()
    assert not moved.filter(address__startswith=ward.WARD).exists()
    heads = Person.objects.filter(is_household_head=True)
    assert heads.count() == Household.objects.count()

    employers = Person.objects.filter(kind="business", designation_no__isnull=False)
    assert employers.exists()
    assert set(Levy.objects.filter(revenue="resident_special").values_list("person__kind", flat=True)) == {"business"}
    assert not Levy.objects.filter(revenue="nhi", person__is_household_head=False).exists()
    per_levy = set(Levy.objects.annotate(n=Count("installments")).values_list("revenue", "n"))
    assert per_levy == {("resident_ordinary", 4), ("nhi", 10), ("resident_special", 12), ("light_vehicle", 1)}

    # direct debit: paid exactly on the due date, by a person with a mandate for that revenue
    debits = Allocation.objects.filter(payment__channel="direct_debit").select_related("payment", "installment__levy")
    assert debits.exists()
    mandates = set(DebitMandate.objects.values_list("person_id", "revenue"))
    for allocation in debits:
        assert allocation.payment.paid_on == allocation.installment.due_date
        assert (allocation.payment.person_id, allocation.installment.levy.revenue) in mandates


@pytest.mark.django_db
def test_delinquent_share_of_persons_is_five_to_eight_percent() -> None:
    report = city_seed(persons=2000, seed=1, today=TODAY)
    in_arrears = (
        Installment.objects.filter(due_date__lt=TODAY, paid_principal__lt=F("amount"))
        .values("levy__person_id")
        .distinct()
        .count()
    )
    assert in_arrears == report.stats.delinquent
    assert 0.05 <= in_arrears / 2000 <= 0.08
    assert Allocation.objects.filter(kind="late_fee").exists()


@pytest.mark.django_db
def test_same_seed_gives_the_same_city_in_the_database() -> None:
    city_seed(persons=250, seed=42, today=TODAY, chunk_size=100)
    first = _snapshot()
    _delete_city()
    city_seed(persons=250, seed=42, today=TODAY, chunk_size=100)
    assert _snapshot() == first
    assert len(first[0]) == 250 and first[1] and first[2]


@pytest.mark.django_db
def test_seed_command_prints_counts_and_refuses_a_populated_database() -> None:
    out = StringIO()
    call_command("seed", persons=120, seed=2, today=TODAY, stdout=out, stderr=StringIO())
    text = out.getvalue()
    assert "fiscal years 2024, 2025, 2026" in text
    assert "person" in text and "installment" in text and "elapsed" in text
    assert Person.objects.count() == 120
    with pytest.raises(CommandError) as error:
        call_command("seed", persons=10, today=TODAY, stdout=StringIO(), stderr=StringIO())
    assert error.value.returncode == 2
    assert Person.objects.count() == 120
    kept = StringIO()
    call_command("seed", persons=10, today=TODAY, if_empty=True, stdout=kept, stderr=StringIO())
    assert "demo city kept" in kept.getvalue() and Person.objects.count() == 120
    # ids were set explicitly: the id sequences (PostgreSQL) must have moved past them
    make_person()
    assert Person.objects.count() == 121
