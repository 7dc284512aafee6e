"""The Zengin 91 direct-debit codec (formats.zengin_debit): no database.

Positions below are those of reference/formats.md §4.2–4.5 (1-based, inclusive).
"""

from dataclasses import replace
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from choshu.formats.errors import ParseError
from choshu.formats.payment_event import EventKind, KeyType
from choshu.formats.zengin_debit import (
    DATA,
    END,
    HEADER,
    RESULT_CODES,
    TRAILER,
    DebitHeader,
    DebitRecord,
    DebitTrailer,
    field_positions,
    nearest_date,
    parse_request,
    parse_result,
    write_request,
    write_result,
)
from choshu.formats.zengin_kana import ZENGIN_CHARS

DEBIT_DATE = date(2026, 4, 27)
RECEIVED = date(2026, 4, 30)
HEAD = DebitHeader(
    consignor_code="1234567890",
    consignor_name="ﾁﾖｳｼﾕｳｸｾﾞｲﾑｶ",
    debit_date=DEBIT_DATE,
    bank_code="0001",
    bank_name="ﾐｽﾞﾎ",
    branch_code="001",
    branch_name="ﾄｳｷﾖｳ",
    account_type="1",
    account_no="1234567",
)
REC1 = DebitRecord(
    bank_code="0005",
    bank_name="ﾐﾂﾋﾞｼﾕ-ｴﾌｼﾞｴｲ",
    branch_code="100",
    branch_name="ﾎﾝﾃﾝ",
    account_type="1",
    account_no="7654321",
    holder_name="ﾔﾏﾀﾞ ﾀﾛｳ",
    amount=12_300,
    customer_no="00000000000000000420",
)
REC2 = replace(
    REC1,
    bank_code="0009",
    bank_name="",
    branch_code="200",
    branch_name="",
    account_type="3",
    account_no="0000123",
    holder_name="ｶ)ｼﾝｼﾞﾕｸ",
    amount=5_000,
    customer_no="00000000000000000438",
    new_code="1",
)
REC3 = replace(REC1, amount=800, customer_no="00000000000000000446", holder_name="ｽｽﾞｷ ﾊﾅｺ")


def _records(data: bytes) -> list[bytearray]:
    return [bytearray(r) for r in data.split(b"\r\n")[:-1]]


def _join(records: list[bytearray], end: bytes = b"\r\n") -> bytes:
    return b"".join(bytes(r) + end for r in records)


def _put(record: bytearray, first: int, text: str | bytes) -> None:
    """Overwrite bytes from the 1-based position ``first``."""
    raw = text.encode("shift_jis") if isinstance(text, str) else text
    record[first - 1 : first - 1 + len(raw)] = raw


def _result(codes: str = "010", records: tuple[DebitRecord, ...] = (REC1, REC2, REC3)) -> bytes:
    return write_result(HEAD, [replace(r, result_code=c) for r, c in zip(records, codes, strict=True)])


def _where(errors: list[ParseError]) -> list[tuple[int, str]]:
    return [(e.line, e.column) for e in errors]


# --- layout ------------------------------------------------------------------------------------


def test_header_layout_matches_the_bank_table() -> None:
    assert field_positions(HEADER) == {
        "data_kind": (1, 1),
        "kind_code": (2, 3),
        "code_class": (4, 4),
        "consignor_code": (5, 14),
        "consignor_name": (15, 54),
        "debit_date": (55, 58),
        "bank_code": (59, 62),
        "bank_name": (63, 77),
        "branch_code": (78, 80),
        "branch_name": (81, 95),
        "account_type": (96, 96),
        "account_no": (97, 103),
        "dummy": (104, 120),
    }
    assert [f.type for f in HEADER.fields] == list("NNNNCNNCNCNNC")


def test_data_layout_matches_the_bank_table() -> None:
    assert field_positions(DATA) == {
        "data_kind": (1, 1),
        "bank_code": (2, 5),
        "bank_name": (6, 20),
        "branch_code": (21, 23),
        "branch_name": (24, 38),
        "dummy1": (39, 42),
        "account_type": (43, 43),
        "account_no": (44, 50),
        "holder_name": (51, 80),
        "amount": (81, 90),
        "new_code": (91, 91),
        "customer_no": (92, 111),
        "result_code": (112, 112),
        "dummy2": (113, 120),
    }
    assert [f.type for f in DATA.fields] == list("NNCNCCNNCNNCCC")


