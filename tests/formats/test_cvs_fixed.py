"""The 120-byte convenience-store result codec, format cvs-120 (formats.cvs_fixed): no database."""

from dataclasses import replace
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from choshu.formats import cvs_fixed
from choshu.formats.errors import ParseError
from choshu.formats.payment_event import CHANNELS, EventKind, KeyType, PaymentEvent
from choshu.formats.payment_key import mod10_w31, payment_key

RECEIVED = date(2024, 1, 31)
MUF = "54321"
AGENT = "12345"
KEY = payment_key(7)


def barcode(key: str = KEY, amount: int = 1000, *, muf: str = MUF, agent: str = AGENT, due: str = "999999") -> str:
    body = f"919{muf}{agent}{key}0{due}0{amount:06d}"
    return body + str(mod10_w31(body))


def event(data_type: str = "01", **kw: object) -> PaymentEvent:
    args: dict[str, object] = {
        "data_type": data_type,
        "barcode": barcode(),
        "paid_on": date(2024, 1, 5),
        "paid_time": "1230",
        "cvs_code": "0010",
        "store_code": "1234567",
    }
    if data_type == "02":
        args["settles_on"] = date(2024, 1, 20)
    args.update(kw)
    return cvs_fixed.make_event(**args)  # type: ignore[arg-type]


def records(data: bytes) -> list[bytes]:
    return data.split(b"\r\n")[:-1]


def join(recs: list[bytes]) -> bytes:
    return b"\r\n".join(recs) + b"\r\n"


def with_field(rec: bytes, start: int, value: bytes) -> bytes:
    """``rec`` with ``value`` at 1-based ``start``."""
    return rec[: start - 1] + value + rec[start - 1 + len(value) :]


def where(errors: list[ParseError]) -> list[tuple[int, str]]:
    return [(e.line, e.column) for e in errors]


FILE = cvs_fixed.dump(
    [event("01"), event("02", acquired_on=date(2024, 1, 6), accounted_on=date(2024, 1, 21)), event("03")],
    created_on=date(2024, 1, 30),
    agent_name="ｼﾝｼﾞﾕｸｸ",
)


# --- layout ------------------------------------------------------------------------------------------


def test_records_are_at_the_positions_of_formats_md() -> None:
    header, first, second, third, trailer, end = records(FILE)
    assert all(len(r) == 120 for r in (header, first, second, third, trailer, end))
    # header: 区分 1 · データ作成日 8 · MUF企業コード 5 · 収納企業コード 5 · 収納企業名カナ 40 · filler 61
    assert header[0:1] == b"1" and header[1:9] == b"20240130"
    assert header[9:14] == MUF.encode() and header[14:19] == AGENT.encode()
    assert header[19:59].decode("cp932").rstrip() == "ｼﾝｼﾞﾕｸｸ"
    # data (1-based): 1 区分 · 2–3 種別 · 4–11 収納日 · 12–15 時刻 · 16–59 barcode · 63–69 store ·
    # 70–77 取得日 · 78–85 振込予定日 · 94–101 経理処理日 · 102–105 CVSコード
    assert second[0:1] == b"2" and second[1:3] == b"02"
    assert second[3:11] == b"20240105" and second[11:15] == b"1230"
    assert second[15:59] == barcode().encode()
    assert second[62:69] == b"1234567"
    assert second[69:77] == b"20240106" and second[77:85] == b"20240120" and second[93:101] == b"20240121"
    assert second[101:105] == b"0010"
    assert first[77:85] == b"00000000"
    # trailer (ours): 合計 6+12, 速報 6+12, 確報 6+12, 取消 6+12
    assert trailer[0:1] == b"8"
    assert trailer[1:7] == b"000003" and trailer[7:19] == b"000000003000"
    assert trailer[19:25] == b"000001" and trailer[37:43] == b"000001" and trailer[55:61] == b"000001"
    assert trailer[61:73] == b"000000001000" and trailer[73:] == b" " * 47
    assert end == b"9" + b" " * 119


def test_a_file_gives_its_events_and_header() -> None:
    parsed = cvs_fixed.parse(FILE, received_on=RECEIVED)
    assert parsed.errors == []
    pre, con, can = parsed.events
    assert [e.line for e in parsed.events] == [2, 3, 4]
    assert [e.kind for e in parsed.events] == [EventKind.PRELIMINARY, EventKind.CONFIRMED, EventKind.CANCEL]
    assert pre.key_type == KeyType.BILLER_KEY and pre.key == KEY and pre.amount == 1000
    assert pre.extra["agent_prefix"] == AGENT and pre.extra["company_code"] == "9" + MUF
    assert con.settles_on == date(2024, 1, 20) and pre.settles_on is None
    assert con.extra["acquired_on"] == "2024-01-06" and con.extra["accounted_on"] == "2024-01-21"
    assert pre.payment_ref == con.payment_ref == can.payment_ref == f"cvs:{barcode()}-20240105-1230-1234567"
    assert parsed.header == {"created_on": "2024-01-30", "muf_code": MUF, "agent_code": AGENT, "agent_name": "ｼﾝｼﾞﾕｸｸ"}


