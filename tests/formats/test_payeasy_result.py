"""The Pay-easy settlement codec, format payeasy (formats.payeasy_result): no database."""

from dataclasses import replace
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from choshu.formats import payeasy_result
from choshu.formats.errors import ParseError
from choshu.formats.payment_event import EventKind, KeyType, PaymentEvent
from choshu.formats.payment_key import payment_key

RECEIVED = date(2024, 1, 31)
INSTITUTION = "01131"
KEY = payment_key(9)


def event(process: str = "1", **kw: object) -> PaymentEvent:
    args: dict[str, object] = {
        "process": process,
        "payment_no": KEY,
        "confirmation_no": "1234",
        "category": "101",
        "amount": 12000,
        "paid_on": date(2024, 1, 5),
        "institution_no": INSTITUTION,
        "bank_code": "0005",
        "center_code": "00042",
        "center_seq": "00000017",
    }
    args.update(kw)
    return payeasy_result.make_event(**args)  # type: ignore[arg-type]


def records(data: bytes) -> list[bytes]:
    return data.split(b"\r\n")[:-1]


def join(recs: list[bytes]) -> bytes:
    return b"\r\n".join(recs) + b"\r\n"


def with_field(rec: bytes, start: int, value: bytes) -> bytes:
    return rec[: start - 1] + value + rec[start - 1 + len(value) :]


def where(errors: list[ParseError]) -> list[tuple[int, str]]:
    return [(e.line, e.column) for e in errors]


FILE = payeasy_result.dump(
    [event("1"), event("1", payment_no=payment_key(10), center_seq="00000018", amount=500), event("2")],
    created_on=date(2024, 1, 30),
)


def test_records_are_at_the_positions_of_our_layout() -> None:
    header, first, _, cancel, trailer, end = records(FILE)
    assert all(len(r) == 120 for r in (header, first, cancel, trailer, end))
    assert header[:14] == b"1" + b"20240130" + INSTITUTION.encode() and header[14:] == b" " * 106
    assert first[0:1] == b"2" and first[1:2] == b"1" and cancel[1:2] == b"2"
    assert first[2:7] == INSTITUTION.encode()
    assert first[7:27] == KEY.encode() + b"    "  # 納付番号 8–27, left-aligned
    assert first[27:33] == b"1234  "  # 確認番号 28–33
    assert first[33:36] == b"101"  # 納付区分 34–36
    assert first[36:46] == b"0000012000"  # 金額 37–46
    assert first[46:54] == b"20240105"  # 収納日 47–54
    assert first[54:58] == b"0005"  # 収納金融機関コード 55–58
    assert first[58:63] == b"00042" and first[63:71] == b"20240105" and first[71:79] == b"00000017"
    assert first[79:] == b" " * 41
    assert trailer == (
        b"8" + b"000003" + b"000000024500" + b"000002" + b"000000012500" + b"000001" + b"000000012000" + b" " * 65
    )
    assert end == b"9" + b" " * 119


def test_settlements_and_a_cancel_of_a_settlement() -> None:
    parsed = payeasy_result.parse(FILE, received_on=RECEIVED)
    assert parsed.errors == []
    first, second, cancel = parsed.events
    assert [e.kind for e in parsed.events] == [EventKind.CONFIRMED, EventKind.CONFIRMED, EventKind.CANCEL]
    assert first.channel == "payeasy" and first.key_type == KeyType.PAYEASY and first.key == KEY
    assert first.amount == 12000 and first.paid_on == date(2024, 1, 5) and first.agent_code == "0005"
    assert first.extra == {
        "process": "1",
        "institution_no": INSTITUTION,
        "confirmation_no": "1234",
        "category": "101",
        "center_code": "00042",
        "center_date": "2024-01-05",
        "center_seq": "00000017",
    }
    # the 取消 repeats its 消込's keys: the same payment, another record
    assert cancel.payment_ref == first.payment_ref != second.payment_ref
    assert cancel.record_key != first.record_key
    assert first.payment_ref == f"mpn:{INSTITUTION}-{KEY}-1234-101-00042-20240105-00000017"
    assert parsed.header == {"created_on": "2024-01-30", "institution_no": INSTITUTION}


def test_without_line_breaks() -> None:
    plain = b"".join(records(FILE))
    assert (
        payeasy_result.parse(plain, received_on=RECEIVED).events
        == payeasy_result.parse(FILE, received_on=RECEIVED).events
    )