def test_trailer_and_end_layouts_match_the_table() -> None:
    assert field_positions(TRAILER) == {
        "data_kind": (1, 1),
        "total_count": (2, 7),
        "total_amount": (8, 19),
        "debited_count": (20, 25),
        "debited_amount": (26, 37),
        "failed_count": (38, 43),
        "failed_amount": (44, 55),
        "dummy": (56, 120),
    }
    assert field_positions(END) == {"data_kind": (1, 1), "dummy": (2, 120)}


# --- writing -----------------------------------------------------------------------------------


def test_request_header_bytes_field_by_field() -> None:
    header = _records(write_request(HEAD, [REC1, REC2]))[0]
    assert len(header) == 120
    assert header[0:1] == b"1"
    assert header[1:3] == b"91"
    assert header[3:4] == b"0"
    assert header[4:14] == b"1234567890"
    assert header[14:54] == "ﾁﾖｳｼﾕｳｸｾﾞｲﾑｶ".encode("shift_jis") + b" " * 28  # ﾞ takes a byte
    assert header[14:17] == bytes([0xC1, 0xD6, 0xB3])  # ﾁﾖｳ: one byte each (JIS X 0201)
    assert header[54:58] == b"0427"  # 引落日 MMDD
    assert header[58:62] == b"0001"
    assert header[62:77] == "ﾐｽﾞﾎ".encode("shift_jis") + b" " * 11
    assert header[77:80] == b"001"
    assert header[80:95] == "ﾄｳｷﾖｳ".encode("shift_jis") + b" " * 10
    assert header[95:96] == b"1"
    assert header[96:103] == b"1234567"
    assert header[103:120] == b" " * 17


def test_request_data_record_bytes_field_by_field() -> None:
    data = _records(write_request(HEAD, [REC1, REC2]))[1:3]
    first, second = data
    assert first[0:1] == b"2"
    assert first[1:5] == b"0005"
    assert first[5:20] == "ﾐﾂﾋﾞｼﾕ-ｴﾌｼﾞｴｲ".encode("shift_jis") + b" " * 2
    assert first[20:23] == b"100"
    assert first[23:38] == "ﾎﾝﾃﾝ".encode("shift_jis") + b" " * 11
    assert first[38:42] == b"    "
    assert first[42:43] == b"1"
    assert first[43:50] == b"7654321"
    assert first[50:80] == "ﾔﾏﾀﾞ ﾀﾛｳ".encode("shift_jis") + b" " * 22
    assert first[80:90] == b"0000012300"  # N: right-aligned, zero-filled
    assert first[90:91] == b"0"
    assert first[91:111] == b"00000000000000000420"
    assert first[111:112] == b" "  # result code blank in a request
    assert first[112:120] == b" " * 8
    assert second[5:20] == b" " * 15 and second[23:38] == b" " * 15  # optional names left blank
    assert second[42:43] == b"3" and second[43:50] == b"0000123" and second[90:91] == b"1"
    assert second[50:80] == "ｶ)ｼﾝｼﾞﾕｸ".encode("shift_jis") + b" " * 22


def test_request_trailer_and_end_record() -> None:
    trailer, end = _records(write_request(HEAD, [REC1, REC2]))[3:]
    assert trailer == b"8" + b"000002" + b"000000017300" + b"000000" + b"0" * 12 + b"000000" + b"0" * 12 + b" " * 65
    assert end == b"9" + b" " * 119


def test_result_trailer_counts_debited_and_failed() -> None:
    trailer = _records(_result("010"))[4]
    assert trailer[1:7] == b"000003"
    assert trailer[7:19] == b"000000018100"
    assert trailer[19:25] == b"000002" and trailer[25:37] == b"000000013100"
    assert trailer[37:43] == b"000001" and trailer[43:55] == b"000000005000"
    assert [r[111:112] for r in _records(_result("010"))[1:4]] == [b"0", b"1", b"0"]


