"""Screens of 収納データ: the authorisation matrix over every URL of choshu.payments.urls × role ×
revenue scope, uploads kept in memory, import results and their records, 未確認入金 resolved by
hand (once), 速報未確報, and the access log of the screens that show persons."""

from dataclasses import dataclass
from datetime import date, timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile, TemporaryUploadedFile
from django.test import Client
from django.urls import URLPattern, reverse
from django.utils import timezone
from pytest_django import Settings

from choshu.audit.models import AccessLogEntry
from choshu.audit.selectors import no_purpose_q
from choshu.formats import cvs_csv
from choshu.formats.cvs_barcode import build_barcode, free_area
from choshu.formats.payment_event import PaymentEvent
from choshu.formats.payment_key import payment_key
from choshu.ledger.models import Allocation, Installment, Overpayment, Payment, Suspense
from choshu.ledger.services import counter_payment_post, overpayment_appropriate, overpayment_refund
from choshu.payments import urls, views
from choshu.payments.models import ChannelImport, ChannelRecord
from choshu.payments.services import channel_file_import
from choshu.people.models import Person
from choshu.staff.models import Role, User
from tests.factories import ALL_REVENUES, make_levy, make_person, make_user

pytestmark = pytest.mark.django_db

POSTERS: set[str] = {Role.CLERK, Role.SUPERVISOR}
NO_SUCH_INSTALLMENT = 999_999_999

# name → (method, roles allowed with every revenue in scope, allowed with an NHI-only scope).
# The screens open for an NHI-only poster; what they list is limited to the NHI revenue.
MATRIX: dict[str, tuple[str, set[str], bool]] = {
    "payments_imports": ("get", POSTERS, True),
    "payments_import": ("get", POSTERS, True),
    "payments_suspense": ("get", POSTERS, True),
    "payments_suspense_item": ("get", POSTERS, True),
    "payments_unconfirmed": ("get", POSTERS, True),
    "payments_overpayments": ("get", POSTERS, True),
    "payments_overpayment": ("get", POSTERS, True),
    "payments_appropriation_notice": ("get", POSTERS, True),
    "payments_refund_notice": ("get", POSTERS, True),
}


