"""eLTAX 共通納税 payment data (納付情報), format ``eltax``: a CSV layout of ours.

A municipality that prints eL-QR slips imports 納付情報 from the 共通納税インターフェースシステム
(formats.md §2); that file layout is not public, so this one is ours. What is sourced: the eL番号
is the four Pay-easy keys under eLTAX names (共通納税機関コード = 収納機関番号, 案件特定キー =
納付番号, 確認番号, 税目・料金番号 = 納付区分) and the ways to pay (card, net banking, Pay-easy,
ダイレクト納付, smartphone apps, eL-QR at a bank counter; formats.md §2). Columns, codes and the
date rules are ours.

CSV per RFC 4180, one header row with exactly the names of ``COLUMNS`` in that order, UTF-8
(with or without BOM; Shift_JIS is read too, detected as for cvs-csv). No trailer. Every row is
money paid: CONFIRMED, channel ``eltax``, key_type PAYEASY, key = 案件特定キー; the payment
method goes to ``extra["method"]``; paid_on = 納付日, ``extra["collected_on"]`` = 収納日,
settles_on = 送金日; 納付日 ≤ 収納日 ≤ 送金日. ``payment_ref`` = ``eltax:`` + 受付番号 (the number
eLTAX gives the payment).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from choshu.formats.channel_fields import (
    DATE_RANGE,
    RECORD_COLUMN,
    UTF8_BOM,
    CsvText,
    after_receipt,
    date_problem,
    encoding_name,
    is_code,
    is_digits,
    parse_csv,
    show,
    ymd,
)
from choshu.formats.errors import ParseError
from choshu.formats.payment_event import ChannelFile, EventKind, KeyType, PaymentEvent

FORMAT = "eltax"
CHANNEL = "eltax"
COLUMNS = (
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
WIDTH = len(COLUMNS)
RECEIPT_NO_LENGTH = 20
MAX_AMOUNT_DIGITS = 12

# 納付方法 code → (extra["method"], meaning). Ours.
METHODS: dict[str, tuple[str, str]] = {
    "1": ("card", "クレジットカード"),
    "2": ("net_banking", "インターネットバンキング"),
    "3": ("payeasy", "ペイジー"),
    "4": ("bank_qr", "金融機関窓口（eL-QR）"),
    "5": ("direct", "ダイレクト納付"),
    "6": ("app", "スマートフォン決済アプリ"),
}
METHOD_CODES = {name: code for code, (name, _) in METHODS.items()}


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
    receipt_no, institution_no, payment_no, confirmation_no, category = cells[:5]
    amount_cell, method, paid, collected, sent = cells[5:]
    if not receipt_no or not is_code(receipt_no, RECEIPT_NO_LENGTH):
        error("受付番号", f"{show(receipt_no)} is not 1–{RECEIPT_NO_LENGTH} letters and digits")
    if not is_digits(institution_no, 5, 5):
        error("共通納税機関コード", f"{show(institution_no)} is not 5 digits")
    if not is_digits(payment_no, 1, 20):
        error("案件特定キー", f"{show(payment_no)} is not 1–20 digits")
    if not is_digits(confirmation_no, 4, 6):
        error("確認番号", f"{show(confirmation_no)} is not 4–6 digits")
    if not is_digits(category, 3, 3):
        error("税目・料金番号", f"{show(category)} is not 3 digits")
    amount = 0
    if not is_digits(amount_cell, 1, MAX_AMOUNT_DIGITS):
        error("納付金額", f"{show(amount_cell)} is not an amount in yen (1–{MAX_AMOUNT_DIGITS} digits)")
    elif (amount := int(amount_cell)) <= 0:
        error("納付金額", "amount must be more than 0")
    if method not in METHODS:
        known = ", ".join(f"{code} {meaning}" for code, (_, meaning) in METHODS.items())
        error("納付方法", f"unknown payment method {show(method)}; known: {known}")
    paid_on, collected_on, settles_on = ymd(paid), ymd(collected), ymd(sent)
    if paid_on is None:
        error("納付日", date_problem(paid))
    elif problem := after_receipt(paid_on, received_on):
        error("納付日", problem)
    if collected_on is None:
        error("収納日", date_problem(collected))
    elif paid_on is not None and collected_on < paid_on:
        error("収納日", f"{collected} is before 納付日 {paid}")
    if settles_on is None:
        error("送金日", date_problem(sent))
    elif collected_on is not None and settles_on < collected_on:
        error("送金日", f"{sent} is before 収納日 {collected}")
    if len(errors) > before or paid_on is None or collected_on is None:
        return None
    return PaymentEvent(
        line=line,
        kind=EventKind.CONFIRMED,
        channel=CHANNEL,
        key_type=KeyType.PAYEASY,
        key=payment_no,
        amount=amount,
        paid_on=paid_on,
        payment_ref=f"eltax:{receipt_no}",
        settles_on=settles_on,
        extra={
            "receipt_no": receipt_no,
            "institution_no": institution_no,
            "confirmation_no": confirmation_no,
            "category": category,
            "method": METHODS[method][0],
            "collected_on": collected_on.isoformat(),
        },
    )


def _header(line: int, cells: list[str], errors: list[ParseError]) -> bool:
    if tuple(cells) != COLUMNS:
        errors.append(ParseError(line, RECORD_COLUMN, f"the header row must be: {','.join(COLUMNS)}"))
    return True


def parse(data: bytes, *, received_on: date) -> ChannelFile:
    """Validate a whole file; a file with any error has no events."""
    return parse_csv(data, received_on=received_on, format=FORMAT, header=_header, row=_read_row)


def make_event(
    *,
    receipt_no: str,
    institution_no: str,
    payment_no: str,
    confirmation_no: str,
    category: str,
    amount: int,
    method: str,
    paid_on: date,
    collected_on: date | None = None,
    settles_on: date | None = None,
    line: int = 0,
) -> PaymentEvent:
    """The event of one row (tests, demo, benchmark). ``method`` is a name: card, net_banking …

    収納日 defaults to 納付日, 送金日 to 収納日. Raises ``ValueError``.
    """
    collected_on = collected_on or paid_on
    cells = [
        receipt_no,
        institution_no,
        payment_no,
        confirmation_no,
        category,
        str(amount),
        METHOD_CODES.get(method, method),
        f"{paid_on:%Y%m%d}",
        f"{collected_on:%Y%m%d}",
        f"{settles_on or collected_on:%Y%m%d}",
    ]
    errors: list[ParseError] = []
    event = _read_row(line, cells, DATE_RANGE[1], CsvText("", "utf-8", True), errors)
    if event is None:
        raise ValueError("; ".join(f"{e.column}: {e.reason}" for e in errors))
    return event


def _row(event: PaymentEvent) -> str:
    x = event.extra
    if event.kind != EventKind.CONFIRMED or event.settles_on is None:
        raise ValueError(f"line {event.line}: eltax records are confirmed payments with a 送金日")
    return (
        f"{x['receipt_no']},{x['institution_no']},{event.key},{x['confirmation_no']},{x['category']},{event.amount},"
        f"{METHOD_CODES[x['method']]},{event.paid_on:%Y%m%d},{x['collected_on'].replace('-', '')},"
        f"{event.settles_on:%Y%m%d}"
    )


def dump(events: Iterable[PaymentEvent], *, encoding: str = "utf-8", bom: bool = False) -> bytes:
    """Write events made by ``make_event`` or ``parse`` as a file (CRLF)."""
    lines = [",".join(COLUMNS)]
    lines.extend(_row(e) for e in events)
    data = ("\r\n".join(lines) + "\r\n").encode(encoding)
    return UTF8_BOM + data if bom else data