def test_with_or_without_line_breaks() -> None:
    plain = b"".join(records(FILE))
    lf = FILE.replace(b"\r\n", b"\n")
    eof = plain + b"\x1a"
    expected = cvs_fixed.parse(FILE, received_on=RECEIVED).events
    for data in (plain, lf, eof):
        parsed = cvs_fixed.parse(data, received_on=RECEIVED)
        assert parsed.errors == [] and parsed.events == expected
    assert cvs_fixed.dump([event()], created_on=RECEIVED, crlf=False) == b"".join(
        records(cvs_fixed.dump([event()], created_on=RECEIVED))
    )


@pytest.mark.parametrize(
    ("code", "channel"), [("0010", "cvs"), ("0180", "mobile_banking"), ("0190", "credit_card"), ("9900", "app")]
)
def test_cvs_code_channel_table(code: str, channel: str) -> None:
    assert event(cvs_code=code).channel == channel
    assert channel in CHANNELS


@st.composite
def made_events(draw: st.DrawFn) -> list[PaymentEvent]:
    out = []
    for _ in range(draw(st.integers(0, 5))):
        data_type = draw(st.sampled_from(sorted(cvs_fixed.DATA_TYPES)))
        paid = draw(st.dates(date(2020, 1, 1), RECEIVED))
        later = st.dates(paid, date(2099, 12, 31))
        out.append(
            cvs_fixed.make_event(
                data_type=data_type,
                barcode=barcode(payment_key(draw(st.integers(1, 10**15 - 1))), draw(st.integers(1, 999_999))),
                paid_on=paid,
                paid_time=f"{draw(st.integers(0, 23)):02d}{draw(st.integers(0, 59)):02d}",
                cvs_code=draw(st.sampled_from(["0010", "0020", "0180", "0190", "9900"])),
                store_code=draw(st.from_regex(r"[0-9A-Z]{0,7}", fullmatch=True)),
                acquired_on=draw(st.none() | later),
                settles_on=draw(later if data_type == "02" else st.none() | later),
                accounted_on=draw(st.none() | later),
            )
        )
    return out


@settings(max_examples=60)
@given(made_events(), st.booleans(), st.text(alphabet="ｱｲｳｴｵﾞﾟ ABC()", max_size=40))
def test_dump_then_parse_gives_the_same_events(made: list[PaymentEvent], crlf: bool, name: str) -> None:
    data = cvs_fixed.dump(made, created_on=RECEIVED, agent_name=name, muf_code=MUF, agent_code=AGENT, crlf=crlf)
    parsed = cvs_fixed.parse(data, received_on=RECEIVED)
    assert parsed.errors == []
    assert parsed.events == [replace(e, line=n) for n, e in enumerate(made, start=2)]
    assert parsed.header["agent_name"] == name.rstrip(" ")


def test_writers_refuse_what_does_not_fit() -> None:
    with pytest.raises(ValueError, match="振込予定年月日"):
        cvs_fixed.make_event(data_type="02", barcode=barcode(), paid_on=RECEIVED, cvs_code="0010")
    with pytest.raises(ValueError, match="CVS受付店舗コード"):
        event(store_code="12345678")
    with pytest.raises(ValueError, match="収納企業名カナ"):
        cvs_fixed.dump([event()], created_on=RECEIVED, agent_name="ア" * 21)
    with pytest.raises(ValueError, match="muf_code"):
        cvs_fixed.dump([], created_on=RECEIVED)
    with pytest.raises(ValueError, match="データ種別 01"):
        cvs_fixed.dump([replace(event(), kind=EventKind.CANCEL)], created_on=RECEIVED)


# --- bad input -----------------------------------------------------------------------------------


def _bad_data(start: int, value: bytes) -> list[ParseError]:
    recs = records(FILE)
    recs[2] = with_field(recs[2], start, value)
    return cvs_fixed.parse(join(recs), received_on=RECEIVED).errors


@pytest.mark.parametrize(
    ("start", "value", "column", "reason"),
    [
        (2, b"04", "データ種別", "unknown record type"),
        (4, b"20240230", "収納日", "not a valid date"),
        (4, b"2024010A", "収納日", "not a date"),
        (12, b"1260", "収納時刻", "HHMM"),
        (59, b"9", "バーコード情報", "check digit"),
        (53, b"     ", "バーコード情報", "44 digits"),  # barcode amount digits blanked
        (70, b"2024013A", "データ取得年月日", "not a date"),
        (78, b"00000000", "振込予定年月日", "not a valid date"),  # required for 02
        (78, b"20240104", "振込予定年月日", "before 収納日"),
        (94, b"20241301", "経理処理年月日", "not a valid date"),
        (102, b"01A0", "CVSコード", "4 digits"),
        (63, b"12-4567", "CVS受付店舗コード", "letters and digits"),
    ],
)
def test_bad_fields_are_named_by_line_and_field(start: int, value: bytes, column: str, reason: str) -> None:
    errors = _bad_data(start, value)
    assert where(errors) == [(3, column)], errors
    assert reason in errors[0].reason


