from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from choshu.formats.cvs_barcode import (
    BarcodeError,
    CvsBarcode,
    build_barcode,
    free_area,
    human_readable,
    parse_barcode,
    split_free_area,
)
from choshu.formats.errors import ParseError
from choshu.formats.payment_key import mod10_w31, payment_key

# formats.md §3.2, verified vectors (43-digit body + check digit).
VECTOR_1 = "91912345012345678901234567890101033101230003"
VECTOR_2 = "91942386178953917853935692730103073110312903"
VECTOR_GO = "91929023219420000000000037554399999999999999"


def _with_check_digit(body43: str) -> str:
    return body43 + str(mod10_w31(body43))


def test_vector_1_parses_field_by_field() -> None:
    assert len(VECTOR_1) == 44
    assert parse_barcode(VECTOR_1) == CvsBarcode(
        company_code="912345",
        free_area="012345678901234567890",
        reissue=1,
        due_date=date(2001, 3, 31),
        stamp_flag=0,
        amount=123_000,
        check_digit=3,
    )


def test_vector_1_is_rebuilt_from_its_fields() -> None:
    built = build_barcode(
        company_code="912345", free_area="012345678901234567890", reissue=1, due_date=date(2001, 3, 31), amount=123_000
    )
    assert built == VECTOR_1


def test_vector_2_with_a_stamp_flag_parses() -> None:
    b = parse_barcode(VECTOR_2)
    assert (b.company_code, b.reissue, b.due_date, b.stamp_flag, b.amount) == (
        "942386",
        1,
        date(2003, 7, 31),
        1,
        31_290,
    )
    assert b.digits == VECTOR_2


def test_go_vector_has_a_valid_check_digit_but_an_impossible_stamp_flag() -> None:
    assert mod10_w31(VECTOR_GO[:-1]) == 9
    with pytest.raises(BarcodeError) as error:
        parse_barcode(VECTOR_GO)
    assert error.value.fields == ("stamp_flag",)


def test_no_due_date_is_999999() -> None:
    built = build_barcode(company_code="912345", free_area="0" * 21, reissue=0, due_date=None, amount=1)
    assert built[30:36] == "999999"
    assert parse_barcode(built).due_date is None


biller_keys = st.integers(min_value=1, max_value=10**15 - 1).map(payment_key)
prefixes = st.text(alphabet="0123456789", min_size=0, max_size=5)


@given(
    company_code=st.text(alphabet="0123456789", min_size=6, max_size=6),
    prefix=prefixes,
    key=biller_keys,
    reissue=st.integers(0, 9),
    due_date=st.none() | st.dates(min_value=date(2000, 1, 1), max_value=date(2099, 12, 31)),
    amount=st.integers(1, 999_999),
)
def test_build_then_parse_round_trips(
    company_code: str, prefix: str, key: str, reissue: int, due_date: date | None, amount: int
) -> None:
    area = free_area(prefix=prefix, key=key)
    digits = build_barcode(company_code=company_code, free_area=area, reissue=reissue, due_date=due_date, amount=amount)
    assert len(digits) == 44 and digits.isdigit() and digits.startswith("91")
    parsed = parse_barcode(digits)
    assert (parsed.company_code, parsed.free_area, parsed.reissue, parsed.due_date, parsed.amount) == (
        company_code,
        area,
        reissue,
        due_date,
        amount,
    )
    assert parsed.stamp_flag == 0
    assert parsed.digits == digits
    assert parsed.biller_key(len(prefix)) == key
    assert split_free_area(area, prefix_length=len(prefix)) == (prefix, key)


@given(
    key=biller_keys,
    amount=st.integers(1, 999_999),
    position=st.integers(0, 43),
    delta=st.integers(1, 9),
)
def test_any_single_wrong_digit_is_refused(key: str, amount: int, position: int, delta: int) -> None:
    digits = build_barcode(
        company_code="912345", free_area=free_area(prefix="59919", key=key), reissue=0, due_date=None, amount=amount
    )
    wrong = digits[:position] + str((int(digits[position]) + delta) % 10) + digits[position + 1 :]
    with pytest.raises(BarcodeError):
        parse_barcode(wrong)


