"""The Pay-easy levy upload codec, layout payeasy-levy v1 (formats.payeasy_levy): no database."""

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from choshu.formats import payeasy_levy
from choshu.formats.errors import ParseError
from choshu.formats.payeasy import PayEasyKeys, payeasy_keys
from choshu.formats.payeasy_levy import COLUMNS, LevyFileError, LevyRecord, dump, parse
from choshu.formats.payment_key import installment_id_of, payment_key
from choshu.formats.zengin_kana import ZENGIN_CHARS

CREATED = date(2025, 6, 2)
INSTITUTION = "01131"


def record(installment_id: int = 9, **kw: object) -> LevyRecord:
    values: dict[str, object] = {
        "keys": payeasy_keys(
            institution_no=INSTITUTION, payment_no=payment_key(installment_id), category="101", secret="s", length=4
        ),
        "amount": 12_300,
        "deadline": date(2025, 6, 30),
        "name_kana": "ｼﾝｼﾞﾕｸ ﾀﾛｳ",
    }
    values.update(kw)
    return LevyRecord(**values)  # type: ignore[arg-type]


RECORDS = [record(9), record(10, amount=400_000, name_kana="(ｶ)ｼﾝｼﾞﾕｸ,ｼﾖｳｼﾞ", deadline=date(2025, 7, 31))]
FILE = dump(RECORDS, institution_no=INSTITUTION, created_on=CREATED)


def lines_of(data: bytes) -> list[str]:
    return data.decode("cp932").split("\r\n")[:-1]


def join(lines: list[str]) -> bytes:
    return ("\r\n".join(lines) + "\r\n").encode("cp932")


def where(error: LevyFileError) -> list[tuple[int, str]]:
    return [(e.line, e.column) for e in error.errors]


def refused(data: bytes) -> LevyFileError:
    with pytest.raises(LevyFileError) as caught:
        parse(data)
    return caught.value


def test_the_file_is_header_data_and_trailer_in_shift_jis() -> None:
    k9, k10 = RECORDS[0].keys, RECORDS[1].keys
    assert lines_of(FILE) == [
        "整理番号,収納機関番号,納付番号,確認番号,納付区分,納付金額,支払期限,氏名(カナ)",
        f"1,01131,{k9.payment_no},{k9.confirmation_no},101,12300,20250630,ｼﾝｼﾞﾕｸ ﾀﾛｳ",
        f'2,01131,{k10.payment_no},{k10.confirmation_no},101,400000,20250731,"(ｶ)ｼﾝｼﾞﾕｸ,ｼﾖｳｼﾞ"',
        "T,01131,2,,,412300,20250602,1",
    ]
    assert "ｼ".encode("cp932") == b"\xbc"  # half-width kana: one byte each in Shift_JIS
    assert FILE.endswith(b"\r\n") and b"\r\n" in FILE


def test_round_trip() -> None:
    levy_file = parse(FILE)
    assert levy_file.records == RECORDS
    assert levy_file.institution_no == INSTITUTION and levy_file.created_on == CREATED
    assert levy_file.total == 412_300


def test_an_empty_upload_is_a_header_and_a_trailer() -> None:
    data = dump([], institution_no=INSTITUTION, created_on=CREATED)
    assert lines_of(data)[1:] == ["T,01131,0,,,0,20250602,1"]
    assert parse(data).records == []


def test_lf_line_ends_are_read_too() -> None:
    assert parse(FILE.replace(b"\r\n", b"\n")).records == RECORDS


_NAME_CHARS = sorted(ZENGIN_CHARS - {" "})
names = st.lists(st.text(alphabet=_NAME_CHARS, min_size=1, max_size=10), min_size=1, max_size=3).map(" ".join)


@st.composite
def records(draw: st.DrawFn) -> list[LevyRecord]:
    ids = draw(st.lists(st.integers(1, 10**15 - 1), unique=True, max_size=12))
    out = []
    for installment_id in ids:
        keys = PayEasyKeys(
            INSTITUTION,
            payment_key(installment_id),
            draw(st.from_regex(r"[0-9]{4,6}", fullmatch=True)),
            draw(st.from_regex(r"[0-9]{3}", fullmatch=True)),
        )
        out.append(
            LevyRecord(
                keys=keys,
                amount=draw(st.integers(1, payeasy_levy.MAX_AMOUNT)),
                deadline=CREATED + timedelta(days=draw(st.integers(0, 3000))),
                name_kana=draw(names.filter(lambda n: len(n) <= payeasy_levy.NAME_WIDTH)),
            )
        )
    return out


@given(records())
def test_property_round_trip(recs: list[LevyRecord]) -> None:
    data = dump(recs, institution_no=INSTITUTION, created_on=CREATED)
    levy_file = parse(data)
    assert levy_file.records == recs
    assert levy_file.total == sum(r.amount for r in recs)
    assert len(lines_of(data)) == len(recs) + 2


# ---- bad input: every problem named by line and column ----------------------------------------


def test_wrong_header() -> None:
    lines = lines_of(FILE)
    lines[0] = lines[0].replace("氏名(カナ)", "氏名")
    assert where(refused(join(lines))) == [(1, "-")]


