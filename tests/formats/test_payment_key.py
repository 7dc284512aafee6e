from hypothesis import given
from hypothesis import strategies as st

from choshu.formats.payment_key import (
    customer_no,
    installment_id_of,
    installment_id_of_customer_no,
    mod10_w31,
    payment_key,
)


def test_mod10_w31_reproduces_the_published_barcode_vectors() -> None:
    assert mod10_w31("9191234501234567890123456789010103310123000") == 3
    assert mod10_w31("9194238617895391785393569273010307311031290") == 3
    assert mod10_w31("9192902321942000000000003755439999999999999") == 9


@given(st.integers(min_value=1, max_value=10**15 - 1))
def test_key_round_trips(installment_id: int) -> None:
    key = payment_key(installment_id)
    assert len(key) == 16 and key.isdigit()
    assert installment_id_of(key) == installment_id
    assert installment_id_of_customer_no(customer_no(installment_id)) == installment_id


@given(st.integers(min_value=1, max_value=10**15 - 1), st.integers(min_value=0, max_value=15), st.integers(1, 9))
def test_a_single_wrong_digit_matches_nothing(installment_id: int, pos: int, delta: int) -> None:
    key = payment_key(installment_id)
    wrong = key[:pos] + str((int(key[pos]) + delta) % 10) + key[pos + 1 :]
    assert installment_id_of(wrong) is None


def test_malformed_keys_match_nothing() -> None:
    assert installment_id_of("") is None
    assert installment_id_of("12345") is None
    assert installment_id_of("000000000000000A") is None
    assert installment_id_of("0000000000000000") is None  # id 0
    assert installment_id_of_customer_no("1" * 20) is None