@pytest.mark.parametrize(
    ("digits", "fields"),
    [
        ("", ("barcode",)),
        (VECTOR_1[:-1], ("barcode",)),
        (VECTOR_1 + "0", ("barcode",)),
        (VECTOR_1[:10] + "A" + VECTOR_1[11:], ("barcode",)),
        ("９" + VECTOR_1[1:], ("barcode",)),  # full-width digit
        (_with_check_digit("92" + VECTOR_1[2:43]), ("ai",)),
        (_with_check_digit(VECTOR_1[:30] + "250230" + VECTOR_1[36:43]), ("due_date",)),
        (_with_check_digit(VECTOR_1[:30] + "251301" + VECTOR_1[36:43]), ("due_date",)),
        (_with_check_digit(VECTOR_1[:36] + "2" + VECTOR_1[37:43]), ("stamp_flag",)),
        (VECTOR_1[:43] + "4", ("check_digit",)),
        (
            "92" + VECTOR_1[2:30] + "250230" + "7" + VECTOR_1[37:43] + "0",
            ("ai", "due_date", "stamp_flag", "check_digit"),
        ),
    ],
)
def test_parse_errors_name_every_bad_field(digits: str, fields: tuple[str, ...]) -> None:
    with pytest.raises(BarcodeError) as error:
        parse_barcode(digits)
    assert error.value.fields == fields
    for field in fields:
        assert field in str(error.value)


def test_parse_errors_become_file_errors_of_one_record() -> None:
    with pytest.raises(BarcodeError) as error:
        parse_barcode(VECTOR_1[:43] + "4")
    [problem] = error.value.as_parse_errors(line=7)
    assert problem == ParseError(7, "barcode.check_digit", "is 4, modulus 10/3-1 gives 3")
    assert str(problem) == "line 7, column barcode.check_digit: is 4, modulus 10/3-1 gives 3"


@pytest.mark.parametrize(
    ("kwargs", "fields"),
    [
        ({"company_code": "91234"}, ("company_code",)),
        ({"company_code": "91234X"}, ("company_code",)),
        ({"free_area": "0" * 20}, ("free_area",)),
        ({"free_area": "0" * 20 + "a"}, ("free_area",)),
        ({"reissue": 10}, ("reissue",)),
        ({"reissue": -1}, ("reissue",)),
        ({"due_date": date(2100, 1, 1)}, ("due_date",)),
        ({"due_date": date(1999, 12, 31)}, ("due_date",)),
        ({"amount": 0}, ("amount",)),
        ({"amount": 1_000_000}, ("amount",)),
        ({"company_code": "1", "amount": -5}, ("company_code", "amount")),
    ],
)
def test_build_errors_name_every_bad_field(kwargs: dict[str, object], fields: tuple[str, ...]) -> None:
    args: dict[str, object] = {
        "company_code": "912345",
        "free_area": "0" * 21,
        "reissue": 0,
        "due_date": date(2025, 6, 30),
        "amount": 1000,
    }
    args.update(kwargs)
    with pytest.raises(BarcodeError) as error:
        build_barcode(**args)  # type: ignore[arg-type]
    assert error.value.fields == fields


def test_free_area_pads_with_trailing_zeros_and_splits_back() -> None:
    key = payment_key(420)
    area = free_area(prefix="59919", key=key)
    assert area == "59919" + key
    assert free_area(prefix="", key="123") == "123" + "0" * 18
    assert split_free_area("123" + "0" * 18, prefix_length=0, key_length=3) == ("", "123")


@pytest.mark.parametrize(
    ("prefix", "key"),
    [("5991", "1" * 18), ("59a19", "1" * 16), ("59919", "１" * 16), ("59919", "")],
)
def test_free_area_refuses_what_does_not_fit(prefix: str, key: str) -> None:
    with pytest.raises(BarcodeError) as error:
        free_area(prefix=prefix, key=key)
    assert error.value.fields == ("free_area",)


@pytest.mark.parametrize(
    ("value", "prefix_length"), [("1" * 20, 5), ("1" * 20 + "x", 5), ("1" * 21, 6), ("1" * 21, -1)]
)
def test_split_free_area_refuses_bad_input(value: str, prefix_length: int) -> None:
    with pytest.raises(BarcodeError):
        split_free_area(value, prefix_length=prefix_length)


def test_human_readable_groups_by_field() -> None:
    assert human_readable(VECTOR_1) == "(91) 912345 012345678901234567890 1 010331 0 123000 3"
    with pytest.raises(BarcodeError):
        human_readable("91")
