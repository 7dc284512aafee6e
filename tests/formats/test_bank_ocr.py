"""The bank-counter codec, format bank-ocr (formats.bank_ocr): no database."""

from dataclasses import replace
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from choshu.formats import bank_ocr
from choshu.formats.errors import ParseError
from choshu.formats.payment_event import EventKind, KeyType, PaymentEvent
from choshu.formats.payment_key import payment_key

RECEIVED = date(2024, 1, 31)
KEY = payment_key(9)


def event(**kw: object) -> PaymentEvent:
    args: dict[str, object] = {
        "payment_no": KEY,
        "confirmation_no": "123456",
        "category": "101",
        "amount": 34500,
        "paid_on": date(2024, 1, 5),
        "settles_on": date(2024, 1, 9),
        "institution_no": "01131",
        "bank_code": "0005",
        "branch_code": "123",
        "seq": "000017",
    }
    args.update(kw)
    return bank_ocr.make_event(**args)  # type: ignore[arg-type]


def records(data: bytes) -> list[bytes]:
    return data.split(b"\r\n")[:-1]


def join(recs: list[bytes]) -> bytes:
    return b"\r\n".join(recs) + b"\r\n"


def with_field(rec: bytes, start: int, value: bytes) -> bytes:
    return rec[: start - 1] + value + rec[start - 1 + len(value) :]


def where(errors: list[ParseError]) -> list[tuple[int, str]]:
    return [(e.line, e.column) for e in errors]


FILE = bank_ocr.dump(
    [event(), event(seq="000018", amount=500, payment_no=payment_key(10))],
    created_on=date(2024, 1, 30),
    bank_code="0001",
    bank_name="ﾐｽﾞﾎ ｷﾞﾝｺｳ",
)


def test_records_are_at_the_positions_of_our_layout() -> None:
    header, first, _, trailer, end = records(FILE)
    assert all(len(r) == 120 for r in (header, first, trailer, end))
    assert header[:13] == b"1202401300001" and header[13:53].decode("cp932").rstrip() == "ﾐｽﾞﾎ ｷﾞﾝｺｳ"
    assert first[0:1] == b"2"
    assert first[1:5] == b"0005" and first[5:8] == b"123"  # 金融機関 2–5, 支店 6–8
    assert first[8:13] == b"01131" and first[13:16] == b"101"  # 収納機関番号 9–13, 納付区分 14–16
    assert first[16:36] == KEY.encode() + b"    "  # 納付番号 17–36
    assert first[36:42] == b"123456"  # 確認番号 37–42
    assert first[42:52] == b"0000034500"  # 金額 43–52
    assert first[52:60] == b"20240105" and first[60:68] == b"20240109"  # 収納日 53–60, 送金日 61–68
    assert first[68:74] == b"000017" and first[74:] == b" " * 46  # 取扱通番 69–74
    assert trailer == b"8" + b"000002" + b"000000035000" + b" " * 101
    assert end == b"9" + b" " * 119


def test_a_file_gives_confirmed_bank_payments() -> None:
    parsed = bank_ocr.parse(FILE, received_on=RECEIVED)
    assert parsed.errors == []
    first, second = parsed.events
    assert first.kind == second.kind == EventKind.CONFIRMED
    assert first.channel == "bank" and first.key_type == KeyType.PAYEASY and first.key == KEY
    assert first.amount == 34500 and first.paid_on == date(2024, 1, 5) and first.settles_on == date(2024, 1, 9)
    assert first.agent_code == "0005123"
    assert first.extra == {
        "bank_code": "0005",
        "branch_code": "123",
        "institution_no": "01131",
        "confirmation_no": "123456",
        "category": "101",
        "seq": "000017",
    }
    assert first.payment_ref == f"bank:0005123-20240105-000017-{KEY}" != second.payment_ref
    assert parsed.header == {"created_on": "2024-01-30", "bank_code": "0001", "bank_name": "ﾐｽﾞﾎ ｷﾞﾝｺｳ"}


