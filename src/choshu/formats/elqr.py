"""The eL-QR slot of a slip (地方税統一QRコード), behind a pluggable encoder (formats.md §2).

**The official eL-QR payload is not public** (it is in eLTAX's 納付書作成に関するガイドライン).
Until it is available, slips carry choshu's own layout, versioned by its prefix, and never
presented as the official one. Replacing it is a matter of writing another ``ElQrEncoder`` and
naming it in the ``ELQR_ENCODER`` setting (a dotted path to a class built without arguments).

Layout ``CHOSHU-ELQR1`` (version 1 of choshu's layout), fields separated by ``:``::

    CHOSHU-ELQR1:<収納機関番号 5>:<納付番号 16>:<確認番号 4–6>:<納付区分 3>:<amount 10>:<due YYYYMMDD>:<check 1>

- amount: yen, zero-padded to 10 digits;
- due: the slip's payment deadline (支払期限), ``99999999`` when it has none;
- check: modulus 10, weights 3/1 (as the barcode's) over every digit between the prefix and it.

Every character is in the QR alphanumeric set (digits, capitals, ``-``, ``:``), so the code
stays small. ``ChoshuElQrV1.decode`` reads the layout back (for tests and for a counter reader).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Protocol

from choshu.formats.payeasy import PayEasyError, PayEasyKeys
from choshu.formats.payment_key import mod10_w31

AMOUNT_LENGTH = 10
NO_DUE_DATE = "99999999"


class ElQrError(ValueError):
    """A payload that cannot be built or read; ``field`` names the bad part."""

    def __init__(self, field: str, reason: str) -> None:
        self.field = field
        self.reason = reason
        super().__init__(f"{field}: {reason}")


@dataclass(frozen=True, slots=True)
class ElQrPayload:
    keys: PayEasyKeys
    amount: int
    due_date: date | None


class ElQrEncoder(Protocol):
    """Turns a slip's eL keys, amount and deadline into the text of its QR code."""

    def encode(self, *, keys: PayEasyKeys, amount: int, due_date: date | None) -> str: ...


class ChoshuElQrV1:
    """choshu's own layout, version 1 (not the official eL-QR; see the module docs)."""

    prefix = "CHOSHU-ELQR1"
    field_names = (
        "institution_no",
        "payment_no",
        "confirmation_no",
        "category",
        "amount",
        "due_date",
        "check_digit",
    )

    def encode(self, *, keys: PayEasyKeys, amount: int, due_date: date | None) -> str:
        if not 0 <= amount < 10**AMOUNT_LENGTH:
            raise ElQrError("amount", f"must be 0–{10**AMOUNT_LENGTH - 1:,} yen: {amount}")
        due = NO_DUE_DATE if due_date is None else due_date.strftime("%Y%m%d")
        fields = [keys.institution_no, keys.payment_no, keys.confirmation_no, keys.category, f"{amount:010d}", due]
        return ":".join([self.prefix, *fields, str(mod10_w31("".join(fields)))])

    def decode(self, text: str) -> ElQrPayload:
        head, _, rest = text.partition(":")
        if head != self.prefix:
            raise ElQrError("prefix", f"not a {self.prefix} payload: {head!r}")
        parts = rest.split(":")
        if len(parts) != len(self.field_names):
            raise ElQrError("payload", f"{len(self.field_names)} fields after the prefix expected, not {len(parts)}")
        named = dict(zip(self.field_names, parts, strict=True))
        for name, value in named.items():
            if not value.isascii() or not value.isdigit():
                raise ElQrError(name, f"must be digits: {value!r}")
        try:
            keys = PayEasyKeys(
                named["institution_no"], named["payment_no"], named["confirmation_no"], named["category"]
            )
        except PayEasyError as e:
            raise ElQrError(e.field, e.reason) from None
        if len(named["amount"]) != AMOUNT_LENGTH:
            raise ElQrError("amount", f"must be {AMOUNT_LENGTH} digits: {named['amount']!r}")
        due_date = None
        if named["due_date"] != NO_DUE_DATE:
            value = named["due_date"]
            try:
                if len(value) != 8:
                    raise ValueError
                due_date = date(int(value[:4]), int(value[4:6]), int(value[6:]))
            except ValueError:
                raise ElQrError("due_date", f"no such date (YYYYMMDD): {value!r}") from None
        body = "".join(parts[:-1])
        expected = mod10_w31(body)
        if named["check_digit"] != str(expected):
            raise ElQrError("check_digit", f"is {named['check_digit']}, modulus 10/3-1 gives {expected}")
        return ElQrPayload(keys=keys, amount=int(named["amount"]), due_date=due_date)
