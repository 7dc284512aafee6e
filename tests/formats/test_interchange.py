"""The interchange codec (formats.interchange): no database."""

from dataclasses import replace
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from choshu.formats.interchange import (
    AccountRow,
    LevyRow,
    ParseError,
    PersonRow,
    corporate_no_check_digit,
    dump,
    is_valid_corporate_no,
    parse,
    parse_accounts,
    parse_levies,
    parse_persons,
)
from choshu.formats.zengin_kana import ZENGIN_CHARS, ZenginKanaError, to_zengin_kana

PERSON_HEADER = "atena_no,kind,name,name_kana,birth_date,postal_code,address,residency"
PERSON_OK = "1001,individual,新宿 太郎,シンジュク タロウ,1980-04-01,160-0022,東京都新宿区西新宿2-8-1,resident"
LEVY_HEADER = (
    "levy_no,revision_no,revised_on,atena_no,revenue,fiscal_year,notice_no,installment_no,nominal_due_date,amount"
)
ACCOUNT_HEADER = "atena_no,revenue,bank_code,branch_code,account_type,account_no,holder_kana,start_on,end_on"


class FakeBanks:
    """Bank 0001 with branches 001 and 002; bank 0005 with branch 100."""

    table = {"0001": {"001", "002"}, "0005": {"100"}}

    def has_bank(self, bank_code: str) -> bool:
        return bank_code in self.table

    def has_branch(self, bank_code: str, branch_code: str) -> bool:
        return branch_code in self.table.get(bank_code, set())


def _csv(*lines: str) -> bytes:
    return ("\r\n".join(lines) + "\r\n").encode("utf-8")


def _where(errors: list[ParseError]) -> list[tuple[int, str]]:
    return [(e.line, e.column) for e in errors]


# --- persons ----------------------------------------------------------------------------------


def test_valid_persons_file_gives_typed_rows() -> None:
    data = _csv(
        PERSON_HEADER + ",sex,household_no,is_household_head,phone",
        PERSON_OK + ",1,5001,1,03-1234-5678",
        "1002,business,株式会社新宿,カブシキガイシャ シンジュク,,160-0023,東京都新宿区西新宿1-1-1,nonresident,,,0,",
    )
    parsed = parse_persons(data)
    assert parsed.errors == []
    first, second = parsed.rows
    assert first == PersonRow(
        line=2,
        atena_no="1001",
        kind="individual",
        name="新宿 太郎",
        name_kana="シンジュク タロウ",
        birth_date=date(1980, 4, 1),
        sex="1",
        postal_code="160-0022",
        address="東京都新宿区西新宿2-8-1",
        address_extra="",
        residency="resident",
        moved_out_on=None,
        phone="03-1234-5678",
        household_no="5001",
        is_household_head=True,
        corporate_no="",
        designation_no=None,
    )
    assert (second.kind, second.birth_date, second.household_no, second.is_household_head) == (
        "business",
        None,
        None,
        False,
    )
    assert "address_extra" not in parsed.columns and "sex" in parsed.columns


def test_bom_is_accepted() -> None:
    parsed = parse_persons(b"\xef\xbb\xbf" + _csv(PERSON_HEADER, PERSON_OK))
    assert parsed.errors == []
    assert parsed.rows[0].atena_no == "1001"


def test_unknown_and_missing_and_duplicate_columns_are_reported_on_line_1() -> None:
    data = _csv("atena_no,kind,name,name_kana,birth_date,postal_code,residency,nickname,kind", "")
    errors = parse_persons(data).errors
    assert [str(e) for e in errors] == [
        "line 1, column kind: duplicate column",
        "line 1, column address: required column missing",
        "line 1, column nickname: unknown column",
    ]


