"""口座振替依頼データ (payments.debit and `choshu debit request`): selection, rejects, the file."""

import hashlib
import json
import stat
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest
from django.core.exceptions import PermissionDenied
from django.core.management import CommandError, call_command
from pytest_django import DjangoAssertNumQueries
from pytest_django import Settings as SettingsWrapper

from choshu.audit.models import AccessLogEntry
from choshu.formats.payment_event import EventKind
from choshu.formats.payment_key import customer_no, installment_id_of_customer_no
from choshu.formats.zengin_debit import parse_request, parse_result, write_result
from choshu.ledger.models import DebitMandate, Installment, Levy
from choshu.ledger.services import counter_payment_post
from choshu.payments.debit import DebitRequestError, debit_request_build, zengin_bank_name
from choshu.payments.models import DebitRequest
from choshu.people.models import Person
from choshu.staff.models import Role, User
from tests.factories import make_levy, make_person, make_user

DEBIT = date(2026, 4, 30)  # a Thursday: a due date stays on it
LATER = date(2026, 6, 30)


@pytest.fixture(autouse=True)
def fast_passwords(settings: SettingsWrapper) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def clerk(db: None) -> User:
    return make_user(Role.CLERK, username="shuno")


def _mandate(person: Person, revenue: str = "resident_ordinary", **fields: object) -> DebitMandate:
    values: dict[str, object] = {
        "bank_code": "0005",
        "branch_code": "100",
        "account_type": "1",
        "account_no": "7654321",
        "holder_kana": "シンジュク タロウ",
        "start_on": date(2025, 4, 1),
        "end_on": None,
    }
    values.update(fields)
    return DebitMandate.objects.create(person=person, revenue=revenue, **values)


def _debtor(amounts: tuple[int, ...] = (10_000, 9_000), revenue: str = "resident_ordinary", **mandate: object) -> Levy:
    """A person with a mandate and a levy whose first installment is due on DEBIT."""
    person = make_person()
    _mandate(person, revenue, **mandate)
    return make_levy(person, list(amounts), [DEBIT, LATER][: len(amounts)], revenue=revenue)


def _first(levy: Levy) -> Installment:
    return levy.installments.get(installment_no=1)


def _keys(data: bytes) -> dict[str, int]:
    read = parse_request(data, received_on=DEBIT)
    assert read.errors == []
    return {r.customer_no: r.amount for r in read.records}


@pytest.mark.django_db
def test_due_unpaid_installments_with_an_active_mandate_are_requested(clerk: User) -> None:
    levy = _debtor()
    result = debit_request_build(actor=clerk, debit_date=DEBIT)
    inst = _first(levy)
    assert _keys(result.data) == {customer_no(inst.pk): 10_000}  # not the installment due in June
    assert (result.count, result.total, result.rejects) == (1, 10_000, [])
    assert result.revenues == ["resident_ordinary"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("start_on", "end_on", "requested"),
    [
        (date(2025, 4, 1), None, True),
        (DEBIT, None, True),  # starts on the debit date
        (date(2026, 5, 1), None, False),  # not yet
        (date(2025, 4, 1), DEBIT, True),  # ends on the debit date
        (date(2025, 4, 1), date(2026, 4, 29), False),  # ended the day before
    ],
)
def test_mandate_must_be_active_on_the_debit_date(
    clerk: User, start_on: date, end_on: date | None, requested: bool
) -> None:
    levy = _debtor(start_on=start_on, end_on=end_on)
    keys = _keys(debit_request_build(actor=clerk, debit_date=DEBIT).data)
    assert (customer_no(_first(levy).pk) in keys) is requested


@pytest.mark.django_db
def test_only_installments_due_on_the_debit_date(clerk: User) -> None:
    levy = _debtor()
    second = levy.installments.get(installment_no=2)
    assert _keys(debit_request_build(actor=clerk, debit_date=LATER).data) == {customer_no(second.pk): 9_000}
    assert _keys(debit_request_build(actor=clerk, debit_date=date(2026, 5, 1)).data) == {}


