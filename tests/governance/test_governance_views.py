"""Screens of 委託・外部結合: the authorisation matrix over every URL, role and revenue scope,
and what the screens show and refuse."""

import base64
import re
import subprocess
from datetime import date, timedelta
from pathlib import Path

import pytest
from django.test import Client
from django.urls import URLPattern, get_resolver, reverse

from choshu.audit.models import AccessLogEntry
from choshu.governance import services
from choshu.governance.models import (
    Contract,
    ContractHandler,
    Contractor,
    ExportPackage,
    Handover,
    HandoverEntry,
    Incident,
)
from choshu.staff.models import Role, User
from tests.factories import ALL_REVENUES, make_user

pytestmark = pytest.mark.django_db

WORKERS = {Role.CLERK, Role.OFFICER, Role.NHI_OFFICER, Role.SUPERVISOR}
VIEW = WORKERS | {Role.AUDITOR}
MANAGE = {Role.SUPERVISOR}

# name → (method, roles allowed, allowed with an NHI-only scope). The package is prepared over
# every revenue, so its steps need every revenue in scope.
MATRIX: dict[str, tuple[str, set[str], bool]] = {
    "governance_contracts": ("get", VIEW, True),
    "governance_contractor_new": ("post", MANAGE, True),
    "governance_contract_new": ("get", MANAGE, True),
    "governance_contract": ("get", VIEW, True),
    "governance_contract_handler": ("post", MANAGE, True),
    "governance_contract_audit": ("post", MANAGE, True),
    "governance_contract_incident": ("post", MANAGE, True),
    "governance_incident_close": ("post", MANAGE, True),
    "governance_exports": ("get", VIEW, True),
    "governance_export_new": ("get", WORKERS, True),
    "governance_export": ("get", VIEW, True),
    "governance_export_approve": ("post", MANAGE, False),
    "governance_export_package": ("get", WORKERS, False),
    "governance_export_handover": ("post", WORKERS, False),
    "governance_export_notice": ("post", WORKERS, False),
    "governance_export_return": ("post", WORKERS, False),
    "governance_export_erasure": ("post", WORKERS, False),
    "governance_export_cancel": ("post", WORKERS, False),
    "governance_handovers": ("get", VIEW, True),
    "governance_handover_new": ("get", WORKERS, True),  # paper handovers are not revenue-bound
    "governance_handover": ("get", VIEW, True),
    "governance_handover_return": ("post", WORKERS, True),
    "governance_handover_erasure": ("post", WORKERS, True),
    "governance_ledger": ("get", VIEW, True),
    "governance_ledger_pdf": ("get", VIEW, True),
    "governance_retention": ("get", VIEW, True),
}


def _governance_names() -> set[str]:
    names: set[str] = set()
    for resolver in get_resolver().url_patterns:
        for pattern in getattr(resolver, "url_patterns", []):
            if isinstance(pattern, URLPattern) and pattern.name and pattern.name.startswith("governance_"):
                names.add(pattern.name)
    return names


def _url(name: str, package: ExportPackage, incident: Incident, paper: Handover) -> str:
    if name == "governance_handover_new":
        return reverse(name, kwargs={"contract_id": paper.contract_id})
    if name.startswith("governance_handover_") or name == "governance_handover":
        return reverse(name, kwargs={"handover_id": paper.pk})
    if name.startswith("governance_export_") and name != "governance_export_new" or name == "governance_export":
        return reverse(name, kwargs={"package_id": package.pk})
    if name == "governance_incident_close":
        return reverse(name, kwargs={"incident_id": incident.pk})
    if name.startswith("governance_contract_") and name != "governance_contract_new" or name == "governance_contract":
        return reverse(name, kwargs={"contract_id": package.contract_id})
    return reverse(name)


@pytest.fixture
def incident(contract: Contract, supervisor: User, today: date) -> Incident:
    return services.incident_record(
        actor=supervisor, contract=contract, occurred_on=today, reported_on=today, summary="テスト"
    )


def test_every_governance_url_is_in_the_matrix() -> None:
    assert _governance_names() == set(MATRIX)


