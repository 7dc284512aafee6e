"""Contracts registry: approved items from the catalogue, sub-outsourcing, handlers, audits, incidents."""

from datetime import date, timedelta

import pytest
from django.core.exceptions import PermissionDenied

from choshu.governance import services
from choshu.governance.catalogue import CATALOGUE, describe, missing_items
from choshu.governance.exports import EXPORT_KINDS
from choshu.governance.models import Contract, Contractor
from choshu.governance.services import GovernanceError
from choshu.staff.models import Role, User
from tests.factories import make_user
from tests.governance.conftest import make_contract

pytestmark = pytest.mark.django_db


def test_catalogue_labels_follow_the_seeds() -> None:
    assert CATALOGUE["person.address_extra"].label == "方書"
    assert CATALOGUE["demand.demand_amount"].label == "督促額"
    assert CATALOGUE["payeasy.confirmation_no"].label == "確認番号"
    assert CATALOGUE["delinquency.occupation"].group == "滞納整理情報"
    assert missing_items(["a", "b", "a", "c"], ["b"]) == ["a", "c"]
    assert describe(["person.name"]) == "氏名(漢字)(person.name)"


def test_every_export_kind_writes_catalogue_fields_only() -> None:
    assert {"persons-field-survey", "employers-demand-print"} <= set(EXPORT_KINDS)
    for kind in EXPORT_KINDS.values():
        assert set(kind.fields) <= set(CATALOGUE)
    assert EXPORT_KINDS["persons-field-survey"].fields == (
        "person.postal_code",
        "person.address",
        "person.address_extra",
        "person.name",
    )


def test_a_contract_approves_catalogue_items_only(supervisor: User, contractor: Contractor, today: date) -> None:
    with pytest.raises(GovernanceError, match="カタログにないデータ項目です: person.my_number"):
        make_contract(supervisor, contractor, today, items=("person.name", "person.my_number"))


def test_only_a_supervisor_registers_contracts(contractor: Contractor, today: date) -> None:
    for role in (Role.CLERK, Role.AUDITOR, Role.ADMIN):
        with pytest.raises(PermissionDenied):
            make_contract(make_user(role), contractor, today)


def test_sub_outsourcing_hangs_off_its_parent_and_approves_no_more(
    supervisor: User, contractor: Contractor, contract: Contract, today: date
) -> None:
    sub_contractor = services.contractor_create(actor=supervisor, name="再委託先株式会社")
    with pytest.raises(GovernanceError, match="再委託には元契約が必要です"):
        make_contract(supervisor, sub_contractor, today, kind="sub_outsourcing")
    with pytest.raises(GovernanceError, match=r"元契約で承認されていないデータ項目です: 生年月日\(person.birth_date\)"):
        make_contract(
            supervisor,
            sub_contractor,
            today,
            kind="sub_outsourcing",
            parent=contract,
            items=("person.name", "person.birth_date"),
        )
    sub = make_contract(
        supervisor, sub_contractor, today, kind="sub_outsourcing", parent=contract, items=("person.name",)
    )
    assert sub.parent == contract and list(contract.subcontracts.all()) == [sub]


def test_period_and_media_are_checked(supervisor: User, contractor: Contractor, today: date) -> None:
    with pytest.raises(GovernanceError, match="終了日が開始日より前です"):
        make_contract(supervisor, contractor, today, starts_on=today, ends_on=today - timedelta(days=1))
    with pytest.raises(GovernanceError, match="記録媒体が正しくありません"):
        make_contract(supervisor, contractor, today, media=["floppy"])


def test_audits_and_incidents(supervisor: User, contract: Contract, today: date) -> None:
    with pytest.raises(GovernanceError, match="所見を入力"):
        services.onsite_audit_record(
            actor=supervisor, contract=contract, audited_on=today, auditors="係長", result="findings"
        )
    audit = services.onsite_audit_record(
        actor=supervisor,
        contract=contract,
        audited_on=today,
        auditors="係長",
        result="findings",
        findings="キャビネットの施錠漏れ",
        follow_up="施錠手順を再周知",
    )
    assert list(contract.audits.all()) == [audit]
    incident = services.incident_record(
        actor=supervisor,
        contract=contract,
        occurred_on=today - timedelta(days=2),
        reported_on=today - timedelta(days=1),
        summary="調査票1枚の紛失",
        report="書面報告受領",
    )
    closed = services.incident_close(actor=supervisor, incident=incident, closed_on=today, follow_up="発見・回収")
    assert closed.closed_on == today
    with pytest.raises(PermissionDenied):
        services.incident_record(
            actor=make_user(Role.CLERK), contract=contract, occurred_on=today, reported_on=today, summary="x"
        )
