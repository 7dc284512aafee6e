"""The convenience-store result CSV codec, format cvs-csv (formats.cvs_csv): no database."""

from dataclasses import replace
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from choshu.formats import cvs_csv
from choshu.formats.channel_fields import barcode_check_digit, read_barcode
from choshu.formats.errors import ParseError
from choshu.formats.payment_event import CHANNELS, EventKind, KeyType, PaymentEvent
from choshu.formats.payment_key import mod10_w31, payment_key

RECEIVED = date(2024, 1, 31)
HEADER = ",".join(cvs_csv.COLUMNS)


def with_check_digit(body: str) -> str:
    return body + str(mod10_w31(body))


def barcode(key: str, amount: int, *, prefix: str = "25207", company: str = "929023", due: str = "999999") -> str:
    return with_check_digit(f"91{company}{prefix}{key}0{due}0{amount:06d}")


KEY = payment_key(42)
BARCODE = barcode(KEY, 6946)


def row(
    data_type: str = "01",
    *,
    bc: str = BARCODE,
    paid: str = "20231215",
    time: str = "0826",
    user1: str | None = None,
    user2: str | None = None,
    stamp: str | None = None,
    amount: str | None = None,
    code: str = "010",
    name: str = '"セブン－イレブン"',
    store: str = "458762",
    settle: str = "0",
    created: str = "20231216",
) -> str:
    """One CSV row in the DSK shape (sample file tests/data/csv/syuno.csv), barcode columns derived."""
    return ",".join(
        [
            data_type,
            paid,
            time,
            "EAN" + bc,
            bc[13:19] if user1 is None else user1,
            bc[19:30] if user2 is None else user2,
            bc[36] if stamp is None else stamp,
            str(int(bc[37:43])) if amount is None else amount,
            code,
            name,
            store,
            settle,
            created,
        ]
    )


def csv_file(*rows: str, encoding: str = "cp932") -> bytes:
    return ("\r\n".join([HEADER, *rows]) + "\r\n").encode(encoding)


def where(errors: list[ParseError]) -> list[tuple[int, str]]:
    return [(e.line, e.column) for e in errors]


# --- the barcode (formats.md §3.1–3.2) -------------------------------------------------------------


def test_check_digit_reproduces_the_published_vectors() -> None:
    assert barcode_check_digit("9191234501234567890123456789010103310123000") == 3
    assert barcode_check_digit("9194238617895391785393569273010307311031290") == 3
    assert barcode_check_digit("9192902321942000000000003755439999999999999") == 9


@given(st.text(alphabet="0123456789", min_size=1, max_size=60))
def test_fast_check_digit_equals_mod10_w31(body: str) -> None:
    assert barcode_check_digit(body) == mod10_w31(body)


def test_barcode_fields_from_the_published_vector() -> None:
    errors: list[ParseError] = []
    read = read_barcode("91942386178953917853935692730103073110312903", line=1, column="b", errors=errors)
    assert errors == [] and read is not None
    assert read.company_code == "942386"
    assert read.agent_prefix == "17895"
    assert read.biller_key == "3917853935692730"
    assert read.reissue == 1
    assert read.due_date == date(2003, 7, 31)
    assert read.stamp == "1"
    assert read.amount == 31290


# --- reading -------------------------------------------------------------------------------------


def test_preliminary_then_confirmed_share_payment_ref() -> None:
    data = csv_file(row("01"), row("02", settle="20240109", created="20231222"))
    parsed = cvs_csv.parse(data, received_on=RECEIVED)
    assert parsed.errors == []
    first, second = parsed.events
    assert first.line == 2 and second.line == 3
    assert first.kind == EventKind.PRELIMINARY and second.kind == EventKind.CONFIRMED
    assert first.key_type == KeyType.BILLER_KEY and first.key == KEY
    assert first.amount == 6946 and first.paid_on == date(2023, 12, 15)
    assert first.settles_on is None and second.settles_on == date(2024, 1, 9)
    assert first.channel == "cvs" and first.agent_code == "010"
    assert first.due_date is None and first.reissue == 0
    assert first.extra["agent_prefix"] == "25207"
    assert first.extra["company_code"] == "929023"
    assert first.extra["store_code"] == "458762" and first.extra["paid_time"] == "0826"
    assert first.extra["cvs_name"] == "セブン－イレブン"
    assert first.payment_ref == second.payment_ref == f"cvs:{BARCODE}-20231215-0826-458762"
    assert first.record_key != second.record_key
    assert parsed.header == {"encoding": "Shift_JIS"}


