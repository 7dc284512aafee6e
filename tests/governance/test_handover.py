"""The lifecycle after approval and the handover ledger (管理簿): handover, notice, return, erasure."""

import subprocess
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from choshu.governance import services
from choshu.governance.exports import ExportError
from choshu.governance.models import Contract, ContractHandler, ErasureCertificate, ExportPackage, HandoverEntry
from choshu.governance.pdf import handover_ledger_pdf, password_notice_pdf
from choshu.governance.selectors import handover_ledger
from choshu.staff.models import Role, User
from tests.factories import make_user

pytestmark = pytest.mark.django_db

Step = HandoverEntry.Step


def _pdf_text(pdf: bytes, tmp_path: Path) -> str:
    path = tmp_path / "x.pdf"
    path.write_bytes(pdf)
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout


def _through_erasure(
    package: ExportPackage, clerk: User, handler: ContractHandler, now: datetime
) -> tuple[ExportPackage, ErasureCertificate]:
    package = services.export_hand_over(
        actor=clerk,
        package=package,
        occurred_at=now - timedelta(days=9),
        media_id="USB-0012",
        contractor_handler=handler,
    )
    package = services.export_notice_hand_over(
        actor=clerk, package=package, occurred_at=now - timedelta(days=8), contractor_handler=handler
    )
    package = services.export_return(
        actor=clerk,
        package=package,
        occurred_at=now - timedelta(days=2),
        media_id="USB-0012",
        contractor_handler=handler,
        notice_returned=True,
    )
    certificate = services.export_erasure_record(
        actor=clerk,
        package=package,
        certificate_no="消-2025-001",
        issued_on=timezone.localtime(now - timedelta(days=1)).date(),
        issuer="株式会社調査サービス 情報管理責任者",
        occurred_at=now - timedelta(hours=1),
        contractor_handler=handler,
    )
    package.refresh_from_db()
    return package, certificate


def test_the_whole_lifecycle_is_in_the_ledger(
    approved: tuple[ExportPackage, str], clerk: User, handler: ContractHandler, now: datetime
) -> None:
    package, _ = approved
    package, certificate = _through_erasure(package, clerk, handler, now)
    assert package.state == ExportPackage.State.ERASED
    assert (
        certificate.package == package
        and certificate.received_on == timezone.localtime(now - timedelta(hours=1)).date()
    )
    entries = list(handover_ledger(contract=package.contract))
    assert [(e.step, e.direction) for e in entries] == [
        (Step.PREPARED, "internal"),
        (Step.APPROVED, "internal"),
        (Step.HANDED_OVER, "out"),
        (Step.NOTICE_HANDED_OVER, "out"),
        (Step.RETURNED, "in"),
        (Step.ERASED, "in"),
    ]
    handed = entries[2]
    assert (handed.media_id, handed.records, handed.pieces) == ("USB-0012", 3, 1)
    assert handed.our_handler == clerk and handed.contractor_handler == handler
    assert entries[4].pieces == 2 and "パスワード通知書" in entries[4].contents  # medium + notice came back
    assert package.return_due_on == timezone.localtime(now - timedelta(days=9)).date() + timedelta(days=30)


def test_the_notice_goes_on_another_occasion(
    approved: tuple[ExportPackage, str], clerk: User, handler: ContractHandler, now: datetime
) -> None:
    package, _ = approved
    moment = now - timedelta(days=9)
    services.export_hand_over(
        actor=clerk, package=package, occurred_at=moment, media_id="USB-1", contractor_handler=handler
    )
    with pytest.raises(ExportError, match="別の機会"):
        services.export_notice_hand_over(
            actor=clerk, package=package, occurred_at=moment + timedelta(seconds=20), contractor_handler=handler
        )


