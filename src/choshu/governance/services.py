"""Writes of 委託・外部結合, each in one durable transaction.

The export engine is the only way personal data leaves choshu: `export_prepare` (one user) →
`export_approve` (a different supervisor; builds the encrypted package and returns the password
once) → `export_hand_over` (+ `export_notice_hand_over`, on another occasion) → `export_return`
→ `export_erasure_record`. Each step appends a HandoverEntry (管理簿). Building or reading a
package writes an access-log entry (action "export") in the same transaction.

Paper documents and delivered printed matter are handovers without a package
(`handover_record` → `handover_return` → `handover_erasure_record`); the return and the
certificate are the same steps as a package's (`_return`, `_erasure`, through `_step`).
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import TypeVar

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from choshu.audit.models import Action
from choshu.governance import permissions
from choshu.governance.access import export_purpose, log_export, log_handover, log_persons
from choshu.governance.catalogue import describe, missing_items, unknown_codes
from choshu.governance.exports import ExportError, ExportKind, Request, build_package, export_kind, new_password
from choshu.governance.models import (
    Contract,
    ContractHandler,
    Contractor,
    ErasureCertificate,
    ExportPackage,
    Handover,
    HandoverEntry,
    Incident,
    Media,
    OnSiteAudit,
    RetentionRun,
)
from choshu.staff.models import User

State = ExportPackage.State
Step = HandoverEntry.Step
Direction = HandoverEntry.Direction
Tracked = ExportPackage | Handover  # what a lifecycle step moves on
T = TypeVar("T", ExportPackage, Handover)


class GovernanceError(ExportError):
    """A contract or handover record the registry refuses; the message is shown to the user."""


def exports_dir() -> Path:
    return Path(settings.VAR_DIR) / "exports"


def package_path(package: ExportPackage) -> Path:
    return exports_dir() / package.file_name


def _require(allowed: bool, message: str) -> None:
    if not allowed:
        raise PermissionDenied(message)


def _check_scope(actor: User, package: ExportPackage) -> None:
    outside = set(package.revenues) - actor.scopes()
    if outside:
        raise PermissionDenied("担当外の税目のデータです。")


def _local_date(moment: datetime) -> date:
    return timezone.localtime(moment).date()


# ---- contracts --------------------------------------------------------------------------------


@transaction.atomic(durable=True)
def contractor_create(
    *, actor: User, name: str, address: str = "", privacy_mark: bool = False, iso27001: bool = False, note: str = ""
) -> Contractor:
    _require(permissions.can_manage_contracts(actor), "契約の登録は係長のみ行えます。")
    if not name.strip():
        raise GovernanceError("委託先の名称を入力してください。")
    if Contractor.objects.filter(name=name.strip()).exists():
        raise GovernanceError("同じ名称の委託先が登録されています。")
    return Contractor.objects.create(
        name=name.strip(), address=address, privacy_mark=privacy_mark, iso27001=iso27001, note=note
    )


@transaction.atomic(durable=True)
def contract_create(
    *,
    actor: User,
    contract_no: str,
    title: str,
    kind: str,
    contractor: Contractor,
    purpose: str,
    council_ref: str,
    starts_on: date,
    ends_on: date,
    media: Sequence[str],
    approved_items: Sequence[str],
    parent: Contract | None = None,
    return_days: int = 30,
    erasure_days: int = 14,
    yearly_audit: bool = True,
) -> Contract:
    """Register a contract or linkage with the data items the council approved for it."""
    _require(permissions.can_manage_contracts(actor), "契約の登録は係長のみ行えます。")
    problems: list[str] = []
    if kind not in Contract.Kind.values:
        problems.append(f"区分が正しくありません: {kind}")
    if ends_on < starts_on:
        problems.append("終了日が開始日より前です。")
    if not approved_items:
        problems.append("承認データ項目を1つ以上選んでください。")
    unknown = unknown_codes(approved_items)
    if unknown:
        problems.append(f"カタログにないデータ項目です: {', '.join(unknown)}")
    bad_media = sorted(set(media) - set(Media.values))
    if bad_media or not media:
        problems.append("記録媒体を選んでください。" if not media else f"記録媒体が正しくありません: {bad_media}")
    if Contract.objects.filter(contract_no=contract_no).exists():
        problems.append(f"契約番号 {contract_no} は登録済みです。")
    if kind == Contract.Kind.SUB_OUTSOURCING:
        # 特記事項10: no sub-outsourcing unless approved: it hangs off its approved parent and
        # may not approve more than the parent does.
        if parent is None:
            problems.append("再委託には元契約が必要です。")
        else:
            wider = missing_items(approved_items, parent.approved_items)
            if wider:
                problems.append(f"元契約で承認されていないデータ項目です: {describe(wider)}")
    elif parent is not None:
        problems.append("元契約を指定できるのは再委託のみです。")
    if problems:
        raise GovernanceError(" ".join(problems))
    return Contract.objects.create(
        contract_no=contract_no,
        title=title,
        kind=kind,
        contractor=contractor,
        parent=parent,
        purpose=purpose,
        council_ref=council_ref,
        starts_on=starts_on,
        ends_on=ends_on,
        media=list(dict.fromkeys(media)),
        approved_items=list(dict.fromkeys(approved_items)),
        return_days=return_days,
        erasure_days=erasure_days,
        yearly_audit=yearly_audit,
        created_by=actor,
    )


@transaction.atomic(durable=True)
def contract_terminate(*, actor: User, contract: Contract, terminated_on: date) -> Contract:
    _require(permissions.can_manage_contracts(actor), "契約の解除は係長のみ行えます。")
    contract = Contract.objects.select_for_update().get(pk=contract.pk)
    if contract.terminated_on is not None:
        raise GovernanceError("この契約は解除済みです。")
    contract.terminated_on = terminated_on
    contract.save(update_fields=["terminated_on"])
    return contract


@transaction.atomic(durable=True)
def contract_handler_add(
    *, actor: User, contract: Contract, role: str, name: str, reported_on: date
) -> ContractHandler:
    """取扱責任者・取扱者 as reported by the contractor (特記事項13)."""
    _require(permissions.can_manage_contracts(actor), "取扱者の登録は係長のみ行えます。")
    if role not in ContractHandler.Role.values:
        raise GovernanceError(f"区分が正しくありません: {role}")
    if not name.strip():
        raise GovernanceError("氏名を入力してください。")
    return ContractHandler.objects.create(contract=contract, role=role, name=name.strip(), reported_on=reported_on)


@transaction.atomic(durable=True)
def contract_handler_withdraw(*, actor: User, handler: ContractHandler, withdrawn_on: date) -> ContractHandler:
    _require(permissions.can_manage_contracts(actor), "取扱者の解除は係長のみ行えます。")
    handler.withdrawn_on = withdrawn_on
    handler.save(update_fields=["withdrawn_on"])
    return handler


@transaction.atomic(durable=True)
def onsite_audit_record(
    *,
    actor: User,
    contract: Contract,
    audited_on: date,
    auditors: str,
    result: str,
    findings: str = "",
    follow_up: str = "",
) -> OnSiteAudit:
    """立入調査 (特記事項15–17)."""
    _require(permissions.can_manage_contracts(actor), "立入調査の記録は係長のみ行えます。")
    if result not in OnSiteAudit.Result.values:
        raise GovernanceError(f"結果が正しくありません: {result}")
    if result == OnSiteAudit.Result.FINDINGS and not findings.strip():
        raise GovernanceError("指摘ありの場合は所見を入力してください。")
    if audited_on > timezone.localdate():
        raise GovernanceError("実施日に未来の日付は指定できません。")
    return OnSiteAudit.objects.create(
        contract=contract,
        audited_on=audited_on,
        auditors=auditors,
        result=result,
        findings=findings,
        follow_up=follow_up,
        recorded_by=actor,
    )


@transaction.atomic(durable=True)
def incident_record(
    *,
    actor: User,
    contract: Contract,
    occurred_on: date,
    reported_on: date,
    summary: str,
    report: str = "",
    follow_up: str = "",
) -> Incident:
    """事故 reported by the contractor (特記事項19)."""
    _require(permissions.can_manage_contracts(actor), "事故の記録は係長のみ行えます。")
    if reported_on < occurred_on:
        raise GovernanceError("報告日が発生日より前です。")
    if not summary.strip():
        raise GovernanceError("概要を入力してください。")
    return Incident.objects.create(
        contract=contract,
        occurred_on=occurred_on,
        reported_on=reported_on,
        summary=summary,
        report=report,
        follow_up=follow_up,
        recorded_by=actor,
    )


@transaction.atomic(durable=True)
def incident_close(*, actor: User, incident: Incident, closed_on: date, follow_up: str) -> Incident:
    _require(permissions.can_manage_contracts(actor), "事故の完了は係長のみ行えます。")
    if not follow_up.strip():
        raise GovernanceError("対応を入力してください。")
    incident.closed_on = closed_on
    incident.follow_up = follow_up
    incident.save(update_fields=["closed_on", "follow_up"])
    return incident


# ---- the export engine ------------------------------------------------------------------------


def contract_check(*, contract: Contract, fields: Sequence[str], on: date) -> None:
    """Refuse unless `contract` is in force on `on` and approves every field (naming the rest)."""
    if not contract.is_active(on):
        raise ExportError(f"契約 {contract.contract_no} は{on.isoformat()}に有効ではありません。")
    missing = missing_items(fields, contract.approved_items)
    if missing:
        raise ExportError(f"契約 {contract.contract_no} で承認されていないデータ項目があります: {describe(missing)}")


def _entry(
    record: Tracked,
    *,
    step: str,
    direction: str,
    actor: User,
    occurred_at: datetime,
    contents: str,
    records: int = 0,
    pieces: int = 0,
    media_id: str = "",
    contractor_handler: ContractHandler | None = None,
    note: str = "",
) -> HandoverEntry:
    """One row of the handover ledger (管理簿), for an export package or a handover."""
    return HandoverEntry.objects.create(
        contract_id=record.contract_id,
        package=record if isinstance(record, ExportPackage) else None,
        handover=record if isinstance(record, Handover) else None,
        step=step,
        direction=direction,
        occurred_at=occurred_at,
        media_id=media_id,
        contents=contents,
        records=records,
        pieces=pieces,
        our_handler=actor,
        contractor_handler=contractor_handler,
        note=note,
    )


def _contents(kind_label: str, package: ExportPackage) -> str:
    return f"{kind_label}(出力番号 {package.pk})"


def _kind_label(package: ExportPackage) -> str:
    try:
        return export_kind(package.kind).label
    except ExportError:
        return package.kind


@transaction.atomic(durable=True)
def export_prepare(
    *,
    actor: User,
    kind_code: str,
    contract: Contract,
    keys: Sequence[str],
    purpose: str,
    client_address: str | None = None,
) -> ExportPackage:
    """Prepare an export: the kind, the contract it goes out under, the persons chosen.

    The contract is checked now and again at approval (run time). The selection is kept as
    person ids; nothing is written out before a second person approves.
    """
    _require(permissions.can_prepare_exports(actor), "外部提供データを作成する権限がありません。")
    kind: ExportKind = export_kind(kind_code)
    revenues = actor.scopes() & kind.revenues
    if not revenues:
        raise PermissionDenied("この種類の対象となる税目が担当税目にありません。")
    if not purpose.strip():
        raise ExportError("用途を入力してください。")
    today = timezone.localdate()
    contract = Contract.objects.get(pk=contract.pk)  # as recorded now, not as the caller last saw it
    contract_check(contract=contract, fields=kind.fields, on=today)
    person_ids = kind.select(keys, frozenset(revenues), today)
    now = timezone.now()
    package = ExportPackage.objects.create(
        kind=kind.code,
        contract=contract,
        purpose=purpose.strip(),
        fields=list(kind.fields),
        revenues=sorted(revenues),
        keys=list(keys),
        selection=person_ids,
        record_count=len(person_ids),
        prepared_by=actor,
        prepared_at=now,
    )
    _entry(
        package,
        step=Step.PREPARED,
        direction=Direction.INTERNAL,
        actor=actor,
        occurred_at=now,
        contents=_contents(kind.label, package),
        records=len(person_ids),
    )
    # The selection read the persons' residency and arrears: a read, for the export's purpose.
    log_persons(
        actor=actor,
        action=Action.READ,
        person_ids=person_ids,
        purpose=export_purpose(package.pk),
        client_address=client_address,
    )
    return package


def export_approve(
    *, actor: User, package: ExportPackage, client_address: str | None = None
) -> tuple[ExportPackage, str]:
    """Approve and build: the encrypted package is written under var/exports/, its SHA-256 kept.

    Returns the package and its password. The password exists only in the return value: it is
    printed on the password notice (パスワード通知書) and never stored or logged. One durable
    transaction; the file is removed again if it does not commit.
    """
    _require(permissions.can_approve_exports(actor), "外部提供データの承認は係長のみ行えます。")
    written: list[Path] = []
    try:
        with transaction.atomic(durable=True):
            result = _approve(actor=actor, package_id=package.pk, client_address=client_address, written=written)
    except BaseException:
        for path in written:
            path.unlink(missing_ok=True)
        raise
    return result


def _approve(
    *, actor: User, package_id: int, client_address: str | None, written: list[Path]
) -> tuple[ExportPackage, str]:
    package = ExportPackage.objects.select_for_update().select_related("contract").get(pk=package_id)
    if package.prepared_by_id == actor.pk:
        raise ExportError("作成した職員は承認できません。別の係長が承認してください。")
    if package.state != State.PREPARED:
        raise ExportError(f"承認できる状態ではありません({package.get_state_display()})。")
    _check_scope(actor, package)
    kind = export_kind(package.kind)
    today = timezone.localdate()
    contract_check(contract=package.contract, fields=kind.fields, on=today)  # run time

    password = new_password()
    csv_name = f"{kind.code}-{package.pk:06d}-{today:%Y%m%d}.csv"
    built = build_package(
        kind=kind,
        rows=kind.rows(Request(package.keys, package.selection, frozenset(package.revenues), today)),
        csv_name=csv_name,
        password=password,
    )
    digest = hashlib.sha256(built.content).hexdigest()
    file_name = f"{package.pk:06d}-{kind.code}-{today:%Y%m%d}.zip"
    directory = exports_dir()
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / file_name
    temporary = directory / f".{file_name}.tmp"
    temporary.write_bytes(built.content)
    os.chmod(temporary, 0o600)
    os.replace(temporary, path)
    written.append(path)

    now = timezone.now()
    package.state = State.APPROVED
    package.approved_by = actor
    package.approved_at = now
    package.fields = list(kind.fields)
    package.file_name = file_name
    package.sha256 = digest
    package.size = len(built.content)
    package.record_count = built.record_count
    package.save()
    _entry(
        package,
        step=Step.APPROVED,
        direction=Direction.INTERNAL,
        actor=actor,
        occurred_at=now,
        contents=f"{_contents(kind.label, package)} {file_name}(AES-256暗号化 SHA-256 {digest[:16]}…)",
        records=built.record_count,
    )
    log_export(
        actor=actor, person_ids=package.selection, purpose=export_purpose(package.pk), client_address=client_address
    )
    return package, password


def export_package_content(*, actor: User, package: ExportPackage, client_address: str | None = None) -> bytes:
    """The encrypted package, to be written onto the medium (logged as an export)."""
    _require(permissions.can_prepare_exports(actor), "外部提供データを取得する権限がありません。")
    _check_scope(actor, package)
    if package.state != State.APPROVED:
        raise ExportError("媒体への書出しは承認後・受渡し前に限られます。")
    path = package_path(package)
    if not path.exists():
        raise ExportError("パッケージファイルがありません。")
    content = path.read_bytes()
    if hashlib.sha256(content).hexdigest() != package.sha256:
        raise ExportError("パッケージファイルのSHA-256が記録と一致しません。")
    with transaction.atomic(durable=True):
        log_export(
            actor=actor, person_ids=package.selection, purpose=export_purpose(package.pk), client_address=client_address
        )
    return content


# ---- lifecycle steps, shared by export packages and handovers -------------------------------


def _handler_of(contract_id: int, handler: ContractHandler, on: date) -> ContractHandler:
    """The contractor's handler, reported for this contract on that day (特記事項13)."""
    if handler.contract_id != contract_id:
        raise ExportError("この契約に報告された取扱者ではありません。")
    if handler.reported_on > on or (handler.withdrawn_on is not None and handler.withdrawn_on <= on):
        raise ExportError(f"{handler.name} はその日の取扱者として報告されていません。")
    return handler


