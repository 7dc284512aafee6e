"""Revenue scope on reads (docs/security.md, "Revenue scope"): the search finds, and the ledger
opens, only persons with a levy in the user's revenues; a user holding every revenue is not
restricted."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from choshu.audit.models import AccessLogEntry
from choshu.people.models import Person
from choshu.people.selectors import person_in_scope, person_search
from choshu.staff.models import Role
from tests.factories import ALL_REVENUES, make_levy, make_person, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def city() -> dict[str, Person]:
    due = timezone.localdate() + timedelta(days=30)
    resident = make_person(atena_no="810001", name="住民 一郎", name_kana="ジュウミン イチロウ")
    make_levy(resident, [10_000], [due])
    insured = make_person(atena_no="810002", name="住民 花子", name_kana="ジュウミン ハナコ")
    make_levy(insured, [8_000], [due], revenue="nhi")
    both = make_person(atena_no="810003", name="住民 次郎", name_kana="ジュウミン ジロウ")
    make_levy(both, [5_000], [due], revenue="light_vehicle")
    make_levy(both, [6_000], [due], revenue="nhi")
    member = make_person(atena_no="810004", name="住民 三郎", name_kana="ジュウミン サブロウ")  # no levy
    return {"resident": resident, "insured": insured, "both": both, "member": member}


def _found(query: str, revenues: list[str] | None) -> set[str]:
    return {p.atena_no for p in person_search(query=query, revenues=revenues)}


def test_an_nhi_officer_finds_only_nhi_obligors(city: dict[str, Person]) -> None:
    assert _found("ジュウミン", ["nhi"]) == {"810002", "810003"}
    assert _found("810001", ["nhi"]) == set()  # not even by 宛名番号
    assert _found("ジュウミン", ["resident_ordinary", "resident_special"]) == {"810001"}
    assert _found("ジュウミン", ["light_vehicle", "nhi"]) == {"810002", "810003"}
    assert _found("ジュウミン", []) == set()


def test_every_revenue_is_no_restriction(city: dict[str, Person]) -> None:
    everyone = {"810001", "810002", "810003", "810004"}
    assert _found("ジュウミン", ALL_REVENUES) == everyone  # the member without a levy too
    assert _found("ジュウミン", None) == everyone


def test_person_in_scope(city: dict[str, Person]) -> None:
    assert person_in_scope(person=city["both"], revenues=["nhi"])
    assert not person_in_scope(person=city["resident"], revenues=["nhi"])
    assert not person_in_scope(person=city["member"], revenues=["nhi", "light_vehicle"])
    assert person_in_scope(person=city["member"], revenues=ALL_REVENUES)


def test_the_search_screen_keeps_to_the_scope_and_logs_what_it_listed(client: Client, city: dict[str, Person]) -> None:
    client.force_login(make_user(Role.NHI_OFFICER, ["nhi"]))
    body = client.get("/search/", {"q": "ジュウミン"}).content.decode()
    assert "住民 花子" in body and "住民 次郎" in body
    assert "住民 一郎" not in body and "810001" not in body and "住民 三郎" not in body
    entry = AccessLogEntry.objects.order_by("-seq").first()
    assert entry is not None and entry.action == "search"
    assert set(entry.subjects) == {f"person:{city['insured'].pk}", f"person:{city['both'].pk}"}


def test_the_ledger_of_a_person_outside_the_scope_is_not_found(client: Client, city: dict[str, Person]) -> None:
    client.force_login(make_user(Role.NHI_OFFICER, ["nhi"]))
    before = AccessLogEntry.objects.count()
    for url in ("/persons/810001/", "/persons/810004/"):
        response = client.get(url)
        assert response.status_code == 404 and "住民" not in response.content.decode()
    assert AccessLogEntry.objects.count() == before  # nothing shown, nothing logged
    assert client.get("/persons/810003/").status_code == 200
    client.force_login(make_user(Role.CLERK, ["resident_ordinary"]))
    assert client.get("/persons/810001/counter/").status_code == 200
    assert client.get("/persons/810002/counter/").status_code == 404


def test_a_person_with_no_levy_opens_for_a_user_holding_every_revenue(client: Client, city: dict[str, Person]) -> None:
    client.force_login(make_user(Role.OFFICER, ALL_REVENUES))
    assert client.get("/persons/810004/").status_code == 200
