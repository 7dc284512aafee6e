"""The field-survey results codec, layout choshu-survey-result/1 (formats.survey_result): no database."""

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from choshu.formats import survey_result
from choshu.formats.errors import ParseError
from choshu.formats.survey_result import SurveyRecord, SurveyResultError

HEADER = "整理番号,居住の有無,外観状況,訪問日,連絡票交付"


def where(problems: list[ParseError]) -> list[tuple[int, str]]:
    return [(p.line, p.column) for p in problems]


def test_a_file_in_the_layout() -> None:
    text = (
        f"{HEADER}\r\n"
        "1,居住あり,表札あり・郵便受けに郵便物多数,2025-08-01,有\r\n"
        "2,居住なし,空室,20250802,無\r\n"
        "3,不明,,2025-08-03,無\r\n"
    )
    parsed = survey_result.parse(text.encode("utf-8"), file_name="kekka.csv")
    assert parsed.encoding == "UTF-8" and parsed.rows == 3 and parsed.ok
    assert parsed.records == [
        SurveyRecord(1, "lives", "表札あり・郵便受けに郵便物多数", date(2025, 8, 1), True, line=2),
        SurveyRecord(2, "absent", "空室", date(2025, 8, 2), False, line=3),
        SurveyRecord(3, "unknown", "", date(2025, 8, 3), False, line=4),
    ]


@pytest.mark.parametrize(
    ("data", "encoding"),
    [
        (f"{HEADER}\n1,居住あり,木造2階建て,2025-08-01,有\n".encode("utf-8-sig"), "UTF-8"),
        (f"{HEADER}\n1,居住あり,木造2階建て,2025-08-01,有\n".encode(), "UTF-8"),
        (f"{HEADER}\r\n1,居住あり,木造2階建て,2025-08-01,有\r\n".encode("cp932"), "Shift_JIS"),
    ],
)
def test_utf8_with_or_without_bom_and_shift_jis(data: bytes, encoding: str) -> None:
    parsed = survey_result.parse(data, file_name="kekka.csv")
    assert parsed.encoding == encoding
    assert parsed.records == [SurveyRecord(1, "lives", "木造2階建て", date(2025, 8, 1), True, line=2)]


def test_columns_in_any_order_spaces_around_cells_and_empty_rows_are_forgiven() -> None:
    text = "連絡票交付,訪問日,整理番号,外観状況,居住の有無\n 有 ,20250801,　7　,,居住なし\n,,,,\n\n"
    parsed = survey_result.parse(text, file_name="kekka.csv")
    assert parsed.encoding == "" and parsed.rows == 1
    assert parsed.records == [SurveyRecord(7, "absent", "", date(2025, 8, 1), True, line=2)]


def test_every_problem_is_named_by_line_and_column() -> None:
    text = "\r\n".join(
        [
            HEADER,
            "1,居住あり,,2025-08-01,有",
            "x,住んでいる,,2025-02-30,あり",  # line 3: four problems
            "1,不明,," + "20250801" + ",無",  # line 4: 整理番号 1 again
            "0,不明," + "あ" * 201 + ",2025/08/01,無",  # line 5
            "4,居住あり,,1999-12-31,有",  # line 6: out of range
            "5,居住あり,,,",  # line 7: required cells
            "6,居住あり,,2025-08-01",  # line 8: a field short
        ]
    )
    with pytest.raises(SurveyResultError) as caught:
        survey_result.parse(text.encode("cp932"), file_name="kekka.csv")
    error = caught.value
    assert error.file_name == "kekka.csv"
    assert where(error.problems) == [
        (3, "整理番号"),
        (3, "居住の有無"),
        (3, "訪問日"),
        (3, "連絡票交付"),
        (4, "整理番号"),
        (5, "整理番号"),
        (5, "外観状況"),
        (5, "訪問日"),
        (6, "訪問日"),
        (7, "訪問日"),
        (7, "連絡票交付"),
        (8, "-"),
    ]
    message = str(error)
    assert message.startswith("kekka.csv を取り込めません(問題 12件)")
    assert "kekka.csv 3行目 居住の有無: 「住んでいる」は 居住あり・居住なし・不明 のいずれでもありません" in message
    assert "kekka.csv 3行目 訪問日: 「2025-02-30」は存在しない日付です" in message
    assert "kekka.csv 4行目 整理番号: 整理番号 1 は2行目と重複しています" in message
    assert "kekka.csv 5行目 外観状況: 200文字を超えています(201文字)" in message
    assert "kekka.csv 5行目 訪問日: 「2025/08/01」は日付(YYYY-MM-DD または YYYYMMDD)ではありません" in message
    assert "kekka.csv 8行目: 項目数が4です(見出しは5項目)" in message


