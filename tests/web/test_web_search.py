from datetime import date

import pytest
from django.db import connection
from django.test import Client

from choshu.people.models import Person
from choshu.people.selectors import parse_birth_date, person_search, person_search_queryset, search_conditions
from choshu.staff.models import Role
from tests.factories import make_person

pytestmark = pytest.mark.django_db


@pytest.fixture
def city() -> dict[str, Person]:
    return {
        "taro": make_person(
            atena_no="000000101",
            name="新宿 太郎",
            name_kana="シンジュク タロウ",
            birth_date=date(1980, 4, 1),
            address="東京都新宿区西新宿2丁目8番1号",
        ),
        "hanako": make_person(
            atena_no="000000102",
            name="新宿 花子",
            name_kana="シンジュク ハナコ",
            birth_date=date(1982, 7, 7),
            address="東京都新宿区西新宿2丁目8番1号",
        ),
        "ichiro": make_person(
            atena_no="000000103",
            name="山田 一郎",
            name_kana="ヤマダ イチロウ",
            birth_date=date(1980, 4, 1),
            address="東京都新宿区高田馬場1丁目1番1号",
        ),
        "aiko": make_person(
            atena_no="000000104",
            name="青木 愛子",
            name_kana="アオキ アイコ",
            birth_date=date(2020, 1, 5),
            address="東京都新宿区四谷1丁目2番3号",
        ),
        "moved": make_person(
            atena_no="000000105",
            name="大野 正",
            name_kana="オオノ タダシ",
            birth_date=date(1925, 3, 3),
            address="神奈川県横浜市中区1番地",
            residency="moved_out",
            moved_out_on=date(2024, 5, 1),
        ),
    }


def atenas(query: str) -> list[str]:
    return [p.atena_no for p in person_search(query=query, revenues=None)]


def test_atena_no_is_exact(city: dict[str, Person]) -> None:
    assert atenas("000000103") == ["000000103"]
    assert atenas("00000010") == []  # not a prefix search
    assert atenas("００００００１０２") == ["000000102"]  # full-width digits


def test_kana_prefix_any_form(city: dict[str, Person]) -> None:
    expected = ["000000101", "000000102"]  # シンジュクタロウ < シンジュクハナコ
    assert atenas("シンジュク") == expected
    assert atenas("しんじゅく") == expected
    assert atenas("ｼﾝｼﾞｭｸ") == expected
    assert atenas("しんじゅく たろう") == ["000000101"]
    assert atenas("シンジュクタ") == ["000000101"]
    assert atenas("ア") == ["000000104"]
    assert atenas("ンジュク") == []  # prefix, not substring


def test_results_are_ordered_by_kana(city: dict[str, Person]) -> None:
    persons = person_search(query="1980-04-01", revenues=None)
    assert [p.kana_key for p in persons] == ["シンジュクタロウ", "ヤマダイチロウ"]


@pytest.mark.parametrize(
    "query", ["1980-04-01", "1980/4/1", "19800401", "S55.4.1", "s55/4/1", "昭和55年4月1日", "１９８０－０４－０１"]
)
def test_birth_date_forms(city: dict[str, Person], query: str) -> None:
    assert atenas(query) == ["000000101", "000000103"]


def test_birth_date_reiwa_and_taisho(city: dict[str, Person]) -> None:
    assert atenas("R2.1.5") == ["000000104"]
    assert atenas("令和2年1月5日") == ["000000104"]
    assert atenas("T14.3.3") == ["000000105"]


def test_parse_birth_date() -> None:
    assert parse_birth_date("H1.1.8") == date(1989, 1, 8)
    assert parse_birth_date("平成元年1月8日") == date(1989, 1, 8)
    assert parse_birth_date("H1.1.7") is None  # still 昭和 that day
    assert parse_birth_date("R1.4.30") is None
    assert parse_birth_date("R1.5.1") == date(2019, 5, 1)
    assert parse_birth_date("1980-02-30") is None
    assert parse_birth_date("19801301") is None
    assert parse_birth_date("シンジュク") is None


def test_name_prefix(city: dict[str, Person]) -> None:
    assert atenas("山田") == ["000000103"]
    assert atenas("新宿 花") == ["000000102"]
    assert atenas("新宿　太郎") == ["000000101"]  # full-width space
    assert atenas("田") == []


def test_address_prefix_with_and_without_city(city: dict[str, Person]) -> None:
    both = sorted(["000000101", "000000102"], key=lambda a: Person.objects.get(atena_no=a).kana_key)
    assert atenas("東京都新宿区西新宿2丁目") == both
    assert atenas("西新宿2丁目8番") == both
    assert atenas("西新宿") == both  # a bare place name: name OR address
    assert atenas("四谷1丁目") == ["000000104"]
    assert atenas("神奈川県横浜市") == []  # the city prefix is put in front of anything not 東京都…
    assert atenas("高田馬場2丁目") == []
    assert atenas("東京都新宿区") == []  # says nothing: every resident would match
    assert atenas("東京都新宿区 ヤマダ") == ["000000103"]


def test_terms_are_anded(city: dict[str, Person]) -> None:
    assert atenas("ヤマダ S55.4.1") == ["000000103"]
    assert atenas("シンジュク 1980-04-01") == ["000000101"]
    assert atenas("シンジュク 1982-07-07 西新宿") == ["000000102"]
    assert atenas("アオキ 1980-04-01") == []


def test_empty_query_and_limit(city: dict[str, Person]) -> None:
    assert person_search(query="   ", revenues=None) == []
    assert search_conditions("") == []
    assert len(person_search(query="シ", revenues=None, limit=1)) == 1


def _plan(query: str, revenues: list[str] | None = None) -> str:
    qs = person_search_queryset(query=query, revenues=revenues)
    assert qs is not None
    sql, params = qs.query.sql_with_params()
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute("EXPLAIN " + sql, params)
        else:
            cursor.execute("EXPLAIN QUERY PLAN " + sql, params)
        return "\n".join(str(row) for row in cursor.fetchall())


@pytest.mark.parametrize(
    "query", ["000000101", "シン", "シンジュク", "新宿", "1980-04-01", "西新宿2丁目", "シンジュク S55.4.1"]
)
@pytest.mark.parametrize("revenues", [None, ["nhi"]], ids=["unrestricted", "nhi-only"])
def test_no_full_table_scan(city: dict[str, Person], query: str, revenues: list[str] | None) -> None:
    plan = _plan(query, revenues)
    for table in ("people_person", "ledger_levy"):
        if connection.vendor == "postgresql":
            assert f"Seq Scan on {table}" not in plan, plan
        else:
            # "SCAN <table>" without an index is a full scan; "SEARCH … USING INDEX" is a range.
            assert f"SCAN {table}" not in plan.replace(f"SCAN {table} USING INDEX", "INDEX"), plan


def test_search_screen_lists_persons(client_for, city: dict[str, Person]) -> None:
    client: Client = client_for(Role.CLERK)
    response = client.get("/search/", {"q": "ヤマダ"})
    assert response.status_code == 200
    body = response.content.decode()
    assert "山田 一郎" in body and "/persons/000000103/" in body
    assert 'title="1980-04-01"' in body  # 西暦 on hover
    assert "新宿 太郎" not in body
    assert "autofocus" in body


def test_search_screen_htmx_returns_results_only(client_for, city: dict[str, Person]) -> None:
    client: Client = client_for(Role.OFFICER)
    response = client.get("/search/", {"q": "S55.4.1"}, HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in body
    assert "2件" in body and "新宿 太郎" in body and "山田 一郎" in body