def _check_moment(moment: datetime, after: datetime | None, what: str) -> None:
    if moment > timezone.now() + timedelta(minutes=5):
        raise ExportError(f"{what}に未来の日時は指定できません。")
    # Screens give minutes: a step in the same minute as the one before it is in order.
    if after is not None and moment < after.replace(second=0, microsecond=0):
        raise ExportError(f"{what}が前の手続の日時より前です。")


def _lock(model: type[T], actor: User, pk: int, expected: Sequence[str]) -> T:
    """The record, locked, for a step by `actor`; refused outside its state (or revenue scope)."""
    _require(permissions.can_record_handovers(actor), "管理簿を記録する権限がありません。")
    record = model.objects.select_for_update().select_related("contract").get(pk=pk)
    if isinstance(record, ExportPackage):
        _check_scope(actor, record)
    if record.state not in expected:
        raise ExportError(f"この手続ができる状態ではありません({record.get_state_display()})。")
    return record


def _check_handover(
    contract: Contract, *, occurred_at: datetime, after: datetime | None, pieces: int, handler: ContractHandler
) -> date:
    """A handover (either direction): in time order, under an in-force contract, by a reported handler."""
    on = _local_date(occurred_at)
    _check_moment(occurred_at, after, "受渡日時")
    if not contract.is_active(on):
        raise ExportError(f"契約 {contract.contract_no} は受渡日に有効ではありません。")
    if pieces < 1:
        raise ExportError("点数は1以上です。")
    _handler_of(contract.pk, handler, on)
    return on