def test_a_cancel_names_its_preliminary() -> None:
    parsed = cvs_csv.parse(csv_file(row("01"), row("03")), received_on=RECEIVED)
    assert [e.kind for e in parsed.events] == [EventKind.PRELIMINARY, EventKind.CANCEL]
    assert parsed.events[0].payment_ref == parsed.events[1].payment_ref


def test_due_date_and_reissue_come_from_the_barcode() -> None:
    bc = barcode(KEY, 1200, due="240131")
    bc = with_check_digit(bc[:29] + "2" + bc[30:43])
    event = cvs_csv.parse(csv_file(row(bc=bc)), received_on=RECEIVED).events[0]
    assert event.due_date == date(2024, 1, 31) and event.reissue == 2 and event.amount == 1200


@pytest.mark.parametrize(
    ("data_type", "code", "kind", "channel"),
    [
        ("01", "010", EventKind.PRELIMINARY, "cvs"),
        ("81", "020", EventKind.PRELIMINARY, "cvs"),
        ("02", "680", EventKind.CONFIRMED, "credit_card"),
        ("02", cvs_csv.MOBILE_REGISTER_CODE, EventKind.CONFIRMED, "mobile_banking"),
        ("01", "820", EventKind.PRELIMINARY, "app"),
        ("01", "530", EventKind.PRELIMINARY, "app"),
        ("03", "840", EventKind.CANCEL, "app"),
        ("02", "999", EventKind.CONFIRMED, "cvs"),  # a code not in the table is a store
        ("12", "910", EventKind.CONFIRMED, "postal"),
        ("22", "911", EventKind.CORRECTION, "postal"),
    ],
)
def test_kind_and_channel_tables(data_type: str, code: str, kind: EventKind, channel: str) -> None:
    settle = "20240109" if data_type in ("02", "12", "22") else "0"
    parsed = cvs_csv.parse(csv_file(row(data_type, code=code, settle=settle)), received_on=RECEIVED)
    assert parsed.errors == []
    assert (parsed.events[0].kind, parsed.events[0].channel) == (kind, channel)


def test_every_channel_in_the_table_is_a_known_channel() -> None:
    assert set(cvs_csv.CHANNEL_BY_CVS_CODE.values()) | {cvs_csv.DEFAULT_CHANNEL} <= set(CHANNELS)


def test_postal_transfer_has_no_time_and_its_check_digit_is_not_verified() -> None:
    # The agent overwrites the due date with 999999 without recomputing the check digit.
    with_due = barcode(KEY, 51244, due="231231")
    forced = with_due[:30] + "999999" + with_due[36:]
    assert barcode_check_digit(forced[:43]) != int(forced[43])
    data = csv_file(
        row("12", bc=forced, time="0", code="910", settle="20231225"),
        row("22", bc=forced, time="0000", code="911", amount="51000", settle="20231226"),
    )
    parsed = cvs_csv.parse(data, received_on=RECEIVED)
    assert parsed.errors == []
    confirmed, correction = parsed.events
    assert confirmed.kind == EventKind.CONFIRMED and confirmed.amount == 51244
    assert correction.kind == EventKind.CORRECTION and correction.amount == 51000  # the corrected amount
    assert confirmed.payment_ref == correction.payment_ref
    assert confirmed.extra["paid_time"] == "0000"
    # the same digits in a store record: the check digit is verified there
    bad = cvs_csv.parse(csv_file(row("01", bc=forced)), received_on=RECEIVED)
    assert where(bad.errors) == [(2, "バーコード情報")]
    assert "check digit" in bad.errors[0].reason


def test_utf8_with_and_without_bom_gives_the_same_events_as_shift_jis() -> None:
    rows = (row("01"), row("02", settle="20240109"))
    sjis = cvs_csv.parse(csv_file(*rows), received_on=RECEIVED)
    utf8 = cvs_csv.parse(csv_file(*rows, encoding="utf-8"), received_on=RECEIVED)
    bom = cvs_csv.parse(b"\xef\xbb\xbf" + csv_file(*rows, encoding="utf-8"), received_on=RECEIVED)
    assert sjis.errors == utf8.errors == bom.errors == []
    assert sjis.events == utf8.events == bom.events
    assert (sjis.header["encoding"], utf8.header["encoding"], bom.header["encoding"]) == (
        "Shift_JIS",
        "UTF-8",
        "UTF-8",
    )


