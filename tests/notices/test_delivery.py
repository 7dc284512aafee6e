"""納品検査 by letter number, and 返戻 marking an address unreachable."""

from collections.abc import Callable
from datetime import date

import pytest
from django.core.exceptions import PermissionDenied

from choshu.governance import services
from choshu.governance.models import Contractor, ExportPackage
from choshu.notices.delivery import (
    DeliveryError,
    delivery_inspect,
    describe,
    piece_numbers,
    returned_mail_record,
    unreachable_person_ids,
)
from choshu.notices.demands import demand_dispatch, demand_run
from choshu.notices.models import DemandBatch, DemandLetter, ReturnedMail
from choshu.notices.print_data import EMPLOYERS_DEMAND
from choshu.people.models import Person
from choshu.staff.models import Role, User
from tests.factories import make_levy, make_person, make_user
from tests.governance.conftest import make_contract

pytestmark = pytest.mark.django_db
DUE = date(2025, 6, 30)
ISSUE = date(2025, 7, 15)


def _employers(n: int) -> list[Person]:
    people = []
    for i in range(n):
        employer = make_person(kind="business", birth_date=None, designation_no=f"S{i:04d}", name=f"事業所{i}")
        make_levy(employer, [10_000 + i], [DUE], "resident_special")
        people.append(employer)
    return people


@pytest.fixture
def handed_over(
    clerk: User, supervisor: User, contractor: Contractor, approve: Callable
) -> tuple[ExportPackage, list[int]]:
    """A print export of three employer letters, handed over to the print house."""
    _employers(3)
    batch = DemandBatch.objects.get(pk=demand_run(actor=None, due_on=DUE, issue_date=ISSUE).batch_id)
    contract = make_contract(supervisor, contractor, ISSUE, items=EMPLOYERS_DEMAND.fields, ends_on=date(2099, 3, 31))
    package = services.export_prepare(
        actor=clerk, kind_code=EMPLOYERS_DEMAND.code, contract=contract, keys=[str(batch.pk)], purpose="督促状印字"
    )
    package, _ = approve(package)
    ExportPackage.objects.filter(pk=package.pk).update(state=ExportPackage.State.HANDED_OVER)
    package.refresh_from_db()
    return package, sorted(DemandLetter.objects.filter(batch=batch).values_list("pk", flat=True))


def test_a_complete_delivery_passes(clerk: User, handed_over: tuple[ExportPackage, list[int]]) -> None:
    package, letters = handed_over
    text = "整理番号\r\n" + "".join(f"{n},封入済\r\n" for n in reversed(letters))
    inspection = delivery_inspect(actor=clerk, package=package, pieces=piece_numbers(text)[1:])
    assert inspection.passed and inspection.expected == 3 and inspection.delivered == 3
    assert describe(inspection) == []


def test_missing_extra_and_duplicate_pieces_are_flagged(
    clerk: User, handed_over: tuple[ExportPackage, list[int]]
) -> None:
    package, (first, second, third) = handed_over
    pieces = [str(first), str(first), str(second), "999999", "ABC"]
    inspection = delivery_inspect(actor=clerk, package=package, pieces=pieces)
    assert not inspection.passed
    assert inspection.missing == [third]
    assert inspection.extra == ["999999", "ABC"]
    assert inspection.duplicated == [first]
    assert describe(inspection) == [f"不足 1通: {third}", "該当なし 2件: 999999、ABC", f"重複 1件: {first}"]


def test_inspection_waits_for_the_handover(clerk: User, handed_over: tuple[ExportPackage, list[int]]) -> None:
    package, letters = handed_over
    ExportPackage.objects.filter(pk=package.pk).update(state=ExportPackage.State.APPROVED)
    with pytest.raises(DeliveryError, match="受渡し後"):
        delivery_inspect(actor=clerk, package=package, pieces=[str(letters[0])])


def test_inspection_needs_the_revenue_in_scope(handed_over: tuple[ExportPackage, list[int]]) -> None:
    package, letters = handed_over
    nhi_officer = make_user(Role.OFFICER, scopes=["nhi"], username="kokuho")
    with pytest.raises(PermissionDenied):
        delivery_inspect(actor=nhi_officer, package=package, pieces=[str(letters[0])])


def _dispatched_letter() -> DemandLetter:
    person = make_person(atena_no="300001", address="東京都新宿区若葉1丁目2番3号", address_extra="若葉荘201")
    make_levy(person, [8_000], [DUE], "resident_ordinary")
    batch = DemandBatch.objects.get(pk=demand_run(actor=None, due_on=DUE, issue_date=ISSUE).batch_id)
    demand_dispatch(actor=None, batch=batch)
    return DemandLetter.objects.get(batch=batch)


def test_returned_mail_marks_the_address_unreachable_until_it_changes() -> None:
    clerk = make_user(Role.CLERK, username="shuno")
    letter = _dispatched_letter()
    returned = returned_mail_record(
        actor=clerk, letter_no=str(letter.pk), returned_on=date(2025, 7, 22), reason=ReturnedMail.Reason.MOVED
    )
    assert (returned.address, returned.address_extra) == ("東京都新宿区若葉1丁目2番3号", "若葉荘201")
    assert unreachable_person_ids() == {letter.person_id}
    with pytest.raises(DeliveryError, match="記録済み"):
        returned_mail_record(actor=clerk, letter_no=str(letter.pk), returned_on=date(2025, 7, 23), reason="moved")
    Person.objects.filter(pk=letter.person_id).update(address_extra="若葉荘305")  # the register gives a new one
    assert unreachable_person_ids() == set()


def test_a_return_needs_a_dispatched_letter_in_scope() -> None:
    letter = _dispatched_letter()
    with pytest.raises(DeliveryError, match="整理番号 999999 の督促状がありません"):
        returned_mail_record(actor=make_user(Role.CLERK), letter_no="999999", returned_on=ISSUE, reason="moved")
    with pytest.raises(PermissionDenied):
        returned_mail_record(
            actor=make_user(Role.OFFICER, scopes=["nhi"]), letter_no=str(letter.pk), returned_on=ISSUE, reason="moved"
        )
    with pytest.raises(DeliveryError, match="発送日より前"):
        returned_mail_record(
            actor=make_user(Role.CLERK), letter_no=str(letter.pk), returned_on=date(2025, 1, 1), reason="moved"
        )