@pytest.mark.parametrize(
    ("column", "value", "reason"),
    [
        ("atena_no", "1234567890123456", "'1234567890123456' is not 1–15 digits"),
        ("atena_no", "12-3", "'12-3' is not 1–15 digits"),
        ("atena_no", "", "required"),
        ("kind", "person", "'person' is not one of individual, business"),
        ("name", "x" * 101, "longer than 100 characters (101)"),
        ("name_kana", "しんじゅく たろう", "must be full-width katakana"),
        ("name_kana", "ｼﾝｼﾞｭｸ", "must be full-width katakana"),
        ("name_kana", "シンジュク  タロウ", "must be full-width katakana"),
        ("birth_date", "1980/04/01", "'1980/04/01' is not a date YYYY-MM-DD"),
        ("birth_date", "1980-02-30", "'1980-02-30' is not a valid date"),
        ("birth_date", "", "required for individuals"),
        ("postal_code", "1600022", "'1600022' is not a postal code NNN-NNNN"),
        ("address", "東" * 201, "longer than 200 characters (201)"),
        ("address", "東京都\n新宿区", "contains a control character"),
        ("residency", "alive", "'alive' is not one of resident, nonresident, moved_out, deceased"),
    ],
)
def test_person_column_rules(column: str, value: str, reason: str) -> None:
    names = PERSON_HEADER.split(",")
    cells = dict(zip(names, PERSON_OK.split(","), strict=True))
    cells[column] = value
    line = ",".join(f'"{cells[n]}"' for n in names)
    errors = parse_persons(_csv(PERSON_HEADER, line)).errors
    assert len(errors) == 1
    assert (errors[0].line, errors[0].column) == (2, column)
    assert errors[0].reason.startswith(reason)


@pytest.mark.parametrize(
    ("extra", "value", "reason"),
    [
        ("sex", "3", "'3' is not one of 1, 2"),
        ("phone", "03(1234)5678", "'03(1234)5678' is not digits and hyphens"),
        ("is_household_head", "yes", "'yes' is not one of 1, 0"),
        ("household_no", "A1", "'A1' is not 1–15 digits"),
        ("address_extra", "x" * 101, "longer than 100 characters (101)"),
        ("corporate_no", "123456789012", "'123456789012' is not 13 digits"),
        ("corporate_no", "7123456789012", "only a business has a corporate number"),
        ("moved_out_on", "2026-13-01", "'2026-13-01' is not a valid date"),
    ],
)
def test_optional_person_column_rules(extra: str, value: str, reason: str) -> None:
    # 7123456789012 has a valid check digit, so only the rule "business only" fires.
    errors = parse_persons(_csv(PERSON_HEADER + "," + extra, PERSON_OK + "," + value)).errors
    assert [(e.line, e.column, e.reason) for e in errors] == [(2, extra, reason)]


def test_moved_out_needs_a_date() -> None:
    header = PERSON_HEADER + ",moved_out_on"
    moved = PERSON_OK.replace(",resident", ",moved_out")
    assert _where(parse_persons(_csv(header, moved + ",")).errors) == [(2, "moved_out_on")]
    assert parse_persons(_csv(header, moved + ",2025-03-31")).rows[0].moved_out_on == date(2025, 3, 31)


def test_name_kana_accepts_long_vowel_middle_dot_and_either_space() -> None:
    for kana in ("スミス・ジョン", "シンジュク\u3000タロウ", "サトー ユーコ", "カブシキガイシャ ニシ シンジュク"):
        line = PERSON_OK.replace("シンジュク タロウ", kana)
        assert parse_persons(_csv(PERSON_HEADER, line)).errors == [], kana


def test_corporate_number_check_digit() -> None:
    # Worked example of the 国税庁 formula: base 123456789012 → Σ 74 → 9 − 74 mod 9 = 7.
    assert corporate_no_check_digit("123456789012") == 7
    assert is_valid_corporate_no("7123456789012")
    assert is_valid_corporate_no("7000012050002")  # 国税庁
    assert not is_valid_corporate_no("8123456789012")
    assert not is_valid_corporate_no("712345678901")
    header = PERSON_HEADER + ",corporate_no"
    business = "2001,business,株式会社新宿,カブシキガイシャ シンジュク,,160-0022,東京都,resident"
    assert parse_persons(_csv(header, business + ",7123456789012")).errors == []
    errors = parse_persons(_csv(header, business + ",8123456789012")).errors
    assert [str(e) for e in errors] == ["line 2, column corporate_no: check digit does not match (expected 7)"]


def test_every_bad_line_is_reported_not_only_the_first() -> None:
    data = _csv(
        PERSON_HEADER,
        PERSON_OK,
        PERSON_OK.replace("1001", "x"),
        PERSON_OK.replace("160-0022", "160"),
        PERSON_OK.replace("1001", "1004").replace("individual", "people").replace("resident", "gone"),
    )
    assert _where(parse_persons(data).errors) == [
        (3, "atena_no"),
        (4, "postal_code"),
        (5, "kind"),
        (5, "residency"),
    ]


