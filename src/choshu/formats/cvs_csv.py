"""Convenience-store result CSV, format ``cvs-csv`` (formats.md §3.3 (a), DSK 収納データ).

One header row, then one row per record, 13 columns (docs/channel-formats.md has the table):
種別 · 収納日 · 収納時刻 · バーコード情報 (``EAN`` + 44 digits) · ユーザー使用欄１ (barcode digits
14–19) · ユーザー使用欄２ (20–30) · 印紙フラグ (37) · 金額 (38–43; for 22 the corrected amount) ·
コンビニ本部コード · コンビニ名 · コンビニ店舗コード · 振込日 (02/12/22, else 0) · データ作成日.
Shift_JIS or UTF-8: a BOM or bytes that are valid UTF-8 mean UTF-8, anything else Shift_JIS.

種別 → event: 01 速報 and 81 リアルデータ → PRELIMINARY, 02 確報 → CONFIRMED (settles_on = 振込日),
03 取消 → CANCEL, 12 郵便振替 → CONFIRMED and 22 郵便振替訂正 → CORRECTION, both channel
``postal``. The channel of the other types comes from コンビニ本部コード (``CHANNEL_BY_CVS_CODE``).

The key is the 16-digit biller key: barcode digits 14–29, after the agent's 5-digit prefix
(``extra["agent_prefix"]``). Columns 5–8 repeat barcode digits: a row where they differ is an
error. For 12/22 the agent overwrites the due date with 999999 (formats.md §3.3 (a)), so the
check digit no longer covers the digits and is not verified there (columns 5–8 still are).

``payment_ref`` = barcode + 収納日 + 収納時刻 + 店舗コード (``channel_fields.cvs_payment_ref``): the
payer's moment at the till, which the agent repeats unchanged in the 確報 and the 取消 (the DSK
sample file shows 02 rows carrying the 01 row's date, time and store).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from choshu.formats.channel_fields import (
    DATE_RANGE,
    RECORD_COLUMN,
    SHIFT_JIS,
    UTF8_BOM,
    CsvText,
    after_receipt,
    cvs_payment_ref,
    date_problem,
    encoding_name,
    hhmm,
    is_code,
    is_digits,
    parse_csv,
    read_barcode,
    show,
    ymd,
)
from choshu.formats.errors import ParseError
from choshu.formats.payment_event import ChannelFile, EventKind, KeyType, PaymentEvent

FORMAT = "cvs-csv"
COLUMNS = (
    "種別",
    "収納日",
    "収納時刻",
    "バーコード情報",
    "ユーザー使用欄１",
    "ユーザー使用欄２",
    "印紙フラグ",
    "金額",
    "コンビニ本部コード",
    "コンビニ名",
    "コンビニ店舗コード",
    "振込日",
    "データ作成日",
)
WIDTH = len(COLUMNS)
BARCODE_PREFIX = "EAN"
MAX_STORE_CODE = 10

# 種別 → (event kind, channel forced by the type or None: from コンビニ本部コード).
DATA_TYPES: dict[str, tuple[EventKind, str | None]] = {
    "01": (EventKind.PRELIMINARY, None),  # 速報
    "02": (EventKind.CONFIRMED, None),  # 確報
    "03": (EventKind.CANCEL, None),  # 速報取消
    "12": (EventKind.CONFIRMED, "postal"),  # 郵便振替
    "22": (EventKind.CORRECTION, "postal"),  # 郵便振替訂正
    "81": (EventKind.PRELIMINARY, None),  # リアルデータ
}
SETTLING_TYPES = frozenset({"02", "12", "22"})  # 振込日 is a date; 0 for the others
POSTAL_TYPES = frozenset({"12", "22"})  # 収納時刻 0, due date forced to 999999
CORRECTION_TYPE = "22"  # 金額 is the corrected amount, not the barcode's

# コンビニ本部コード → channel (formats.md §3.3 (a) col 9, §6). Codes not listed are stores: "cvs".
# モバイルレジ has no published code (formats.md §6: the DSK library lists it as TODO); 690 is our
# assumption, next to 680 (card). Change it here, the one place, when the agent's table is known.
MOBILE_REGISTER_CODE = "690"
CHANNEL_BY_CVS_CODE: dict[str, str] = {
    "530": "app",  # PayB
    "680": "credit_card",  # クレジットカード集信代行（自治体専用）
    MOBILE_REGISTER_CODE: "mobile_banking",  # モバイルレジ [unconfirmed code]
    "750": "app",  # J-Coin請求書払い
    "780": "app",  # au PAY(請求書支払い)
    "800": "app",  # d払い請求書払い
    "810": "app",  # LINE Pay請求書支払い
    "820": "app",  # PayPay請求書払い
    "830": "app",  # 楽天銀行コンビニ支払サービス
    "840": "app",  # 銀行Pay
    "910": "postal",  # 郵便振替
    "911": "postal",  # 郵便振替（窓口）
}
DEFAULT_CHANNEL = "cvs"

# The names the agent prints in コンビニ名 (DSK CompanyCode.php), used when writing a file.
CVS_NAMES: dict[str, str] = {
    "010": "セブン－イレブン",
    "020": "ローソン",
    "030": "ファミリーマート",
    "050": "デイリーヤマザキ",
    "080": "ミニストップ",
    "530": "ＰａｙＢ",
    "680": "クレジットカード",
    MOBILE_REGISTER_CODE: "モバイルレジ",
    "730": "ポプラ",
    "750": "Ｊ－Ｃｏｉｎ",
    "760": "セイコーマート",
    "780": "ａｕ　ＰＡＹ",
    "800": "ｄ払い",
    "810": "ＬＩＮＥ　Ｐａｙ",
    "820": "ＰａｙＰａｙ",
    "830": "楽天銀行コンビニ支払",
    "840": "銀行Ｐａｙ",
    "890": "ＭＭＫ設置店",
    "910": "郵便振替",
    "911": "郵便振替（窓口）",
}


def _read_row(
    line: int, cells: list[str], received_on: date, text: CsvText, errors: list[ParseError]
) -> PaymentEvent | None:
    if len(cells) != WIDTH:
        errors.append(ParseError(line, RECORD_COLUMN, f"{len(cells)} fields, expected {WIDTH}"))
        return None
    before = len(errors)

    def error(column: str, reason: str) -> None:
        errors.append(ParseError(line, column, reason))

    if not text.clean:
        for name, cell in zip(COLUMNS, cells, strict=True):
            if text.bad_cell(cell):
                error(name, f"not valid {encoding_name(text.encoding)}")
        if len(errors) > before:
            return None
    data_type, paid, paid_time, barcode_cell, user1, user2, stamp, amount_cell = cells[:8]
    cvs_code, cvs_name, store_code, settle, created = cells[8:]

    if data_type not in DATA_TYPES:
        error("種別", f"unknown record type {show(data_type)}; known: {', '.join(DATA_TYPES)}")
    postal = data_type in POSTAL_TYPES
    paid_on = ymd(paid)
    if paid_on is None:
        error("収納日", date_problem(paid))
    elif problem := after_receipt(paid_on, received_on):
        error("収納日", problem)
    if postal and paid_time in ("0", "0000"):
        paid_time = "0000"
    elif not hhmm(paid_time):
        error("収納時刻", f"{show(paid_time)} is not a time HHMM")

    barcode = None
    if not barcode_cell.startswith(BARCODE_PREFIX):
        error("バーコード情報", f"{show(barcode_cell)} does not start with {BARCODE_PREFIX}")
    else:
        barcode = read_barcode(
            barcode_cell[3:], line=line, column="バーコード情報", errors=errors, check_digit=not postal
        )
    if barcode is not None:
        digits = barcode.digits
        if user1 != digits[13:19]:
            error("ユーザー使用欄１", f"{show(user1)} differs from barcode digits 14–19 ({digits[13:19]})")
        if user2 != digits[19:30]:
            error("ユーザー使用欄２", f"{show(user2)} differs from barcode digits 20–30 ({digits[19:30]})")
        if stamp != digits[36]:
            error("印紙フラグ", f"{show(stamp)} differs from barcode digit 37 ({digits[36]})")

    amount = 0
    if not is_digits(amount_cell, 1, 6):
        error("金額", f"{show(amount_cell)} is not an amount in yen (1–6 digits)")
    else:
        amount = int(amount_cell)
        if amount <= 0:
            error("金額", "amount must be more than 0")
        elif barcode is not None and data_type != CORRECTION_TYPE and amount != barcode.amount:
            error("金額", f"{amount} differs from the barcode amount ({barcode.amount})")
    if not is_digits(cvs_code, 3, 3):
        error("コンビニ本部コード", f"{show(cvs_code)} is not 3 digits")
    if not is_code(store_code, MAX_STORE_CODE):
        error("コンビニ店舗コード", f"{show(store_code)} is not up to {MAX_STORE_CODE} letters and digits")

    settles_on = None
    if data_type in SETTLING_TYPES:
        settles_on = ymd(settle)
        if settles_on is None:
            error("振込日", date_problem(settle))
        elif paid_on is not None and settles_on < paid_on:
            error("振込日", f"{settle} is before 収納日 {paid}")
    elif settle not in ("0", "00000000"):
        error("振込日", f"{show(settle)} must be 0 for 種別 {data_type}")
    created_on = ymd(created)
    if created_on is None:
        error("データ作成日", date_problem(created))

    if len(errors) > before or barcode is None or paid_on is None or created_on is None:
        return None
    kind, forced = DATA_TYPES[data_type]
    return PaymentEvent(
        line=line,
        kind=kind,
        channel=forced or CHANNEL_BY_CVS_CODE.get(cvs_code, DEFAULT_CHANNEL),
        key_type=KeyType.BILLER_KEY,
        key=barcode.biller_key,
        amount=amount,
        paid_on=paid_on,
        payment_ref=cvs_payment_ref(barcode.digits, paid, paid_time, store_code),  # paid: valid YYYYMMDD
        settles_on=settles_on,
        agent_code=cvs_code,
        due_date=barcode.due_date,
        reissue=barcode.reissue,
        extra={
            "data_type": data_type,
            "barcode": barcode.digits,
            "company_code": barcode.company_code,
            "agent_prefix": barcode.agent_prefix,
            "stamp": barcode.stamp,
            "paid_time": paid_time,
            "store_code": store_code,
            "cvs_name": cvs_name,
            "created_on": created_on.isoformat(),
        },
    )


def _header(line: int, cells: list[str], errors: list[ParseError]) -> bool:
    """The header row is skipped (its width checked); a first row that is a data record is read."""
    if cells[0] in DATA_TYPES:
        errors.append(ParseError(line, RECORD_COLUMN, "no header row: the first row is a data record"))
        return False
    if len(cells) != WIDTH:
        errors.append(ParseError(line, RECORD_COLUMN, f"header row has {len(cells)} fields, not {WIDTH}"))
    return True


def parse(data: bytes, *, received_on: date) -> ChannelFile:
    """Validate a whole file; a file with any error has no events."""
    return parse_csv(data, received_on=received_on, format=FORMAT, header=_header, row=_read_row)


def make_event(
    *,
    data_type: str,
    barcode: str,
    paid_on: date,
    paid_time: str = "0000",
    cvs_code: str = "010",
    store_code: str = "000000",
    cvs_name: str | None = None,
    settles_on: date | None = None,
    created_on: date | None = None,
    amount: int | None = None,
    line: int = 0,
) -> PaymentEvent:
    """The event of one record as the agent would send it (tests, demo, benchmark); ``dump`` writes it.

    Built by reading the record's cells, so it is exactly what ``parse`` returns for that row.
    ``amount`` defaults to the barcode's (22 carries the corrected one). Raises ``ValueError``.
    """
    digits = barcode
    cells = [
        data_type,
        f"{paid_on:%Y%m%d}",
        paid_time,
        BARCODE_PREFIX + digits,
        digits[13:19],
        digits[19:30],
        digits[36:37],
        str(int(digits[37:43]) if amount is None and digits[37:43].isdigit() else amount),
        cvs_code,
        CVS_NAMES.get(cvs_code, "") if cvs_name is None else cvs_name,
        store_code,
        "0" if settles_on is None else f"{settles_on:%Y%m%d}",
        f"{created_on or paid_on:%Y%m%d}",
    ]
    errors: list[ParseError] = []
    event = _read_row(line, cells, DATE_RANGE[1], CsvText("", "utf-8", True), errors)
    if event is None:
        raise ValueError("; ".join(f"{e.column}: {e.reason}" for e in errors))
    return event


def _row(event: PaymentEvent) -> str:
    x = event.extra
    bc = x["barcode"]
    data_type = x["data_type"]
    if DATA_TYPES[data_type][0] != event.kind:
        raise ValueError(f"line {event.line}: 種別 {data_type} is not a {event.kind} record")
    settle = "0" if event.settles_on is None else f"{event.settles_on:%Y%m%d}"
    name = x["cvs_name"].replace('"', '""')
    created = x["created_on"].replace("-", "")
    return (
        f"{data_type},{event.paid_on:%Y%m%d},{x['paid_time']},{BARCODE_PREFIX}{bc},{bc[13:19]},{bc[19:30]},"
        f'{bc[36]},{event.amount},{event.agent_code},"{name}",{x["store_code"]},{settle},{created}'
    )


def dump(events: Iterable[PaymentEvent], *, encoding: str = SHIFT_JIS, bom: bool = False) -> bytes:
    """Write events made by ``make_event`` or ``parse`` as a file (CRLF; Shift_JIS or UTF-8)."""
    lines = [",".join(COLUMNS)]
    lines.extend(_row(e) for e in events)
    data = ("\r\n".join(lines) + "\r\n").encode(encoding)
    return UTF8_BOM + data if bom else data
