"""口座振替依頼データ: the Zengin 91 request file of a debit date (docs/direct-debit.md).

``debit_request_build`` selects every installment that is due on the debit date, still has a
balance, and whose levy's person has a mandate (DebitMandate) for the levy's revenue active on
that date; it writes one data record per installment for its balance, keyed by the 20-digit
customer number of the installment (formats.payment_key.customer_no). A row whose account holder
name has no Zengin form, or whose bank or branch is not in the bank code table (zengin-code), is
not written: it is returned as a reject with its reason for a clerk.

Set-based: one query for the installments, one for their mandates, one access-log entry.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Exists, F, OuterRef, Q

from choshu.audit.models import AccessChannel, Action
from choshu.audit.services import access_log_write
from choshu.formats.payment_key import customer_no
from choshu.formats.zengin_debit import DebitHeader, DebitRecord, write_request
from choshu.formats.zengin_kana import ZENGIN_NAME_WIDTH, ZenginKanaError, to_zengin_kana
from choshu.interchange.banks import ZenginCodeDirectory
from choshu.ledger.models import DebitMandate, Installment
from choshu.payments.models import DebitRequest
from choshu.payments.selectors import payment_pending_installments
from choshu.staff.models import User

_ACCOUNT_NO = re.compile(r"[0-9]{7}")
BANK_NAME_WIDTH = 15  # 引落銀行名 / 引落支店名 (and the header's 取引銀行名 / 取引支店名)


class DebitRequestError(ValueError):
    """A request that cannot be built (settings); the message is shown to the clerk."""


class NamedBankDirectory(ZenginCodeDirectory):
    """The zengin-code table with the half-width kana names the Zengin records carry."""

    def bank_name(self, bank_code: str) -> str:
        return zengin_bank_name(self._banks[bank_code].kana)

    def branch_name(self, bank_code: str, branch_code: str) -> str:
        return zengin_bank_name(self._banks[bank_code].branches[branch_code].kana)


@cache
def named_directory() -> NamedBankDirectory:
    return NamedBankDirectory()


def zengin_bank_name(kana: str) -> str:
    """A bank or branch name for a 15-byte field; names are optional, so one that cannot be
    converted is left blank rather than refusing the row."""
    try:
        return to_zengin_kana(kana)[:BANK_NAME_WIDTH]
    except ZenginKanaError:
        return ""


@dataclass(frozen=True)
class DebitReject:
    """A row that was not written and why (Japanese, for the clerk)."""

    installment_id: int
    levy_no: str
    installment_no: int
    atena_no: str
    reason: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "installment_id": self.installment_id,
            "levy_no": self.levy_no,
            "installment_no": self.installment_no,
            "atena_no": self.atena_no,
            "reason": self.reason,
        }


@dataclass
class DebitRequestFile:
    debit_date: date
    data: bytes
    count: int = 0  # data records written
    total: int = 0  # yen
    revenues: list[str] = field(default_factory=list)  # revenues present in the file
    rejects: list[DebitReject] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "debit_date": self.debit_date.isoformat(),
            "count": self.count,
            "total": self.total,
            "revenues": self.revenues,
            "rejects": [r.as_dict() for r in self.rejects],
        }


def debit_header(*, debit_date: date, banks: NamedBankDirectory) -> DebitHeader:
    """The header from the settings DEBIT_* (委託者コード・委託者名・取引銀行・口座)."""
    bank, branch = settings.DEBIT_BANK_CODE, settings.DEBIT_BRANCH_CODE
    if not banks.has_branch(bank, branch):
        raise DebitRequestError(f"設定の取引銀行・支店 {bank}-{branch} が金融機関コード表にありません。")
    try:
        consignor_name = to_zengin_kana(settings.DEBIT_CONSIGNOR_NAME)
    except ZenginKanaError as exc:
        raise DebitRequestError(f"設定の委託者名を全銀協の文字に変換できません: {exc}") from exc
    return DebitHeader(
        consignor_code=settings.DEBIT_CONSIGNOR_CODE,
        consignor_name=consignor_name,
        debit_date=debit_date,
        bank_code=bank,
        bank_name=banks.bank_name(bank),
        branch_code=branch,
        branch_name=banks.branch_name(bank, branch),
        account_type=settings.DEBIT_ACCOUNT_TYPE,
        account_no=settings.DEBIT_ACCOUNT_NO,
    )


def _active_on(day: date) -> Q:
    return Q(start_on__lte=day) & (Q(end_on__isnull=True) | Q(end_on__gte=day))


@dataclass(frozen=True, slots=True)
class _Due:
    installment_id: int
    balance: int
    installment_no: int
    levy_no: str
    revenue: str
    person_id: int
    atena_no: str


@dataclass(frozen=True, slots=True)
class _Mandate:
    bank_code: str
    branch_code: str
    account_type: str
    account_no: str
    holder_kana: str


def _due_installments(debit_date: date) -> list[_Due]:
    """Installments due on the date, unpaid, with an active mandate for their person and revenue."""
    mandates = DebitMandate.objects.filter(
        _active_on(debit_date), person_id=OuterRef("levy__person_id"), revenue=OuterRef("levy__revenue")
    )
    rows = (
        Installment.objects.filter(due_date=debit_date, paid_principal__lt=F("amount"))
        .filter(Exists(mandates))
        .exclude(pk__in=payment_pending_installments())  # paid at a store, 確報 not yet in: not twice
        .values_list(
            "pk",
            "amount",
            "paid_principal",
            "installment_no",
            "levy__levy_no",
            "levy__revenue",
            "levy__person_id",
            "levy__person__atena_no",
        )
        .order_by("levy__person__atena_no", "levy__levy_no", "installment_no")
    )
    return [
        _Due(pk, amount - paid, no, levy_no, revenue, person_id, atena_no)
        for pk, amount, paid, no, levy_no, revenue, person_id, atena_no in rows
    ]


def _mandates(debit_date: date) -> dict[tuple[int, str], _Mandate]:
    """Active mandates of persons with something to debit on the date, by (person, revenue);
    of overlapping mandates the one that started last wins."""
    due = Installment.objects.filter(
        due_date=debit_date,
        paid_principal__lt=F("amount"),
        levy__person_id=OuterRef("person_id"),
        levy__revenue=OuterRef("revenue"),
    )
    rows = (
        DebitMandate.objects.filter(_active_on(debit_date))
        .filter(Exists(due))
        .values_list("person_id", "revenue", "bank_code", "branch_code", "account_type", "account_no", "holder_kana")
        .order_by("person_id", "revenue", "-start_on")
    )
    found: dict[tuple[int, str], _Mandate] = {}
    for person_id, revenue, *account in rows:
        found.setdefault((person_id, revenue), _Mandate(*account))
    return found


def _record(due: _Due, mandate: _Mandate, banks: NamedBankDirectory) -> DebitRecord | str:
    """The data record of one installment, or why it cannot be written."""
    bank, branch = mandate.bank_code, mandate.branch_code
    if not banks.has_bank(bank):
        return f"金融機関コード {bank} が金融機関コード表にありません。"
    if not banks.has_branch(bank, branch):
        return f"金融機関 {bank} の支店コード {branch} が金融機関コード表にありません。"
    if mandate.account_type not in DebitMandate.AccountType.values:
        return f"預金種目 {mandate.account_type!r} は 1・2・3・9 のいずれでもありません。"
    if not _ACCOUNT_NO.fullmatch(mandate.account_no):
        return f"口座番号 {mandate.account_no!r} が7桁の数字ではありません。"
    try:
        holder = to_zengin_kana(mandate.holder_kana)
    except ZenginKanaError as exc:
        shown = "、".join(f"「{c}」" for c in exc.chars)
        return f"口座名義カナに全銀協の文字へ変換できない文字があります: {shown}"
    if not holder:
        return "口座名義カナが空です。"
    if len(holder) > ZENGIN_NAME_WIDTH:
        return f"口座名義カナが全銀協の形で{len(holder)}文字あり、{ZENGIN_NAME_WIDTH}文字を超えます。"
    return DebitRecord(
        bank_code=bank,
        bank_name=banks.bank_name(bank),
        branch_code=branch,
        branch_name=banks.branch_name(bank, branch),
        account_type=mandate.account_type,
        account_no=mandate.account_no,
        holder_name=holder,
        amount=due.balance,
        customer_no=customer_no(due.installment_id),
    )


def _check_rights(actor: User | None) -> None:
    if actor is not None and not actor.can_post_payments():
        raise PermissionDenied("口座振替依頼データを作成する権限がありません(収納担当または係長に限ります)。")


def _check_scope(actor: User | None, revenues: Iterable[str]) -> None:
    outside = set(revenues) - actor.scopes() if actor is not None else set()
    if outside:
        raise PermissionDenied(f"担当外の税目の口座振替が含まれます: {', '.join(sorted(outside))}")


@transaction.atomic
def debit_request_build(
    *,
    actor: User | None,
    debit_date: date,
    crlf: bool | None = None,
    banks: NamedBankDirectory | None = None,
    channel: str = AccessChannel.CLI,
    actor_label: str = "",
    again: str = "",
) -> DebitRequestFile:
    """The request file of ``debit_date`` (bytes, counts, total, rejects).

    ``actor`` None: a command run without --user (recorded as the OS user). Otherwise the actor
    must be allowed to post payments and hold every revenue present in the file. Writes one
    access-log entry: action export, subject ``count:direct_debit:<records>``, purpose
    ``batch:debit_request:<YYYYMMDD>`` — no personal data. Records the run (DebitRequest); a
    second file for a date that already has one with records is refused unless ``again`` gives
    the reason.
    """
    _check_rights(actor)
    earlier = DebitRequest.objects.filter(debit_date=debit_date, records__gt=0).order_by("pk").last()
    if earlier is not None and not again.strip():
        raise DebitRequestError(
            f"引落日 {debit_date.isoformat()} の口座振替依頼データは作成済みです(#{earlier.pk}、{earlier.records:,}件、"
            f"{earlier.total:,}円)。金融機関が二重に引き落とします。作り直す場合は理由を指定してください(--again)。"
        )
    banks = banks or named_directory()
    header = debit_header(debit_date=debit_date, banks=banks)
    dues = _due_installments(debit_date)
    _check_scope(actor, {due.revenue for due in dues})
    mandates = _mandates(debit_date)
    records: list[DebitRecord] = []
    revenues: set[str] = set()
    rejects: list[DebitReject] = []
    for due in dues:
        mandate = mandates.get((due.person_id, due.revenue))
        made = _record(due, mandate, banks) if mandate else "口座振替の登録が見つかりません(抽出中に変更されました)。"
        if isinstance(made, DebitRecord):
            records.append(made)
            revenues.add(due.revenue)
        else:
            rejects.append(DebitReject(due.installment_id, due.levy_no, due.installment_no, due.atena_no, made))
    try:
        data = write_request(header, records, crlf=settings.DEBIT_CRLF if crlf is None else crlf)
    except ValueError as exc:  # the rows are checked above: a setting that does not fit the header
        raise DebitRequestError(f"設定の値が全銀協の形式に合いません: {exc}") from exc
    DebitRequest.objects.create(
        debit_date=debit_date,
        records=len(records),
        total=sum(r.amount for r in records),
        sha256=hashlib.sha256(data).hexdigest(),
        again_reason=again.strip()[:200],
        created_by=actor,
    )
    access_log_write(
        actor=actor,
        action=Action.EXPORT,
        subjects=[f"count:direct_debit:{len(records)}"],
        purpose=f"batch:debit_request:{debit_date:%Y%m%d}",
        channel=channel,
        actor_label=actor_label,
    )
    return DebitRequestFile(
        debit_date=debit_date,
        data=data,
        count=len(records),
        total=sum(r.amount for r in records),
        revenues=sorted(revenues),
        rejects=rejects,
    )