def test_undecodable_bytes_are_reported_at_their_line_and_column() -> None:
    data = _csv(PERSON_HEADER, PERSON_OK) + PERSON_OK.replace("1001", "1002").encode().replace(
        "新宿区".encode(), "新宿区".encode("shift_jis")
    )
    errors = parse_persons(data).errors
    assert [str(e) for e in errors] == ["line 3, column address: not valid UTF-8"]


def test_a_quoted_line_break_keeps_line_numbers_of_later_records() -> None:
    data = _csv(
        PERSON_HEADER + ",address_extra",
        PERSON_OK + ',"メゾン新宿\n101号"',
        PERSON_OK.replace("1001", "1002") + ",x" * 2,
    )
    errors = parse_persons(data).errors
    assert [str(e) for e in errors] == [
        "line 2, column address_extra: contains a control character (line break or tab)",
        "line 4, column -: 10 fields, the header has 9",
    ]


def test_malformed_csv_and_empty_file() -> None:
    assert [str(e) for e in parse_persons(b"").errors] == ["line 1, column -: empty file: no header row"]
    errors = parse_persons(_csv(PERSON_HEADER, PERSON_OK, '1002,"individual"x,' + "a," * 6)).errors
    assert len(errors) == 1 and errors[0].line == 3 and errors[0].reason.startswith("malformed CSV")


def test_header_only_file_is_valid_and_empty() -> None:
    parsed = parse_persons(_csv(PERSON_HEADER))
    assert parsed.ok and parsed.rows == []


def test_designation_no_unique_within_the_file() -> None:
    header = PERSON_HEADER + ",designation_no"
    b1 = "2001,business,甲社,コウシャ,,160-0022,東京都,resident,D100"
    b2 = "2002,business,乙社,オツシャ,,160-0022,東京都,resident,D100"
    assert [str(e) for e in parse_persons(_csv(header, b1, b2)).errors] == [
        "line 3, column designation_no: also given to atena_no 2001 on line 2"
    ]
    # A later row for the same atena_no replaces the earlier one: no conflict.
    assert parse_persons(_csv(header, b1, b1.replace("甲社", "甲社2"))).errors == []


# --- levies -----------------------------------------------------------------------------------


def _levy(levy_no: str = "L1", rev: int = 0, inst: int = 1, amount: int = 10000, **kw: str) -> str:
    cells = {
        "levy_no": levy_no,
        "revision_no": str(rev),
        "revised_on": "" if rev == 0 else "2026-07-01",
        "atena_no": "1001",
        "revenue": "resident_ordinary",
        "fiscal_year": "2026",
        "notice_no": "N1",
        "installment_no": str(inst),
        "nominal_due_date": ["2026-06-30", "2026-08-31", "2026-10-31", "2027-01-31"][inst - 1],
        "amount": str(amount),
    }
    cells.update(kw)
    return ",".join(cells.values())


def test_valid_levies_file() -> None:
    parsed = parse_levies(
        _csv(LEVY_HEADER, _levy(inst=1), _levy(inst=2), _levy(rev=1, inst=1, amount=0), _levy(rev=1, inst=2))
    )
    assert parsed.errors == []
    assert parsed.rows[2] == LevyRow(
        line=4,
        levy_no="L1",
        revision_no=1,
        revised_on=date(2026, 7, 1),
        atena_no="1001",
        revenue="resident_ordinary",
        fiscal_year=2026,
        notice_no="N1",
        installment_no=1,
        nominal_due_date=date(2026, 6, 30),
        amount=0,
    )


def test_revised_on_column_may_be_left_out_for_original_levies() -> None:
    header = LEVY_HEADER.replace("revised_on,", "")
    line = _levy().replace(",,", ",", 1)
    assert parse_levies(_csv(header, line)).errors == []
    errors = parse_levies(_csv(header, _levy(rev=1).replace(",2026-07-01", "", 1))).errors
    assert [str(e) for e in errors] == ["line 2, column revised_on: required when revision_no > 0"]


