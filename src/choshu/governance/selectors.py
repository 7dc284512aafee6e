"""Reads of 委託・外部結合: the handover ledger, overdue media and certificates (of export packages
and of handovers that are not packages), unaudited contracts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db.models import Exists, Max, OuterRef, Q, QuerySet
from django.utils import timezone

from choshu.governance.models import Contract, ExportPackage, Handover, HandoverEntry, OnSiteAudit


def fiscal_year_of(d: date) -> int:
    """年度 (April–March): 2026-03-31 → 2025."""
    return d.year if d.month >= 4 else d.year - 1


def fiscal_year_bounds(year: int) -> tuple[date, date]:
    return date(year, 4, 1), date(year + 1, 3, 31)


def contracts_active_on(on: date) -> QuerySet[Contract]:
    return Contract.objects.filter(starts_on__lte=on, ends_on__gte=on).filter(
        Q(terminated_on__isnull=True) | Q(terminated_on__gt=on)
    )


def handover_ledger(
    *, contract: Contract | None = None, date_from: date | None = None, date_to: date | None = None
) -> QuerySet[HandoverEntry]:
    """管理簿: entries in time order, with what the screen and the PDF print (no personal data)."""
    entries = HandoverEntry.objects.select_related(
        "contract", "contract__contractor", "package", "handover", "our_handler", "contractor_handler"
    ).order_by("occurred_at", "id")
    if contract is not None:
        entries = entries.filter(contract=contract)
    if date_from is not None:
        entries = entries.filter(occurred_at__gte=timezone.make_aware(datetime.combine(date_from, time.min)))
    if date_to is not None:
        entries = entries.filter(
            occurred_at__lt=timezone.make_aware(datetime.combine(date_to + timedelta(days=1), time.min))
        )
    return entries


@dataclass(frozen=True)
class _Tracked:
    """An export package (package_id) or a handover that is not a package (handover_id)."""

    package_id: int | None
    handover_id: int | None

    @property
    def label(self) -> str:
        return f"出力番号{self.package_id}" if self.package_id is not None else f"受渡番号{self.handover_id}"


@dataclass(frozen=True)
class OverdueMedia(_Tracked):
    contract_no: str
    contractor: str
    media_id: str
    handed_over_on: date
    return_due_on: date
    days_overdue: int


@dataclass(frozen=True)
class MissingCertificate(_Tracked):
    contract_no: str
    contractor: str
    media_id: str
    returned_on: date | None  # None: nothing came back (a handover without return)
    certificate_due_on: date
    days_overdue: int


@dataclass(frozen=True)
class UnauditedContract:
    contract_id: int
    contract_no: str
    title: str
    contractor: str
    fiscal_year: int
    last_audited_on: date | None


@dataclass(frozen=True)
class OverdueReport:
    as_of: date
    media: list[OverdueMedia]
    certificates: list[MissingCertificate]
    unaudited: list[UnauditedContract]

    @property
    def overdue_count(self) -> int:
        """Media not returned and certificates missing (the unaudited contracts are flags)."""
        return len(self.media) + len(self.certificates)


def _local(moment: datetime) -> date:
    return timezone.localtime(moment).date()


def _ids(record: ExportPackage | Handover) -> dict[str, int | None]:
    package = isinstance(record, ExportPackage)
    return {"package_id": record.pk if package else None, "handover_id": None if package else record.pk}


def _overdue_media(records: list[ExportPackage | Handover], as_of: date) -> list[OverdueMedia]:
    return [
        OverdueMedia(
            **_ids(r),
            contract_no=r.contract.contract_no,
            contractor=r.contract.contractor.name,
            media_id=r.media_id,
            handed_over_on=_local(r.handed_over_at) if r.handed_over_at else as_of,
            return_due_on=r.return_due_on,
            days_overdue=(as_of - r.return_due_on).days,
        )
        for r in records
        if r.return_due_on is not None
    ]


def _missing_certificates(records: list[ExportPackage | Handover], as_of: date) -> list[MissingCertificate]:
    missing = []
    for r in records:
        since = r.returned_at or r.handed_over_at
        if since is None:
            continue
        due = _local(since) + timedelta(days=r.contract.erasure_days)
        if due < as_of:
            missing.append(
                MissingCertificate(
                    **_ids(r),
                    contract_no=r.contract.contract_no,
                    contractor=r.contract.contractor.name,
                    media_id=r.media_id,
                    returned_on=_local(r.returned_at) if r.returned_at else None,
                    certificate_due_on=due,
                    days_overdue=(as_of - due).days,
                )
            )
    return missing


def overdue_report(*, as_of: date) -> OverdueReport:
    """Media not back by their return deadline, erasure certificates missing after the contract's
    allowance from the return (or, for a handover that comes not back, from the handover), and
    contracts in force this fiscal year with no on-site audit in it. Five queries whatever the
    number of packages, handovers and contracts."""
    packages = ExportPackage.objects.select_related("contract__contractor")
    handovers = Handover.objects.select_related("contract__contractor")
    handed_over = Handover.State.HANDED_OVER
    media = _overdue_media(
        [
            *packages.filter(state=ExportPackage.State.HANDED_OVER, return_due_on__lt=as_of),
            *handovers.filter(state=handed_over, return_required=True, return_due_on__lt=as_of),
        ],
        as_of,
    )
    media.sort(key=lambda m: (m.return_due_on, m.package_id is None, m.package_id or m.handover_id or 0))
    certificates = _missing_certificates(
        [
            *packages.filter(state=ExportPackage.State.RETURNED),
            *handovers.filter(certificate_required=True).filter(
                Q(state=Handover.State.RETURNED) | Q(state=handed_over, return_required=False)
            ),
        ],
        as_of,
    )
    certificates.sort(key=lambda c: (c.certificate_due_on, c.package_id is None, c.package_id or c.handover_id or 0))
    year = fiscal_year_of(as_of)
    first, last = fiscal_year_bounds(year)
    audited_this_year = OnSiteAudit.objects.filter(contract=OuterRef("pk"), audited_on__range=(first, last))
    in_force = (
        Contract.objects.filter(yearly_audit=True, starts_on__lte=as_of, ends_on__gte=first)
        .filter(Q(terminated_on__isnull=True) | Q(terminated_on__gt=first))
        .filter(~Exists(audited_this_year))
        .select_related("contractor")
        .order_by("contract_no")
    )
    unaudited = [
        UnauditedContract(
            contract_id=c.pk,
            contract_no=c.contract_no,
            title=c.title,
            contractor=c.contractor.name,
            fiscal_year=year,
            last_audited_on=getattr(c, "last_audited_on", None),
        )
        for c in _with_last_audit(in_force)
    ]
    return OverdueReport(as_of=as_of, media=media, certificates=certificates, unaudited=unaudited)


def _with_last_audit(contracts: QuerySet[Contract]) -> QuerySet[Contract]:
    return contracts.annotate(last_audited_on=Max("audits__audited_on"))
