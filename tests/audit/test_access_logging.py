"""Every screen and command that shows or changes personal data writes exactly one access-log
entry, with the right action, subjects and purpose; refused requests write none."""

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from choshu.audit.models import AccessLogEntry
from choshu.audit.services import access_log_verify
from choshu.interchange.models import ImportRun
from choshu.ledger.models import Payment
from choshu.ledger.services import counter_payment_post
from choshu.staff.models import Role
from tests.audit.conftest import ATENA, World
from tests.factories import make_user
from tests.web.test_web_matrix import MATRIX

pytestmark = pytest.mark.django_db


@dataclass
class Case:
    role: str
    method: str
    url: Callable[[World], str]
    data: Callable[[World], dict[str, object]]
    action: str
    purpose: str
    subjects: Callable[[World], list[str]]
    query: str = ""


def _person(w: World) -> str:
    return f"person:{w.person.pk}"


def _newest_payment() -> Payment:
    return Payment.objects.order_by("-id").first()  # type: ignore[return-value]


def _none(w: World) -> dict[str, object]:
    return {}


# One case per screen of the authorisation matrix (tests/web/test_web_matrix.py) but "home".
CASES: dict[str, Case] = {
    "search": Case(
        Role.CLERK, "get", lambda w: f"/search/?q={ATENA}", _none, "search", "", lambda w: [_person(w)], ATENA
    ),
    "counter": Case(
        Role.CLERK, "get", lambda w: f"/counter/?q={ATENA}", _none, "search", "counter", lambda w: [_person(w)], ATENA
    ),
    "ledger": Case(
        Role.OFFICER,
        "get",
        lambda w: f"/persons/{ATENA}/?purpose=case:12",
        _none,
        "read",
        "case:12",
        lambda w: [_person(w)],
    ),
    "counter_payment": Case(
        Role.CLERK, "get", lambda w: f"/persons/{ATENA}/counter/", _none, "read", "counter", lambda w: [_person(w)]
    ),
    "counter_payment_total": Case(
        Role.CLERK,
        "get",
        lambda w: f"/persons/{ATENA}/counter/total/?installment_ids={w.installment_id}",
        _none,
        "read",
        "counter",
        lambda w: [_person(w)],
    ),
    "payment_detail": Case(
        Role.CLERK,
        "get",
        lambda w: f"/payments/{w.payment.pk}/?purpose=counter",
        _none,
        "read",
        "counter",
        lambda w: [_person(w), f"payment:{w.payment.pk}"],
    ),
    "receipt_pdf": Case(
        Role.CLERK,
        "get",
        lambda w: f"/payments/{w.payment.pk}/receipt.pdf",
        _none,
        "print",
        "",
        lambda w: [_person(w), f"payment:{w.payment.pk}"],
    ),
    "payment_reversal": Case(
        Role.SUPERVISOR,
        "post",
        lambda w: f"/payments/{w.payment.pk}/reverse/",
        lambda w: {"reason": "誤入力", "purpose": "counter"},
        "change",
        "counter",
        lambda w: [_person(w), f"payment:{w.payment.pk}", f"payment:{_newest_payment().pk}"],
    ),
    "audit_log": Case(
        Role.AUDITOR,
        "get",
        lambda w: "/audit/log/?subject=person:1",
        _none,
        "read",
        "audit",
        lambda w: ["accesslog"],
        "subject=person:1",
    ),
    "audit_report": Case(
        Role.AUDITOR,
        "get",
        lambda w: "/audit/report/?date_from=2026-01-01&date_to=2026-01-31",
        _none,
        "read",
        "audit",
        lambda w: ["accesslog"],
        "report 2026-01-01..2026-01-31",
    ),
}
NOT_LOGGED = {"home"}  # shows no personal data


def test_every_screen_of_the_matrix_has_an_access_log_case() -> None:
    assert set(CASES) | NOT_LOGGED == set(MATRIX)


def _new_entries(before: int) -> list[AccessLogEntry]:
    return list(AccessLogEntry.objects.filter(seq__gt=before).order_by("seq"))


def _last_seq() -> int:
    return AccessLogEntry.objects.order_by("-seq").values_list("seq", flat=True).first() or 0


@pytest.mark.parametrize("name", sorted(CASES))
def test_screen_writes_one_entry(client: Client, world: World, name: str) -> None:
    case = CASES[name]
    user = make_user(case.role, username=f"u-{name}")
    client.force_login(user)
    before = _last_seq()
    response = getattr(client, case.method)(case.url(world), case.data(world), REMOTE_ADDR="192.0.2.10")
    assert response.status_code in (200, 302), response.status_code
    [entry] = _new_entries(before)
    assert (entry.action, entry.purpose, entry.query) == (case.action, case.purpose, case.query)
    assert entry.subjects == case.subjects(world)
    assert (entry.actor_id, entry.actor_label, entry.client_address, entry.channel) == (
        user.pk,
        f"u-{name}",
        "192.0.2.10",
        "web",
    )
    assert access_log_verify().ok