def _return_due(contract: Contract, on: date) -> date:
    """受渡日 + the contract's return days, never after the contract's end."""
    return min(on + timedelta(days=contract.return_days), contract.ends_on)


def _step(
    record: Tracked,
    *,
    actor: User,
    state: str,
    changes: dict[str, object],
    step: str,
    direction: str,
    occurred_at: datetime,
    contents: str,
    records: int = 0,
    pieces: int = 0,
    contractor_handler: ContractHandler | None = None,
    note: str = "",
) -> HandoverEntry:
    """One lifecycle step: the record's new state and fields, and its row of the handover ledger."""
    for name, value in changes.items():
        setattr(record, name, value)
    record.state = state
    record.save(update_fields=["state", *changes])
    return _entry(
        record,
        step=step,
        direction=direction,
        actor=actor,
        occurred_at=occurred_at,
        contents=contents,
        records=records,
        pieces=pieces,
        media_id=record.media_id,
        contractor_handler=contractor_handler,
        note=note,
    )


def _return(
    record: Tracked,
    *,
    actor: User,
    occurred_at: datetime,
    media_id: str,
    contractor_handler: ContractHandler,
    pieces: int,
    contents: str,
    records: int,
    extra_pieces: int = 0,
    note: str = "",
) -> None:
    """媒体の返却 (委託先→区): the same medium comes back."""
    _check_moment(occurred_at, record.handed_over_at, "返却日時")
    if media_id.strip() != record.media_id:
        raise ExportError(f"媒体番号が受渡し時({record.media_id})と一致しません。")
    if pieces < 1:
        raise ExportError("点数は1以上です。")
    _handler_of(record.contract_id, contractor_handler, _local_date(occurred_at))
    _step(
        record,
        actor=actor,
        state="returned",
        changes={"returned_at": occurred_at},
        step=Step.RETURNED,
        direction=Direction.IN,
        occurred_at=occurred_at,
        contents=contents,
        records=records,
        pieces=pieces + extra_pieces,
        contractor_handler=contractor_handler,
        note=note,
    )


