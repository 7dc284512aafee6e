"""The eLTAX 共通納税 payment-data codec, format eltax (formats.eltax): no database."""

from dataclasses import replace
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from choshu.formats import eltax
from choshu.formats.errors import ParseError
from choshu.formats.payment_event import EventKind, KeyType, PaymentEvent
from choshu.formats.payment_key import payment_key

RECEIVED = date(2024, 1, 31)
HEADER = ",".join(eltax.COLUMNS)
KEY = payment_key(9)
ROW = f"R0001,01131,{KEY},1234,101,12000,1,20240105,20240106,20240115"


def csv_file(*rows: str, encoding: str = "utf-8") -> bytes:
    return ("\r\n".join([HEADER, *rows]) + "\r\n").encode(encoding)


def with_cell(index: int, value: str, row: str = ROW) -> str:
    cells = row.split(",")
    cells[index] = value
    return ",".join(cells)


def where(errors: list[ParseError]) -> list[tuple[int, str]]:
    return [(e.line, e.column) for e in errors]


def test_columns_are_the_el_number_parts_then_money_and_dates() -> None:
    assert eltax.COLUMNS == (
        "受付番号",
        "共通納税機関コード",
        "案件特定キー",
        "確認番号",
        "税目・料金番号",
        "納付金額",
        "納付方法",
        "納付日",
        "収納日",
        "送金日",
    )


def test_a_row_is_a_confirmed_eltax_payment() -> None:
    parsed = eltax.parse(csv_file(ROW), received_on=RECEIVED)
    assert parsed.errors == []
    (event,) = parsed.events
    assert event.line == 2 and event.kind == EventKind.CONFIRMED
    assert event.channel == "eltax" and event.key_type == KeyType.PAYEASY and event.key == KEY
    assert event.amount == 12000 and event.paid_on == date(2024, 1, 5) and event.settles_on == date(2024, 1, 15)
    assert event.payment_ref == "eltax:R0001"
    assert event.extra == {
        "receipt_no": "R0001",
        "institution_no": "01131",
        "confirmation_no": "1234",
        "category": "101",
        "method": "card",
        "collected_on": "2024-01-06",
    }
    assert parsed.header == {"encoding": "UTF-8"}


@pytest.mark.parametrize(
    ("code", "method"),
    [("1", "card"), ("2", "net_banking"), ("3", "payeasy"), ("4", "bank_qr"), ("5", "direct"), ("6", "app")],
)
def test_payment_methods(code: str, method: str) -> None:
    parsed = eltax.parse(csv_file(with_cell(6, code)), received_on=RECEIVED)
    assert parsed.events[0].extra["method"] == method
    assert parsed.events[0].channel == "eltax"


def test_shift_jis_and_bom_are_read_too() -> None:
    utf8 = eltax.parse(csv_file(ROW), received_on=RECEIVED)
    sjis = eltax.parse(csv_file(ROW, encoding="cp932"), received_on=RECEIVED)
    bom = eltax.parse(b"\xef\xbb\xbf" + csv_file(ROW), received_on=RECEIVED)
    assert utf8.events == sjis.events == bom.events
    assert sjis.header == {"encoding": "Shift_JIS"}


@st.composite
def made_events(draw: st.DrawFn) -> list[PaymentEvent]:
    out = []
    receipts = draw(st.lists(st.from_regex(r"[0-9A-Za-z]{1,20}", fullmatch=True), max_size=5, unique=True))
    for receipt in receipts:
        paid = draw(st.dates(date(2020, 1, 1), RECEIVED))
        collected = draw(st.dates(paid, date(2099, 1, 1)))
        out.append(
            eltax.make_event(
                receipt_no=receipt,
                institution_no=draw(st.from_regex(r"[0-9]{5}", fullmatch=True)),
                payment_no=draw(st.from_regex(r"[0-9]{1,20}", fullmatch=True)),
                confirmation_no=draw(st.from_regex(r"[0-9]{4,6}", fullmatch=True)),
                category=draw(st.from_regex(r"[0-9]{3}", fullmatch=True)),
                amount=draw(st.integers(1, 999_999_999_999)),
                method=draw(st.sampled_from(sorted(eltax.METHOD_CODES))),
                paid_on=paid,
                collected_on=collected,
                settles_on=draw(st.dates(collected, date(2099, 12, 31))),
            )
        )
    return out


