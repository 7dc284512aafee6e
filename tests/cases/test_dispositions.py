"""Deferrals (猶予), seizures (差押) and suspensions (執行停止): four eyes, the letters they hold
back, the late-fee waivers they give, the limitation events they record, collection as a payment."""

from datetime import date, timedelta

import pytest
from django.core.exceptions import PermissionDenied

from choshu.cases.deferrals import deferral_cancel, deferral_decide, deferral_request
from choshu.cases.limitation import limitation_run
from choshu.cases.models import Case, Deferral, InstallmentLimitation, LimitationEvent, Seizure, Suspension
from choshu.cases.seizures import seizure_collect, seizure_record, seizure_release
from choshu.cases.services import CaseError
from choshu.cases.suspensions import (
    suspension_cancel,
    suspension_decide,
    suspension_extinction_run,
    suspension_extinguish_now,
)
from choshu.ledger.models import Channel, Installment, LateFeeWaiver, Payment
from choshu.ledger.selectors import installment_lines
from choshu.notices.demands import demand_selection
from choshu.people.models import Person
from choshu.staff.models import Role, User
from tests.factories import make_levy, make_person, make_user

pytestmark = pytest.mark.django_db
DUE = date(2024, 6, 30)


def _case(amounts: tuple[int, ...] = (100_000,), due: date = DUE, revenue: str = "resident_ordinary") -> Case:
    person = make_person()
    make_levy(person, list(amounts), [due] * len(amounts), revenue=revenue)
    case = Case.objects.create(person=person, opened_on=due + timedelta(days=60))
    case.revenues.create(revenue=revenue)
    return case


def _installments(person: Person) -> list[Installment]:
    return list(Installment.objects.filter(levy__person=person).select_related("levy").order_by("pk"))


def _late_fee(inst: Installment, as_of: date) -> int:
    [line] = installment_lines([Installment.objects.select_related("levy").get(pk=inst.pk)], as_of=as_of)
    return line.late_fee


@pytest.fixture
def officer() -> User:
    return make_user(Role.OFFICER, ["resident_ordinary", "light_vehicle"])


@pytest.fixture
def boss() -> User:
    return make_user(Role.SUPERVISOR)


def test_a_collection_deferral_needs_a_second_person_and_waives_the_fee(officer: User, boss: User) -> None:
    case = _case()
    [inst] = _installments(case.person)
    before = _late_fee(inst, date(2025, 6, 30))
    deferral = deferral_request(
        actor=officer,
        case=case,
        kind=Deferral.Kind.COLLECTION,
        ground=Deferral.Ground.ILLNESS,
        applied_on=date(2024, 9, 1),
        starts_on=date(2024, 9, 1),
        ends_on=date(2025, 2, 28),
    )
    assert deferral.waiver == Deferral.Waiver.FULL and deferral.state == Deferral.State.REQUESTED
    assert LimitationEvent.objects.get(source=f"deferral:{deferral.pk}").kind == "acknowledgement"
    with pytest.raises(PermissionDenied):
        deferral_decide(actor=officer, deferral=deferral, approve=True)  # not a supervisor
    requester_boss = make_user(Role.SUPERVISOR)
    own = deferral_request(
        actor=requester_boss,
        case=_case(),
        kind=Deferral.Kind.COLLECTION,
        ground=Deferral.Ground.DISASTER,
        applied_on=date(2024, 9, 1),
        starts_on=date(2024, 9, 1),
        ends_on=date(2024, 12, 31),
    )
    with pytest.raises(PermissionDenied, match="起案者"):
        deferral_decide(actor=requester_boss, deferral=own, approve=True)
    deferral_decide(actor=boss, deferral=deferral, approve=True)
    [waiver] = LateFeeWaiver.objects.filter(source=f"deferral:{deferral.pk}")
    assert (waiver.starts_on, waiver.ends_on, waiver.kind) == (date(2024, 9, 1), date(2025, 2, 28), "full")
    assert _late_fee(inst, date(2025, 6, 30)) < before
    deferral_cancel(actor=boss, deferral=deferral, cancelled_on=date(2024, 12, 1), reason="資力の回復")
    waiver.refresh_from_db()
    assert waiver.ends_on == date(2024, 11, 30)