@pytest.mark.parametrize(
    ("field", "value", "reason"),
    [
        ("amount", '"1,000"', "'1,000' is not an amount of whole yen ≥ 0 without separators"),
        ("amount", "-5", "'-5' is not an amount"),
        ("amount", "10000.0", "'10000.0' is not an amount"),
        ("installment_no", "13", "13 is not an integer 1–12"),
        ("installment_no", "0", "0 is not an integer 1–12"),
        ("fiscal_year", "26", "26 is not a 4-digit year"),
        ("fiscal_year", "02026", "'02026' is not a 4-digit year"),
        ("revenue", "property", "'property' is not one of resident_ordinary"),
        ("revision_no", "-1", "'-1' is not an integer"),
        ("nominal_due_date", "2026-6-30", "'2026-6-30' is not a date YYYY-MM-DD"),
        ("levy_no", "L 1", "'L 1' is not letters, digits and hyphens"),
        ("atena_no", "", "required"),
    ],
)
def test_levy_column_rules(field: str, value: str, reason: str) -> None:
    errors = parse_levies(_csv(LEVY_HEADER, _levy(**{field: value}))).errors
    assert len(errors) == 1
    assert (errors[0].line, errors[0].column) == (2, field)
    assert errors[0].reason.startswith(reason)


def test_levy_rows_must_agree_within_a_levy_and_revision() -> None:
    data = _csv(
        LEVY_HEADER,
        _levy(inst=1),
        _levy(inst=1, amount=5),  # duplicate installment
        _levy(inst=2, atena_no="1002"),  # another obligor
        _levy(rev=1, inst=1),
        _levy(rev=1, inst=2, revised_on="2026-07-02", notice_no="N2"),
    )
    assert [str(e) for e in parse_levies(data).errors] == [
        "line 3, column installment_no: installment 1 of levy L1 revision 0 already on line 2",
        "line 4, column atena_no: differs from line 2 for levy L1 (1001); a revision changes amounts and dates only",
        "line 6, column revised_on: differs from line 5 for levy L1 revision 1",
        "line 6, column notice_no: differs from line 2 for levy L1 (N1); a revision changes amounts and dates only",
    ]


def test_a_revision_in_the_file_sends_every_installment_with_the_same_due_dates() -> None:
    data = _csv(
        LEVY_HEADER,
        _levy(inst=1),
        _levy(inst=2),
        _levy(rev=1, inst=1, nominal_due_date="2026-07-31"),
    )
    assert [str(e) for e in parse_levies(data).errors] == [
        "line 4, column installment_no: levy L1 revision 1 lacks installments 2 of revision 0; "
        "a revision sends every installment",
        "line 4, column nominal_due_date: differs from line 2 for installment 1 of levy L1; "
        "a revision does not change due dates",
    ]


# --- accounts ---------------------------------------------------------------------------------


def _account(**kw: str) -> str:
    cells = {
        "atena_no": "1001",
        "revenue": "light_vehicle",
        "bank_code": "0001",
        "branch_code": "001",
        "account_type": "1",
        "account_no": "1234567",
        "holder_kana": "シンジュク　タロウ",
        "start_on": "2026-04-01",
        "end_on": "",
    }
    cells.update(kw)
    return ",".join(cells.values())


def test_valid_accounts_file_converts_holder_to_zengin_kana() -> None:
    parsed = parse_accounts(
        _csv(ACCOUNT_HEADER, _account(), _account(revenue="nhi", holder_kana="ｷｭｳﾖ ｲﾁﾛｳ")), banks=FakeBanks()
    )
    assert parsed.errors == []
    assert parsed.rows[0] == AccountRow(
        line=2,
        atena_no="1001",
        revenue="light_vehicle",
        bank_code="0001",
        branch_code="001",
        account_type="1",
        account_no="1234567",
        holder_kana="ｼﾝｼﾞﾕｸ ﾀﾛｳ",
        start_on=date(2026, 4, 1),
        end_on=None,
    )
    assert parsed.rows[1].holder_kana == "ｷﾕｳﾖ ｲﾁﾛｳ"


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("bank_code", "9999", "line 2, column bank_code: bank 9999 is not in the bank code table"),
        ("bank_code", "001", "line 2, column bank_code: '001' is not 4 digits"),
        ("branch_code", "003", "line 2, column branch_code: branch 003 of bank 0001 is not in the bank code table"),
        ("branch_code", "1", "line 2, column branch_code: '1' is not 3 digits"),
        ("account_type", "4", "line 2, column account_type: '4' is not one of 1, 2, 3, 9"),
        ("account_no", "123456", "line 2, column account_no: '123456' is not 7 digits"),
        ("end_on", "2026-03-31", "line 2, column end_on: 2026-03-31 is before start_on 2026-04-01"),
        (
            "holder_kana",
            "新宿　タロウ",
            "line 2, column holder_kana: cannot be converted to the Zengin character set: '新' (U+65B0) '宿' (U+5BBF)",
        ),
        (
            "holder_kana",
            "タロウ＆ハナコ",
            "line 2, column holder_kana: cannot be converted to the Zengin character set: '＆' (U+FF06)",
        ),
        ("holder_kana", "ア" * 31, "line 2, column holder_kana: 31 characters in Zengin form, the field holds 30"),
    ],
)
def test_account_column_rules(field: str, value: str, message: str) -> None:
    errors = parse_accounts(_csv(ACCOUNT_HEADER, _account(**{field: value})), banks=FakeBanks()).errors
    assert [str(e) for e in errors] == [message]


