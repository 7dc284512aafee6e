"""The channel-format registry (formats.channels): each name reads its own format; no database."""

from datetime import date

import pytest

from choshu.formats import bank_ocr, cvs_csv, cvs_fixed, eltax, payeasy_result
from choshu.formats.channels import FORMATS, UnknownFormat, parse_channel_file
from choshu.formats.payment_event import CHANNELS, ChannelFile, EventKind
from choshu.formats.payment_key import customer_no, mod10_w31, payment_key
from choshu.formats.zengin_debit import DebitHeader, DebitRecord, write_result

RECEIVED = date(2024, 1, 31)
PAID = date(2024, 1, 5)
KEY = payment_key(42)


def _barcode(prefix: str) -> str:
    body = f"91954321{prefix}{KEY}09999990001000"
    return body + str(mod10_w31(body))


def _samples() -> dict[str, bytes]:
    cvs_event = cvs_csv.make_event(data_type="01", barcode=_barcode("25207"), paid_on=PAID, paid_time="1000")
    fixed_event = cvs_fixed.make_event(data_type="01", barcode=_barcode("12345"), paid_on=PAID, cvs_code="0010")
    keys = {"payment_no": KEY, "confirmation_no": "1234", "category": "101", "amount": 1000, "paid_on": PAID}
    head = DebitHeader(
        consignor_code="1234567890",
        consignor_name="ﾁﾖｳｼﾕｳｸｾﾞｲﾑｶ",
        debit_date=PAID,
        bank_code="0001",
        bank_name="ﾐｽﾞﾎ",
        branch_code="001",
        branch_name="ﾄｳｷﾖｳ",
        account_type="1",
        account_no="1234567",
    )
    debit = DebitRecord(
        bank_code="0005",
        bank_name="",
        branch_code="100",
        branch_name="",
        account_type="1",
        account_no="7654321",
        holder_name="ﾔﾏﾀﾞ ﾀﾛｳ",
        amount=1000,
        customer_no=customer_no(42),
        result_code="0",
    )
    return {
        "zengin-debit-result": write_result(head, [debit]),
        "cvs-csv": cvs_csv.dump([cvs_event]),
        "cvs-120": cvs_fixed.dump([fixed_event], created_on=RECEIVED),
        "payeasy": payeasy_result.dump(
            [payeasy_result.make_event(institution_no="01131", center_seq="00000001", **keys)],  # type: ignore[arg-type]
            created_on=RECEIVED,
        ),
        "eltax": eltax.dump(
            [eltax.make_event(receipt_no="R1", institution_no="01131", method="card", **keys)]  # type: ignore[arg-type]
        ),
        "bank-ocr": bank_ocr.dump(
            [bank_ocr.make_event(institution_no="01131", seq="000001", **keys)],  # type: ignore[arg-type]
            created_on=RECEIVED,
        ),
    }


def test_the_registry_names_the_six_formats_of_the_issue() -> None:
    assert list(FORMATS) == ["zengin-debit-result", "cvs-csv", "cvs-120", "payeasy", "eltax", "bank-ocr"]
    assert set(_samples()) == set(FORMATS)


@pytest.mark.parametrize("name", list(FORMATS))
def test_each_name_reads_its_own_format(name: str) -> None:
    parsed = parse_channel_file(name, _samples()[name], received_on=RECEIVED)
    assert isinstance(parsed, ChannelFile)
    assert parsed.format == name
    assert parsed.errors == []
    (event,) = parsed.events
    assert event.amount == 1000 and event.paid_on == PAID
    assert event.channel in CHANNELS
    assert event.kind in (EventKind.PRELIMINARY, EventKind.CONFIRMED)
    assert event.key.endswith(KEY)  # the payment key, as a 20-digit customer number for Zengin


@pytest.mark.parametrize("name", list(FORMATS))
def test_another_formats_file_is_rejected(name: str) -> None:
    samples = _samples()
    for other, data in samples.items():
        if other != name:
            parsed = parse_channel_file(name, data, received_on=RECEIVED)
            assert parsed.errors and parsed.events == [], (name, other)


def test_payment_refs_of_different_formats_cannot_meet() -> None:
    refs = {
        name: parse_channel_file(name, data, received_on=RECEIVED).events[0].payment_ref
        for name, data in _samples().items()
    }
    assert refs["cvs-csv"].startswith("cvs:") and refs["cvs-120"].startswith("cvs:")
    assert refs["payeasy"].startswith("mpn:") and refs["eltax"].startswith("eltax:")
    assert refs["bank-ocr"].startswith("bank:") and refs["zengin-debit-result"].isdigit()
    assert all(len(ref) <= 120 for ref in refs.values())  # ChannelRecord.payment_ref holds 120


def test_an_unknown_name_lists_the_known_ones() -> None:
    with pytest.raises(UnknownFormat) as raised:
        parse_channel_file("cvs", b"", received_on=RECEIVED)
    assert isinstance(raised.value, ValueError)
    message = str(raised.value)
    assert "'cvs'" in message
    assert all(name in message for name in FORMATS)
