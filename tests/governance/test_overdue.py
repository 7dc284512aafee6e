"""`choshu governance overdue`: media past their return deadline, missing certificates, unaudited contracts."""

import json
from datetime import date, datetime, timedelta

import pytest
from django.core.management import call_command

from choshu.governance import services
from choshu.governance.models import Contract, ContractHandler, Contractor, ExportPackage
from choshu.governance.selectors import fiscal_year_bounds, fiscal_year_of, overdue_report
from choshu.staff.models import User
from tests.governance.conftest import make_contract

pytestmark = pytest.mark.django_db


def _handed_over(package: ExportPackage, clerk: User, handler: ContractHandler, at: datetime) -> ExportPackage:
    return services.export_hand_over(
        actor=clerk, package=package, occurred_at=at, media_id="USB-7", contractor_handler=handler
    )


def test_fiscal_year() -> None:
    assert fiscal_year_of(date(2026, 3, 31)) == 2025
    assert fiscal_year_of(date(2026, 4, 1)) == 2026
    assert fiscal_year_bounds(2025) == (date(2025, 4, 1), date(2026, 3, 31))


def test_a_medium_not_returned_by_its_deadline(
    approved: tuple[ExportPackage, str], clerk: User, handler: ContractHandler, now: datetime, today: date
) -> None:
    package, _ = approved
    package = _handed_over(package, clerk, handler, now - timedelta(days=9))
    due = package.return_due_on
    assert due is not None
    assert overdue_report(as_of=due).media == []  # the deadline day itself is not late
    report = overdue_report(as_of=due + timedelta(days=3))
    assert [(m.package_id, m.media_id, m.days_overdue) for m in report.media] == [(package.pk, "USB-7", 3)]
    assert report.overdue_count == 1


def test_the_return_deadline_is_never_after_the_contract(
    approved: tuple[ExportPackage, str], clerk: User, handler: ContractHandler, now: datetime
) -> None:
    package, _ = approved
    Contract.objects.filter(pk=package.contract_id).update(return_days=400)
    package = _handed_over(package, clerk, handler, now - timedelta(days=9))
    assert package.return_due_on == package.contract.ends_on


def test_a_certificate_missing_after_the_allowance(
    approved: tuple[ExportPackage, str], clerk: User, handler: ContractHandler, now: datetime, today: date
) -> None:
    package, _ = approved
    package = _handed_over(package, clerk, handler, now - timedelta(days=9))
    services.export_return(
        actor=clerk, package=package, occurred_at=now - timedelta(days=8), media_id="USB-7", contractor_handler=handler
    )
    returned_on = today - timedelta(days=8)
    assert overdue_report(as_of=returned_on + timedelta(days=14)).certificates == []
    late = overdue_report(as_of=returned_on + timedelta(days=15)).certificates
    assert [(c.package_id, c.days_overdue) for c in late] == [(package.pk, 1)]
    assert overdue_report(as_of=returned_on + timedelta(days=15)).media == []  # it came back


def test_contracts_with_no_audit_this_fiscal_year_are_flagged(
    supervisor: User, contractor: Contractor, today: date
) -> None:
    first, _ = fiscal_year_bounds(fiscal_year_of(today))
    audited = make_contract(supervisor, contractor, today)
    last_year = make_contract(supervisor, contractor, today)
    never = make_contract(supervisor, contractor, today)
    make_contract(supervisor, contractor, today, yearly_audit=False)  # e.g. the Government Cloud linkage
    make_contract(  # ended before this fiscal year began
        supervisor, contractor, today, starts_on=first - timedelta(days=400), ends_on=first - timedelta(days=1)
    )
    services.onsite_audit_record(
        actor=supervisor, contract=audited, audited_on=first, auditors="税務課 係長", result="good"
    )
    services.onsite_audit_record(
        actor=supervisor, contract=last_year, audited_on=first - timedelta(days=1), auditors="係長", result="good"
    )
    flagged = overdue_report(as_of=today).unaudited
    assert [u.contract_no for u in flagged] == sorted([last_year.contract_no, never.contract_no])
    by_no = {u.contract_no: u for u in flagged}
    assert by_no[last_year.contract_no].last_audited_on == first - timedelta(days=1)
    assert by_no[never.contract_no].last_audited_on is None
    assert overdue_report(as_of=today).overdue_count == 0  # flags do not count as overdue


def test_the_command_lists_them_and_exits_1(
    approved: tuple[ExportPackage, str],
    clerk: User,
    handler: ContractHandler,
    now: datetime,
    capsys: pytest.CaptureFixture[str],
) -> None:
    package, _ = approved
    package = _handed_over(package, clerk, handler, now - timedelta(days=9))
    as_of = package.return_due_on + timedelta(days=2)  # type: ignore[operator]
    with pytest.raises(SystemExit) as exited:
        call_command("governance", "overdue", "--json", "--as-of", as_of.isoformat())
    assert exited.value.code == 1
    payload = json.loads(capsys.readouterr().out)
    assert payload["overdue"] == 1
    assert payload["media"][0]["package_id"] == package.pk and payload["media"][0]["days_overdue"] == 2
    assert [u["contract_no"] for u in payload["unaudited_contracts"]] == [package.contract.contract_no]


def test_the_command_exits_0_when_nothing_is_overdue(contract: Contract, capsys: pytest.CaptureFixture[str]) -> None:
    call_command("governance", "overdue")
    out = capsys.readouterr().out
    assert "0 media overdue, 0 certificates missing, 1 contracts not audited this fiscal year" in out
    assert "立入調査未実施" in out and contract.contract_no in out