def test_duplicate_mandate_key_in_one_file() -> None:
    data = _csv(ACCOUNT_HEADER, _account(), _account(account_no="7654321"))
    assert _where(parse_accounts(data, banks=FakeBanks()).errors) == [(3, "start_on")]


def test_parse_dispatches_on_kind() -> None:
    assert parse("persons", _csv(PERSON_HEADER, PERSON_OK)).rows[0].atena_no == "1001"
    with pytest.raises(ValueError, match="bank directory"):
        parse("accounts", _csv(ACCOUNT_HEADER))
    with pytest.raises(ValueError, match="unknown interchange kind"):
        parse("payments", b"")


# --- Zengin kana --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "zengin"),
    [
        ("キュウヨ　イチロウ", "ｷﾕｳﾖ ｲﾁﾛｳ"),
        ("ヴィーナス", "ｳﾞｲ-ﾅｽ"),
        ("やまだ・たろう", "ﾔﾏﾀﾞ.ﾀﾛｳ"),
        ("ｶﾞｯｺｳ", "ｶﾞﾂｺｳ"),
        ("カ\u3099ク", "ｶﾞｸ"),  # decomposed dakuten
        ("（カ）シンジュク", "(ｶ)ｼﾝｼﾞﾕｸ"),
        ("ｓｍｉｔｈ　ｊｏｈｎ", "SMITH JOHN"),
        ("ヮヵヶ", "ﾜｶｹ"),
        ("  ア  イ ", "ｱ ｲ"),
        ("ﾀﾞｲｲﾁ ｼｮｳｼﾞ", "ﾀﾞｲｲﾁ ｼﾖｳｼﾞ"),
    ],
)
def test_to_zengin_kana(text: str, zengin: str) -> None:
    assert to_zengin_kana(text) == zengin


def test_to_zengin_kana_names_every_unconvertible_character_once() -> None:
    with pytest.raises(ZenginKanaError) as info:
        to_zengin_kana("山田 ヤマダ 山♪")
    assert info.value.chars == ["山", "田", "♪"]


# --- round trip -------------------------------------------------------------------------------

_katakana = st.text(alphabet=[chr(c) for c in range(0x30A1, 0x30F7)] + ["ー"], min_size=1, max_size=12)
_dates = st.dates(min_value=date(1900, 1, 1), max_value=date(2099, 12, 31))
_digits = st.text(alphabet="0123456789", min_size=1, max_size=15)
_text = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=("Cc", "Cs", "Zl", "Zp", "Zs")), min_size=1, max_size=30
)
_revenues = st.sampled_from(["resident_ordinary", "resident_special", "light_vehicle", "nhi"])


