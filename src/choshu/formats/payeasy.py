"""Pay-easy keys printed on a slip, and the eL番号 (formats.md §1.1, §2).

| key (code name)                       | width       | choshu's value                              |
|---------------------------------------|-------------|---------------------------------------------|
| 収納機関番号 ``institution_no``        | 5 digits    | assigned by the MPN (setting)               |
| 納付番号 ``payment_no``                | 16 digits   | the installment's payment key (payment_key) |
| 確認番号 ``confirmation_no``           | 4–6 digits  | derived, see below (length is a setting)    |
| 納付区分 ``category``                  | 3 digits    | per revenue (setting)                       |

確認番号: no public rule exists (formats.md §1.1, open question 1). choshu derives it as
HMAC-SHA256, keyed by a secret setting, over ``"<institution_no>:<payment_no>"`` (ASCII); the
digest read as a big-endian integer, modulo 10^length, zero-padded to ``length`` digits. The
secret makes the number unguessable from the 納付番号 alone; changing the secret or the length
invalidates every slip already printed (``derive_confirmation_no``). ``confirmation_matches`` is
the check reconciliation uses.

eL番号 (納付書番号) is the same four keys under eLTAX's names, in this order: 共通納税機関コード
(収納機関番号) + 案件特定キー (納付番号) + 確認番号 + 税目・料金番号 (納付区分). It is shown in
groups, the 納付番号 in fours: ``01131-0000-0000-0000-0420-1234-101``. That grouping is ours;
the official print layout was not available.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass

from choshu.formats.payment_key import KEY_LENGTH

INSTITUTION_NO_LENGTH = 5
PAYMENT_NO_LENGTH = KEY_LENGTH
CATEGORY_LENGTH = 3
CONFIRMATION_LENGTHS = range(4, 7)  # 4 on Saga's slips; the MPN field holds 6


class PayEasyError(ValueError):
    """Keys that are not well formed; ``field`` names the first bad key."""

    def __init__(self, field: str, reason: str) -> None:
        self.field = field
        self.reason = reason
        super().__init__(f"{field}: {reason}")


def _digits(value: str, length: int | range, field: str) -> None:
    ok = len(value) in length if isinstance(length, range) else len(value) == length
    if not ok or not value.isascii() or not value.isdigit():
        width = f"{length.start}–{length.stop - 1}" if isinstance(length, range) else str(length)
        raise PayEasyError(field, f"must be {width} digits: {value!r}")


@dataclass(frozen=True, slots=True)
class PayEasyKeys:
    institution_no: str  # 収納機関番号
    payment_no: str  # 納付番号
    confirmation_no: str  # 確認番号
    category: str  # 納付区分

    def __post_init__(self) -> None:
        _digits(self.institution_no, INSTITUTION_NO_LENGTH, "institution_no")
        _digits(self.payment_no, PAYMENT_NO_LENGTH, "payment_no")
        _digits(self.confirmation_no, CONFIRMATION_LENGTHS, "confirmation_no")
        _digits(self.category, CATEGORY_LENGTH, "category")

    def as_dict(self) -> dict[str, str]:
        return {
            "institution_no": self.institution_no,
            "payment_no": self.payment_no,
            "confirmation_no": self.confirmation_no,
            "category": self.category,
        }

    @property
    def el_no(self) -> ElNumber:
        return ElNumber(self)


def derive_confirmation_no(*, secret: str | bytes, institution_no: str, payment_no: str, length: int) -> str:
    """確認番号: HMAC-SHA256(secret, "<institution_no>:<payment_no>") mod 10^length, zero-padded."""
    if length not in CONFIRMATION_LENGTHS:
        raise PayEasyError("confirmation_no", f"length must be 4–6, not {length}")
    _digits(institution_no, INSTITUTION_NO_LENGTH, "institution_no")
    _digits(payment_no, PAYMENT_NO_LENGTH, "payment_no")
    key = secret.encode() if isinstance(secret, str) else secret
    if not key:
        raise PayEasyError("confirmation_no", "the derivation secret is empty")
    digest = hmac.new(key, f"{institution_no}:{payment_no}".encode("ascii"), hashlib.sha256).digest()
    return str(int.from_bytes(digest, "big") % 10**length).zfill(length)


def payeasy_keys(
    *, institution_no: str, payment_no: str, category: str, secret: str | bytes, length: int
) -> PayEasyKeys:
    """The four keys of a slip, the 確認番号 derived from the others."""
    conf = derive_confirmation_no(secret=secret, institution_no=institution_no, payment_no=payment_no, length=length)
    return PayEasyKeys(institution_no, payment_no, conf, category)


def confirmation_matches(*, secret: str | bytes, institution_no: str, payment_no: str, confirmation_no: str) -> bool:
    """Whether a 確認番号 received from a channel is the one choshu printed (constant-time).

    The length is taken from the number received; malformed input never matches.
    """
    try:
        expected = derive_confirmation_no(
            secret=secret, institution_no=institution_no, payment_no=payment_no, length=len(confirmation_no)
        )
    except PayEasyError:
        return False
    return confirmation_no.isascii() and hmac.compare_digest(expected, confirmation_no)


@dataclass(frozen=True, slots=True)
class ElNumber:
    """eL番号: the four keys in eLTAX order (機関コード, 案件特定キー, 確認番号, 税目・料金番号)."""

    keys: PayEasyKeys

    @property
    def digits(self) -> str:
        k = self.keys
        return k.institution_no + k.payment_no + k.confirmation_no + k.category

    def display(self) -> str:
        """Grouped for reading aloud and typing: 5-4-4-4-4-(4 to 6)-3."""
        k = self.keys
        groups = [k.payment_no[i : i + 4] for i in range(0, PAYMENT_NO_LENGTH, 4)]
        return "-".join([k.institution_no, *groups, k.confirmation_no, k.category])

    def __str__(self) -> str:
        return self.display()


def parse_el_number(text: str, *, confirmation_length: int) -> ElNumber:
    """Read an eL番号, grouped or not (hyphens and spaces are ignored)."""
    if confirmation_length not in CONFIRMATION_LENGTHS:
        raise PayEasyError("confirmation_no", f"length must be 4–6, not {confirmation_length}")
    digits = text.replace("-", "").replace(" ", "")
    total = INSTITUTION_NO_LENGTH + PAYMENT_NO_LENGTH + confirmation_length + CATEGORY_LENGTH
    if len(digits) != total or not digits.isascii() or not digits.isdigit():
        raise PayEasyError("el_no", f"must be {total} digits: {text!r}")
    a = INSTITUTION_NO_LENGTH
    b = a + PAYMENT_NO_LENGTH
    c = b + confirmation_length
    return ElNumber(PayEasyKeys(digits[:a], digits[a:b], digits[b:c], digits[c:]))