def test_a_payment_after_the_file_was_received_is_an_error() -> None:
    recs = records(FILE)
    recs[1] = with_field(recs[1], 4, b"20240201")
    errors = cvs_fixed.parse(join(recs), received_on=RECEIVED).errors
    assert where(errors) == [(2, "収納日")]
    assert "after the day the file was received" in errors[0].reason


def test_barcode_company_codes_must_be_the_headers() -> None:
    recs = records(FILE)
    recs[0] = with_field(recs[0], 10, b"99999")
    recs[0] = with_field(recs[0], 15, b"88888")
    errors = cvs_fixed.parse(join(recs), received_on=RECEIVED).errors
    assert where(errors) == [(n, "バーコード情報") for n in (2, 2, 3, 3, 4, 4)]
    assert "MUF企業コード" in errors[0].reason and "収納企業コード" in errors[1].reason


def test_trailer_counts_and_totals_are_checked() -> None:
    recs = records(FILE)
    recs[4] = with_field(recs[4], 2, b"000004")
    recs[4] = with_field(recs[4], 8, b"000000003001")
    recs[4] = with_field(recs[4], 44, b"000000000999")
    errors = cvs_fixed.parse(join(recs), received_on=RECEIVED).errors
    assert where(errors) == [(5, "合計件数"), (5, "合計金額"), (5, "確報金額")]
    assert errors[0].reason == "4 in the trailer, the data records give 3"


def test_trailer_count_is_checked_even_when_a_record_is_unreadable() -> None:
    recs = records(FILE)
    recs[1] = with_field(recs[1], 2, b"77")
    recs[4] = with_field(recs[4], 2, b"000002")
    errors = cvs_fixed.parse(join(recs), received_on=RECEIVED).errors
    assert where(errors) == [(2, "データ種別"), (5, "合計件数")]
    recs[4] = with_field(recs[4], 2, b"00000A")
    assert where(cvs_fixed.parse(join(recs), received_on=RECEIVED).errors) == [(2, "データ種別"), (5, "合計件数")]


def test_record_structure_problems() -> None:
    header, d1, d2, d3, trailer, end = records(FILE)
    cases = {
        "short record": (join([header, d1[:119], d2, d3, trailer, end]), [(2, "-")]),
        "unknown record type": (join([header, b"5" + d1[1:], d2, d3, trailer, end]), [(2, "レコード区分")]),
        "no trailer and end": (join([header, d1, d2, d3]), [(0, "-"), (0, "-")]),
        "data after trailer": (join([header, d1, d2, trailer, d3, end]), [(5, "レコード区分")]),
        "no header": (join([d1, d2, d3, trailer, end]), [(0, "-"), (1, "レコード区分")]),
        "two headers": (join([header, header, d1, d2, d3, trailer, end]), [(2, "レコード区分")]),
        "after the end": (join([header, d1, d2, d3, trailer, end, d1]), [(7, "レコード区分")]),
        "end before trailer": (
            join([header, d1, d2, d3, end, trailer]),
            [(0, "-"), (5, "レコード区分"), (6, "レコード区分")],
        ),
    }
    for name, (data, expected) in cases.items():
        errors = cvs_fixed.parse(data, received_on=RECEIVED).errors
        assert where(errors) == expected, (name, errors)
    unaligned = b"".join([header, d1, d2, d3, trailer, end])[:-1]
    errors = cvs_fixed.parse(unaligned, received_on=RECEIVED).errors
    assert where(errors) == [(0, "-"), (6, "-")]  # the last record is cut: no end record
    assert "119 bytes" in errors[1].reason
    assert where(cvs_fixed.parse(b"", received_on=RECEIVED).errors) == [(0, "-")]


def test_undecodable_header_name_is_named_by_line_and_field() -> None:
    recs = records(FILE)
    recs[0] = with_field(recs[0], 20, b"\x81\x7f")
    errors = cvs_fixed.parse(join(recs), received_on=RECEIVED).errors
    assert where(errors) == [(1, "収納企業名カナ")] and "Shift_JIS" in errors[0].reason


def test_header_created_after_receipt_is_an_error() -> None:
    errors = cvs_fixed.parse(FILE, received_on=date(2024, 1, 29)).errors
    assert where(errors) == [(1, "データ作成日")]