def _erasure(
    record: Tracked,
    *,
    actor: User,
    certificate_no: str,
    issued_on: date,
    issuer: str,
    occurred_at: datetime,
    contractor_handler: ContractHandler,
    note: str = "",
) -> ErasureCertificate:
    """消去証明書の受領 (特記事項12): after the return, or after the handover when nothing comes back."""
    since = record.returned_at or record.handed_over_at
    _check_moment(occurred_at, since, "受領日時")
    received_on = _local_date(occurred_at)
    if not certificate_no.strip() or not issuer.strip():
        raise ExportError("証明書番号と発行者を入力してください。")
    if issued_on > received_on:
        raise ExportError("発行日が受領日より後です。")
    if since is not None and issued_on < _local_date(since):
        raise ExportError(f"発行日が{'媒体の返却日' if record.returned_at else '受渡日'}より前です。")
    if ErasureCertificate.objects.filter(
        contract_id=record.contract_id, certificate_no=certificate_no.strip()
    ).exists():
        raise ExportError(f"証明書番号 {certificate_no} は登録済みです。")
    _handler_of(record.contract_id, contractor_handler, received_on)
    certificate = ErasureCertificate.objects.create(
        contract_id=record.contract_id,
        package=record if isinstance(record, ExportPackage) else None,
        handover=record if isinstance(record, Handover) else None,
        certificate_no=certificate_no.strip(),
        issued_on=issued_on,
        issuer=issuer.strip(),
        received_on=received_on,
        received_by=actor,
    )
    _step(
        record,
        actor=actor,
        state="erased",
        changes={"erased_at": occurred_at},
        step=Step.ERASED,
        direction=Direction.IN,
        occurred_at=occurred_at,
        contents=f"消去証明書 {certificate.certificate_no}({issuer.strip()}、{issued_on.isoformat()}発行)",
        pieces=1,
        contractor_handler=contractor_handler,
        note=note,
    )
    return certificate