@pytest.mark.django_db
def test_paid_installments_are_excluded_and_part_paid_ones_debit_the_balance(clerk: User) -> None:
    paid, part = _debtor(), _debtor()
    for levy, amount in ((paid, 10_000), (part, 2_500)):
        counter_payment_post(
            actor=clerk,
            person=levy.person,
            installment_ids=[_first(levy).pk],
            amount=amount,
            paid_on=date(2026, 4, 20),
        )
    assert _keys(debit_request_build(actor=clerk, debit_date=DEBIT).data) == {customer_no(_first(part).pk): 7_500}


@pytest.mark.django_db
def test_mandate_revenue_must_match_the_levy(clerk: User) -> None:
    person = make_person()
    _mandate(person, "nhi")
    make_levy(person, [10_000], [DEBIT], revenue="resident_ordinary")
    nhi = make_levy(person, [4_000], [DEBIT], revenue="nhi")
    other = make_person()  # a levy of someone without a mandate
    make_levy(other, [3_000], [DEBIT])
    assert _keys(debit_request_build(actor=clerk, debit_date=DEBIT).data) == {customer_no(_first(nhi).pk): 4_000}


@pytest.mark.django_db
def test_of_overlapping_mandates_the_latest_start_wins(clerk: User) -> None:
    levy = _debtor(account_no="1111111", start_on=date(2024, 4, 1))
    _mandate(levy.person, account_no="2222222", start_on=date(2026, 1, 1))
    (record,) = parse_request(debit_request_build(actor=clerk, debit_date=DEBIT).data, received_on=DEBIT).records
    assert record.account_no == "2222222"


@pytest.mark.django_db
def test_file_carries_settings_zengin_names_and_converted_holder_kana(clerk: User, settings: SettingsWrapper) -> None:
    settings.DEBIT_CONSIGNOR_CODE = "9876543210"
    settings.DEBIT_CONSIGNOR_NAME = "シンジュククゼイムカ"
    settings.DEBIT_CRLF = False
    levy = _debtor(holder_kana="キュウヨ　イチロウ", account_type="3", account_no="0012345")
    result = debit_request_build(actor=clerk, debit_date=DEBIT)
    assert len(result.data) == 4 * 120  # no CRLF when the setting says so
    read = parse_request(result.data, received_on=DEBIT)
    assert read.header is not None
    assert (read.header.consignor_code, read.header.consignor_name) == ("9876543210", "ｼﾝｼﾞﾕｸｸｾﾞｲﾑｶ")
    assert read.header.debit_date == DEBIT
    assert (read.header.bank_code, read.header.bank_name) == ("0001", "ﾐｽﾞﾎ")
    assert (read.header.branch_code, read.header.branch_name) == ("001", "ﾄｳｷﾖｳ")
    (record,) = read.records
    assert record.holder_name == "ｷﾕｳﾖ ｲﾁﾛｳ"  # small kana written large
    assert (record.bank_code, record.bank_name) == ("0005", "ﾐﾂﾋﾞｼﾕ-ｴﾌｼﾞｴｲ")
    assert (record.account_type, record.account_no) == ("3", "0012345")
    assert record.customer_no == customer_no(_first(levy).pk)
    assert installment_id_of_customer_no(record.customer_no) == _first(levy).pk
    assert record.result_code == ""


def test_bank_names_are_cut_to_fifteen_half_width_characters() -> None:
    assert zengin_bank_name("ミツビシユ－エフジエイ") == "ﾐﾂﾋﾞｼﾕ-ｴﾌｼﾞｴｲ"
    assert zengin_bank_name("シンジュクニシグチエキマエシテン") == "ｼﾝｼﾞﾕｸﾆｼｸﾞﾁｴｷﾏｴ"  # 15 of 18
    assert zengin_bank_name("漢字") == ""  # optional field: blank rather than refusing


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("mandate", "reason"),
    [
        ({"holder_kana": "山田 太郎"}, "変換できない文字があります: 「山」、「田」、「太」、「郎」"),
        ({"holder_kana": "ア" * 31}, "31文字あり、30文字を超えます"),
        ({"bank_code": "9999"}, "金融機関コード 9999 が金融機関コード表にありません"),
        ({"branch_code": "999"}, "支店コード 999 が金融機関コード表にありません"),
        ({"account_no": "12345"}, "口座番号 '12345' が7桁の数字ではありません"),
    ],
)
def test_rows_that_cannot_be_written_are_rejected_with_their_reason(
    clerk: User, mandate: dict[str, object], reason: str
) -> None:
    good = _debtor()
    bad = _debtor(**mandate)
    result = debit_request_build(actor=clerk, debit_date=DEBIT)
    assert _keys(result.data) == {customer_no(_first(good).pk): 10_000}
    (reject,) = result.rejects
    assert (reject.installment_id, reject.levy_no, reject.installment_no) == (_first(bad).pk, bad.levy_no, 1)
    assert reject.atena_no == bad.person.atena_no
    assert reason in reject.reason
    assert (result.count, result.total) == (1, 10_000)