@st.composite
def made_events(draw: st.DrawFn) -> list[PaymentEvent]:
    out = []
    for _ in range(draw(st.integers(0, 5))):
        paid = draw(st.dates(date(2020, 1, 1), RECEIVED))
        out.append(
            bank_ocr.make_event(
                payment_no=draw(st.from_regex(r"[0-9]{1,20}", fullmatch=True)),
                confirmation_no=draw(st.from_regex(r"[0-9]{4,6}", fullmatch=True)),
                category=draw(st.from_regex(r"[0-9]{3}", fullmatch=True)),
                amount=draw(st.integers(1, 9_999_999_999)),
                paid_on=paid,
                settles_on=draw(st.dates(paid, date(2099, 12, 31))),
                institution_no=draw(st.from_regex(r"[0-9]{5}", fullmatch=True)),
                bank_code=draw(st.from_regex(r"[0-9]{4}", fullmatch=True)),
                branch_code=draw(st.from_regex(r"[0-9]{3}", fullmatch=True)),
                seq=draw(st.from_regex(r"[0-9]{6}", fullmatch=True)),
            )
        )
    return out


@settings(max_examples=60)
@given(made_events(), st.booleans())
def test_dump_then_parse_gives_the_same_events(made: list[PaymentEvent], crlf: bool) -> None:
    parsed = bank_ocr.parse(bank_ocr.dump(made, created_on=RECEIVED, crlf=crlf), received_on=RECEIVED)
    assert parsed.errors == []
    assert parsed.events == [replace(e, line=n) for n, e in enumerate(made, start=2)]


def test_writers_refuse_what_does_not_fit() -> None:
    with pytest.raises(ValueError, match="送金日"):
        event(settles_on=date(2024, 1, 4))
    with pytest.raises(ValueError, match="金額"):
        event(amount=-5)
    with pytest.raises(ValueError, match="取扱通番"):
        event(seq="1.5")
    assert event(seq="17").extra["seq"] == "000017"
    with pytest.raises(ValueError, match="金融機関名"):
        bank_ocr.dump([], created_on=RECEIVED, bank_name="ア" * 21)
    with pytest.raises(ValueError, match="confirmed"):
        bank_ocr.dump([replace(event(), kind=EventKind.CANCEL)], created_on=RECEIVED)


@pytest.mark.parametrize(
    ("start", "value", "column", "reason"),
    [
        (2, b"00a5", "金融機関コード", "4 digits"),
        (6, b"12 ", "支店コード", "3 digits"),
        (9, b"0113 ", "収納機関番号", "5 digits"),
        (14, b"10-", "納付区分", "3 digits"),
        (17, b"ABCD", "納付番号", "left-aligned"),
        (37, b"12    ", "確認番号", "4–6 digits"),
        (43, b"0000000000", "金額", "more than 0"),
        (53, b"20240230", "収納日", "not a valid date"),
        (53, b"2024020120240202", "収納日", "after the day the file was received"),  # with 送金日
        (61, b"20240104", "送金日", "before 収納日"),
        (61, b"2024010 ", "送金日", "not a date"),
        (69, b"00001A", "取扱通番", "6 digits"),
    ],
)
def test_bad_fields_are_named_by_line_and_field(start: int, value: bytes, column: str, reason: str) -> None:
    recs = records(FILE)
    recs[1] = with_field(recs[1], start, value)
    errors = bank_ocr.parse(join(recs), received_on=RECEIVED).errors
    assert where(errors) == [(2, column)], errors
    assert reason in errors[0].reason


def test_trailer_count_and_total_are_checked() -> None:
    recs = records(FILE)
    recs[3] = with_field(recs[3], 2, b"000001000000034999")
    errors = bank_ocr.parse(join(recs), received_on=RECEIVED).errors
    assert where(errors) == [(4, "合計件数"), (4, "合計金額")]
    assert errors[1].reason == "34999 in the trailer, the data records give 35000"


def test_undecodable_bank_name_and_missing_records() -> None:
    recs = records(FILE)
    recs[0] = with_field(recs[0], 14, b"\x81\x7f")
    errors = bank_ocr.parse(join(recs), received_on=RECEIVED).errors
    assert where(errors) == [(1, "金融機関名")] and "Shift_JIS" in errors[0].reason
    header, d1, d2, trailer, end = records(FILE)
    errors = bank_ocr.parse(join([d1, d2, trailer, end]), received_on=RECEIVED).errors
    assert where(errors) == [(0, "-"), (1, "データ区分")]