# ---- the steps of an export package ------------------------------------------------------------


@transaction.atomic(durable=True)
def export_hand_over(
    *,
    actor: User,
    package: ExportPackage,
    occurred_at: datetime,
    media_id: str,
    contractor_handler: ContractHandler,
    pieces: int = 1,
    note: str = "",
) -> ExportPackage:
    """媒体の受渡し (区→委託先): sets the return deadline (受渡日 + 契約の返却日数, at most the end)."""
    package = _lock(ExportPackage, actor, package.pk, [State.APPROVED])
    on = _check_handover(
        package.contract, occurred_at=occurred_at, after=package.approved_at, pieces=pieces, handler=contractor_handler
    )
    if not media_id.strip():
        raise ExportError("媒体番号を入力してください。")
    _step(
        package,
        actor=actor,
        state=State.HANDED_OVER,
        changes={
            "media_id": media_id.strip(),
            "handed_over_at": occurred_at,
            "return_due_on": _return_due(package.contract, on),
        },
        step=Step.HANDED_OVER,
        direction=Direction.OUT,
        occurred_at=occurred_at,
        contents=_contents(_kind_label(package), package),
        records=package.record_count,
        pieces=pieces,
        contractor_handler=contractor_handler,
        note=note,
    )
    return package


@transaction.atomic(durable=True)
def export_notice_hand_over(
    *,
    actor: User,
    package: ExportPackage,
    occurred_at: datetime,
    contractor_handler: ContractHandler,
    note: str = "",
) -> ExportPackage:
    """パスワード通知書の受渡し: on another occasion than the medium (not the same minute)."""
    package = _lock(ExportPackage, actor, package.pk, [State.APPROVED, State.HANDED_OVER])
    if package.notice_handed_over_at is not None:
        raise ExportError("パスワード通知書は受渡し済みです。")
    _check_moment(occurred_at, package.approved_at, "受渡日時")
    if package.handed_over_at is not None and abs(occurred_at - package.handed_over_at) < timedelta(minutes=1):
        raise ExportError("パスワード通知書は媒体とは別の機会に受け渡してください。")
    _handler_of(package.contract_id, contractor_handler, _local_date(occurred_at))
    package.notice_handed_over_at = occurred_at
    package.save(update_fields=["notice_handed_over_at"])
    _entry(
        package,
        step=Step.NOTICE_HANDED_OVER,
        direction=Direction.OUT,
        actor=actor,
        occurred_at=occurred_at,
        contents=f"パスワード通知書(出力番号 {package.pk})",
        pieces=1,
        contractor_handler=contractor_handler,
        note=note,
    )
    return package