def test_the_same_medium_and_the_notice_must_come_back(
    approved: tuple[ExportPackage, str], clerk: User, handler: ContractHandler, now: datetime
) -> None:
    package, _ = approved
    services.export_hand_over(
        actor=clerk, package=package, occurred_at=now - timedelta(days=9), media_id="USB-1", contractor_handler=handler
    )
    services.export_notice_hand_over(
        actor=clerk, package=package, occurred_at=now - timedelta(days=8), contractor_handler=handler
    )
    with pytest.raises(ExportError, match=r"媒体番号が受渡し時\(USB-1\)と一致しません"):
        services.export_return(
            actor=clerk,
            package=package,
            occurred_at=now,
            media_id="USB-2",
            contractor_handler=handler,
            notice_returned=True,
        )
    with pytest.raises(ExportError, match="パスワード通知書も返却"):
        services.export_return(
            actor=clerk, package=package, occurred_at=now, media_id="USB-1", contractor_handler=handler
        )


def test_a_handler_not_reported_for_the_contract_is_refused(
    approved: tuple[ExportPackage, str], clerk: User, supervisor: User, now: datetime, today: date
) -> None:
    package, _ = approved
    other = Contract.objects.create(
        contract_no="X-1",
        title="別契約",
        kind="outsourcing",
        contractor=package.contract.contractor,
        purpose="x",
        council_ref="x",
        starts_on=today,
        ends_on=today,
        media=["usb"],
        approved_items=["person.name"],
        created_by=supervisor,
    )
    stranger = ContractHandler.objects.create(contract=other, role="handler", name="他社 太郎", reported_on=today)
    with pytest.raises(ExportError, match="この契約に報告された取扱者ではありません"):
        services.export_hand_over(
            actor=clerk, package=package, occurred_at=now, media_id="USB-1", contractor_handler=stranger
        )
    late = ContractHandler.objects.create(
        contract=package.contract, role="handler", name="新任 花子", reported_on=today
    )
    with pytest.raises(ExportError, match="取扱者として報告されていません"):
        services.export_hand_over(
            actor=clerk, package=package, occurred_at=now - timedelta(days=5), media_id="USB-1", contractor_handler=late
        )


def test_steps_follow_their_order(
    prepared: ExportPackage, clerk: User, handler: ContractHandler, now: datetime
) -> None:
    with pytest.raises(ExportError, match="この手続ができる状態ではありません"):
        services.export_hand_over(
            actor=clerk, package=prepared, occurred_at=now, media_id="USB-1", contractor_handler=handler
        )
    with pytest.raises(ExportError, match="この手続ができる状態ではありません"):
        services.export_return(
            actor=clerk, package=prepared, occurred_at=now, media_id="USB-1", contractor_handler=handler
        )


def test_the_auditor_records_nothing(
    approved: tuple[ExportPackage, str], handler: ContractHandler, now: datetime
) -> None:
    package, _ = approved
    with pytest.raises(PermissionDenied):
        services.export_hand_over(
            actor=make_user(Role.AUDITOR, []),
            package=package,
            occurred_at=now,
            media_id="USB-1",
            contractor_handler=handler,
        )


def test_the_password_notice_pdf_carries_the_password(
    approved: tuple[ExportPackage, str], today: date, tmp_path: Path
) -> None:
    package, password = approved
    text = _pdf_text(password_notice_pdf(package=package, password=password, issued_on=today), tmp_path)
    assert "パスワード通知書" in text
    assert password in text
    assert package.sha256[:32] in text and package.contract.contract_no in text


def test_the_handover_ledger_pdf(
    approved: tuple[ExportPackage, str], clerk: User, handler: ContractHandler, now: datetime, tmp_path: Path
) -> None:
    package, _ = approved
    _through_erasure(package, clerk, handler, now)
    pdf = handover_ledger_pdf(entries=handover_ledger(), title="全契約", printed_at=now)
    text = _pdf_text(pdf, tmp_path)
    for expected in ("個人情報受渡し管理簿", "媒体の受渡し", "USB-0012", "調査 一郎", "消去証明書", "委託先→区"):
        assert expected in text
    assert "転出 花子" not in text  # contents, never personal data