def test_file_is_single_byte_shift_jis_with_crlf_or_without() -> None:
    with_crlf = write_request(HEAD, [REC1, REC2])
    without = write_request(HEAD, [REC1, REC2], crlf=False)
    assert len(with_crlf) == 5 * 122 and with_crlf.count(b"\r\n") == 5
    assert len(without) == 5 * 120 and b"\r" not in without and b"\n" not in without
    assert with_crlf.replace(b"\r\n", b"") == without
    assert all(b < 0x80 or 0xA1 <= b <= 0xDF for b in without)
    assert len(without.decode("shift_jis")) == len(without)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"holder_name": "山田"}, "預金者名"),
        ({"holder_name": "ｱ" * 31}, "longer than 30"),
        ({"account_no": "12345A7"}, "口座番号"),
        ({"account_no": "12345678"}, "口座番号"),
        ({"amount": 0}, "引落金額"),
        ({"amount": 10**10}, "引落金額"),
        ({"customer_no": "420"}, "顧客番号"),
    ],
)
def test_writer_refuses_values_the_layout_cannot_carry(change: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        write_request(HEAD, [replace(REC1, **change)])  # type: ignore[arg-type]


def test_writer_refuses_a_result_without_a_known_code() -> None:
    with pytest.raises(ValueError, match="振替結果コード"):
        write_result(HEAD, [REC1])


# --- reading: good files -----------------------------------------------------------------------


def test_request_reads_back_with_crlf_without_and_with_lf() -> None:
    crlf = write_request(HEAD, [REC1, REC2, REC3])
    none = write_request(HEAD, [REC1, REC2, REC3], crlf=False)
    lf = crlf.replace(b"\r\n", b"\n")
    # also: a DOS end-of-file mark, and records without breaks but for a final one
    for data in (crlf, none, lf, crlf + b"\x1a", none + b"\r\n"):
        read = parse_request(data, received_on=RECEIVED)
        assert read.errors == []
        assert read.header == HEAD
        assert read.records == [REC1, REC2, REC3]
        assert [r.line for r in read.records] == [2, 3, 4]
        assert read.trailer == DebitTrailer(total_count=3, total_amount=18_100)


def test_result_gives_payment_events() -> None:
    parsed = parse_result(_result("010"), received_on=RECEIVED)
    assert parsed.errors == [] and parsed.ok
    assert parsed.format == "zengin-debit-result"
    assert parsed.header["debit_date"] == "2026-04-27"
    assert parsed.header["consignor_code"] == "1234567890"
    first, second, third = parsed.events
    assert first.kind == EventKind.CONFIRMED and third.kind == EventKind.CONFIRMED
    assert (first.result_code, first.result_text) == ("0", "振替済")
    assert second.kind == EventKind.DEBIT_FAILED
    assert (second.result_code, second.result_text) == ("1", "資金不足")
    assert first.channel == "direct_debit"
    assert first.key_type == KeyType.CUSTOMER_NO and first.key == "00000000000000000420"
    assert first.amount == 12_300 and first.paid_on == DEBIT_DATE
    assert first.payment_ref == "1234567890" + "20260427" + "00000000000000000420"
    assert first.agent_code == "0005"
    assert first.extra == {"branch_code": "100", "account_type": "1", "account_no": "7654321"}
    assert [e.line for e in parsed.events] == [2, 3, 4]
    assert second.record_key != first.record_key


@pytest.mark.parametrize(("code", "text"), list(RESULT_CODES.items()))
def test_every_result_code_has_its_meaning(code: str, text: str) -> None:
    (event,) = parse_result(_result(code, (REC1,)), received_on=RECEIVED).events
    assert event.result_code == code and event.result_text == text
    assert event.kind == (EventKind.CONFIRMED if code == "0" else EventKind.DEBIT_FAILED)


def test_result_code_table_is_configurable() -> None:
    table = {**RESULT_CODES, "E": "データ誤り"}
    data = write_result(HEAD, [replace(REC1, result_code="E")], result_codes=table)
    assert _where(parse_result(data, received_on=RECEIVED).errors) == [(2, "振替結果コード")]
    (event,) = parse_result(data, received_on=RECEIVED, result_codes=table).events
    assert event.kind == EventKind.DEBIT_FAILED and event.result_text == "データ誤り"


# --- the year of MMDD --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("mmdd", "received", "expected"),
    [
        ("0427", date(2026, 4, 30), date(2026, 4, 27)),
        ("1227", date(2027, 1, 5), date(2026, 12, 27)),  # across new year, received after
        ("0105", date(2026, 12, 28), date(2027, 1, 5)),  # a file read before the debit date
        ("0229", date(2028, 3, 2), date(2028, 2, 29)),
        ("0229", date(2027, 6, 1), date(2028, 2, 29)),  # 2026 and 2027 have none
        ("0101", date(2025, 7, 2), date(2025, 1, 1)),  # 182 vs 183 days
        ("0701", date(2026, 1, 1), date(2026, 7, 1)),  # 184 vs 181 days: the nearer wins
    ],
)
def test_nearest_date_resolves_the_year(mmdd: str, received: date, expected: date) -> None:
    assert nearest_date(mmdd, received) == expected


