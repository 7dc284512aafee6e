"""現地調査の結果 (field-survey results, seed 000): layout ``choshu-survey-result/1`` (ours).

The contractor visits the persons of a ``persons-field-survey`` export and returns, for each row
it received, what it found: 居住の有無 and 外観状況 (the only items it may collect), the visit date
and whether the contact slip (連絡票) was handed over. A row is matched by 整理番号, the row's
serial in the export: no identifier of the person comes back.

The file (docs/field-survey.md has the table):

- CSV per RFC 4180, one header row, then one row per visited address; rows end in CRLF or LF;
  blank lines are skipped;
- UTF-8 with or without BOM, or Shift_JIS (cp932, as Excel saves "CSV"): valid UTF-8 is read as
  UTF-8, anything else as Shift_JIS; a cell that neither can read is reported;
- the header names exactly these five columns, in any order (外観状況 may be left empty, its
  column not); any other column is refused: it would carry an item the contract does not let
  the contractor collect:

  ========== ============================================== ==========
  列          値                                              必須
  ========== ============================================== ==========
  整理番号    the row's serial in the export, 1, 2, …         yes
  居住の有無  居住あり / 居住なし / 不明                       yes
  外観状況    free text, at most 200 characters, one line     no
  訪問日      YYYY-MM-DD or YYYYMMDD (2000–2099)              yes
  連絡票交付  有 / 無                                         yes
  ========== ============================================== ==========

- spaces (half- or full-width) around a cell are dropped; a 整理番号 appears once in a file.

A later version changes the column set (and the name ``LAYOUT``), so a file says by its header
which version it follows.

``read`` validates a whole file and returns the valid records and every problem found, as
``ParseError(line, column, reason)`` (the header is line 1, line 0 is the file as a whole; a
record spanning several physical lines is reported at its first line); reasons are in Japanese,
for the officer who imports the file. ``parse`` is ``read`` that raises `SurveyResultError`
naming the file and every problem. ``dump`` writes records in the layout. Checks that need the
export (is the 整理番号 one of its rows, was it imported before) are the import's
(choshu.cases.survey).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

from choshu.formats.channel_fields import decode_csv, encoding_name
from choshu.formats.errors import ParseError

LAYOUT = "choshu-survey-result/1"
FILE_COLUMN = "-"  # the column of a problem with a whole record, or (line 0) with the file

SERIAL = "整理番号"
RESIDENCE = "居住の有無"
EXTERIOR = "外観状況"
VISITED_ON = "訪問日"
SLIP = "連絡票交付"
COLUMNS: tuple[str, ...] = (SERIAL, RESIDENCE, EXTERIOR, VISITED_ON, SLIP)
REQUIRED = frozenset({SERIAL, RESIDENCE, VISITED_ON, SLIP})  # cells; the header names all five

# 居住の有無 as written → the code stored (cases.models.SurveyResult.Residence).
RESIDENCES: dict[str, str] = {"居住あり": "lives", "居住なし": "absent", "不明": "unknown"}
RESIDENCE_LABELS: dict[str, str] = {code: label for label, code in RESIDENCES.items()}
SLIPS: dict[str, bool] = {"有": True, "無": False}
EXTERIOR_MAX = 200
SERIAL_MAX_DIGITS = 6
DATE_RANGE = (date(2000, 1, 1), date(2099, 12, 31))

_SPACES = " \u3000"
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_SURROGATE = re.compile("[\udc80-\udcff]")
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_COMPACT_DATE = re.compile(r"[0-9]{8}")


@dataclass(frozen=True, slots=True)
class SurveyRecord:
    """One visited address. ``residence`` is a code of `RESIDENCES` (lives, absent, unknown)."""

    serial: int
    residence: str
    exterior: str
    visited_on: date
    slip_handed: bool
    line: int = 0  # where it was read (0 for a record not read from a file)


@dataclass
class SurveyFile:
    file_name: str
    encoding: str  # "UTF-8", "Shift_JIS" or "" (text given, not bytes)
    records: list[SurveyRecord] = field(default_factory=list)  # the valid records, in file order
    problems: list[ParseError] = field(default_factory=list)
    rows: int = 0  # data rows in the file, valid or not

    @property
    def ok(self) -> bool:
        return not self.problems


def where(problem: ParseError) -> str:
    """「3行目 居住の有無」, 「ファイル全体」."""
    if problem.line == 0:
        return "ファイル全体"
    return f"{problem.line}行目" + ("" if problem.column == FILE_COLUMN else f" {problem.column}")


def describe(file_name: str, problem: ParseError) -> str:
    """「results.csv 3行目 居住の有無: …」."""
    return f"{file_name} {where(problem)}: {problem.reason}"


class SurveyResultError(ValueError):
    """A results file that cannot be taken: names the file, and the line and column of every problem."""

    def __init__(self, file_name: str, problems: Sequence[ParseError]) -> None:
        self.file_name = file_name
        self.problems = sorted(problems, key=lambda p: p.line)
        lines = "\n".join(describe(file_name, p) for p in self.problems)
        super().__init__(f"{file_name} を取り込めません(問題 {len(self.problems)}件):\n{lines}")


def _show(raw: str) -> str:
    return "「" + (raw if len(raw) <= 40 else raw[:40] + "…") + "」"


class _Row:
    """The cells of one record, read by column name; problems are collected, never raised."""

    def __init__(self, line: int, cells: dict[str, str], problems: list[ParseError]) -> None:
        self.line = line
        self.cells = cells
        self.problems = problems
        self.failed = False

    def error(self, column: str, reason: str) -> None:
        self.problems.append(ParseError(self.line, column, reason))
        self.failed = True

    def cell(self, column: str) -> str | None:
        """The stripped cell, or None when it is empty and required (reported) or unreadable."""
        raw = self.cells.get(column, "").strip(_SPACES)
        if _SURROGATE.search(raw):
            self.error(column, "文字を読み取れません(UTF-8 または Shift_JIS で保存してください)")
            return None
        if raw == "" and column in REQUIRED:
            self.error(column, "入力してください")
            return None
        return raw

    def serial(self) -> int | None:
        raw = self.cell(SERIAL)
        if raw is None:
            return None
        if not (raw.isascii() and raw.isdigit()) or len(raw) > SERIAL_MAX_DIGITS:
            self.error(SERIAL, f"{_show(raw)}は整理番号(半角数字{SERIAL_MAX_DIGITS}桁まで)ではありません")
            return None
        if int(raw) == 0:
            self.error(SERIAL, "整理番号は1以上です")
            return None
        return int(raw)

    def choice(self, column: str, choices: Mapping[str, object]) -> object | None:
        raw = self.cell(column)
        if raw is None:
            return None
        if raw not in choices:
            self.error(column, f"{_show(raw)}は {'・'.join(choices)} のいずれでもありません")
            return None
        return choices[raw]

    def text(self, column: str, max_len: int) -> str | None:
        raw = self.cell(column)
        if raw is None:
            return None
        if _CONTROL.search(raw):
            self.error(column, "改行・タブなどの制御文字を含めないでください")
            return None
        if len(raw) > max_len:
            self.error(column, f"{max_len}文字を超えています({len(raw)}文字)")
            return None
        return raw

    def day(self, column: str) -> date | None:
        raw = self.cell(column)
        if raw is None:
            return None
        if _ISO_DATE.fullmatch(raw):
            parts = (raw[:4], raw[5:7], raw[8:])
        elif _COMPACT_DATE.fullmatch(raw):
            parts = (raw[:4], raw[4:6], raw[6:])
        else:
            self.error(column, f"{_show(raw)}は日付(YYYY-MM-DD または YYYYMMDD)ではありません")
            return None
        try:
            value = date(*(int(p) for p in parts))
        except ValueError:
            self.error(column, f"{_show(raw)}は存在しない日付です")
            return None
        if not DATE_RANGE[0] <= value <= DATE_RANGE[1]:
            self.error(column, f"{_show(raw)}は{DATE_RANGE[0].year}年〜{DATE_RANGE[1].year}年の日付ではありません")
            return None
        return value


def _rows(text: str, problems: list[ParseError]) -> Iterator[tuple[int, list[str]]]:
    """(physical line of the record's start, cells); blank lines, and rows of empty cells only (as a
    spreadsheet leaves them), are skipped; a malformed record ends the reading, reported."""
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    last = 0
    try:
        for cells in reader:
            line = last + 1
            last = reader.line_num
            if any(c.strip(_SPACES) for c in cells):
                yield line, cells
    except csv.Error as exc:
        problems.append(ParseError(last + 1, FILE_COLUMN, f"CSVとして読めません({exc})。以降の行は読んでいません"))


def _header(line: int, cells: list[str], problems: list[ParseError]) -> list[str] | None:
    """The column names, or None when the header cannot be used (every problem reported)."""
    names = [c.strip(_SPACES) for c in cells]
    seen: set[str] = set()
    usable = True
    for name in names:
        if _SURROGATE.search(name):
            problems.append(ParseError(line, FILE_COLUMN, "見出しの文字を読み取れません"))
            usable = False
        elif name in seen:
            problems.append(ParseError(line, name, "列名が重複しています"))
            usable = False
        elif name not in COLUMNS:
            shown = name or "(空の列名)"
            problems.append(ParseError(line, shown, f"この様式({LAYOUT})にない列です。列は {'・'.join(COLUMNS)} です"))
            usable = False
        seen.add(name)
    for name in COLUMNS:
        if name not in seen:
            problems.append(ParseError(line, name, "必須の列がありません"))
            usable = False
    return names if usable else None


def read(data: bytes | str, *, file_name: str) -> SurveyFile:
    """Validate a whole file: the valid records and every problem (nothing raised)."""
    if isinstance(data, bytes):
        decoded = decode_csv(data.removesuffix(b"\x1a"))
        text, encoding = decoded.text, encoding_name(decoded.encoding)
    else:
        text, encoding = data.removeprefix("\ufeff"), ""
    result = SurveyFile(file_name=file_name, encoding=encoding)
    problems = result.problems
    names: list[str] | None = None
    header_seen = False
    first_line: dict[int, int] = {}  # serial → the line it was first seen on
    for line, cells in _rows(text, problems):
        if not header_seen:
            header_seen = True
            names = _header(line, cells, problems)
            continue
        result.rows += 1
        if names is None:
            continue  # the header is unusable: its problems say why, rows are not read
        if len(cells) != len(names):
            problems.append(ParseError(line, FILE_COLUMN, f"項目数が{len(cells)}です(見出しは{len(names)}項目)"))
            continue
        row = _Row(line, dict(zip(names, cells, strict=True)), problems)
        serial = row.serial()
        residence = row.choice(RESIDENCE, RESIDENCES)
        exterior = row.text(EXTERIOR, EXTERIOR_MAX)
        visited_on = row.day(VISITED_ON)
        slip = row.choice(SLIP, SLIPS)
        if serial is not None:
            if serial in first_line:
                row.error(SERIAL, f"整理番号 {serial} は{first_line[serial]}行目と重複しています")
            else:
                first_line[serial] = line
        if row.failed or serial is None or visited_on is None:
            continue
        result.records.append(
            SurveyRecord(
                serial=serial,
                residence=str(residence),
                exterior=exterior or "",
                visited_on=visited_on,
                slip_handed=bool(slip),
                line=line,
            )
        )
    if not header_seen:
        problems.append(ParseError(0, FILE_COLUMN, "ファイルが空です(見出し行がありません)"))
    elif names is not None and result.rows == 0 and not problems:
        problems.append(ParseError(0, FILE_COLUMN, "データ行がありません"))
    problems.sort(key=lambda p: p.line)  # a record's problems keep their column order
    return result


def parse(data: bytes | str, *, file_name: str) -> SurveyFile:
    """`read`, raising `SurveyResultError` (file, line, column of every problem) unless all is well."""
    result = read(data, file_name=file_name)
    if result.problems:
        raise SurveyResultError(file_name, result.problems)
    return result


def dump(records: Iterable[SurveyRecord], *, encoding: str = "utf-8-sig", compact_dates: bool = False) -> bytes:
    """Write records in the layout (CRLF); ``encoding`` utf-8-sig, utf-8 or cp932 (Shift_JIS)."""
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for r in records:
        if r.residence not in RESIDENCE_LABELS:
            raise ValueError(f"整理番号 {r.serial}: unknown residence code {r.residence!r}")
        writer.writerow(
            [
                str(r.serial),
                RESIDENCE_LABELS[r.residence],
                r.exterior,
                f"{r.visited_on:%Y%m%d}" if compact_dates else r.visited_on.isoformat(),
                "有" if r.slip_handed else "無",
            ]
        )
    return text.getvalue().encode(encoding)