@st.composite
def person_rows(draw: st.DrawFn) -> PersonRow:
    kind = draw(st.sampled_from(["individual", "business"]))
    residency = draw(st.sampled_from(["resident", "nonresident", "moved_out", "deceased"]))
    base = draw(st.text(alphabet="0123456789", min_size=12, max_size=12))
    household = draw(st.none() | _digits)
    return PersonRow(
        line=0,
        atena_no=draw(_digits),
        kind=kind,
        name=draw(_text),
        name_kana=" ".join(draw(st.lists(_katakana, min_size=1, max_size=3))),
        birth_date=draw(_dates) if kind == "individual" else draw(st.none() | _dates),
        sex=draw(st.sampled_from(["", "1", "2"])),
        postal_code=draw(st.from_regex(r"[0-9]{3}-[0-9]{4}", fullmatch=True)),
        address=draw(_text),
        address_extra=draw(st.just("") | _text),
        residency=residency,
        moved_out_on=draw(_dates) if residency == "moved_out" else draw(st.none() | _dates),
        phone=draw(st.sampled_from(["", "03-1234-5678", "09012345678"])),
        household_no=household,
        is_household_head=draw(st.booleans()),
        corporate_no=f"{corporate_no_check_digit(base)}{base}" if kind == "business" else "",
        designation_no=draw(st.none() | st.from_regex(r"[0-9A-Z]{1,10}", fullmatch=True)),
    )


@settings(max_examples=60, deadline=None)
@given(st.lists(person_rows(), max_size=5, unique_by=lambda r: r.atena_no))
def test_person_rows_round_trip(rows: list[PersonRow]) -> None:
    rows = [replace(r, line=i, designation_no=None if i % 2 else r.designation_no) for i, r in enumerate(rows, 2)]
    designations = [r.designation_no for r in rows if r.designation_no]
    if len(designations) != len(set(designations)):
        rows = [replace(r, designation_no=None) for r in rows]
    parsed = parse_persons(dump("persons", rows, bom=True))
    assert parsed.errors == []
    assert parsed.rows == rows


@st.composite
def levy_rows(draw: st.DrawFn) -> list[LevyRow]:
    count = draw(st.integers(1, 12))
    revision_no = draw(st.integers(0, 5))
    return [
        LevyRow(
            line=0,
            levy_no=draw(st.from_regex(r"[A-Z][0-9]{1,8}", fullmatch=True)),
            revision_no=revision_no,
            revised_on=draw(_dates) if revision_no else None,
            atena_no=draw(_digits),
            revenue=draw(_revenues),
            fiscal_year=draw(st.integers(1970, 2099)),
            notice_no=draw(st.from_regex(r"[0-9]{1,10}", fullmatch=True)),
            installment_no=no,
            nominal_due_date=draw(_dates),
            amount=draw(st.integers(0, 999_999_999_999)),
        )
        for no in range(1, count + 1)
    ]


@settings(max_examples=60, deadline=None)
@given(levy_rows())
def test_levy_rows_round_trip(rows: list[LevyRow]) -> None:
    # One levy: make the header fields agree as the file rules require.
    first = rows[0]
    rows = [
        replace(
            r,
            line=i,
            **{
                k: getattr(first, k)
                for k in ("levy_no", "atena_no", "revenue", "fiscal_year", "notice_no", "revised_on")
            },
        )
        for i, r in enumerate(rows, 2)
    ]
    parsed = parse_levies(dump("levies", rows))
    assert parsed.errors == []
    assert parsed.rows == rows


@st.composite
def account_rows(draw: st.DrawFn) -> AccountRow:
    start = draw(_dates)
    holder = draw(st.text(alphabet=sorted(ZENGIN_CHARS - {" "}), min_size=1, max_size=30))
    return AccountRow(
        line=0,
        atena_no=draw(_digits),
        revenue=draw(_revenues),
        bank_code="0005",
        branch_code="100",
        account_type=draw(st.sampled_from(["1", "2", "3", "9"])),
        account_no=draw(st.from_regex(r"[0-9]{7}", fullmatch=True)),
        holder_kana=holder,
        start_on=start,
        end_on=draw(st.none() | st.dates(min_value=start, max_value=date(2099, 12, 31))),
    )


@settings(max_examples=60, deadline=None)
@given(st.lists(account_rows(), max_size=5, unique_by=lambda r: (r.atena_no, r.revenue, r.start_on)))
def test_account_rows_round_trip(rows: list[AccountRow]) -> None:
    rows = [replace(r, line=i) for i, r in enumerate(rows, 2)]
    parsed = parse_accounts(dump("accounts", rows), banks=FakeBanks())
    assert parsed.errors == []
    assert parsed.rows == rows


@given(st.text(max_size=20))
def test_zengin_conversion_is_idempotent_and_stays_in_the_character_set(text: str) -> None:
    try:
        once = to_zengin_kana(text)
    except ZenginKanaError:
        return
    assert set(once) <= ZENGIN_CHARS
    assert to_zengin_kana(once) == once
