from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from choshu.formats.elqr import ChoshuElQrV1, ElQrEncoder, ElQrError, ElQrPayload
from choshu.formats.payeasy import PayEasyKeys
from choshu.formats.payment_key import mod10_w31, payment_key

KEYS = PayEasyKeys("01131", payment_key(420), "5342", "101")
VECTOR = "CHOSHU-ELQR1:01131:0000000000004206:5342:101:0000012300:20250630:4"
QR_ALPHANUMERIC = set("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:")
CODEC = ChoshuElQrV1()


def test_encode_vector() -> None:
    encoder: ElQrEncoder = CODEC  # the default encoder satisfies the protocol
    assert encoder.encode(keys=KEYS, amount=12_300, due_date=date(2025, 6, 30)) == VECTOR
    body = "0113100000000000042065342101000001230020250630"
    assert VECTOR.endswith(":" + str(mod10_w31(body)))


def test_decode_vector() -> None:
    assert CODEC.decode(VECTOR) == ElQrPayload(keys=KEYS, amount=12_300, due_date=date(2025, 6, 30))


def test_no_due_date() -> None:
    text = CODEC.encode(keys=KEYS, amount=0, due_date=None)
    assert ":99999999:" in text
    assert CODEC.decode(text).due_date is None


@given(
    st.text(alphabet="0123456789", min_size=5, max_size=5),
    st.integers(min_value=1, max_value=10**15 - 1),
    st.integers(4, 6).flatmap(lambda n: st.text(alphabet="0123456789", min_size=n, max_size=n)),
    st.text(alphabet="0123456789", min_size=3, max_size=3),
    st.integers(0, 10**10 - 1),
    st.none() | st.dates(min_value=date(1000, 1, 1), max_value=date(9999, 12, 31)),
)
def test_round_trips_in_the_qr_alphanumeric_set(
    institution: str, installment_id: int, conf: str, category: str, amount: int, due: date | None
) -> None:
    keys = PayEasyKeys(institution, payment_key(installment_id), conf, category)
    text = CODEC.encode(keys=keys, amount=amount, due_date=due)
    assert text.startswith("CHOSHU-ELQR1:")
    assert set(text) <= QR_ALPHANUMERIC
    assert CODEC.decode(text) == ElQrPayload(keys=keys, amount=amount, due_date=due)


@given(st.integers(0, len(VECTOR) - 1).filter(lambda i: VECTOR[i].isdigit() and i > 12), st.integers(1, 9))
def test_any_single_wrong_digit_is_refused(position: int, delta: int) -> None:
    wrong = VECTOR[:position] + str((int(VECTOR[position]) + delta) % 10) + VECTOR[position + 1 :]
    with pytest.raises(ElQrError):
        CODEC.decode(wrong)


@pytest.mark.parametrize("amount", [-1, 10**10])
def test_encode_refuses_amounts_that_do_not_fit(amount: int) -> None:
    with pytest.raises(ElQrError) as error:
        CODEC.encode(keys=KEYS, amount=amount, due_date=None)
    assert error.value.field == "amount"


def _resealed(fields: list[str]) -> str:
    """A payload with the given fields and a correct check digit."""
    return ":".join(["CHOSHU-ELQR1", *fields, str(mod10_w31("".join(fields)))])


GOOD = ["01131", "0000000000004206", "5342", "101", "0000012300", "20250630"]


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ("CHOSHU-ELQR2:" + VECTOR.split(":", 1)[1], "prefix"),
        ("", "prefix"),
        ("https://example.invalid/?q=1", "prefix"),
        ("CHOSHU-ELQR1:01131:0000000000004206:5342:101:0000012300:20250630", "payload"),
        (VECTOR + ":1", "payload"),
        (VECTOR.replace(":101:", ":1O1:"), "category"),
        (_resealed(["0113", *GOOD[1:]]), "institution_no"),
        (_resealed([GOOD[0], "000000000004206", *GOOD[2:]]), "payment_no"),
        (_resealed([*GOOD[:2], "534", *GOOD[3:]]), "confirmation_no"),
        (_resealed([*GOOD[:3], "10", *GOOD[4:]]), "category"),
        (_resealed([*GOOD[:4], "12300", GOOD[5]]), "amount"),
        (_resealed([*GOOD[:5], "20250230"]), "due_date"),
        (_resealed([*GOOD[:5], "2025063"]), "due_date"),
        (VECTOR[:-1] + "5", "check_digit"),
        (VECTOR[:-1] + "45", "check_digit"),
    ],
)
def test_decode_errors_name_the_field(text: str, field: str) -> None:
    with pytest.raises(ElQrError) as error:
        CODEC.decode(text)
    assert error.value.field == field
    assert str(error.value).startswith(f"{field}: ")