@pytest.mark.parametrize("name", sorted(MATRIX))
@pytest.mark.parametrize("role", list(Role))
@pytest.mark.parametrize("scopes", ["all", "nhi", "none"])
def test_role_and_scope(
    client: Client, prepared: ExportPackage, incident: Incident, paper: Handover, name: str, role: str, scopes: str
) -> None:
    method, allowed_roles, nhi_only_allowed = MATRIX[name]
    scope_list = {"all": ALL_REVENUES, "nhi": ["nhi"], "none": []}[scopes]
    client.force_login(make_user(role, scope_list))
    response = getattr(client, method)(_url(name, prepared, incident, paper))
    if role == Role.AUDITOR:
        allowed = role in allowed_roles
    else:
        allowed = role in allowed_roles and scopes != "none" and (scopes == "all" or nhi_only_allowed)
    if allowed:
        assert response.status_code in (200, 302), response.status_code
    else:
        assert response.status_code == 403


@pytest.mark.parametrize("name", sorted(MATRIX))
def test_anonymous_goes_to_login(
    client: Client, prepared: ExportPackage, incident: Incident, paper: Handover, name: str
) -> None:
    response = getattr(client, MATRIX[name][0])(_url(name, prepared, incident, paper))
    assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_the_auditor_sees_contracts_and_ledger_but_no_personal_data(
    client: Client, approved: tuple[ExportPackage, str]
) -> None:
    package, _ = approved
    client.force_login(make_user(Role.AUDITOR, []))
    for url in (
        reverse("governance_contracts"),
        reverse("governance_contract", kwargs={"contract_id": package.contract_id}),
        reverse("governance_export", kwargs={"package_id": package.pk}),
        reverse("governance_ledger"),
    ):
        body = client.get(url).content.decode()
        assert "花子" not in body and "900001" not in body and "埼玉県" not in body
        assert "承認して暗号化" not in body and "受渡しを記録" not in body  # read-only
    assert (
        package.sha256 in client.get(reverse("governance_export", kwargs={"package_id": package.pk})).content.decode()
    )


def _login(client: Client, user: User) -> Client:
    client.force_login(user)
    return client


def test_prepare_and_approve_through_the_screens(
    client: Client, clerk: User, supervisor: User, contract: Contract, movers: list, tmp_path: Path
) -> None:
    _login(client, clerk)
    response = client.post(
        reverse("governance_export_new"),
        {"kind": "persons-field-survey", "contract": contract.pk, "purpose": "現地調査", "keys": "900001\n900002"},
    )
    package = ExportPackage.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("governance_export", args=[package.pk])
    page = client.get(response["Location"]).content.decode()
    assert "承認して暗号化" not in page  # the preparer cannot approve
    _login(client, supervisor)
    approved = client.post(reverse("governance_export_approve", args=[package.pk]))
    assert approved.status_code == 200
    assert "no-store" in approved["Cache-Control"]
    href = re.search(r'href="data:application/pdf;base64,([^"]+)"', approved.content.decode())
    assert href is not None
    pdf = tmp_path / "notice.pdf"
    pdf.write_bytes(base64.b64decode(href.group(1)))
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    password = re.search(r"\b([A-Za-z0-9]{20})\b", text)
    assert password is not None
    package.refresh_from_db()
    assert package.state == "approved"
    # the notice is shown once: the detail page does not carry it
    assert password.group(1) not in client.get(reverse("governance_export", args=[package.pk])).content.decode()
    download = client.get(reverse("governance_export_package", args=[package.pk]))
    assert download.status_code == 200 and download["Content-Type"] == "application/zip"
    assert AccessLogEntry.objects.filter(action="export", purpose=f"batch:export:{package.pk}").count() == 2