def test_nearest_date_tie_takes_the_earlier() -> None:
    # 2023-08-31 is 183 days after 2023-03-01 and 183 days before 2024-03-01 (2024 is a leap year).
    assert nearest_date("0301", date(2023, 8, 31)) == date(2023, 3, 1)
    assert nearest_date("0301", date(2023, 9, 1)) == date(2024, 3, 1)


@pytest.mark.parametrize("mmdd", ["0230", "1301", "0000", "0431", "0229"])
def test_impossible_dates_are_none(mmdd: str) -> None:
    assert nearest_date(mmdd, date(2026, 6, 1)) is None


# --- reading: bad files ------------------------------------------------------------------------


def _bad_request(edit: object, data: bytes | None = None) -> list[ParseError]:
    records = _records(data or write_request(HEAD, [REC1, REC2]))
    edit(records)  # type: ignore[operator]
    return parse_request(_join(records), received_on=RECEIVED).errors


def _bad_result(edit: object, codes: str = "010") -> list[ParseError]:
    records = _records(_result(codes, (REC1, REC2, REC3)[: len(codes)]))
    edit(records)  # type: ignore[operator]
    parsed = parse_result(_join(records), received_on=RECEIVED)
    assert parsed.events == []  # a file with errors gives no events
    return parsed.errors


def test_record_of_wrong_length() -> None:
    errors = _bad_request(lambda r: r[1].extend(b" "))
    assert _where(errors) == [(2, "-")]
    assert "121 bytes" in errors[0].reason


def test_record_of_wrong_length_in_a_file_without_line_breaks() -> None:
    data = write_request(HEAD, [REC1], crlf=False)
    errors = parse_request(data[:-1], received_on=RECEIVED).errors
    assert _where(errors) == [(4, "-")]
    assert "119 bytes" in errors[0].reason


def test_unknown_record_type() -> None:
    errors = _bad_request(lambda r: _put(r[2], 1, "5"))
    # reported once: the trailer is not compared with data it cannot count
    assert _where(errors) == [(3, "データ区分")]
    assert "unknown record type '5'" in errors[0].reason


@pytest.mark.parametrize(
    ("order", "expected"),
    [
        ("2189", [(1, "データ区分"), (2, "データ区分")]),  # data before the header; header not first
        ("1289", []),
        ("12899", [(5, "データ区分")]),  # a record after the end
        ("12889", [(4, "データ区分")]),  # a second trailer
        ("1298", [(3, "データ区分"), (4, "データ区分")]),  # end before trailer, then a record after the end
        ("1282", [(4, "データ区分"), (0, "-")]),  # data after the trailer (not counted); no end record
        ("128", [(0, "-")]),  # no end record
        ("129", [(3, "データ区分"), (0, "-")]),  # end before a trailer that never comes
    ],
)
def test_record_order(order: str, expected: list[tuple[int, str]]) -> None:
    base = _records(write_request(HEAD, [REC1], crlf=True))
    by_kind = {chr(r[0]): r for r in base}
    data = _join([bytearray(by_kind[k]) for k in order])
    errors = parse_request(data, received_on=RECEIVED).errors
    assert sorted(_where(errors)) == sorted(expected), errors


def test_missing_trailer_and_end_are_whole_file_errors() -> None:
    errors = parse_request(_join(_records(write_request(HEAD, [REC1]))[:2]), received_on=RECEIVED).errors
    assert _where(errors) == [(0, "-"), (0, "-")]
    assert [e.reason for e in errors] == ["no trailer record (8)", "no end record (9)"]


def test_empty_file() -> None:
    for data in (b"", b"\r\n"):
        assert _where(parse_request(data, received_on=RECEIVED).errors) == [(0, "-")]