@st.composite
def made_events(draw: st.DrawFn) -> list[PaymentEvent]:
    out = []
    for _ in range(draw(st.integers(0, 5))):
        paid = draw(st.dates(date(2020, 1, 1), RECEIVED))
        out.append(
            payeasy_result.make_event(
                process=draw(st.sampled_from(["1", "2"])),
                payment_no=draw(st.from_regex(r"[0-9]{1,20}", fullmatch=True)),
                confirmation_no=draw(st.from_regex(r"[0-9]{4,6}", fullmatch=True)),
                category=draw(st.from_regex(r"[0-9]{3}", fullmatch=True)),
                amount=draw(st.integers(1, 9_999_999_999)),
                paid_on=paid,
                institution_no=INSTITUTION,
                bank_code=draw(st.from_regex(r"[0-9]{4}", fullmatch=True)),
                center_code=draw(st.from_regex(r"[0-9]{5}", fullmatch=True)),
                center_date=draw(st.dates(date(2020, 1, 1), date(2099, 12, 31))),
                center_seq=draw(st.from_regex(r"[0-9]{8}", fullmatch=True)),
            )
        )
    return out


@settings(max_examples=60)
@given(made_events(), st.booleans())
def test_dump_then_parse_gives_the_same_events(made: list[PaymentEvent], crlf: bool) -> None:
    data = payeasy_result.dump(made, created_on=RECEIVED, institution_no=INSTITUTION, crlf=crlf)
    parsed = payeasy_result.parse(data, received_on=RECEIVED)
    assert parsed.errors == []
    assert parsed.events == [replace(e, line=n) for n, e in enumerate(made, start=2)]


def test_writers_refuse_what_does_not_fit() -> None:
    with pytest.raises(ValueError, match="確認番号"):
        event(confirmation_no="123")
    with pytest.raises(ValueError, match="金額"):
        event(amount=0)
    with pytest.raises(ValueError, match="bytes"):
        event(payment_no="1" * 21)
    with pytest.raises(ValueError, match="仕向処理通番"):
        event(center_seq="12-4")
    assert event(center_seq="17").extra["center_seq"] == "00000017"
    with pytest.raises(ValueError, match="institution_no"):
        payeasy_result.dump([], created_on=RECEIVED)
    with pytest.raises(ValueError, match="処理区分 1"):
        payeasy_result.dump([replace(event(), kind=EventKind.CANCEL)], created_on=RECEIVED)


@pytest.mark.parametrize(
    ("start", "value", "column", "reason"),
    [
        (2, b"3", "処理区分", "unknown record type"),
        (3, b"01132", "収納機関番号", "differs from the header"),
        (3, b"0113A", "収納機関番号", "5 digits"),
        (8, b" " * 20, "納付番号", "left-aligned"),
        (8, b" 1", "納付番号", "left-aligned"),
        (28, b"123   ", "確認番号", "4–6 digits"),
        (34, b"1A1", "納付区分", "3 digits"),
        (37, b"000000000A", "金額", "10 digits"),
        (47, b"20240132", "収納日", "not a valid date"),
        (47, b"20240201", "収納日", "after the day the file was received"),
        (55, b"000X", "収納金融機関コード", "4 digits"),
        (59, b"0004 ", "仕向センタコード", "5 digits"),
        (64, b"20230229", "仕向処理年月日", "not a valid date"),
        (72, b"0000001-", "仕向処理通番", "8 digits"),
    ],
)
def test_bad_fields_are_named_by_line_and_field(start: int, value: bytes, column: str, reason: str) -> None:
    recs = records(FILE)
    recs[1] = with_field(recs[1], start, value)
    errors = payeasy_result.parse(join(recs), received_on=RECEIVED).errors
    assert where(errors) == [(2, column)], errors
    assert reason in errors[0].reason


def test_amount_zero_is_an_error_and_the_trailer_count_is_still_checked() -> None:
    recs = records(FILE)
    recs[1] = with_field(recs[1], 37, b"0000000000")
    recs[4] = with_field(recs[4], 2, b"000009")
    errors = payeasy_result.parse(join(recs), received_on=RECEIVED).errors
    assert where(errors) == [(2, "金額"), (5, "合計件数")]
    assert "more than 0" in errors[0].reason


def test_trailer_totals_are_checked() -> None:
    recs = records(FILE)
    recs[4] = with_field(recs[4], 26, b"000000012501")
    recs[4] = with_field(recs[4], 38, b"000002")
    errors = payeasy_result.parse(join(recs), received_on=RECEIVED).errors
    assert where(errors) == [(5, "消込金額"), (5, "取消件数")]


def test_structure_problems_are_reported() -> None:
    header, d1, d2, d3, trailer, end = records(FILE)
    errors = payeasy_result.parse(join([header, d1, b"7" + d2[1:], d3, trailer, end]), received_on=RECEIVED).errors
    assert where(errors) == [(3, "データ区分")]
    errors = payeasy_result.parse(join([header, d1, d2, d3 + b" ", trailer]), received_on=RECEIVED).errors
    assert where(errors) == [(0, "-"), (4, "-")]