@transaction.atomic(durable=True)
def export_return(
    *,
    actor: User,
    package: ExportPackage,
    occurred_at: datetime,
    media_id: str,
    contractor_handler: ContractHandler,
    pieces: int = 1,
    notice_returned: bool = False,
    note: str = "",
) -> ExportPackage:
    """媒体の返却 (委託先→区): the same medium comes back; the notice with it if it was handed over."""
    package = _lock(ExportPackage, actor, package.pk, [State.HANDED_OVER])
    if package.notice_handed_over_at is not None and not notice_returned:
        raise ExportError("パスワード通知書も返却させてください。")
    _return(
        package,
        actor=actor,
        occurred_at=occurred_at,
        media_id=media_id,
        contractor_handler=contractor_handler,
        pieces=pieces,
        contents=_contents(_kind_label(package), package) + ("・パスワード通知書" if notice_returned else ""),
        records=package.record_count,
        extra_pieces=1 if notice_returned else 0,
        note=note,
    )
    return package


@transaction.atomic(durable=True)
def export_erasure_record(
    *,
    actor: User,
    package: ExportPackage,
    certificate_no: str,
    issued_on: date,
    issuer: str,
    occurred_at: datetime,
    contractor_handler: ContractHandler,
    note: str = "",
) -> ErasureCertificate:
    """消去証明書の受領 (特記事項12): the contractor erased its copies; the package is closed."""
    package = _lock(ExportPackage, actor, package.pk, [State.RETURNED])
    return _erasure(
        package,
        actor=actor,
        certificate_no=certificate_no,
        issued_on=issued_on,
        issuer=issuer,
        occurred_at=occurred_at,
        contractor_handler=contractor_handler,
        note=note,
    )