def test_grounds_set_the_waiver_and_the_application_period_is_checked(officer: User) -> None:
    half = deferral_request(
        actor=officer,
        case=_case(),
        kind=Deferral.Kind.COLLECTION,
        ground=Deferral.Ground.BUSINESS_LOSS,
        applied_on=date(2024, 8, 1),
        starts_on=date(2024, 8, 1),
        ends_on=date(2025, 7, 31),
    )
    assert half.waiver == Deferral.Waiver.HALF
    with pytest.raises(CaseError, match="1年以内"):
        deferral_request(
            actor=officer,
            case=_case(),
            kind=Deferral.Kind.COLLECTION,
            ground=Deferral.Ground.ILLNESS,
            applied_on=date(2024, 8, 1),
            starts_on=date(2024, 8, 1),
            ends_on=date(2025, 8, 1),
        )
    with pytest.raises(CaseError, match="6か月を過ぎた"):
        deferral_request(
            actor=officer,
            case=_case(),
            kind=Deferral.Kind.REALISATION_APPLIED,
            ground=Deferral.Ground.HARDSHIP,
            applied_on=date(2025, 1, 2),  # due 2024-07-01 (6/30 was a Sunday): the last day was 2025-01-01
            starts_on=date(2025, 1, 2),
            ends_on=date(2025, 6, 30),
        )
    with pytest.raises(CaseError, match="組合せ"):
        deferral_request(
            actor=officer,
            case=_case(),
            kind=Deferral.Kind.REALISATION,
            ground=Deferral.Ground.ILLNESS,
            starts_on=date(2024, 8, 1),
            ends_on=date(2024, 12, 31),
        )


def test_no_demand_during_a_collection_deferral(officer: User, boss: User) -> None:
    due = date.today() - timedelta(days=5)
    case = _case(due=due)
    other = make_person()
    make_levy(other, [5_000], [due])
    deferral = deferral_request(
        actor=officer,
        case=case,
        kind=Deferral.Kind.COLLECTION,
        ground=Deferral.Ground.DISASTER,
        applied_on=due + timedelta(days=1),
        starts_on=due + timedelta(days=1),
        ends_on=due + timedelta(days=120),
    )
    assert {letter.person_id for letter in demand_selection(due_on=due, revenues=["resident_ordinary"])} == {
        case.person_id,
        other.pk,
    }  # requested, not yet approved
    deferral_decide(actor=boss, deferral=deferral, approve=True)
    assert [letter.person_id for letter in demand_selection(due_on=due, revenues=["resident_ordinary"])] == [other.pk]


def test_a_seizure_is_collected_as_a_payment_and_its_limitation_event_ends(officer: User, boss: User) -> None:
    case = _case((60_000, 40_000))
    first, second = _installments(case.person)
    seizure = seizure_record(
        actor=officer,
        case=case,
        property=Seizure.Property.DEPOSIT,
        description="新宿銀行 本店 普通 1234567",
        third_party="株式会社新宿銀行",
        amount=100_000,
        seized_on=date(2025, 3, 3),
    )
    events = LimitationEvent.objects.filter(source=f"seizure:{seizure.pk}")
    assert sorted(e.installment_id for e in events) == [first.pk, second.pk] and all(e.until is None for e in events)
    seizure_collect(actor=officer, seizure=seizure, amount=70_000, collected_on=date(2025, 3, 24))
    payment = Payment.objects.get()
    assert payment.channel == Channel.SEIZURE and payment.reference == f"seizure:{seizure.pk}"
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.paid_principal, second.paid_principal) == (60_000, 10_000)  # oldest first
    seizure.refresh_from_db()
    assert seizure.state == Seizure.State.IN_FORCE and seizure.collected == 70_000
    seizure_collect(actor=officer, seizure=seizure, amount=30_000, collected_on=date(2025, 4, 21))
    seizure.refresh_from_db()
    assert seizure.state == Seizure.State.COLLECTED and seizure.ended_on == date(2025, 4, 21)
    assert all(e.until == date(2025, 4, 21) for e in LimitationEvent.objects.filter(source=f"seizure:{seizure.pk}"))