def test_kind_code_other_than_91() -> None:
    errors = _bad_request(lambda r: _put(r[0], 2, "21"))
    assert _where(errors) == [(1, "種別コード")]
    assert "'21' is not 91" in errors[0].reason


def test_ebcdic_code_class_is_refused() -> None:
    assert _where(_bad_request(lambda r: _put(r[0], 4, "1"))) == [(1, "コード区分")]


@pytest.mark.parametrize(
    ("record", "first", "text", "field"),
    [
        (0, 5, "12345678X0", "委託者コード"),
        (0, 59, "00 1", "取引銀行番号"),
        (0, 96, "A", "預金種目"),
        (1, 2, "000A", "引落銀行番号"),
        (1, 21, "1 0", "引落支店番号"),
        (1, 43, "-", "預金種目"),
        (1, 44, "76543ｱ1", "口座番号"),
        (1, 81, "      1230", "引落金額"),
        (1, 91, "X", "新規コード"),
    ],
)
def test_non_digits_in_numeric_fields(record: int, first: int, text: str, field: str) -> None:
    errors = _bad_request(lambda r: _put(r[record], first, text))
    assert (record + 1, field) in _where(errors)
    assert "is not a number" in next(e.reason for e in errors if e.column == field)


def test_non_digits_in_trailer_fields() -> None:
    errors = _bad_request(lambda r: _put(r[3], 2, "00000X"))
    assert _where(errors) == [(4, "合計件数")]


@pytest.mark.parametrize("mmdd", ["0230", "1301", "0000", "0229", "04 7"])
def test_impossible_debit_date(mmdd: str) -> None:
    errors = _bad_request(lambda r: _put(r[0], 55, mmdd))
    assert _where(errors) == [(1, "引落日")]


def test_double_byte_character_names_its_field() -> None:
    errors = _bad_request(lambda r: _put(r[1], 51, "山田".encode("shift_jis")))
    assert _where(errors) == [(2, "預金者名")]
    assert "0x8E" in errors[0].reason and "position 51" in errors[0].reason


def test_control_character_is_refused() -> None:
    assert _where(_bad_request(lambda r: _put(r[1], 6, b"\t"))) == [(2, "引落銀行名")]


def test_zero_amount_and_bad_customer_number() -> None:
    def edit(r: list[bytearray]) -> None:
        _put(r[1], 81, "0000000000")
        _put(r[2], 92, "0000000000000000043 ")

    errors = _bad_request(edit)
    # the trailer still sees the record: its total no longer matches
    assert _where(errors) == [(2, "引落金額"), (3, "顧客番号"), (4, "合計金額")]


@pytest.mark.parametrize(
    ("first", "text", "field"),
    [
        (2, "000003", "合計件数"),
        (8, "000000017301", "合計金額"),
    ],
)
def test_request_trailer_totals_are_checked(first: int, text: str, field: str) -> None:
    errors = _bad_request(lambda r: _put(r[3], first, text))
    assert _where(errors) == [(4, field)]
    assert "does not match the file" in errors[0].reason


def test_request_trailer_carries_no_results() -> None:
    errors = _bad_request(lambda r: _put(r[3], 20, "000001"))
    assert _where(errors) == [(4, "振替済件数")]


def test_request_carries_no_result_code() -> None:
    errors = _bad_request(lambda r: _put(r[1], 112, "1"))
    assert _where(errors) == [(2, "振替結果コード")]
    request_with_zero = _records(write_request(HEAD, [REC1]))
    _put(request_with_zero[1], 112, "0")
    assert parse_request(_join(request_with_zero), received_on=RECEIVED).errors == []


@pytest.mark.parametrize(
    ("first", "text", "field"),
    [
        (2, "000004", "合計件数"),
        (8, "000000018000", "合計金額"),
        (20, "000003", "振替済件数"),
        (26, "000000013000", "振替済金額"),
        (38, "000000", "振替不能件数"),
        (44, "000000004000", "振替不能金額"),
    ],
)
def test_result_trailer_counts_and_amounts_are_checked(first: int, text: str, field: str) -> None:
    errors = _bad_result(lambda r: _put(r[4], first, text))
    assert _where(errors) == [(5, field)]