# ---- handovers that are not export packages (paper documents, delivered printed matter) -------


def _handover_contents(handover: Handover) -> str:
    return f"{handover.contents}(受渡番号 {handover.pk})"


@transaction.atomic(durable=True)
def handover_record(
    *,
    actor: User,
    contract: Contract,
    direction: str,
    media: str,
    contents: str,
    occurred_at: datetime,
    contractor_handler: ContractHandler,
    media_id: str = "",
    records: int = 0,
    pieces: int = 1,
    return_required: bool = False,
    certificate_required: bool = False,
    note: str = "",
    client_address: str | None = None,
) -> Handover:
    """受渡し not tied to an export package: paper documents handed to the contractor (区→委託先,
    tracked by the flags: a return by the deadline, an erasure certificate) or printed matter it
    delivers (委託先→区, 納品; no tracking here). One ledger row and one access-log entry (export
    for what goes out, change for what comes in)."""
    _require(permissions.can_record_handovers(actor), "管理簿を記録する権限がありません。")
    contract = Contract.objects.get(pk=contract.pk)  # as recorded now
    if direction not in (Direction.OUT, Direction.IN):
        raise ExportError(f"方向が正しくありません: {direction}")
    if media not in contract.media:
        label = Media(media).label if media in Media.values else media
        raise ExportError(f"契約 {contract.contract_no} で認められていない媒体です: {label}")
    if not contents.strip():
        raise ExportError("情報の内容を入力してください。")
    outgoing = direction == Direction.OUT
    if not outgoing and (return_required or certificate_required):
        raise ExportError("委託先からの納品物には返却・消去証明書の管理はありません。")
    if return_required and not media_id.strip():
        raise ExportError("返却を要する場合は媒体番号(管理番号)を入力してください。")
    on = _check_handover(contract, occurred_at=occurred_at, after=None, pieces=pieces, handler=contractor_handler)
    if not outgoing:
        state = Handover.State.RECEIVED
    elif return_required or certificate_required:
        state = Handover.State.HANDED_OVER
    else:
        state = Handover.State.CLOSED
    handover = Handover.objects.create(
        contract=contract,
        direction=direction,
        media=media,
        media_id=media_id.strip(),
        contents=contents.strip(),
        records=records,
        pieces=pieces,
        return_required=return_required,
        certificate_required=certificate_required,
        state=state,
        handed_over_at=occurred_at,
        return_due_on=_return_due(contract, on) if return_required else None,
        created_by=actor,
    )
    _entry(
        handover,
        step=Step.HANDED_OVER if outgoing else Step.RECEIVED,
        direction=Direction.OUT if outgoing else Direction.IN,
        actor=actor,
        occurred_at=occurred_at,
        contents=_handover_contents(handover),
        records=records,
        pieces=pieces,
        media_id=handover.media_id,
        contractor_handler=contractor_handler,
        note=note,
    )
    # What goes out on paper is an export of personal data; what comes in, a change of custody.
    action = Action.EXPORT if outgoing else Action.CHANGE
    log_handover(actor=actor, handover_id=handover.pk, action=action, client_address=client_address)
    return handover