def test_release_is_for_a_supervisor(officer: User, boss: User) -> None:
    case = _case()
    seizure = seizure_record(
        actor=officer,
        case=case,
        property="vehicle",
        description="軽自動車 品川480あ1234",
        amount=50_000,
        seized_on=date(2025, 1, 10),
    )
    with pytest.raises(PermissionDenied):
        seizure_release(actor=officer, seizure=seizure, released_on=date(2025, 2, 1), reason="納付誓約")
    seizure_release(actor=boss, seizure=seizure, released_on=date(2025, 2, 1), reason="納付誓約")
    assert LimitationEvent.objects.get(source=f"seizure:{seizure.pk}").until == date(2025, 2, 1)


def test_a_suspension_waives_the_fee_blocks_seizure_and_releases_under_ground_two(officer: User, boss: User) -> None:
    case = _case()
    seizure = seizure_record(
        actor=officer,
        case=case,
        property="salary",
        description="給与",
        third_party="株式会社新宿",
        amount=30_000,
        seized_on=date(2024, 10, 1),
    )
    with pytest.raises(PermissionDenied):
        suspension_decide(actor=officer, case=case, ground=2, started_on=date(2024, 11, 1), reason="生活保護受給")
    suspension = suspension_decide(
        actor=boss,
        case=case,
        ground=2,
        started_on=date(2024, 11, 1),
        notified_on=date(2024, 11, 5),
        reason="生活保護受給",
    )
    seizure.refresh_from_db()
    assert seizure.state == Seizure.State.RELEASED and seizure.ended_on == date(2024, 11, 1)
    [waiver] = LateFeeWaiver.objects.filter(source=f"suspension:{suspension.pk}")
    assert (waiver.starts_on, waiver.ends_on, waiver.kind) == (date(2024, 11, 1), None, "full")
    with pytest.raises(CaseError, match="執行停止中"):
        seizure_record(
            actor=officer, case=case, property="deposit", description="預金", amount=1_000, seized_on=date(2025, 1, 6)
        )
    suspension_cancel(actor=boss, suspension=suspension, cancelled_on=date(2025, 4, 1), reason="就職")
    waiver.refresh_from_db()
    assert waiver.ends_on == date(2025, 3, 31)


def test_three_years_of_suspension_extinguish_and_the_limitation_batch_says_so(boss: User) -> None:
    case = _case(due=date(2023, 6, 30))
    suspension = suspension_decide(actor=boss, case=case, ground=1, started_on=date(2023, 9, 1), reason="財産なし")
    assert suspension_extinction_run(actor=None, as_of=date(2026, 9, 1)).extinguished == 0
    result = suspension_extinction_run(actor=None, as_of=date(2026, 9, 2))
    suspension.refresh_from_db()
    assert result.extinguished == 1 and suspension.extinguished_on == date(2026, 9, 2)
    limitation_run(actor=None, as_of=date(2026, 9, 2))
    [stored] = InstallmentLimitation.objects.all()
    assert (stored.extinguished_on, stored.ground) == (date(2026, 9, 2), "suspension")  # before 2028-06-30


def test_immediate_extinction_only_under_ground_one(boss: User) -> None:
    hardship = suspension_decide(actor=boss, case=_case(), ground=2, started_on=date(2025, 1, 6), reason="病気療養")
    with pytest.raises(CaseError, match="1号"):
        suspension_extinguish_now(actor=boss, suspension=hardship, on=date(2025, 2, 1), reason="x")
    case = _case()
    none = suspension_decide(actor=boss, case=case, ground=1, started_on=date(2025, 1, 6), reason="法人の解散")
    suspension_extinguish_now(actor=boss, suspension=none, on=date(2025, 2, 3), reason="清算結了")
    none.refresh_from_db()
    assert none.state == Suspension.State.EXTINGUISHED and none.immediate
    limitation_run(actor=None, as_of=date(2025, 2, 3))
    stored = InstallmentLimitation.objects.get(installment__levy__person=case.person)
    assert (stored.extinguished_on, stored.ground) == (date(2025, 2, 3), "immediate")
