"""The one shape every payment-channel codec produces (pure Python).

A channel file (convenience-store result, Zengin direct-debit result, Pay-easy settlement,
eLTAX payment data, bank-counter data) is parsed by its codec in ``formats/`` into a
``ChannelFile``: a list of ``PaymentEvent`` and every problem found as ``ParseError``. A file with
any error is rejected whole by the importer; nothing is written.

Reconciliation (choshu.payments) reads only this shape:

- ``key_type`` / ``key`` say which installment the money is for: ``biller_key`` (the 16-digit
  key in the convenience-store barcode), ``payeasy`` (納付番号), ``customer_no`` (the 20-digit
  Zengin 顧客番号). Keys are digits only; what they mean is decided by choshu.payments.
- ``payment_ref`` names one payment across its life (速報 → 確報, or 速報 → 取消): the records of
  one payment share it. ``record_key`` = kind + payment_ref names the record itself; the same
  record key twice (in one file or across files) is refused as a duplicate.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum

from choshu.formats.errors import ParseError


class EventKind(StrEnum):
    PRELIMINARY = "preliminary"  # 速報: the store took the cash; stops demands, not yet money in the bank
    CONFIRMED = "confirmed"  # 確報 (or a one-step channel's payment): money that is posted
    CANCEL = "cancel"  # 速報取消: the store undid a preliminary
    CORRECTION = "correction"  # 訂正 (e.g. postal transfer correction): held for a clerk
    DEBIT_FAILED = "debit_failed"  # 振替不能: a direct debit that did not happen (result code ≠ 0)


class KeyType(StrEnum):
    BILLER_KEY = "biller_key"  # 16 digits inside the GS1-128 barcode's free area
    PAYEASY = "payeasy"  # 納付番号 (with 確認番号 and 納付区分 in ``extra``)
    CUSTOMER_NO = "customer_no"  # Zengin 20-digit 顧客番号


# Channel codes; the same values as choshu.ledger.models.Channel.
CHANNELS = (
    "bank",  # 金融機関窓口
    "direct_debit",  # 口座振替
    "cvs",  # コンビニ
    "payeasy",  # ペイジー
    "mobile_banking",  # モバイルレジ (net banking)
    "credit_card",  # クレジットカード
    "app",  # スマートフォン決済アプリ
    "postal",  # 郵便振替
    "eltax",  # 地方税共通納税
)


@dataclass(frozen=True, slots=True)
class PaymentEvent:
    line: int  # physical record number in the file, 1-based
    kind: EventKind
    channel: str  # one of CHANNELS
    key_type: KeyType
    key: str
    amount: int  # yen, > 0
    paid_on: date  # the day the payer paid (収納日 / 引落日)
    payment_ref: str  # the payment across 速報/確報/取消
    settles_on: date | None = None  # 振込予定日: when the agent pays the money over
    result_code: str = ""  # Zengin 振替結果コード (direct debit only)
    result_text: str = ""  # its meaning, in Japanese
    agent_code: str = ""  # store chain / bank / center code as the file gives it
    due_date: date | None = None  # 支払期限 printed in the barcode, when there is one
    reissue: int | None = None  # 再発行区分 in the barcode
    extra: dict[str, str] = field(default_factory=dict)  # other keys (確認番号, 納付区分, store code …)

    @property
    def record_key(self) -> str:
        return f"{self.kind}:{self.payment_ref}"


@dataclass
class ChannelFile:
    """A parsed channel file. ``header`` holds file-level facts (creation date, consignor …)."""

    format: str
    events: list[PaymentEvent]
    errors: list[ParseError]
    header: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.errors