@pytest.fixture(autouse=True)
def fast_passwords(settings: Settings) -> None:
    """Users are made by the dozen here; Argon2 (the production hasher) is tested in tests/security."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def today() -> date:
    return timezone.localdate()


def _barcode(inst_id: int, amount: int, due: date) -> str:
    return build_barcode(
        company_code="912345",
        free_area=free_area(prefix="59919", key=payment_key(inst_id)),
        reissue=0,
        due_date=due,
        amount=amount,
    )


def _event(data_type: str, inst_id: int, amount: int, paid_on: date, *, store: str = "123456") -> PaymentEvent:
    return cvs_csv.make_event(
        data_type=data_type,
        barcode=_barcode(inst_id, amount, paid_on + timedelta(days=30)),
        paid_on=paid_on,
        paid_time="1015",
        store_code=store,
        settles_on=paid_on + timedelta(days=4) if data_type == "02" else None,
    )


def _csv(*events: PaymentEvent) -> bytes:
    return cvs_csv.dump(list(events))


def _import(data: bytes, actor: User, received_on: date, name: str = "syuno.csv") -> ChannelImport:
    result = channel_file_import(actor=actor, format="cvs-csv", file_name=name, data=data, received_on=received_on)
    assert result.ok and result.run_id is not None, result.errors
    return ChannelImport.objects.get(pk=result.run_id)


def _upload(client: Client, data: bytes, received_on: date, name: str = "syuno.csv", fmt: str = "cvs-csv"):
    return client.post(
        reverse("payments_imports"),
        {"format": fmt, "received_on": received_on.isoformat(), "file": SimpleUploadedFile(name, data)},
    )


def _last_seq() -> int:
    return AccessLogEntry.objects.order_by("-seq").values_list("seq", flat=True).first() or 0


def _new_entries(before: int) -> list[AccessLogEntry]:
    return list(AccessLogEntry.objects.filter(seq__gt=before).order_by("seq"))


@dataclass
class World:
    person: Person
    resident: Installment  # resident tax, paid by the channel file
    nhi: Installment  # NHI, open
    run: ChannelImport
    suspense: Suspense
    preliminary: ChannelRecord
    overpayment: Overpayment  # an NHI premium overpaid, partly appropriated, the rest refunded


@pytest.fixture
def world(today: date) -> World:
    """A person with a resident-tax and an NHI installment; one import that pays the first, holds
    money that names no installment in suspense, and leaves an old 速報 without its 確報."""
    person = make_person(atena_no="720001", name="収納 一郎", name_kana="シュウノウ イチロウ")
    resident = make_levy(person, [12_300], [today + timedelta(days=20)]).installments.get()
    nhi = make_levy(person, [8_000], [today + timedelta(days=20)], revenue="nhi").installments.get()
    paid_on = today - timedelta(days=30)
    run = _import(
        _csv(
            _event("02", resident.pk, 12_300, paid_on),
            _event("02", NO_SUCH_INSTALLMENT, 8_000, paid_on, store="222222"),
            _event("01", nhi.pk, 8_000, paid_on, store="333333"),
        ),
        make_user(Role.CLERK),
        today - timedelta(days=20),
    )
    return World(
        person=person,
        resident=resident,
        nhi=nhi,
        run=run,
        suspense=Suspense.objects.get(resolves__isnull=True),
        preliminary=ChannelRecord.objects.get(kind="preliminary"),
        overpayment=_settled_overpayment(today),
    )


def _settled_overpayment(today: date) -> Overpayment:
    household = make_person(atena_no="729901", name="国保 二郎")
    first, second = make_levy(
        household, [10_000, 5_000], [today + timedelta(days=20), today - timedelta(days=10)], revenue="nhi"
    ).installments.order_by("installment_no")
    payment = counter_payment_post(
        actor=make_user(Role.CLERK), person=household, installment_ids=[first.pk], amount=30_000, paid_on=today
    )
    over = Overpayment.objects.get(payment=payment)
    boss = make_user(Role.SUPERVISOR)
    assert overpayment_appropriate(actor=boss, overpayment=over, decided_on=today) is not None
    overpayment_refund(actor=boss, overpayment=over, decided_on=today)
    return over


def _url(name: str, w: World) -> str:
    if name == "payments_import":
        return reverse(name, kwargs={"import_id": w.run.pk})
    if name == "payments_suspense_item":
        return reverse(name, kwargs={"suspense_id": w.suspense.pk}) + "?atena_no=720001"
    if name == "payments_overpayment":
        return reverse(name, kwargs={"overpayment_id": w.overpayment.pk})
    if name == "payments_appropriation_notice":
        return reverse(name, kwargs={"appropriation_id": w.overpayment.appropriations.get().pk})
    if name == "payments_refund_notice":
        return reverse(name, kwargs={"refund_id": w.overpayment.refunds.get().pk})
    return reverse(name)


# ---- authorisation -----------------------------------------------------------------------------


def test_every_payments_url_is_in_the_matrix() -> None:
    names = {p.name for p in urls.urlpatterns if isinstance(p, URLPattern)}
    assert names == set(MATRIX)


@pytest.mark.parametrize("name", sorted(MATRIX))
@pytest.mark.parametrize("role", list(Role))
@pytest.mark.parametrize("scopes", ["all", "nhi", "none"])
def test_role_and_scope(client: Client, world: World, name: str, role: str, scopes: str) -> None:
    method, allowed_roles, nhi_only_allowed = MATRIX[name]
    scope_list = {"all": ALL_REVENUES, "nhi": ["nhi"], "none": []}[scopes]
    client.force_login(make_user(role, scope_list))
    response = getattr(client, method)(_url(name, world))
    allowed = role in allowed_roles and scopes != "none" and (scopes == "all" or nhi_only_allowed)
    if allowed:
        assert response.status_code in (200, 302), response.status_code
    else:
        assert response.status_code == 403


@pytest.mark.parametrize("name", sorted(MATRIX))
def test_anonymous_goes_to_login(client: Client, world: World, name: str) -> None:
    response = getattr(client, MATRIX[name][0])(_url(name, world))
    assert response.status_code == 302 and response["Location"].startswith("/login/")


@pytest.mark.parametrize("role", [Role.OFFICER, Role.NHI_OFFICER, Role.AUDITOR, Role.ADMIN])
def test_other_roles_cannot_upload_or_resolve(client: Client, world: World, today: date, role: str) -> None:
    client.force_login(make_user(role))
    refused = _upload(client, _csv(_event("02", world.nhi.pk, 8_000, today - timedelta(days=1))), today)
    assert refused.status_code == 403
    resolve = client.post(
        reverse("payments_suspense_item", args=[world.suspense.pk]),
        {"atena_no": "720001", "installment_ids": [world.nhi.pk]},
    )
    assert resolve.status_code == 403
    assert ChannelImport.objects.count() == 1 and Suspense.objects.count() == 1


# ---- 収納データ取込 --------------------------------------------------------------------------------


def test_upload_imports_the_file_and_goes_to_its_page(client: Client, today: date) -> None:
    person = make_person(atena_no="720101", name="取込 花子")
    inst = make_levy(person, [5_500], [today + timedelta(days=10)]).installments.get()
    clerk = make_user(Role.CLERK)
    client.force_login(clerk)
    before = _last_seq()
    response = _upload(client, _csv(_event("02", inst.pk, 5_500, today - timedelta(days=2))), today, "kakuho.csv")
    run = ChannelImport.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("payments_import", args=[run.pk])
    assert (run.ok, run.file_name, run.actor, run.posted, run.received_on) == (True, "kakuho.csv", clerk, 1, today)
    inst.refresh_from_db()
    assert inst.balance == 0
    [logged] = _new_entries(before)  # the import itself, logged by the service
    assert (logged.action, logged.channel, logged.actor_id) == ("change", "web", clerk.pk)

    page = client.get(response["Location"])
    body = page.content.decode()
    assert "を取り込みました" in body and "取込済" in body
    assert 'data-outcome="posted">1<' in body
    assert "取込 花子" in body and f'href="/persons/720101/?purpose=batch%3Apayments%3A{run.pk}"' in body
    assert "5,500" in body
    assert 'title="' + (today - timedelta(days=2)).isoformat() + '"' in body  # 和暦 with 西暦 on hover
    listing = client.get(reverse("payments_imports")).content.decode()
    assert "kakuho.csv" in listing and clerk.username in listing


def test_the_uploaded_file_never_touches_the_disk(
    client: Client, settings: Settings, today: date, tmp_path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Even above FILE_UPLOAD_MAX_MEMORY_SIZE, where Django would spool to a temporary file."""
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 10
    settings.FILE_UPLOAD_TEMP_DIR = str(tmp_path)
    spooled: list[str] = []
    original = TemporaryUploadedFile.__init__

    def spy(self: TemporaryUploadedFile, *args: object, **kwargs: object) -> None:
        spooled.append(str(args[:1]))
        original(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(TemporaryUploadedFile, "__init__", spy)
    inst = make_levy(make_person(), [7_000], [today + timedelta(days=10)]).installments.get()
    client.force_login(make_user(Role.CLERK))
    response = _upload(client, _csv(_event("02", inst.pk, 7_000, today - timedelta(days=1))), today)
    assert response.status_code == 302
    assert ChannelImport.objects.get().ok
    assert spooled == [] and list(tmp_path.iterdir()) == []


def test_a_file_too_large_is_refused_on_the_form(client: Client, today: date, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(views, "MAX_UPLOAD_BYTES", 100)
    inst = make_levy(make_person(), [7_000], [today + timedelta(days=10)]).installments.get()
    client.force_login(make_user(Role.CLERK))
    response = _upload(client, _csv(_event("02", inst.pk, 7_000, today - timedelta(days=1))), today)
    assert response.status_code == 200
    assert "ファイルが大きすぎます" in response.content.decode()
    assert not ChannelImport.objects.exists() and not Payment.objects.exists()


def test_the_upload_still_checks_the_csrf_token(today: date) -> None:
    """The view is csrf_exempt only to set its upload handlers first; it checks the token itself."""
    inst = make_levy(make_person(), [7_000], [today + timedelta(days=10)]).installments.get()
    client = Client(enforce_csrf_checks=True)
    client.force_login(make_user(Role.CLERK))
    response = _upload(client, _csv(_event("02", inst.pk, 7_000, today - timedelta(days=1))), today)
    assert response.status_code == 403
    assert not ChannelImport.objects.exists() and not Payment.objects.exists()


def test_the_form_refuses_a_future_date_and_a_missing_file(client: Client, today: date) -> None:
    client.force_login(make_user(Role.CLERK))
    future = _upload(client, b"x", today + timedelta(days=1))
    assert future.status_code == 200 and "未来の日付" in future.content.decode()
    missing = client.post(reverse("payments_imports"), {"format": "cvs-csv", "received_on": today.isoformat()})
    assert missing.status_code == 200 and "ファイルを選んでください" in missing.content.decode()
    unknown = _upload(client, b"x", today, fmt="no-such-format")
    assert unknown.status_code == 200 and "形式が正しくありません" in unknown.content.decode()
    assert not ChannelImport.objects.exists()


def test_the_form_offers_every_channel_format(client: Client) -> None:
    client.force_login(make_user(Role.CLERK))
    body = client.get(reverse("payments_imports")).content.decode()
    for name in ("cvs-csv", "cvs-120", "zengin-debit-result", "payeasy", "eltax", "bank-ocr"):
        assert f'<option value="{name}"' in body


def test_a_rejected_file_lists_every_error_with_its_line_and_field(client: Client, today: date) -> None:
    inst = make_levy(make_person(), [7_000], [today + timedelta(days=10)]).installments.get()
    good = cvs_csv.dump([_event("02", inst.pk, 7_000, today - timedelta(days=1))]).decode("cp932")
    header, row = good.splitlines()[:2]
    bad_date = row.replace(f"{today - timedelta(days=1):%Y%m%d}", "20251340", 1)
    data = "\r\n".join([header, row, "02,1,2", bad_date]).encode("cp932") + b"\r\n"
    client.force_login(make_user(Role.CLERK))
    response = _upload(client, data, today, "broken.csv")
    run = ChannelImport.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("payments_import", args=[run.pk])
    assert not run.ok and run.error_count == 2
    assert not ChannelRecord.objects.exists() and not Payment.objects.exists()
    body = client.get(response["Location"]).content.decode()
    assert "取り込めませんでした" in body and "取込不可" in body
    errors = body.split('data-testid="errors">')[1].split("</ol>")[0]
    assert errors.count("<li>") == 2
    assert "<li>3行目 -: 3 fields, expected 13</li>" in errors
    assert "<li>4行目 収納日: " in errors


def test_the_same_file_twice_is_refused_on_screen(client: Client, today: date) -> None:
    inst = make_levy(make_person(), [7_000], [today + timedelta(days=10)]).installments.get()
    data = _csv(_event("02", inst.pk, 7_000, today - timedelta(days=1)))
    client.force_login(make_user(Role.CLERK))
    _upload(client, data, today)
    again = _upload(client, data, today, "again.csv")
    body = client.get(again["Location"]).content.decode()
    assert "ファイル全体 -: this file was already imported" in body
    assert Payment.objects.count() == 1 and ChannelImport.objects.filter(ok=False).count() == 1


# ---- import detail: pages, filter, scope ------------------------------------------------------


@pytest.fixture
def big_run(today: date) -> ChannelImport:
    """150 records: 140 posted to one person's installments and 10 held in suspense."""
    person = make_person(atena_no="720201")
    levy = make_levy(person, [1_000] * 140, [today + timedelta(days=20)] * 140)
    paid_on = today - timedelta(days=3)
    events = [_event("02", i.pk, 1_000, paid_on) for i in levy.installments.order_by("installment_no")]
    events += [_event("02", NO_SUCH_INSTALLMENT - n, 1_000, paid_on) for n in range(10)]
    return _import(_csv(*events), make_user(Role.CLERK), today)


def _rows(body: str) -> int:
    return body.split('data-testid="records"')[1].split("</table>")[0].count("<tr>") - 1  # less the header


def test_records_are_paged_and_filtered_by_outcome(
    client: Client, big_run: ChannelImport, django_assert_max_num_queries: object
) -> None:
    client.force_login(make_user(Role.CLERK))
    url = reverse("payments_import", args=[big_run.pk])
    with django_assert_max_num_queries(15):  # type: ignore[operator]  # a fixed number, whatever the rows
        first = client.get(url).content.decode()
    assert _rows(first) == views.PAGE_SIZE
    assert 'data-outcome="posted">140<' in first and 'data-outcome="suspense">10<' in first
    assert "1–100 / 150件" in first
    second = client.get(url + "?page=2").content.decode()
    assert _rows(second) == 50
    held = client.get(url + "?outcome=suspense").content.decode()
    assert _rows(held) == 10 and "未確認入金" in held and "720201" not in held.split('data-testid="records"')[1]


def test_htmx_gets_the_records_only(client: Client, big_run: ChannelImport) -> None:
    client.force_login(make_user(Role.CLERK))
    response = client.get(reverse("payments_import", args=[big_run.pk]) + "?page=2", HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert body.lstrip().startswith('<div id="records">') and "<html" not in body
    assert _rows(body) == 50


def test_an_nhi_only_clerk_sees_only_nhi_records(client: Client, world: World) -> None:
    client.force_login(make_user(Role.CLERK, ["nhi"]))
    before = _last_seq()
    body = client.get(reverse("payments_import", args=[world.run.pk])).content.decode()
    records = body.split('data-testid="records"')[1]
    assert "担当外の税目" in body
    assert "720001" in records  # the NHI 速報 of the person
    assert "12,300" not in records  # the resident-tax record is not listed
    assert "8,000" in records and _rows(body) == 2  # the NHI 速報 and the suspense record
    [entry] = _new_entries(before)
    assert entry.subjects == [f"channelimport:{world.run.pk}", f"person:{world.person.pk}"]


def test_the_import_detail_is_logged_with_the_persons_shown(client: Client, world: World) -> None:
    user = make_user(Role.CLERK)
    client.force_login(user)
    before = _last_seq()
    assert client.get(reverse("payments_import", args=[world.run.pk]), REMOTE_ADDR="192.0.2.7").status_code == 200
    [entry] = _new_entries(before)
    assert (entry.action, entry.purpose, entry.actor_id, entry.client_address, entry.channel) == (
        "read",
        f"batch:payments:{world.run.pk}",
        user.pk,
        "192.0.2.7",
        "web",
    )
    assert entry.subjects == [f"channelimport:{world.run.pk}", f"person:{world.person.pk}"]


# ---- 未確認入金 -----------------------------------------------------------------------------------


def test_the_suspense_list_shows_open_items(client: Client, world: World) -> None:
    client.force_login(make_user(Role.CLERK))
    before = _last_seq()
    body = client.get(reverse("payments_suspense")).content.decode()
    table = body.split('data-testid="suspense"')[1]
    assert reverse("payments_suspense_item", args=[world.suspense.pk]) in table
    assert "8,000" in table and "該当する期別がありません" in table
    assert _new_entries(before) == []  # no person on this screen


def test_looking_up_a_person_shows_their_open_installments_and_is_logged(client: Client, world: World) -> None:
    user = make_user(Role.CLERK)
    client.force_login(user)
    before = _last_seq()
    url = reverse("payments_suspense_item", args=[world.suspense.pk])
    body = client.get(url + "?atena_no=720001").content.decode()
    assert "収納 一郎" in body
    table = body.split('data-testid="open-installments"')[1]
    assert f'value="{world.nhi.pk}"' in table and f'value="{world.resident.pk}"' not in table  # paid already
    [entry] = _new_entries(before)
    assert (entry.action, entry.query, entry.subjects) == (
        "read",
        "720001",
        [f"person:{world.person.pk}", f"suspense:{world.suspense.pk}"],
    )
    partial = client.get(url + "?atena_no=720001", HTTP_HX_REQUEST="true").content.decode()
    assert partial.lstrip().startswith('<div id="person-panel">') and "収納 一郎" in partial


def test_a_person_outside_the_scope_is_not_shown(client: Client, world: World) -> None:
    other = make_person(atena_no="720002", name="担当外 次郎")
    make_levy(other, [3_000], [timezone.localdate() + timedelta(days=20)])  # resident tax only
    client.force_login(make_user(Role.CLERK, ["nhi"]))
    before = _last_seq()
    url = reverse("payments_suspense_item", args=[world.suspense.pk])
    body = client.get(url + "?atena_no=720002").content.decode()
    assert "担当外 次郎" not in body and "宛名番号 720002 の担当税目の調定は見つかりません" in body
    refused = client.post(url, {"atena_no": "720002", "installment_ids": []})
    assert refused.status_code == 200 and "担当外 次郎" not in refused.content.decode()
    assert _new_entries(before) == [] and Suspense.objects.count() == 1


def _ledger_state() -> tuple[list[tuple[int, int]], list[int], list[int], list[int]]:
    return (
        sorted(Installment.objects.values_list("pk", "paid_principal")),
        sorted(Suspense.objects.values_list("pk", flat=True)),
        sorted(Allocation.objects.values_list("pk", flat=True)),
        sorted(Overpayment.objects.values_list("pk", flat=True)),
    )


def test_a_clerk_resolves_an_item_and_a_second_resolution_is_refused(world: World) -> None:
    first, second = Client(), Client()
    clerk, other = make_user(Role.CLERK), make_user(Role.SUPERVISOR)
    first.force_login(clerk)
    second.force_login(other)
    url = reverse("payments_suspense_item", args=[world.suspense.pk])
    form = {"atena_no": "720001", "installment_ids": [world.nhi.pk]}
    # both open the item and tick the same installment
    assert first.get(url + "?atena_no=720001").status_code == 200
    assert second.get(url + "?atena_no=720001").status_code == 200

    before = _last_seq()
    done = first.post(url, form)
    assert done.status_code == 302 and done["Location"] == reverse("payments_suspense")
    world.nhi.refresh_from_db()
    assert world.nhi.balance == 0
    [entry] = _new_entries(before)
    assert (entry.action, entry.actor_id, entry.subjects) == (
        "change",
        clerk.pk,
        [f"person:{world.person.pk}", f"suspense:{world.suspense.pk}", f"payment:{world.suspense.payment_id}"],
    )
    message = first.get(reverse("payments_suspense")).content.decode()
    assert f"未確認入金 {world.suspense.pk} を宛名番号 720001 の期別に消込しました(消込 8,000円)" in message
    assert "未確認入金はありません" in message

    state = _ledger_state()
    before = _last_seq()
    refused = second.post(url, form)
    assert refused.status_code == 200
    body = refused.content.decode()
    assert "この未確認入金は処理済みです。" in body and 'data-testid="resolved"' in body
    assert _ledger_state() == state  # changed nothing
    assert _new_entries(before) == []


def test_the_service_refusal_reaches_the_clerk(client: Client, world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    """The item resolved by someone else between this request's read and its write: the
    service's lock sees it and refuses; the screen says so and nothing changes."""
    from choshu.ledger.services import suspense_resolve

    def resolved_meanwhile(**kwargs: object) -> int:
        suspense_resolve(
            actor=make_user(Role.SUPERVISOR),
            suspense=kwargs["suspense"],  # type: ignore[arg-type]
            person=kwargs["person"],  # type: ignore[arg-type]
            installment_ids=kwargs["installment_ids"],  # type: ignore[arg-type]
        )
        return suspense_resolve(**kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(views, "suspense_resolve", resolved_meanwhile)
    client.force_login(make_user(Role.CLERK))
    response = client.post(
        reverse("payments_suspense_item", args=[world.suspense.pk]),
        {"atena_no": "720001", "installment_ids": [world.nhi.pk]},
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert "この未確認入金は処理済みです。 他の職員が先に処理した可能性があります" in body
    # the whole request was one transaction: neither resolution stayed
    assert Suspense.objects.count() == 1 and not Allocation.objects.filter(installment=world.nhi).exists()


def test_resolving_needs_an_installment(client: Client, world: World) -> None:
    client.force_login(make_user(Role.CLERK))
    url = reverse("payments_suspense_item", args=[world.suspense.pk])
    response = client.post(url, {"atena_no": "720001"})
    assert response.status_code == 200 and "消込する期別を選んでください" in response.content.decode()
    stranger = client.post(url, {"atena_no": "720001", "installment_ids": [world.resident.pk]})  # paid: not offered
    assert "選んだ期別はこの宛名の未納の期別ではありません" in stranger.content.decode()
    assert Suspense.objects.count() == 1


# ---- 速報未確報 ------------------------------------------------------------------------------------


def test_unconfirmed_lists_old_preliminaries_and_is_logged(
    client: Client, world: World, settings: Settings, today: date
) -> None:
    settings.PRELIMINARY_FOLLOW_UP_DAYS = 14
    recent = make_levy(make_person(atena_no="720301"), [4_000], [today + timedelta(days=20)], revenue="nhi")
    _import(_csv(_event("01", recent.installments.get().pk, 4_000, today - timedelta(days=2))), make_user(), today)
    client.force_login(make_user(Role.CLERK))
    before = _last_seq()
    body = client.get(reverse("payments_unconfirmed")).content.decode()
    table = body.split('data-testid="unconfirmed"')[1]
    assert "720001" in table and "収納 一郎" in table and ">30<" in table  # 30 days since paid
    assert "720301" not in table  # two days old: not yet due for follow-up
    [entry] = _new_entries(before)
    assert (entry.action, entry.subjects, entry.purpose) == ("read", [f"person:{world.person.pk}"], "payments")
    assert not AccessLogEntry.objects.filter(no_purpose_q(), pk=entry.pk).exists()  # a recognised purpose
    client.force_login(make_user(Role.CLERK, ["resident_ordinary"]))
    assert "720001" not in client.get(reverse("payments_unconfirmed")).content.decode()  # an NHI 速報


def test_list_screens_take_a_fixed_number_of_queries(
    client: Client, world: World, big_run: ChannelImport, django_assert_max_num_queries: object
) -> None:
    client.force_login(make_user(Role.CLERK))
    for name in ("payments_imports", "payments_suspense", "payments_unconfirmed"):
        with django_assert_max_num_queries(15):  # type: ignore[operator]
            assert client.get(reverse(name)).status_code == 200


def test_the_ledger_shows_a_payment_pending(client: Client, world: World) -> None:
    """The NHI installment has a 速報 and no 確報: 納付確認中 on the person's ledger."""
    client.force_login(make_user(Role.CLERK))
    body = client.get(reverse("ledger", args=[world.person.atena_no])).content.decode()
    assert body.count("納付確認中</span>") == 1
