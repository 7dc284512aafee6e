"""Screens of 滞納整理: the authorisation matrix (role × revenue scope) over every URL of
choshu.cases.urls, recording an activity, assigning, and the access log of the screens."""

from dataclasses import dataclass
from datetime import date, timedelta

import pytest
from django.test import Client
from django.urls import URLPattern, reverse
from django.utils import timezone

from choshu.audit.models import AccessLogEntry
from choshu.cases import urls
from choshu.cases.models import Activity, Case, Deferral, PaymentPlan, PlanInstallment, Seizure
from choshu.governance import services as governance
from choshu.governance.exports import FIELD_SURVEY
from choshu.governance.models import ExportPackage
from choshu.staff.models import Role
from tests.factories import ALL_REVENUES, make_levy, make_person, make_user
from tests.governance.conftest import make_contract

pytestmark = pytest.mark.django_db
CASE_WORKERS: set[str] = {Role.OFFICER, Role.NHI_OFFICER, Role.SUPERVISOR}

# name → (method, roles allowed with every revenue in scope, allowed with an NHI-only scope).
# The world's case holds resident tax only: an NHI-only officer opens the queue, not the case (404).
MATRIX: dict[str, tuple[str, set[str], bool]] = {
    "cases_queue": ("get", CASE_WORKERS, True),
    "cases_case": ("get", CASE_WORKERS, False),
    "cases_plan_new": ("get", CASE_WORKERS, False),
    "cases_dispositions": ("get", CASE_WORKERS, False),
    "cases_plan_pdf": ("get", CASE_WORKERS, False),
    "cases_survey": ("get", CASE_WORKERS, True),
    "cases_survey_import": ("get", CASE_WORKERS, False),
}


@dataclass
class World:
    case: Case
    plan: PaymentPlan
    survey: ExportPackage


@pytest.fixture
def world() -> World:
    today = timezone.localdate()
    person = make_person(atena_no="880001", name="整理 花子")
    make_levy(person, [24_000], [today - timedelta(days=60)], revenue="resident_ordinary")
    case = Case.objects.create(person=person, opened_on=today, next_action_on=today, amount=24_000)
    case.revenues.create(revenue="resident_ordinary")
    plan = PaymentPlan.objects.create(
        case=case, pledged_on=today, total=24_000, revenues=["resident_ordinary"], created_by=make_user(Role.OFFICER)
    )
    PlanInstallment.objects.create(plan=plan, number=1, due_on=today + timedelta(days=30), amount=24_000)
    boss = make_user(Role.SUPERVISOR)
    contractor = governance.contractor_create(actor=boss, name="株式会社現地調査", privacy_mark=True)
    survey = ExportPackage.objects.create(
        kind=FIELD_SURVEY.code,
        contract=make_contract(boss, contractor, today, items=FIELD_SURVEY.fields, ends_on=date(2099, 3, 31)),
        purpose="現地調査",
        state=ExportPackage.State.HANDED_OVER,
        fields=list(FIELD_SURVEY.fields),
        revenues=ALL_REVENUES,
        keys=[person.atena_no],
        selection=[person.pk],
        record_count=1,
        prepared_by=boss,
        prepared_at=timezone.now(),
        approved_by=make_user(Role.SUPERVISOR),
        approved_at=timezone.now(),
        file_name="survey.zip",
        sha256="0" * 64,
        size=1,
        handed_over_at=timezone.now(),
    )
    return World(case, plan, survey)


def _url(name: str, w: World) -> str:
    if name in ("cases_case", "cases_plan_new", "cases_dispositions"):
        return reverse(name, args=[w.case.pk])
    if name == "cases_plan_pdf":
        return reverse(name, args=[w.case.pk, w.plan.pk])
    if name == "cases_survey_import":
        return reverse(name, args=[w.survey.pk])
    return reverse(name)


def test_every_cases_url_is_in_the_matrix() -> None:
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


def test_the_queue_and_the_case_page_are_logged(client: Client, world: World) -> None:
    client.force_login(make_user(Role.OFFICER, username="seiri1"))
    before = _last_seq()
    listing = client.get(reverse("cases_queue")).content.decode()
    assert "整理 花子" in listing and 'data-testid="queue-today"' in listing
    [read] = AccessLogEntry.objects.filter(seq__gt=before)
    assert read.action == "read" and f"person:{world.case.person_id}" in read.subjects and read.purpose == "cases:today"
    before = _last_seq()
    page = client.get(reverse("cases_case", args=[world.case.pk])).content.decode()
    assert "24,000" in page and "分納誓約" in page
    [read] = AccessLogEntry.objects.filter(seq__gt=before)
    assert read.subjects == [f"person:{world.case.person_id}", f"case:{world.case.pk}"]


def test_recording_a_call_puts_it_on_the_timeline(client: Client, world: World) -> None:
    client.force_login(make_user(Role.OFFICER))
    url = reverse("cases_case", args=[world.case.pk])
    now = timezone.localtime().strftime("%Y-%m-%dT%H:%M")
    empty = client.post(url, {"action": "activity", "kind": "phone", "occurred_at": now, "summary": ""})
    assert empty.status_code == 200 and not Activity.objects.exists()
    ok = client.post(
        url,
        {
            "action": "activity",
            "kind": "phone",
            "occurred_at": now,
            "contacted": "on",
            "summary": "本人と電話。来週窓口で相談したいとのこと",
            "next_action_on": (timezone.localdate() + timedelta(days=7)).isoformat(),
        },
    )
    assert ok.status_code == 302
    world.case.refresh_from_db()
    assert world.case.last_contact_on == timezone.localdate()
    assert "来週窓口で相談したい" in client.get(url).content.decode()


def test_a_supervisor_assigns_an_officer(client: Client, world: World) -> None:
    officer = make_user(Role.OFFICER, username="tanto1")
    client.force_login(make_user(Role.OFFICER))
    assert 'name="officer"' not in client.get(reverse("cases_case", args=[world.case.pk])).content.decode()
    client.force_login(make_user(Role.SUPERVISOR))
    response = client.post(reverse("cases_case", args=[world.case.pk]), {"action": "assign", "officer": officer.pk})
    assert response.status_code == 302 and Case.objects.get().officer == officer


def test_the_dispositions_page_takes_a_deferral_to_its_decision(client: Client, world: World) -> None:
    officer, boss = make_user(Role.OFFICER), make_user(Role.SUPERVISOR)
    url = reverse("cases_dispositions", args=[world.case.pk])
    client.force_login(officer)
    today = timezone.localdate()
    form = {
        "action": "deferral",
        "d-kind": "collection",
        "d-ground": "illness",
        "d-applied_on": today.isoformat(),
        "d-starts_on": today.isoformat(),
        "d-ends_on": (today + timedelta(days=90)).isoformat(),
    }
    assert client.post(url, form).status_code == 302
    deferral = Deferral.objects.get()
    page = client.get(url).content.decode()
    assert "承認待ち" in page and 'value="approve"' not in page  # an officer does not decide
    client.force_login(boss)
    assert client.post(url, {"action": "approve", "id": deferral.pk}).status_code == 302
    deferral.refresh_from_db()
    assert deferral.state == Deferral.State.APPROVED and deferral.decided_by == boss
    seized = {
        "action": "seizure",
        "s-property": "deposit",
        "s-description": "新宿銀行 普通 7654321",
        "s-amount": "24000",
        "s-seized_on": today.isoformat(),
    }
    refused = client.post(url, seized).content.decode()
    assert "徴収猶予中の期別は差し押さえられません" in refused and not Seizure.objects.exists()
