"""Screens of 督促: the authorisation matrix (role × revenue scope) over every URL of
choshu.notices.urls, the batch from dry run to dispatch, the letter PDF, 返戻 and 納品検査, and the
access log of the screens that show persons."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import URLPattern, reverse

from choshu.audit.models import AccessLogEntry
from choshu.governance import services
from choshu.governance.models import Contractor, ExportPackage
from choshu.notices import urls
from choshu.notices.demands import demand_dispatch, demand_run
from choshu.notices.models import DeliveryInspection, DemandBatch, DemandLetter, ReturnedMail
from choshu.notices.print_data import EMPLOYERS_DEMAND
from choshu.people.models import Person
from choshu.staff.models import Role, User
from tests.factories import ALL_REVENUES, make_levy, make_person, make_user
from tests.governance.conftest import make_contract

pytestmark = pytest.mark.django_db

POSTERS: set[str] = {Role.CLERK, Role.SUPERVISOR}
DUE = date(2025, 6, 30)
ISSUE = date(2025, 7, 15)

# name → (method, roles allowed with every revenue in scope, allowed with an NHI-only scope).
# An NHI-only poster opens the lists; a batch or export of other revenues is not found for them (404).
MATRIX: dict[str, tuple[str, set[str], bool]] = {
    "notices_demands": ("get", POSTERS, True),
    "notices_demand_batch": ("get", POSTERS, False),
    "notices_demand_letter_pdf": ("get", POSTERS, False),
    "notices_returned_mail": ("get", POSTERS, True),
    "notices_inspection": ("get", POSTERS, False),
}


@dataclass
class World:
    person: Person
    employer: Person
    batch: DemandBatch
    letter: DemandLetter
    package: ExportPackage


def _owing() -> tuple[Person, Person]:
    person = make_person(atena_no="810001", name="督促 一郎", name_kana="トクソク イチロウ")
    make_levy(person, [12_300, 4_000], [DUE, DUE], revenue="resident_ordinary")
    employer = make_person(kind="business", birth_date=None, designation_no="S7001", name="株式会社督促商会")
    make_levy(employer, [30_000], [DUE], revenue="resident_special")
    return person, employer


@pytest.fixture
def world(clerk: User, supervisor: User, contractor: Contractor, approve: Callable) -> World:
    person, employer = _owing()
    batch = DemandBatch.objects.get(pk=demand_run(actor=None, due_on=DUE, issue_date=ISSUE).batch_id)
    contract = make_contract(supervisor, contractor, ISSUE, items=EMPLOYERS_DEMAND.fields, ends_on=date(2099, 3, 31))
    package = services.export_prepare(
        actor=clerk, kind_code=EMPLOYERS_DEMAND.code, contract=contract, keys=[str(batch.pk)], purpose="督促状印字"
    )
    package, _ = approve(package)
    ExportPackage.objects.filter(pk=package.pk).update(state=ExportPackage.State.HANDED_OVER)
    return World(person, employer, batch, DemandLetter.objects.get(batch=batch, person=person), package)


def _url(name: str, w: World) -> str:
    if name == "notices_demand_batch":
        return reverse(name, args=[w.batch.pk])
    if name == "notices_demand_letter_pdf":
        return reverse(name, args=[w.batch.pk, w.letter.pk])
    if name == "notices_inspection":
        return reverse(name, args=[w.package.pk])
    return reverse(name)


def test_every_notices_url_is_in_the_matrix() -> None:
    assert {p.name for p in urls.urlpatterns if isinstance(p, URLPattern)} == set(MATRIX)


@pytest.mark.parametrize("name", sorted(MATRIX))
@pytest.mark.parametrize("role", list(Role))
@pytest.mark.parametrize("scopes", ["all", "nhi", "none"])
def test_role_and_scope(client: Client, world: World, name: str, role: str, scopes: str) -> None:
    method, allowed_roles, nhi_only_allowed = MATRIX[name]
    client.force_login(make_user(role, {"all": ALL_REVENUES, "nhi": ["nhi"], "none": []}[scopes]))
    response = getattr(client, method)(_url(name, world))
    if role not in allowed_roles or scopes == "none":
        assert response.status_code == 403
    elif scopes == "nhi" and not nhi_only_allowed:
        assert response.status_code == 404
    else:
        assert response.status_code == 200, response.status_code


@pytest.mark.parametrize("name", sorted(MATRIX))
def test_anonymous_goes_to_login(client: Client, world: World, name: str) -> None:
    response = getattr(client, MATRIX[name][0])(_url(name, world))
    assert response.status_code == 302 and response["Location"].startswith("/login/")


def _last_seq() -> int:
    return AccessLogEntry.objects.order_by("-seq").values_list("seq", flat=True).first() or 0


def test_a_batch_from_dry_run_to_dispatch(client: Client) -> None:
    person, employer = _owing()
    clerk = make_user(Role.CLERK, username="shuno1")
    client.force_login(clerk)
    form = {"due_on": DUE.isoformat(), "issue_date": ISSUE.isoformat()}
    listing = client.get(reverse("notices_demands"))
    assert listing.status_code == 200

    dry = client.post(reverse("notices_demands"), {**form, "action": "dry_run"})
    assert dry.status_code == 200 and 'data-testid="preview-letters">2<' in dry.content.decode()
    assert not DemandBatch.objects.exists()

    prepared = client.post(reverse("notices_demands"), {**form, "action": "prepare"})
    batch = DemandBatch.objects.get()
    assert prepared.status_code == 302 and prepared["Location"] == reverse("notices_demand_batch", args=[batch.pk])
    assert batch.state == DemandBatch.State.PREPARED
    before = _last_seq()
    page = client.get(prepared["Location"]).content.decode()
    assert "督促 一郎" in page and "株式会社督促商会" in page and "16,300" in page
    [read] = AccessLogEntry.objects.filter(seq__gt=before)
    assert (
        read.action == "read" and f"person:{person.pk}" in read.subjects and read.purpose == f"batch:demand:{batch.pk}"
    )

    assert client.post(prepared["Location"], {"action": "fix"}).status_code == 302
    batch.refresh_from_db()
    assert batch.state == DemandBatch.State.FIXED and batch.letters == 2
    fixed_page = client.get(prepared["Location"]).content.decode()
    assert f"kind=employers-demand-print&amp;keys={batch.pk}" in fixed_page

    letter = DemandLetter.objects.get(batch=batch, person=person)
    before = _last_seq()
    pdf = client.get(reverse("notices_demand_letter_pdf", args=[batch.pk, letter.pk]))
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    [printed] = AccessLogEntry.objects.filter(seq__gt=before)
    assert printed.action == "print" and f"person:{person.pk}" in printed.subjects

    early = client.post(prepared["Location"], {"action": "dispatch", "dispatched_on": "2025-07-01"})
    assert early.status_code == 200 and "発送日は発付日から今日まで" in early.content.decode()
    client.post(prepared["Location"], {"action": "dispatch", "dispatched_on": ISSUE.isoformat()})
    batch.refresh_from_db()
    assert batch.state == DemandBatch.State.DISPATCHED and batch.dispatched_on == ISSUE


def test_cancel_needs_a_reason(client: Client) -> None:
    _owing()
    batch = DemandBatch.objects.get(pk=demand_run(actor=None, due_on=DUE, issue_date=ISSUE).batch_id)
    client.force_login(make_user(Role.SUPERVISOR))
    url = reverse("notices_demand_batch", args=[batch.pk])
    assert client.post(url, {"action": "cancel", "reason": ""}).status_code == 200
    assert client.post(url, {"action": "cancel", "reason": "発付日の誤り"}).status_code == 302
    batch.refresh_from_db()
    assert batch.state == DemandBatch.State.CANCELLED and batch.cancel_reason == "発付日の誤り"


def test_returned_mail_is_recorded_by_letter_number(client: Client) -> None:
    person, _ = _owing()
    batch = DemandBatch.objects.get(pk=demand_run(actor=None, due_on=DUE, issue_date=ISSUE).batch_id)
    demand_dispatch(actor=None, batch=batch)
    letter = DemandLetter.objects.get(batch=batch, person=person)
    client.force_login(make_user(Role.CLERK))
    bad = client.post(
        reverse("notices_returned_mail"), {"letter_no": "12x", "returned_on": "2025-07-20", "reason": "moved"}
    )
    assert bad.status_code == 200 and "整理番号は数字です" in bad.content.decode()
    ok = client.post(
        reverse("notices_returned_mail"), {"letter_no": str(letter.pk), "returned_on": "2025-07-20", "reason": "moved"}
    )
    assert ok.status_code == 302
    assert ReturnedMail.objects.get().person == person
    assert "督促 一郎" in client.get(reverse("notices_returned_mail")).content.decode()


def test_delivery_inspection_from_an_uploaded_piece_list(client: Client, world: World) -> None:
    client.force_login(make_user(Role.CLERK))
    letter = DemandLetter.objects.get(batch=world.batch, person=world.employer)
    url = reverse("notices_inspection", args=[world.package.pk])
    upload = SimpleUploadedFile("nouhin.csv", f"整理番号\r\n{letter.pk}\r\n".encode("cp932"))
    response = client.post(url, {"file": upload, "pieces": "", "note": ""})
    assert response.status_code == 302
    inspection = DeliveryInspection.objects.get()
    assert inspection.extra == ["整理番号"] and not inspection.missing and not inspection.passed
    response = client.post(url, {"pieces": str(letter.pk), "note": "再検査"})
    assert DeliveryInspection.objects.order_by("-pk").first().passed  # type: ignore[union-attr]
    assert "合格" in client.get(url).content.decode()