def test_read_returns_the_valid_records_beside_the_problems() -> None:
    text = f"{HEADER}\n1,居住あり,,2025-08-01,有\n2,住んでいる,,2025-08-01,有\n3,不明,,2025-08-01,無\n"
    parsed = survey_result.read(text, file_name="kekka.csv")
    assert [r.serial for r in parsed.records] == [1, 3] and where(parsed.problems) == [(3, "居住の有無")]


def test_a_line_break_or_tab_inside_the_exterior_is_refused() -> None:
    text = f'{HEADER}\n1,居住あり,"表札あり\n郵便物多数",2025-08-01,有\n2,居住あり,"a\tb",2025-08-01,有\n'
    parsed = survey_result.read(text, file_name="kekka.csv")
    assert where(parsed.problems) == [(2, "外観状況"), (4, "外観状況")]  # the quoted record spans lines 2–3


def test_the_header_names_the_five_columns_and_nothing_else() -> None:
    text = "整理番号,居住の有無,外観状況,訪問日,氏名,整理番号\n1,居住あり,,2025-08-01,新宿 太郎,1\n"
    parsed = survey_result.read(text, file_name="kekka.csv")
    assert parsed.records == []
    assert where(parsed.problems) == [(1, "氏名"), (1, "整理番号"), (1, "連絡票交付")]
    assert "この様式(choshu-survey-result/1)にない列です" in parsed.problems[0].reason


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "ファイルが空です(見出し行がありません)"),
        (f"{HEADER}\r\n".encode(), "データ行がありません"),
    ],
)
def test_an_empty_file_is_refused(data: bytes, reason: str) -> None:
    parsed = survey_result.read(data, file_name="kekka.csv")
    assert parsed.problems == [ParseError(0, "-", reason)]
    assert str(SurveyResultError("kekka.csv", parsed.problems)).endswith(f"kekka.csv ファイル全体: {reason}")


def test_undecodable_bytes_and_malformed_csv_are_reported() -> None:
    data = f"{HEADER}\n1,居住あり,".encode("cp932") + b"\x81 " + "木造,2025-08-01,有\n".encode("cp932")
    parsed = survey_result.read(data, file_name="kekka.csv")
    assert parsed.encoding == "Shift_JIS" and where(parsed.problems) == [(2, "外観状況")]
    assert "文字を読み取れません" in parsed.problems[0].reason
    unterminated = survey_result.read(f'{HEADER}\n1,居住あり,"木造,2025-08-01,有\n', file_name="kekka.csv")
    assert [(p.line, p.column) for p in unterminated.problems] == [(2, "-")]
    assert "CSVとして読めません" in unterminated.problems[0].reason


def test_dump_refuses_an_unknown_residence_code() -> None:
    with pytest.raises(ValueError, match="unknown residence"):
        survey_result.dump([SurveyRecord(1, "moved", "", date(2025, 8, 1), False)])


# Text a contractor may write: any printable characters of Shift_JIS (so cp932 can carry it too),
# no line break nor tab, no space at either end (spaces around a cell are dropped on reading).
_JIS_TEXT = st.text(
    alphabet=st.sampled_from("あいうえおアイウエオ木造鉄筋表札郵便受空室洗濯物有無居住不明,\"'、。・ー－ 　ABCabc0123"),
    max_size=200,
).map(lambda s: s.strip(" \u3000"))

records = st.lists(
    st.builds(
        SurveyRecord,
        serial=st.integers(min_value=1, max_value=999_999),
        residence=st.sampled_from(["lives", "absent", "unknown"]),
        exterior=_JIS_TEXT,
        visited_on=st.dates(min_value=date(2000, 1, 1), max_value=date(2099, 12, 31)),
        slip_handed=st.booleans(),
    ),
    min_size=1,
    max_size=30,
    unique_by=lambda r: r.serial,
)


@given(
    records=records,
    encoding=st.sampled_from(["utf-8-sig", "utf-8", "cp932"]),
    compact=st.booleans(),
)
def test_round_trip(records: list[SurveyRecord], encoding: str, compact: bool) -> None:
    data = survey_result.dump(records, encoding=encoding, compact_dates=compact)
    parsed = survey_result.parse(data, file_name="kekka.csv")
    assert [(r.serial, r.residence, r.exterior, r.visited_on, r.slip_handed) for r in parsed.records] == [
        (r.serial, r.residence, r.exterior, r.visited_on, r.slip_handed) for r in records
    ]
    assert [r.line for r in parsed.records] == list(range(2, len(records) + 2))
