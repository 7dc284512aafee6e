"""Reads of 委託・外部結合: the handover ledger, overdue media and certificates, unaudited contracts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db.models import Exists, Max, OuterRef, Q, QuerySet
from django.utils import timezone

from choshu.governance.models import Contract, ExportPackage, HandoverEntry, OnSiteAudit


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
        "contract", "contract__contractor", "package", "our_handler", "contractor_handler"
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
class OverdueMedia:
    package_id: int
    contract_no: str
    contractor: str
    media_id: str
    handed_over_on: date
    return_due_on: date
    days_overdue: int


@dataclass(frozen=True)
class MissingCertificate:
    package_id: int
    contract_no: str
    contractor: str
    media_id: str
    returned_on: date
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


def overdue_report(*, as_of: date) -> OverdueReport:
    """Media not back by their return deadline, erasure certificates missing after the contract's
    allowance from the return, and contracts in force this fiscal year with no on-site audit in it.
    Three queries whatever the number of packages and contracts."""
    media = [
        OverdueMedia(
            package_id=p.pk,
            contract_no=p.contract.contract_no,
            contractor=p.contract.contractor.name,
            media_id=p.media_id,
            handed_over_on=timezone.localtime(p.handed_over_at).date() if p.handed_over_at else as_of,
            return_due_on=p.return_due_on,
            days_overdue=(as_of - p.return_due_on).days,
        )
        for p in ExportPackage.objects.filter(state=ExportPackage.State.HANDED_OVER, return_due_on__lt=as_of)
        .select_related("contract__contractor")
        .order_by("return_due_on", "pk")
        if p.return_due_on is not None
    ]
    certificates: list[MissingCertificate] = []
    for p in (
        ExportPackage.objects.filter(state=ExportPackage.State.RETURNED)
        .select_related("contract__contractor")
        .order_by("returned_at", "pk")
    ):
        if p.returned_at is None:
            continue
        returned_on = timezone.localtime(p.returned_at).date()
        due = returned_on + timedelta(days=p.contract.erasure_days)
        if due < as_of:
            certificates.append(
                MissingCertificate(
                    package_id=p.pk,
                    contract_no=p.contract.contract_no,
                    contractor=p.contract.contractor.name,
                    media_id=p.media_id,
                    returned_on=returned_on,
                    certificate_due_on=due,
                    days_overdue=(as_of - due).days,
                )
            )
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
