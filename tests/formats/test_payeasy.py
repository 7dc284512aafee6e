import hashlib
import hmac

import pytest
from hypothesis import given
from hypothesis import strategies as st

from choshu.formats.payeasy import (
    ElNumber,
    PayEasyError,
    PayEasyKeys,
    confirmation_matches,
    derive_confirmation_no,
    parse_el_number,
    payeasy_keys,
)
from choshu.formats.payment_key import payment_key

KEY = payment_key(420)  # 0000000000004206
SECRET = "test-secret"


def test_payment_no_is_the_payment_key() -> None:
    assert KEY == "0000000000004206"


@pytest.mark.parametrize(("length", "expected"), [(4, "5342"), (5, "75342"), (6, "975342")])
def test_confirmation_no_vectors(length: int, expected: str) -> None:
    assert derive_confirmation_no(secret=SECRET, institution_no="01131", payment_no=KEY, length=length) == expected


def test_confirmation_no_is_hmac_sha256_of_institution_and_payment_no() -> None:
    digest = hmac.new(SECRET.encode(), b"01131:0000000000004206", hashlib.sha256).digest()
    expected = str(int.from_bytes(digest, "big") % 10**6).zfill(6)
    assert derive_confirmation_no(secret=SECRET.encode(), institution_no="01131", payment_no=KEY, length=6) == expected


def test_confirmation_no_depends_on_secret_institution_and_payment_no() -> None:
    base = derive_confirmation_no(secret=SECRET, institution_no="01131", payment_no=KEY, length=6)
    assert derive_confirmation_no(secret="other", institution_no="01131", payment_no=KEY, length=6) != base
    assert derive_confirmation_no(secret=SECRET, institution_no="01132", payment_no=KEY, length=6) != base
    assert derive_confirmation_no(secret=SECRET, institution_no="01131", payment_no=payment_key(421), length=6) != base


@given(st.integers(min_value=1, max_value=10**15 - 1), st.sampled_from([4, 5, 6]))
def test_derived_keys_verify(installment_id: int, length: int) -> None:
    keys = payeasy_keys(
        institution_no="01131", payment_no=payment_key(installment_id), category="101", secret=SECRET, length=length
    )
    assert len(keys.confirmation_no) == length and keys.confirmation_no.isdigit()
    assert confirmation_matches(
        secret=SECRET, institution_no="01131", payment_no=keys.payment_no, confirmation_no=keys.confirmation_no
    )
    wrong = str((int(keys.confirmation_no) + 1) % 10**length).zfill(length)
    assert not confirmation_matches(
        secret=SECRET, institution_no="01131", payment_no=keys.payment_no, confirmation_no=wrong
    )


@pytest.mark.parametrize(
    ("institution_no", "payment_no", "confirmation_no"),
    [
        ("01131", KEY, "5341"),  # wrong number
        ("01131", KEY, "342"),  # too short
        ("01131", KEY, "9975342"),  # too long
        ("01131", KEY, "534２"),  # full-width digit
        ("01131", KEY, ""),
        ("0113", KEY, "5342"),
        ("01131", KEY[:-1], "5342"),
        ("01131", "x" * 16, "5342"),
    ],
)
def test_malformed_or_wrong_confirmation_never_matches(
    institution_no: str, payment_no: str, confirmation_no: str
) -> None:
    assert not confirmation_matches(
        secret=SECRET, institution_no=institution_no, payment_no=payment_no, confirmation_no=confirmation_no
    )


def test_the_right_number_with_another_secret_does_not_match() -> None:
    assert confirmation_matches(secret=SECRET, institution_no="01131", payment_no=KEY, confirmation_no="5342")
    assert not confirmation_matches(secret="other", institution_no="01131", payment_no=KEY, confirmation_no="5342")


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"length": 3}, "confirmation_no"),
        ({"length": 7}, "confirmation_no"),
        ({"institution_no": "1131"}, "institution_no"),
        ({"payment_no": "12345"}, "payment_no"),
        ({"secret": ""}, "confirmation_no"),
    ],
)
def test_derivation_refuses_bad_input(kwargs: dict[str, object], field: str) -> None:
    args: dict[str, object] = {"secret": SECRET, "institution_no": "01131", "payment_no": KEY, "length": 4}
    args.update(kwargs)
    with pytest.raises(PayEasyError) as error:
        derive_confirmation_no(**args)  # type: ignore[arg-type]
    assert error.value.field == field


@pytest.mark.parametrize(
    ("args", "field"),
    [
        (("0113", KEY, "5342", "101"), "institution_no"),
        (("011311", KEY, "5342", "101"), "institution_no"),
        (("0113a", KEY, "5342", "101"), "institution_no"),
        (("01131", KEY + "0", "5342", "101"), "payment_no"),
        (("01131", KEY, "534", "101"), "confirmation_no"),
        (("01131", KEY, "5342", "10"), "category"),
        (("01131", KEY, "5342", "1011"), "category"),
        (("01131", KEY, "5342", "１０１"), "category"),
    ],
)
def test_keys_are_validated(args: tuple[str, str, str, str], field: str) -> None:
    with pytest.raises(PayEasyError) as error:
        PayEasyKeys(*args)
    assert error.value.field == field
    assert str(error.value).startswith(f"{field}: ")


def test_payeasy_category_is_validated_when_derived() -> None:
    with pytest.raises(PayEasyError) as error:
        payeasy_keys(institution_no="01131", payment_no=KEY, category="1", secret=SECRET, length=4)
    assert error.value.field == "category"


def test_el_number_is_the_four_keys_in_eltax_order() -> None:
    keys = PayEasyKeys("01131", KEY, "5342", "101")
    el = keys.el_no
    assert el == ElNumber(keys)
    assert el.digits == "0113100000000000042065342101"
    assert el.display() == "01131-0000-0000-0000-4206-5342-101"
    assert str(el) == el.display()
    assert keys.as_dict() == {
        "institution_no": "01131",
        "payment_no": KEY,
        "confirmation_no": "5342",
        "category": "101",
    }


@given(
    st.text(alphabet="0123456789", min_size=5, max_size=5),
    st.integers(min_value=1, max_value=10**15 - 1),
    st.integers(4, 6).flatmap(lambda n: st.text(alphabet="0123456789", min_size=n, max_size=n)),
    st.text(alphabet="0123456789", min_size=3, max_size=3),
)
def test_el_number_round_trips_grouped_and_plain(
    institution: str, installment_id: int, conf: str, category: str
) -> None:
    keys = PayEasyKeys(institution, payment_key(installment_id), conf, category)
    for text in (keys.el_no.display(), keys.el_no.digits, keys.el_no.display().replace("-", " ")):
        assert parse_el_number(text, confirmation_length=len(conf)).keys == keys


@pytest.mark.parametrize(
    ("text", "length", "field"),
    [
        ("01131-0000-0000-0000-4206-5342-101", 5, "el_no"),  # one digit short for a 5-digit 確認番号
        ("01131-0000-0000-0000-4206-5342-10", 4, "el_no"),
        ("01131-0000-0000-0000-4206-5342-10x", 4, "el_no"),
        ("01131-0000-0000-0000-4206-5342-101", 3, "confirmation_no"),
        ("", 4, "el_no"),
    ],
)
def test_el_number_parse_errors(text: str, length: int, field: str) -> None:
    with pytest.raises(PayEasyError) as error:
        parse_el_number(text, confirmation_length=length)
    assert error.value.field == field