def test_counter_posting_is_one_change_entry(client: Client, world: World) -> None:
    client.force_login(make_user(Role.CLERK))
    before = _last_seq()
    response = client.post(
        f"/persons/{ATENA}/counter/",
        {"installment_ids": [world.installment_id], "amount": "20000", "paid_on": timezone.localdate().isoformat()},
    )
    payment = _newest_payment()
    assert response.status_code == 302 and response["Location"] == f"/payments/{payment.pk}/?purpose=counter"
    [entry] = _new_entries(before)
    assert (entry.action, entry.purpose) == ("change", "counter")
    assert entry.subjects == [f"person:{world.person.pk}", f"payment:{payment.pk}"]


def test_a_refused_posting_is_logged_as_the_read_of_the_form(client: Client, world: World) -> None:
    client.force_login(make_user(Role.CLERK))
    before = _last_seq()
    response = client.post(f"/persons/{ATENA}/counter/", {"amount": "100", "paid_on": timezone.localdate().isoformat()})
    assert response.status_code == 200 and Payment.objects.count() == 1
    [entry] = _new_entries(before)
    assert (entry.action, entry.subjects) == ("read", [f"person:{world.person.pk}"])


def test_htmx_search_and_the_counter_list_are_logged(client: Client, world: World) -> None:
    clerk = make_user(Role.CLERK)
    client.force_login(clerk)
    before = _last_seq()
    client.get("/search/", {"q": "シンジュク"}, HTTP_HX_REQUEST="true")
    client.get("/search/")  # the empty box shows nothing: no entry
    [entry] = _new_entries(before)
    assert (entry.action, entry.query, entry.subjects) == ("search", "シンジュク", [f"person:{world.person.pk}"])
    mine = counter_payment_post(
        actor=clerk,
        person=world.person,
        installment_ids=[world.installment_id],
        amount=20_000,
        paid_on=timezone.localdate(),
    )
    before = _last_seq()
    client.get("/counter/")  # today's counter payments of this clerk, with names
    [entry] = _new_entries(before)
    assert (entry.action, entry.purpose) == ("read", "counter")
    assert entry.subjects == [f"person:{world.person.pk}", f"payment:{mine.pk}"]


def test_search_purpose_is_carried_to_the_ledger_link(client: Client, world: World) -> None:
    client.force_login(make_user(Role.OFFICER))
    body = client.get("/search/", {"q": ATENA, "purpose": "case:5"}).content.decode()
    assert f'href="/persons/{ATENA}/?purpose=case%3A5"' in body
    assert 'name="purpose" value="case:5"' in body
    assert AccessLogEntry.objects.order_by("-seq").first().purpose == "case:5"  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("role", "url"),
    [
        (Role.AUDITOR, f"/persons/{ATENA}/"),
        (Role.ADMIN, f"/search/?q={ATENA}"),
        (Role.CLERK, "/audit/log/"),
        (Role.ADMIN, "/audit/report/"),
        (Role.CLERK, "/persons/999999999/"),
    ],
)
def test_refused_requests_write_no_entry(client: Client, world: World, role: str, url: str) -> None:
    client.force_login(make_user(role))
    before = _last_seq()
    assert client.get(url).status_code in (403, 404)
    assert _new_entries(before) == []


def test_ledger_command_writes_one_read_entry(world: World, capsys: pytest.CaptureFixture[str]) -> None:
    before = _last_seq()
    call_command("ledger", ATENA, "--json")
    assert json.loads(capsys.readouterr().out)["atena_no"] == ATENA
    [entry] = _new_entries(before)
    assert (entry.action, entry.channel, entry.actor_id, entry.purpose) == ("read", "cli", None, "")
    assert entry.actor_label.startswith("os:") or entry.actor_label == "cli"
    assert entry.subjects == [f"person:{world.person.pk}"] and entry.client_address == ""
    officer = make_user(Role.OFFICER, username="officer-cli")
    call_command("ledger", ATENA, "--user", "officer-cli", "--purpose", "case:3")
    entry = AccessLogEntry.objects.order_by("-seq").first()  # type: ignore[assignment]
    assert (entry.actor_id, entry.actor_label, entry.purpose) == (officer.pk, "officer-cli", "case:3")


PERSONS = """\
atena_no,kind,name,name_kana,birth_date,sex,postal_code,address,address_extra,residency,moved_out_on,household_no,\
is_household_head,corporate_no,designation_no
920001,individual,新宿 一郎,シンジュク イチロウ,1980-04-01,1,160-0022,東京都新宿区新宿1-1-1,,resident,,,,,
920002,individual,新宿 二郎,シンジュク ジロウ,1982-05-02,1,160-0022,東京都新宿区新宿1-1-2,,resident,,,,,
"""


def test_import_command_writes_one_change_entry_with_counts(tmp_path: Path) -> None:
    path = tmp_path / "persons.csv"
    path.write_text(PERSONS, encoding="utf-8")
    before = _last_seq()
    call_command("import", "persons", str(path))
    run = ImportRun.objects.get()
    [entry] = _new_entries(before)
    assert (entry.action, entry.channel, entry.purpose) == ("change", "cli", f"batch:import:{run.pk}")
    assert entry.subjects == [f"importrun:{run.pk}", "count:persons:2"]
    bad = tmp_path / "bad.csv"
    bad.write_text(PERSONS.replace("1980-04-01", "1980-13-01"), encoding="utf-8")
    before = _last_seq()
    with pytest.raises(SystemExit):
        call_command("import", "persons", str(bad))
    assert _new_entries(before) == []  # a rejected file changes nothing and is not logged
