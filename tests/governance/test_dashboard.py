"""The dashboard shows overdue media returns and missing erasure certificates to the roles that
manage contracts (係長), and to nobody else."""

from datetime import datetime, timedelta

import pytest
from django.test import Client

from choshu.governance import services
from choshu.governance.models import ContractHandler, Handover
from choshu.staff.models import Role, User
from tests.factories import ALL_REVENUES, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def overdue(paper: Handover, clerk: User, handler: ContractHandler, now: datetime) -> Handover:
    """One medium past its return deadline, and one certificate missing (returned 20 days ago)."""
    returned = services.handover_record(
        actor=clerk,
        contract=paper.contract,
        direction="out",
        media="paper",
        media_id="BOX-2",
        contents="課税資料 原票(令和6年度分)",
        occurred_at=now - timedelta(days=30),
        contractor_handler=handler,
        pieces=1,
        return_required=True,
        certificate_required=True,
    )
    services.handover_return(
        actor=clerk,
        handover=returned,
        occurred_at=now - timedelta(days=20),
        media_id="BOX-2",
        contractor_handler=handler,
        pieces=1,
    )
    return paper


def _box(client: Client, user: User) -> str | None:
    client.force_login(user)
    body = client.get("/").content.decode()
    start = body.find('data-testid="governance-alerts"')
    return None if start < 0 else body[start : body.find("</div>", start)]


def test_a_supervisor_sees_overdue_media_and_missing_certificates(client: Client, overdue: Handover) -> None:
    box = _box(client, make_user(Role.SUPERVISOR))
    assert box is not None
    assert '媒体未返却 <b class="num">1</b> 件' in box
    assert '消去証明書未提出 <b class="num">1</b> 件' in box


@pytest.mark.parametrize("role", [Role.CLERK, Role.OFFICER, Role.NHI_OFFICER, Role.AUDITOR, Role.ADMIN])
def test_other_roles_see_no_box(client: Client, overdue: Handover, role: str) -> None:
    assert _box(client, make_user(role, [] if role in (Role.AUDITOR, Role.ADMIN) else ALL_REVENUES)) is None


def test_nothing_overdue_no_box(client: Client, db: None) -> None:
    assert _box(client, make_user(Role.SUPERVISOR)) is None
