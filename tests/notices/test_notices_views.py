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
from choshu.notices.models import (
    DeliveryInspection,
    DemandBatch,
    DemandLetter,
    Reminder,
    ReminderBatch,
    ReturnedMail,
)
from choshu.notices.print_data import EMPLOYERS_DEMAND
from choshu.notices.reminders import reminder_generate
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
    "notices_reminders": ("get", POSTERS, True),
    "notices_reminder_batch": ("get", POSTERS, False),
    "notices_reminder_pdf": ("get", POSTERS, False),
}
REMINDED_ON = date(2025, 8, 20)


@dataclass
class World:
    person: Person
    employer: Person
    batch: DemandBatch
    letter: DemandLetter
    package: ExportPackage
    reminders: ReminderBatch
    reminder: Reminder


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
    demand_dispatch(actor=None, batch=batch, dispatched_on=ISSUE)
    reminders = ReminderBatch.objects.get(
        pk=reminder_generate(actor=None, as_of=REMINDED_ON, issue_date=REMINDED_ON).batch_id
    )
    reminder = Reminder.objects.get(batch=reminders, person=person)
    letter = DemandLetter.objects.get(batch=batch, person=person)
    return World(person, employer, batch, letter, package, reminders, reminder)


def _url(name: str, w: World) -> str:
    if name == "notices_demand_batch":
        return reverse(name, args=[w.batch.pk])
    if name == "notices_demand_letter_pdf":
        return reverse(name, args=[w.batch.pk, w.letter.pk])
    if name == "notices_inspection":
        return reverse(name, args=[w.package.pk])
    if name == "notices_reminder_batch":
        return reverse(name, args=[w.reminders.pk])
    if name == "notices_reminder_pdf":
        return reverse(name, args=[w.reminders.pk, w.reminder.pk])
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
        reverse("notices_returned_mail"),
        {"document": "demand", "letter_no": "12x", "returned_on": "2025-07-20", "reason": "moved"},
    )
    assert bad.status_code == 200 and "整理番号は数字です" in bad.content.decode()
    ok = client.post(
        reverse("notices_returned_mail"),
        {"document": "demand", "letter_no": str(letter.pk), "returned_on": "2025-07-20", "reason": "moved"},
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


def test_reminders_from_dry_run_to_dispatch(client: Client) -> None:
    person, employer = _owing()
    demand_dispatch(
        actor=None,
        batch=DemandBatch.objects.get(pk=demand_run(actor=None, due_on=DUE, issue_date=ISSUE).batch_id),
        dispatched_on=ISSUE,
    )
    client.force_login(make_user(Role.SUPERVISOR, username="kakaricho1"))
    listing = client.get(reverse("notices_reminders")).content.decode()
    assert "催告書(第1回)" in listing and "最終催告書" in listing and "30日" in listing  # the levels, as data
    form = {"as_of": REMINDED_ON.isoformat(), "issue_date": REMINDED_ON.isoformat()}
    dry = client.post(reverse("notices_reminders"), {**form, "action": "dry_run"}).content.decode()
    assert 'data-testid="preview-letters">2<' in dry and not ReminderBatch.objects.exists()

    made = client.post(reverse("notices_reminders"), {**form, "action": "generate"})
    batch = ReminderBatch.objects.get()
    assert made["Location"] == reverse("notices_reminder_batch", args=[batch.pk]) and batch.letters == 2
    before = _last_seq()
    page = client.get(made["Location"]).content.decode()
    assert "督促 一郎" in page and "株式会社督促商会" in page and "16,300" in page
    assert f"kind=reminder-print&amp;keys={batch.pk}" in page  # the individual's reminder prints outside
    [read] = AccessLogEntry.objects.filter(seq__gt=before)
    assert read.action == "read" and f"person:{person.pk}" in read.subjects

    reminder = Reminder.objects.get(batch=batch, person=person)
    before = _last_seq()
    pdf = client.get(reverse("notices_reminder_pdf", args=[batch.pk, reminder.pk]))
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    [printed] = AccessLogEntry.objects.filter(seq__gt=before)
    assert printed.action == "print" and f"reminder:{reminder.pk}" in printed.subjects

    client.post(made["Location"], {"action": "dispatch", "dispatched_on": "2025-08-21"})
    batch.refresh_from_db()
    assert batch.state == ReminderBatch.State.DISPATCHED and batch.dispatched_on == date(2025, 8, 21)
    returned = client.post(
        reverse("notices_returned_mail"),
        {"document": "reminder", "letter_no": str(reminder.pk), "returned_on": "2025-08-25", "reason": "moved"},
    )
    assert returned.status_code == 302 and ReturnedMail.objects.get().reminder == reminder
    assert f"催告 #{batch.pk}" in client.get(reverse("notices_returned_mail")).content.decode()


def test_a_reminder_batch_is_cancelled_with_a_reason(client: Client, world: World) -> None:
    client.force_login(make_user(Role.CLERK))
    url = reverse("notices_reminder_batch", args=[world.reminders.pk])
    assert client.post(url, {"action": "cancel", "reason": ""}).status_code == 200
    assert client.post(url, {"action": "cancel", "reason": "基準日の誤り"}).status_code == 302
    world.reminders.refresh_from_db()
    assert world.reminders.state == ReminderBatch.State.CANCELLED
    assert client.get(reverse("notices_reminder_pdf", args=[world.reminders.pk, world.reminder.pk])).status_code == 404