def test_lf_line_ends_and_no_final_line_break_are_read() -> None:
    data = "\n".join([HEADER, row("01"), row("03")]).encode("cp932")
    assert len(cvs_csv.parse(data, received_on=RECEIVED).events) == 2


# --- writing and round trips -----------------------------------------------------------------------


def test_dump_writes_the_dsk_columns() -> None:
    event = cvs_csv.make_event(
        data_type="02",
        barcode=BARCODE,
        paid_on=date(2023, 12, 15),
        paid_time="0826",
        store_code="458762",
        settles_on=date(2024, 1, 9),
        created_on=date(2023, 12, 22),
    )
    lines = cvs_csv.dump([event]).decode("cp932").split("\r\n")
    assert lines[0] == HEADER
    assert lines[1] == row("02", settle="20240109", created="20231222")
    assert lines[2] == ""


def test_make_event_refuses_what_parse_would_refuse() -> None:
    with pytest.raises(ValueError, match="振込日"):
        cvs_csv.make_event(data_type="02", barcode=BARCODE, paid_on=date(2024, 1, 5))
    with pytest.raises(ValueError, match="check digit"):
        cvs_csv.make_event(data_type="01", barcode=BARCODE[:-1] + str((int(BARCODE[-1]) + 1) % 10), paid_on=RECEIVED)
    with pytest.raises(ValueError, match="金額"):
        cvs_csv.make_event(data_type="01", barcode=BARCODE, paid_on=RECEIVED, amount=1)


def test_dump_refuses_an_event_whose_kind_is_not_its_type() -> None:
    event = cvs_csv.make_event(data_type="01", barcode=BARCODE, paid_on=RECEIVED)
    with pytest.raises(ValueError, match="種別 01"):
        cvs_csv.dump([replace(event, kind=EventKind.CONFIRMED)])


_NAMES = st.text(alphabet=st.sampled_from('ｱｲｳ ABCローソン",・－'), max_size=12)


@st.composite
def events(draw: st.DrawFn) -> list[PaymentEvent]:
    out = []
    for _ in range(draw(st.integers(0, 6))):
        data_type = draw(st.sampled_from(sorted(cvs_csv.DATA_TYPES)))
        amount = draw(st.integers(1, 999_999))
        due = draw(
            st.one_of(st.just("999999"), st.dates(date(2000, 1, 1), date(2099, 12, 31)).map(lambda d: f"{d:%y%m%d}"))
        )
        key = payment_key(draw(st.integers(1, 10**15 - 1)))
        paid = draw(st.dates(date(2020, 1, 1), RECEIVED))
        settles = draw(st.dates(paid, date(2099, 12, 31))) if data_type in cvs_csv.SETTLING_TYPES else None
        postal = data_type in cvs_csv.POSTAL_TYPES
        out.append(
            cvs_csv.make_event(
                data_type=data_type,
                barcode=barcode(key, amount, prefix=draw(st.from_regex(r"[0-9]{5}", fullmatch=True)), due=due),
                paid_on=paid,
                paid_time="0000" if postal else f"{draw(st.integers(0, 23)):02d}{draw(st.integers(0, 59)):02d}",
                cvs_code=draw(st.sampled_from(["010", "020", "680", "690", "820", "910", "123"])),
                store_code=draw(st.from_regex(r"[0-9A-Z]{0,10}", fullmatch=True)),
                cvs_name=draw(_NAMES),
                settles_on=settles,
                created_on=draw(st.dates(paid, date(2099, 12, 31))),
                amount=draw(st.integers(1, 999_999)) if data_type == cvs_csv.CORRECTION_TYPE else None,
            )
        )
    return out


@settings(max_examples=60)
@given(events(), st.sampled_from(["cp932", "utf-8"]), st.booleans())
def test_dump_then_parse_gives_the_same_events(made: list[PaymentEvent], encoding: str, bom: bool) -> None:
    data = cvs_csv.dump(made, encoding=encoding, bom=bom and encoding == "utf-8")
    parsed = cvs_csv.parse(data, received_on=RECEIVED)
    assert parsed.errors == []
    assert parsed.events == [replace(e, line=n) for n, e in enumerate(made, start=2)]