@transaction.atomic(durable=True)
def handover_return(
    *,
    actor: User,
    handover: Handover,
    occurred_at: datetime,
    media_id: str,
    contractor_handler: ContractHandler,
    pieces: int,
    note: str = "",
    client_address: str | None = None,
) -> Handover:
    """返却 of paper documents: the same medium, every piece that went out."""
    handover = _lock(Handover, actor, handover.pk, [Handover.State.HANDED_OVER])
    if not handover.return_required:
        raise ExportError("この受渡しは返却を要しません。")
    if pieces != handover.pieces:
        raise ExportError(f"返却の点数が受渡し時({handover.pieces}点)と一致しません。")
    _return(
        handover,
        actor=actor,
        occurred_at=occurred_at,
        media_id=media_id,
        contractor_handler=contractor_handler,
        pieces=pieces,
        contents=_handover_contents(handover),
        records=handover.records,
        note=note,
    )
    log_handover(actor=actor, handover_id=handover.pk, action=Action.CHANGE, client_address=client_address)
    return handover


@transaction.atomic(durable=True)
def handover_erasure_record(
    *,
    actor: User,
    handover: Handover,
    certificate_no: str,
    issued_on: date,
    issuer: str,
    occurred_at: datetime,
    contractor_handler: ContractHandler,
    note: str = "",
    client_address: str | None = None,
) -> ErasureCertificate:
    """消去(廃棄)証明書: after the return, or after the handover when nothing comes back."""
    current = Handover.objects.only("return_required").get(pk=handover.pk)
    expected = Handover.State.RETURNED if current.return_required else Handover.State.HANDED_OVER
    handover = _lock(Handover, actor, handover.pk, [expected])
    if not handover.certificate_required:
        raise ExportError("この受渡しは消去証明書を要しません。")
    certificate = _erasure(
        handover,
        actor=actor,
        certificate_no=certificate_no,
        issued_on=issued_on,
        issuer=issuer,
        occurred_at=occurred_at,
        contractor_handler=contractor_handler,
        note=note,
    )
    log_handover(actor=actor, handover_id=handover.pk, action=Action.CHANGE, client_address=client_address)
    return certificate


@transaction.atomic(durable=True)
def export_cancel(*, actor: User, package: ExportPackage, reason: str) -> ExportPackage:
    """取消 before handover: by its preparer or a supervisor; an approved package's file is deleted."""
    _require(permissions.can_prepare_exports(actor), "取消の権限がありません。")
    package = ExportPackage.objects.select_for_update().get(pk=package.pk)
    _check_scope(actor, package)
    if package.prepared_by_id != actor.pk and not permissions.can_approve_exports(actor):
        raise PermissionDenied("取消は作成者または係長のみ行えます。")
    if package.state not in (State.PREPARED, State.APPROVED):
        raise ExportError("受渡し後は取り消せません(返却・消去の手続をしてください)。")
    if not reason.strip():
        raise ExportError("取消理由を入力してください。")
    now = timezone.now()
    had_file = bool(package.file_name)
    package.state = State.CANCELLED
    package.cancelled_at = now
    if had_file:
        package.file_deleted_at = now
    package.save(update_fields=["state", "cancelled_at", "file_deleted_at"])
    _entry(
        package,
        step=Step.CANCELLED,
        direction=Direction.INTERNAL,
        actor=actor,
        occurred_at=now,
        contents=_contents(_kind_label(package), package),
        note=reason.strip()[:200],
    )
    if had_file:
        path = package_path(package)
        transaction.on_commit(lambda: path.unlink(missing_ok=True))
    return package


@transaction.atomic(durable=True)
def retention_certificate_record(
    *,
    actor: User,
    run: RetentionRun,
    contract: Contract,
    certificate_no: str,
    issued_on: date,
    issuer: str,
) -> ErasureCertificate:
    """A 消去証明書 that cites a finished retention run (e.g. data of a linkage erased after 60 days)."""
    _require(permissions.can_manage_contracts(actor), "消去証明書の記録は係長のみ行えます。")
    if run.dry_run or run.state != RetentionRun.State.DONE:
        raise GovernanceError("引用できるのは完了した消去の実行記録(試行を除く)のみです。")
    if not certificate_no.strip() or not issuer.strip():
        raise GovernanceError("証明書番号と発行者を入力してください。")
    if ErasureCertificate.objects.filter(contract=contract, certificate_no=certificate_no.strip()).exists():
        raise GovernanceError(f"証明書番号 {certificate_no} は登録済みです。")
    return ErasureCertificate.objects.create(
        contract=contract,
        retention_run=run,
        certificate_no=certificate_no.strip(),
        issued_on=issued_on,
        issuer=issuer.strip(),
        received_on=timezone.localdate(),
        received_by=actor,
    )