def test_field_errors_name_line_and_column() -> None:
    lines = lines_of(FILE)
    cells = lines[1].split(",")
    cells[2] = cells[2][:-1] + str((int(cells[2][-1]) + 1) % 10)  # 納付番号 check digit
    cells[3] = "12"  # 確認番号
    cells[4] = "1010"  # 納付区分
    cells[5] = "0"  # 納付金額
    cells[6] = "20250231"  # 支払期限: no such day
    cells[7] = "シンジュク"  # full-width kana: not the Zengin set
    lines[1] = ",".join(cells)
    error = refused(join(lines))
    assert where(error) == [
        (2, "納付番号"),
        (2, "確認番号"),
        (2, "納付区分"),
        (2, "納付金額"),
        (2, "支払期限"),
        (2, "氏名(カナ)"),
    ]  # and no 合計金額 error: the total is compared only when every data line could be read
    assert "line 2, column 納付番号: " in str(error) and "check digit" in str(error)
    assert "'20250231' is not a valid date" in str(error)
    assert "'シ' (U+30B7)" in str(error)


def test_trailer_count_and_total_are_checked() -> None:
    lines = lines_of(FILE)
    lines[-1] = "T,01131,3,,,412301,20250602,1"
    error = refused(join(lines))
    assert where(error) == [(4, "件数"), (4, "合計金額")]
    assert "3, but the file has 2 data lines" in str(error)


def test_a_missing_trailer_and_a_line_after_it() -> None:
    lines = lines_of(FILE)
    assert where(refused(join(lines[:-1]))) == [(0, "-")]
    assert where(refused(join([*lines, lines[1]]))) == [(5, "-")]


def test_serials_count_up_from_one() -> None:
    lines = lines_of(FILE)
    lines[1], lines[2] = "2" + lines[1][1:], "1" + lines[2][1:]
    assert where(refused(join(lines))) == [(2, "整理番号"), (3, "整理番号")]


def test_a_duplicate_payment_number_is_refused() -> None:
    lines = lines_of(FILE)
    lines.insert(2, "2" + lines[1][1:])
    lines[3] = "3" + lines[3][1:]
    lines[-1] = "T,01131,3,,,424600,20250602,1"
    error = refused(join(lines))
    assert where(error) == [(3, "納付番号")]
    assert "is already on line 2" in str(error)


def test_a_deadline_before_the_creation_date_and_another_institution() -> None:
    lines = lines_of(FILE)
    lines[1] = lines[1].replace("20250630", "20250601").replace(",01131,", ",01132,")
    assert where(refused(join(lines))) == [(2, "収納機関番号"), (2, "支払期限")]


def test_field_count_version_and_trailer_columns() -> None:
    lines = lines_of(FILE)
    lines[1] += ",x"
    lines[-1] = "T,01131,2,x,,412300,20250602,2"
    error = refused(join(lines))
    assert where(error) == [(2, "-"), (4, "column 4"), (4, "版")]
    assert "9 fields, expected 8" in str(error) and "layout version '2' is not supported" in str(error)


def test_bytes_that_are_not_shift_jis_and_a_utf8_bom() -> None:
    bad = FILE.replace("ｼﾝｼﾞﾕｸ ﾀﾛｳ".encode("cp932"), b"\x81\x20", 1)  # a lead byte without its trail byte
    assert where(refused(bad)) == [(2, "氏名(カナ)")]
    assert (1, "-") in where(refused(b"\xef\xbb\xbf" + FILE))


def test_an_empty_file() -> None:
    assert where(refused(b"")) == [(0, "-")]


def test_malformed_csv() -> None:
    lines = lines_of(FILE)
    lines[2] = lines[2].replace('"(ｶ)', '"(ｶ)"x')
    assert (3, "-") in where(refused(join(lines)))


# ---- the writer refuses what the reader would refuse ------------------------------------------


@pytest.mark.parametrize(
    ("bad", "column"),
    [
        ({"name_kana": "シンジュク タロウ"}, "氏名(カナ)"),
        ({"name_kana": ""}, "氏名(カナ)"),
        ({"name_kana": "ｱ" * 31}, "氏名(カナ)"),
        ({"name_kana": " ｱ"}, "氏名(カナ)"),
        ({"amount": 0}, "納付金額"),
        ({"amount": payeasy_levy.MAX_AMOUNT + 1}, "納付金額"),
        ({"deadline": CREATED - timedelta(days=1)}, "支払期限"),
    ],
)
def test_dump_names_the_line_and_field_that_do_not_fit(bad: dict[str, object], column: str) -> None:
    with pytest.raises(LevyFileError) as caught:
        dump([record(9), record(10, **bad)], institution_no=INSTITUTION, created_on=CREATED)
    assert caught.value.errors == [ParseError(3, column, caught.value.errors[0].reason)]


def test_dump_refuses_a_record_of_another_institution() -> None:
    other = record(10, keys=PayEasyKeys("01132", payment_key(10), "1234", "101"))
    with pytest.raises(LevyFileError, match="line 3, column 収納機関番号: 01132 differs from the file's 01131"):
        dump([record(9), other], institution_no=INSTITUTION, created_on=CREATED)


def test_columns_are_the_labels_of_the_export_kind() -> None:
    assert COLUMNS[0] == "整理番号" and len(COLUMNS) == payeasy_levy.WIDTH == 8


@given(st.from_regex(r"[0-9]{16}", fullmatch=True))
def test_the_payment_number_check_is_the_payment_keys(payment_no: str) -> None:
    """The reader's fast check digit accepts exactly the keys ``installment_id_of`` accepts."""
    lines = lines_of(FILE)
    cells = lines[1].split(",")
    cells[2] = payment_no
    lines[1] = ",".join(cells)
    try:
        parse(join(lines))
        accepted = True
    except LevyFileError as error:
        assert where(error) == [(2, "納付番号")]
        accepted = False
    assert accepted == (installment_id_of(payment_no) is not None)