def test_result_code_changed_without_the_trailer_is_found() -> None:
    errors = _bad_result(lambda r: _put(r[2], 112, "0"))  # the bank's 1 turned into 0
    assert _where(errors) == [(5, "振替済件数"), (5, "振替済金額"), (5, "振替不能件数"), (5, "振替不能金額")]


@pytest.mark.parametrize(("code", "reason"), [("5", "not a known result code"), (" ", "missing")])
def test_unknown_or_missing_result_code(code: str, reason: str) -> None:
    errors = _bad_result(lambda r: _put(r[2], 112, code))
    assert _where(errors) == [(3, "振替結果コード")]
    assert reason in errors[0].reason


def test_all_errors_of_a_file_are_collected_in_line_order() -> None:
    def edit(r: list[bytearray]) -> None:
        _put(r[0], 2, "21")
        _put(r[0], 55, "1301")
        _put(r[1], 81, "00000A2300")
        _put(r[2], 112, "7")
        _put(r[3], 2, "00000X")

    errors = _bad_result(edit, codes="01")
    assert _where(errors) == [(1, "種別コード"), (1, "引落日"), (2, "引落金額"), (3, "振替結果コード"), (4, "合計件数")]
    assert all(str(e).startswith(f"line {e.line}, column ") for e in errors)


# --- round trip --------------------------------------------------------------------------------

_zengin_text = st.text(alphabet=sorted(ZENGIN_CHARS), max_size=30).map(str.rstrip)
_digits = lambda n: st.text(alphabet="0123456789", min_size=n, max_size=n)  # noqa: E731

_headers = st.builds(
    DebitHeader,
    consignor_code=_digits(10),
    consignor_name=_zengin_text,
    debit_date=st.dates(min_value=date(2000, 1, 1), max_value=date(2098, 12, 31)),
    bank_code=_digits(4),
    bank_name=_zengin_text.map(lambda s: s[:15].rstrip()),
    branch_code=_digits(3),
    branch_name=_zengin_text.map(lambda s: s[:15].rstrip()),
    account_type=st.sampled_from("1239"),
    account_no=_digits(7),
)
_records_st = st.builds(
    DebitRecord,
    bank_code=_digits(4),
    bank_name=_zengin_text.map(lambda s: s[:15].rstrip()),
    branch_code=_digits(3),
    branch_name=_zengin_text.map(lambda s: s[:15].rstrip()),
    account_type=st.sampled_from("1239"),
    account_no=_digits(7),
    holder_name=_zengin_text,
    amount=st.integers(min_value=1, max_value=9_999_999_999),
    customer_no=_digits(20),
    new_code=st.sampled_from("012"),
)


@settings(max_examples=150, deadline=None)
@given(
    header=_headers,
    records=st.lists(_records_st, max_size=12),
    codes=st.lists(st.sampled_from(sorted(RESULT_CODES)), min_size=12, max_size=12),
    ending=st.sampled_from(["crlf", "none", "lf"]),
    delay=st.integers(min_value=-150, max_value=150),
)
def test_round_trip_request_bank_result_events(
    header: DebitHeader, records: list[DebitRecord], codes: list[str], ending: str, delay: int
) -> None:
    request = write_request(header, records, crlf=ending != "none")
    if ending == "lf":
        request = request.replace(b"\r\n", b"\n")
    received = date.fromordinal(header.debit_date.toordinal() + delay)  # within half a year
    read = parse_request(request, received_on=received)
    assert read.errors == []
    assert read.header == header and read.records == records

    # The bank: set a result code on each record, recompute the trailer.
    answered = [replace(r, result_code=c) for r, c in zip(read.records, codes, strict=False)]
    result = write_result(read.header, answered, crlf=ending == "crlf")
    parsed = parse_result(result, received_on=received)
    assert parsed.errors == []
    assert [(e.key, e.amount, e.result_code) for e in parsed.events] == [
        (r.customer_no, r.amount, r.result_code) for r in answered
    ]
    assert all(e.paid_on == header.debit_date for e in parsed.events)
    assert [e.kind == EventKind.CONFIRMED for e in parsed.events] == [r.result_code == "0" for r in answered]
    debited = sum(r.amount for r in answered if r.result_code == "0")
    assert sum(e.amount for e in parsed.events if e.kind == EventKind.CONFIRMED) == debited
