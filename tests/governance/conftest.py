"""Fixtures of 委託・外部結合: a contract for the field survey, its handlers, delinquents who moved out,
paper documents handed over."""

from collections.abc import Callable
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from pytest_django import Settings

from choshu.governance import services
from choshu.governance.exports import FIELD_SURVEY
from choshu.governance.models import Contract, ContractHandler, Contractor, ExportPackage, Handover, HandoverEntry
from choshu.people.models import Person
from choshu.staff.models import Role, User
from tests.factories import make_levy, make_person, make_user


@pytest.fixture(autouse=True)
def fast_passwords(settings: Settings) -> None:
    """Users are made by the dozen here; Argon2 (the production hasher) is tested in tests/security."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def var_dir(settings: Settings, tmp_path: Path) -> Path:
    """Packages go to a temporary var/exports/."""
    settings.VAR_DIR = tmp_path
    return tmp_path


@pytest.fixture
def today() -> date:
    return timezone.localdate()


@pytest.fixture
def now() -> datetime:
    """In the local time zone (Asia/Tokyo), as a clerk types it into a form: a UTC time formatted
    for a form is read as local time, nine hours off (and a day off after 15:00 UTC)."""
    return timezone.localtime()


@pytest.fixture
def supervisor(db: None) -> User:
    return make_user(Role.SUPERVISOR, username="kakaricho")


@pytest.fixture
def supervisor2(db: None) -> User:
    return make_user(Role.SUPERVISOR, username="kakaricho2")


@pytest.fixture
def clerk(db: None) -> User:
    return make_user(Role.OFFICER, username="tainou")


@pytest.fixture
def contractor(supervisor: User) -> Contractor:
    return services.contractor_create(actor=supervisor, name="株式会社調査サービス", privacy_mark=True)


def make_contract(
    actor: User, contractor: Contractor, today: date, items: tuple[str, ...] = FIELD_SURVEY.fields, **extra: object
) -> Contract:
    values: dict[str, object] = {
        "contract_no": f"R7-{Contract.objects.count() + 1:03d}",
        "title": "新宿区外転出者の現地調査業務委託",
        "kind": Contract.Kind.OUTSOURCING,
        "purpose": "区外に転出した滞納者の居住実態の把握",
        "council_ref": "令和2年度第3回審議会了承",
        "starts_on": today - timedelta(days=90),
        "ends_on": today + timedelta(days=200),
        "media": ["usb"],
        "approved_items": list(items),
    }
    values.update(extra)
    return services.contract_create(actor=actor, contractor=contractor, **values)  # type: ignore[arg-type]


@pytest.fixture
def contract(supervisor: User, contractor: Contractor, today: date) -> Contract:
    return make_contract(supervisor, contractor, today)


@pytest.fixture
def handler(supervisor: User, contract: Contract, today: date) -> ContractHandler:
    return services.contract_handler_add(
        actor=supervisor,
        contract=contract,
        role=ContractHandler.Role.HANDLER,
        name="調査 一郎",
        reported_on=today - timedelta(days=60),
    )


def make_mover(atena_no: str, today: date, revenue: str = "resident_ordinary", **fields: object) -> Person:
    """A delinquent who moved out of the ward: one installment overdue and unpaid."""
    values: dict[str, object] = {
        "atena_no": atena_no,
        "name": "転出 花子",
        "name_kana": "テンシュツ ハナコ",
        "postal_code": "330-0063",
        "address": "埼玉県さいたま市浦和区高砂3丁目1番1号",
        "address_extra": "コーポ浦和101",
        "residency": "moved_out",
        "moved_out_on": today - timedelta(days=400),
    }
    values.update(fields)
    person = make_person(**values)
    make_levy(person, [12_300], [today - timedelta(days=120)], revenue=revenue)
    return person


@pytest.fixture
def movers(db: None, today: date) -> list[Person]:
    return [
        make_mover("900001", today),
        make_mover("900002", today, name="転出 次郎", address_extra="", postal_code="150-0001"),
        make_mover("900003", today, revenue="nhi", name="転出 三郎"),
    ]


@pytest.fixture
def prepared(clerk: User, contract: Contract, movers: list[Person]) -> ExportPackage:
    return services.export_prepare(
        actor=clerk,
        kind_code=FIELD_SURVEY.code,
        contract=contract,
        keys=[p.atena_no for p in movers],
        purpose="令和7年度第1回 現地調査",
    )


@pytest.fixture
def approve(supervisor: User) -> Callable[[ExportPackage], tuple[ExportPackage, str]]:
    def run(package: ExportPackage) -> tuple[ExportPackage, str]:
        return services.export_approve(actor=supervisor, package=package)

    return run


@pytest.fixture
def approved(
    prepared: ExportPackage, approve: Callable[[ExportPackage], tuple[ExportPackage, str]], now: datetime
) -> tuple[ExportPackage, str]:
    """An approved package, its approval moved ten days back so that later steps can be dated."""
    package, password = approve(prepared)
    ExportPackage.objects.filter(pk=package.pk).update(
        prepared_at=now - timedelta(days=11), approved_at=now - timedelta(days=10)
    )
    entries = HandoverEntry.objects.filter(package=package)
    entries.filter(step=HandoverEntry.Step.PREPARED).update(occurred_at=now - timedelta(days=11))
    entries.filter(step=HandoverEntry.Step.APPROVED).update(occurred_at=now - timedelta(days=10))
    package.refresh_from_db()
    return package, password


@pytest.fixture
def paper_contract(contract: Contract) -> Contract:
    """The survey contract, allowing paper (紙) besides USB."""
    Contract.objects.filter(pk=contract.pk).update(media=["usb", "paper"])
    contract.refresh_from_db()
    return contract


def hand_over_paper(
    actor: User, contract: Contract, handler: ContractHandler, at: datetime, **extra: object
) -> Handover:
    """Paper documents to the contractor: to be returned, then certified as erased (unless `extra` says)."""
    values: dict[str, object] = {
        "direction": "out",
        "media": "paper",
        "media_id": "BOX-1",
        "contents": "課税資料 原票(令和7年度分)",
        "records": 120,
        "pieces": 3,
        "return_required": True,
        "certificate_required": True,
    }
    values.update(extra)
    return services.handover_record(
        actor=actor,
        contract=contract,
        occurred_at=at,
        contractor_handler=handler,
        **values,  # type: ignore[arg-type]
    )


@pytest.fixture
def paper(clerk: User, paper_contract: Contract, handler: ContractHandler, now: datetime) -> Handover:
    """Three boxes of paper documents handed over 40 days ago (return due 30 days after)."""
    return hand_over_paper(clerk, paper_contract, handler, now - timedelta(days=40))