def test_a_refused_export_names_the_missing_items_on_screen(
    client: Client, clerk: User, supervisor: User, contract: Contract, movers: list
) -> None:
    Contract.objects.filter(pk=contract.pk).update(
        approved_items=["person.postal_code", "person.address", "person.name"]
    )
    _login(client, clerk)
    response = client.post(
        reverse("governance_export_new"),
        {"kind": "persons-field-survey", "contract": contract.pk, "purpose": "現地調査", "keys": "900001"},
    )
    assert response.status_code == 200
    assert "方書(person.address_extra)" in response.content.decode()
    assert not ExportPackage.objects.exists()


def test_handover_return_and_erasure_through_the_screens(
    client: Client, clerk: User, approved: tuple[ExportPackage, str], handler: ContractHandler, today: date
) -> None:
    package, _ = approved
    _login(client, clerk)
    moment = (today - timedelta(days=3)).isoformat() + "T10:00"
    client.post(
        reverse("governance_export_handover", args=[package.pk]),
        {
            "handover-occurred_at": moment,
            "handover-media_id": "USB-3",
            "handover-contractor_handler": handler.pk,
            "handover-pieces": 1,
        },
    )
    client.post(
        reverse("governance_export_return", args=[package.pk]),
        {
            "return-occurred_at": (today - timedelta(days=1)).isoformat() + "T15:30",
            "return-media_id": "USB-3",
            "return-contractor_handler": handler.pk,
            "return-pieces": 1,
        },
    )
    client.post(
        reverse("governance_export_erasure", args=[package.pk]),
        {
            "erasure-certificate_no": "C-9",
            "erasure-issued_on": (today - timedelta(days=1)).isoformat(),
            "erasure-issuer": "調査サービス",
            "erasure-occurred_at": today.isoformat() + "T00:01",
            "erasure-contractor_handler": handler.pk,
        },
    )
    package.refresh_from_db()
    assert package.state == "erased"
    steps = list(HandoverEntry.objects.filter(package=package).values_list("step", flat=True))
    assert steps == ["prepared", "approved", "handed_over", "returned", "erased"]
    pdf = client.get(reverse("governance_ledger_pdf") + f"?contract={package.contract_id}")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")


def test_list_screens_take_a_fixed_number_of_queries(
    client: Client, supervisor: User, approved: tuple[ExportPackage, str], django_assert_max_num_queries: object
) -> None:
    _login(client, supervisor)
    for name in ("governance_contracts", "governance_exports", "governance_handovers", "governance_ledger"):
        with django_assert_max_num_queries(12):  # type: ignore[operator]
            assert client.get(reverse(name)).status_code == 200


def test_a_supervisor_registers_a_contract_through_the_screens(
    client: Client, supervisor: User, contractor: Contractor, today: date
) -> None:
    _login(client, supervisor)
    response = client.post(
        reverse("governance_contract_new"),
        {
            "contract_no": "R7-100",
            "title": "督促状(特別徴収分)の印字及び封入封緘等",
            "kind": "outsourcing",
            "contractor": contractor.pk,
            "purpose": "督促状の印字・封入封緘・発送",
            "council_ref": "平成元年度第16回審議会了承",
            "starts_on": today.isoformat(),
            "ends_on": (today + timedelta(days=100)).isoformat(),
            "media_kinds": ["dvd", "paper"],
            "approved_items": ["employer.postal_code", "employer.location", "employer.name"],
            "return_days": 20,
            "erasure_days": 10,
            "yearly_audit": "on",
        },
    )
    contract = Contract.objects.get(contract_no="R7-100")
    assert response.status_code == 302 and response["Location"] == reverse("governance_contract", args=[contract.pk])
    assert contract.media == ["dvd", "paper"] and contract.return_days == 20
    page = client.get(response["Location"]).content.decode()
    assert "事業者氏名" in page and "employer.location" in page
    client.post(
        reverse("governance_contract_audit", args=[contract.pk]),
        {"audited_on": today.isoformat(), "auditors": "税務課係長", "result": "good"},
    )
    assert contract.audits.count() == 1
    refused = client.post(
        reverse("governance_contract_new"),
        {"contract_no": "R7-100", "title": "x", "kind": "sub_outsourcing", "purpose": "x", "council_ref": "x"},
    )
    assert refused.status_code == 200 and Contract.objects.count() == 1
