"""The payment key (納付番号): the digits that carry an installment through every channel.

One key per installment (期別): its id in 15 digits and a modulus-10 (weights 3/1) check digit,
16 digits in all. The same key is

- the biller key in the convenience-store barcode's free area (after the agent's prefix),
- the Pay-easy / eLTAX 納付番号 (案件特定キー),
- the Zengin direct-debit 顧客番号, left-padded with zeros to 20 digits.

A key whose check digit is wrong matches nothing (the money goes to suspense).
"""

from __future__ import annotations

KEY_LENGTH = 16
CUSTOMER_NO_LENGTH = 20
_MAX_ID = 10**15 - 1


def mod10_w31(digits: str) -> int:
    """Modulus 10, weights 3 and 1 from the rightmost digit (JAN/GS1; formats.md §3.2)."""
    total = sum(int(c) * (3 if i % 2 == 0 else 1) for i, c in enumerate(reversed(digits)))
    return (10 - total % 10) % 10


def payment_key(installment_id: int) -> str:
    """>>> payment_key(42)
    '0000000000000420'
    """
    if not 0 < installment_id <= _MAX_ID:
        raise ValueError(f"installment id out of range for a payment key: {installment_id}")
    body = f"{installment_id:015d}"
    return body + str(mod10_w31(body))


def installment_id_of(key: str) -> int | None:
    """The installment id a 16-digit key names, or None when it is not a valid key."""
    if len(key) != KEY_LENGTH or not key.isascii() or not key.isdigit():
        return None
    body, cd = key[:-1], int(key[-1])
    if mod10_w31(body) != cd or int(body) == 0:
        return None
    return int(body)


def customer_no(installment_id: int) -> str:
    """The Zengin 顧客番号 (20 digits) of an installment."""
    return payment_key(installment_id).rjust(CUSTOMER_NO_LENGTH, "0")


def installment_id_of_customer_no(value: str) -> int | None:
    value = value.strip()
    if len(value) != CUSTOMER_NO_LENGTH or not value.startswith("0" * (CUSTOMER_NO_LENGTH - KEY_LENGTH)):
        return None
    return installment_id_of(value[-KEY_LENGTH:])