# --- bad input -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("bad_row", "column", "reason"),
    [
        (row("04"), "種別", "unknown record type"),
        (row(paid="20230230"), "収納日", "not a valid date"),
        (row(paid="2023121"), "収納日", "not a date"),
        (row(paid="20240201"), "収納日", "after the day the file was received"),
        (row(time="2460"), "収納時刻", "HHMM"),
        (row(time="0"), "収納時刻", "HHMM"),  # 0 is for postal types only
        (row(bc=BARCODE[:-1] + str((int(BARCODE[-1]) + 1) % 10)), "バーコード情報", "check digit"),
        (row(bc=with_check_digit("92" + BARCODE[2:43])), "バーコード情報", "application identifier"),
        (row(bc=BARCODE[:40]), "バーコード情報", "44 digits"),
        (row(bc=barcode(KEY, 100, due="230230")), "バーコード情報", "due date"),
        (row(bc=barcode(KEY, 0), amount="1"), "バーコード情報", "amount"),
        (row().replace("EAN", "JAN", 1), "バーコード情報", "EAN"),
        (row(user1="067891"), "ユーザー使用欄１", "differs"),
        (row(user2="12345659181"), "ユーザー使用欄２", "differs"),
        (row(stamp="1"), "印紙フラグ", "differs"),
        (row(amount="6945"), "金額", "differs from the barcode amount"),
        (row(amount="69x6"), "金額", "not an amount"),
        (row(amount="-6946"), "金額", "not an amount"),
        (row(code="01"), "コンビニ本部コード", "3 digits"),
        (row(store="45-762"), "コンビニ店舗コード", "letters and digits"),
        (row("02"), "振込日", "not a date"),
        (row("02", settle="20231214"), "振込日", "before 収納日"),
        (row("01", settle="20240109"), "振込日", "must be 0"),
        (row(created="20231232"), "データ作成日", "not a valid date"),
        (row() + ",extra", "-", "14 fields"),
        (row("22", code="911", time="0", amount="0", settle="20231225"), "金額", "more than 0"),
    ],
)
def test_bad_rows_are_named_by_line_and_column(bad_row: str, column: str, reason: str) -> None:
    parsed = cvs_csv.parse(csv_file(row("01"), bad_row), received_on=RECEIVED)
    assert where(parsed.errors) == [(3, column)], parsed.errors
    assert reason in parsed.errors[0].reason
    assert parsed.events == []  # the whole file is rejected


def test_every_error_of_the_file_is_collected() -> None:
    data = csv_file(row("09"), row("01"), row(paid="20231301", code="1"), row(amount="1"))
    parsed = cvs_csv.parse(data, received_on=RECEIVED)
    assert where(parsed.errors) == [(2, "種別"), (4, "収納日"), (4, "コンビニ本部コード"), (5, "金額")]
    assert parsed.events == [] and not parsed.ok


def test_undecodable_bytes_are_named_by_line_and_column() -> None:
    good = csv_file(row("01"))
    bad = good + row("01", name='"ロー\x00"').encode("cp932").replace(b"\x00", b"\x81\x7f") + b"\r\n"
    parsed = cvs_csv.parse(bad, received_on=RECEIVED)
    assert parsed.header["encoding"] == "Shift_JIS"
    assert where(parsed.errors) == [(3, "コンビニ名")]
    assert "Shift_JIS" in parsed.errors[0].reason


def test_bad_utf8_after_a_bom_is_named_by_line_and_column() -> None:
    data = (
        b"\xef\xbb\xbf"
        + csv_file(row("01"), encoding="utf-8")
        + row("01", store="4587\x00").encode().replace(b"\x00", b"\xff")
    )
    parsed = cvs_csv.parse(data, received_on=RECEIVED)
    assert where(parsed.errors) == [(3, "コンビニ店舗コード")]
    assert "UTF-8" in parsed.errors[0].reason


def test_missing_header_empty_file_and_malformed_csv() -> None:
    no_header = ("\r\n".join([row("01"), row("01", store="1")]) + "\r\n").encode("cp932")
    assert where(cvs_csv.parse(no_header, received_on=RECEIVED).errors) == [(1, "-")]
    assert where(cvs_csv.parse(b"", received_on=RECEIVED).errors) == [(0, "-")]
    short_header = b"a,b\r\n" + row().encode("cp932")
    assert where(cvs_csv.parse(short_header, received_on=RECEIVED).errors) == [(1, "-")]
    malformed = csv_file(row("01")) + b'01,"20231215\r\n'
    errors = cvs_csv.parse(malformed, received_on=RECEIVED).errors
    assert where(errors) == [(3, "-")] and "malformed CSV" in errors[0].reason