@pytest.mark.django_db
def test_an_export_is_logged_without_personal_data(clerk: User) -> None:
    _debtor(), _debtor(amounts=(3_000,))
    before = AccessLogEntry.objects.count()
    debit_request_build(actor=clerk, debit_date=DEBIT)
    assert AccessLogEntry.objects.count() == before + 1
    entry = AccessLogEntry.objects.order_by("-seq").first()
    assert entry is not None
    assert (entry.action, entry.channel, entry.actor_id) == ("export", "cli", clerk.pk)
    assert entry.subjects == ["count:direct_debit:2"]
    assert entry.purpose == "batch:debit_request:20260430"
    assert entry.query == ""


@pytest.mark.django_db
def test_query_count_does_not_grow_with_rows(
    clerk: User, django_assert_max_num_queries: DjangoAssertNumQueries
) -> None:
    _debtor()
    # the earlier request of the date, two reads (installments, mandates), the run record and the
    # access-log entry (with its savepoints)
    with django_assert_max_num_queries(11) as small:
        debit_request_build(actor=clerk, debit_date=DEBIT)
    for _ in range(25):
        _debtor()
    _debtor(holder_kana="漢字")
    with django_assert_max_num_queries(len(small.captured_queries)) as large:
        result = debit_request_build(actor=clerk, debit_date=DEBIT, again="件数の確認")
    assert (result.count, len(result.rejects)) == (26, 1)
    assert len(large.captured_queries) == len(small.captured_queries)


@pytest.mark.django_db
@pytest.mark.parametrize("role", [Role.OFFICER, Role.NHI_OFFICER, Role.AUDITOR, Role.ADMIN])
def test_only_posting_roles_may_build_a_request(role: Role) -> None:
    _debtor()
    user = make_user(role)
    before = AccessLogEntry.objects.count()
    with pytest.raises(PermissionDenied):
        debit_request_build(actor=user, debit_date=DEBIT)
    assert AccessLogEntry.objects.count() == before


@pytest.mark.django_db
def test_a_clerk_must_hold_every_revenue_in_the_file() -> None:
    _debtor(revenue="nhi")
    narrow = make_user(Role.CLERK, scopes=["resident_ordinary"])
    with pytest.raises(PermissionDenied, match="nhi"):
        debit_request_build(actor=narrow, debit_date=DEBIT)
    assert debit_request_build(actor=make_user(Role.SUPERVISOR), debit_date=DEBIT).count == 1


@pytest.mark.django_db
def test_a_consignor_bank_outside_the_code_table_is_refused(clerk: User, settings: SettingsWrapper) -> None:
    settings.DEBIT_BANK_CODE = "9999"
    with pytest.raises(DebitRequestError, match="9999"):
        debit_request_build(actor=clerk, debit_date=DEBIT)
    settings.DEBIT_BANK_CODE = "0001"
    settings.DEBIT_CONSIGNOR_CODE = "12345"
    assert debit_request_build(actor=clerk, debit_date=DEBIT).count == 0  # N field: zero-filled
    settings.DEBIT_CONSIGNOR_CODE = "12345X"
    with pytest.raises(DebitRequestError, match="委託者コード"):
        debit_request_build(actor=clerk, debit_date=DEBIT)