@settings(max_examples=60)
@given(made_events(), st.sampled_from(["utf-8", "cp932"]), st.booleans())
def test_dump_then_parse_gives_the_same_events(made: list[PaymentEvent], encoding: str, bom: bool) -> None:
    data = eltax.dump(made, encoding=encoding, bom=bom and encoding == "utf-8")
    parsed = eltax.parse(data, received_on=RECEIVED)
    assert parsed.errors == []
    assert parsed.events == [replace(e, line=n) for n, e in enumerate(made, start=2)]


def test_dump_writes_the_columns() -> None:
    made = eltax.make_event(
        receipt_no="R0001",
        institution_no="01131",
        payment_no=KEY,
        confirmation_no="1234",
        category="101",
        amount=12000,
        method="card",
        paid_on=date(2024, 1, 5),
        collected_on=date(2024, 1, 6),
        settles_on=date(2024, 1, 15),
    )
    assert eltax.dump([made]) == csv_file(ROW)
    with pytest.raises(ValueError, match="納付方法"):
        eltax.make_event(
            receipt_no="R1",
            institution_no="01131",
            payment_no=KEY,
            confirmation_no="1234",
            category="101",
            amount=1,
            method="cash",
            paid_on=RECEIVED,
        )
    with pytest.raises(ValueError, match="confirmed"):
        eltax.dump([replace(made, kind=EventKind.CANCEL)])


@pytest.mark.parametrize(
    ("index", "value", "column", "reason"),
    [
        (0, "", "受付番号", "letters and digits"),
        (0, "R-1", "受付番号", "letters and digits"),
        (1, "1131", "共通納税機関コード", "5 digits"),
        (2, "12345678901234567890A", "案件特定キー", "1–20 digits"),
        (3, "123", "確認番号", "4–6 digits"),
        (4, "1010", "税目・料金番号", "3 digits"),
        (5, "0", "納付金額", "more than 0"),
        (5, "12,000", "納付金額", "not an amount"),  # quoted below so that the row keeps 10 fields
        (6, "7", "納付方法", "unknown payment method"),
        (7, "20240230", "納付日", "not a valid date"),
        (7, "20240107", "収納日", "before 納付日"),
        (8, "2024016", "収納日", "not a date"),
        (9, "20240105", "送金日", "before 収納日"),
    ],
)
def test_bad_cells_are_named_by_line_and_column(index: int, value: str, column: str, reason: str) -> None:
    cell = f'"{value}"' if "," in value else value
    parsed = eltax.parse(csv_file(ROW, with_cell(index, cell)), received_on=RECEIVED)
    assert where(parsed.errors) == [(3, column)], parsed.errors
    assert reason in parsed.errors[0].reason
    assert parsed.events == []


def test_paid_after_the_file_was_received() -> None:
    row = with_cell(7, "20240201", with_cell(8, "20240201", with_cell(9, "20240201")))
    errors = eltax.parse(csv_file(row), received_on=RECEIVED).errors
    assert where(errors) == [(2, "納付日")] and "after the day the file was received" in errors[0].reason


def test_header_field_count_and_encoding_errors() -> None:
    assert where(eltax.parse(b"a,b\r\n" + ROW.encode(), received_on=RECEIVED).errors) == [(1, "-")]
    assert where(eltax.parse(b"", received_on=RECEIVED).errors) == [(0, "-")]
    assert where(eltax.parse(csv_file(ROW + ",x"), received_on=RECEIVED).errors) == [(2, "-")]
    bad = b"\xef\xbb\xbf" + csv_file(with_cell(0, "R\x00"), ROW).replace(b"\x00", b"\xfe")
    errors = eltax.parse(bad, received_on=RECEIVED).errors
    assert where(errors) == [(2, "受付番号")] and "UTF-8" in errors[0].reason


def test_every_error_of_the_file_is_collected() -> None:
    data = csv_file(with_cell(5, "0"), ROW, with_cell(1, "x", with_cell(3, "1")))
    assert where(eltax.parse(data, received_on=RECEIVED).errors) == [
        (2, "納付金額"),
        (4, "共通納税機関コード"),
        (4, "確認番号"),
    ]