@pytest.mark.django_db
def test_file_round_trip_through_the_bank(clerk: User) -> None:
    """The request, answered by the bank with result codes, comes back as payment events whose
    keys name the installments (the second acceptance bullet of issue 4, up to posting)."""
    levies = [_debtor(amounts=(1_000 * (i + 1),)) for i in range(4)]
    request = debit_request_build(actor=clerk, debit_date=DEBIT).data
    read = parse_request(request, received_on=DEBIT)
    assert read.header is not None
    answered = [replace(r, result_code=code) for r, code in zip(read.records, "0108", strict=True)]
    parsed = parse_result(write_result(read.header, answered), received_on=date(2026, 5, 2))
    assert parsed.errors == []
    by_installment = {installment_id_of_customer_no(e.key): e for e in parsed.events}
    assert set(by_installment) == {_first(levy).pk for levy in levies}
    for levy in levies:
        event = by_installment[_first(levy).pk]
        assert event.amount == _first(levy).balance
        assert event.paid_on == DEBIT
    kinds = [(e.kind, e.result_text) for e in parsed.events]
    assert kinds == [
        (EventKind.CONFIRMED, "振替済"),
        (EventKind.DEBIT_FAILED, "資金不足"),
        (EventKind.CONFIRMED, "振替済"),
        (EventKind.DEBIT_FAILED, "委託者の都合による振替停止"),
    ]


# --- the command -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_command_writes_the_file_and_prints_counts(
    clerk: User, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    levy = _debtor()
    _debtor(holder_kana="山田")
    out = tmp_path / "debit.txt"
    call_command("debit", "request", "--debit-date", "2026-04-30", "--out", str(out), "--user", "shuno")
    captured = capsys.readouterr()
    assert "1 件 10,000 円" in captured.out and "作成しなかった行 1 件" in captured.out
    assert "変換できない文字" in captured.err
    assert _keys(out.read_bytes()) == {customer_no(_first(levy).pk): 10_000}
    assert stat.S_IMODE(out.stat().st_mode) == 0o600


@pytest.mark.django_db
def test_command_json(clerk: User, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _debtor(amounts=(4_200,))
    _debtor(bank_code="9999")
    out = tmp_path / "debit.txt"
    call_command("debit", "request", "--debit-date", "2026-04-30", "--out", str(out), "--json")
    payload = json.loads(capsys.readouterr().out)
    assert payload["file"] == str(out)
    assert (payload["debit_date"], payload["count"], payload["total"]) == ("2026-04-30", 1, 4_200)
    assert [r["reason"] for r in payload["rejects"]] == ["金融機関コード 9999 が金融機関コード表にありません。"]
    entry = AccessLogEntry.objects.order_by("-seq").first()
    assert entry is not None and entry.actor_id is None and entry.actor_label.startswith(("os:", "cli"))


@pytest.mark.django_db
@pytest.mark.parametrize("role", [Role.OFFICER, Role.AUDITOR])
def test_command_refuses_a_user_without_the_right(role: Role, tmp_path: Path) -> None:
    _debtor()
    make_user(role, username="other")
    out = tmp_path / "debit.txt"
    before = AccessLogEntry.objects.count()
    with pytest.raises(CommandError, match="権限がありません"):
        call_command("debit", "request", "--debit-date", "2026-04-30", "--out", str(out), "--user", "other")
    assert not out.exists()
    assert AccessLogEntry.objects.count() == before


@pytest.mark.django_db
def test_command_refuses_an_unknown_user(tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="No user"):
        call_command("debit", "request", "--debit-date", "2026-04-30", "--out", str(tmp_path / "x"), "--user", "nobody")


@pytest.mark.django_db
def test_command_logs_nothing_when_the_file_cannot_be_written(clerk: User, tmp_path: Path) -> None:
    _debtor()
    before = AccessLogEntry.objects.count()
    with pytest.raises(CommandError):
        call_command("debit", "request", "--debit-date", "2026-04-30", "--out", str(tmp_path / "no" / "such" / "dir"))
    assert AccessLogEntry.objects.count() == before


@pytest.mark.django_db
def test_a_second_file_for_a_date_needs_a_reason(clerk: User) -> None:
    """The bank would debit twice: a date's file is written once, again only with a reason."""
    _debtor()
    first = debit_request_build(actor=clerk, debit_date=DEBIT)
    with pytest.raises(DebitRequestError, match="作成済み"):
        debit_request_build(actor=clerk, debit_date=DEBIT)
    again = debit_request_build(actor=clerk, debit_date=DEBIT, again="媒体の破損により再作成")
    assert again.data == first.data
    runs = list(DebitRequest.objects.order_by("pk").values_list("records", "again_reason", "created_by"))
    assert runs == [(1, "", clerk.pk), (1, "媒体の破損により再作成", clerk.pk)]
    assert DebitRequest.objects.first().sha256 == hashlib.sha256(first.data).hexdigest()
