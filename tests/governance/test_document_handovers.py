"""Handovers that are not export packages: paper documents to the contractor (tracked: return by
the deadline, erasure certificate) and printed matter it delivers (received, not tracked here);
each a row of the handover ledger and an access-log entry."""

import json
from datetime import date, datetime, timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from choshu.audit.models import AccessLogEntry
from choshu.governance import services
from choshu.governance.exports import ExportError
from choshu.governance.models import Contract, ContractHandler, ErasureCertificate, Handover, HandoverEntry
from choshu.governance.selectors import handover_ledger, overdue_report
from choshu.staff.models import Role, User
from tests.factories import make_user
from tests.governance.conftest import hand_over_paper

pytestmark = pytest.mark.django_db

Step = HandoverEntry.Step


def _entries(handover: Handover) -> list[tuple[str, str, str, int, int, str]]:
    return [
        (
            e.step,
            e.direction,
            e.media_id,
            e.records,
            e.pieces,
            e.contractor_handler.name if e.contractor_handler else "",
        )
        for e in HandoverEntry.objects.filter(handover=handover).order_by("occurred_at", "id")
    ]


def _log(handover: Handover) -> list[tuple[str, list[str]]]:
    entries = AccessLogEntry.objects.filter(purpose=f"batch:handover:{handover.pk}").order_by("seq")
    return [(e.action, e.subjects) for e in entries]


def test_paper_goes_out_with_a_deadline_a_ledger_row_and_an_export_entry(
    paper: Handover, clerk: User, today: date
) -> None:
    assert paper.state == Handover.State.HANDED_OVER
    assert paper.return_due_on == today - timedelta(days=40) + timedelta(days=30)
    assert _entries(paper) == [(Step.HANDED_OVER, "out", "BOX-1", 120, 3, "調査 一郎")]
    entry = HandoverEntry.objects.get(handover=paper)
    assert entry.our_handler == clerk and entry.package is None
    assert entry.contents == f"課税資料 原票(令和7年度分)(受渡番号 {paper.pk})"
    assert _log(paper) == [("export", [f"handover:{paper.pk}"])]


def test_return_then_certificate(paper: Handover, clerk: User, handler: ContractHandler, now: datetime) -> None:
    with pytest.raises(ExportError, match="点数が受渡し時"):
        services.handover_return(
            actor=clerk,
            handover=paper,
            occurred_at=now - timedelta(days=5),
            media_id="BOX-1",
            contractor_handler=handler,
            pieces=2,
        )
    with pytest.raises(ExportError, match="媒体番号が受渡し時"):
        services.handover_return(
            actor=clerk,
            handover=paper,
            occurred_at=now - timedelta(days=5),
            media_id="BOX-2",
            contractor_handler=handler,
            pieces=3,
        )
    returned = services.handover_return(
        actor=clerk,
        handover=paper,
        occurred_at=now - timedelta(days=5),
        media_id="BOX-1",
        contractor_handler=handler,
        pieces=3,
    )
    assert returned.state == Handover.State.RETURNED
    certificate = services.handover_erasure_record(
        actor=clerk,
        handover=paper,
        certificate_no="D-1",
        issued_on=(now - timedelta(days=2)).date(),
        issuer="株式会社調査サービス",
        occurred_at=now - timedelta(days=1),
        contractor_handler=handler,
    )
    paper.refresh_from_db()
    assert paper.state == Handover.State.ERASED and certificate.handover == paper and certificate.package is None
    assert [e[0] for e in _entries(paper)] == [Step.HANDED_OVER, Step.RETURNED, Step.ERASED]
    assert [a for a, _ in _log(paper)] == ["export", "change", "change"]


def test_paper_destroyed_by_the_contractor_needs_no_return(
    clerk: User, paper_contract: Contract, handler: ContractHandler, now: datetime, today: date
) -> None:
    handover = hand_over_paper(
        clerk, paper_contract, handler, now - timedelta(days=20), media_id="", return_required=False
    )
    assert handover.state == Handover.State.HANDED_OVER and handover.return_due_on is None
    with pytest.raises(ExportError, match="返却を要しません"):
        services.handover_return(
            actor=clerk, handover=handover, occurred_at=now, media_id="", contractor_handler=handler, pieces=3
        )
    late = overdue_report(as_of=today)
    assert [(c.handover_id, c.returned_on, c.days_overdue) for c in late.certificates] == [(handover.pk, None, 6)]
    assert late.certificates[0].label == f"受渡番号{handover.pk}"
    with pytest.raises(ExportError, match="受渡日より前"):
        services.handover_erasure_record(
            actor=clerk,
            handover=handover,
            certificate_no="D-2",
            issued_on=today - timedelta(days=30),
            issuer="x",
            occurred_at=now,
            contractor_handler=handler,
        )
    services.handover_erasure_record(
        actor=clerk,
        handover=handover,
        certificate_no="D-2",
        issued_on=today,
        issuer="株式会社調査サービス",
        occurred_at=now,
        contractor_handler=handler,
    )
    assert overdue_report(as_of=today).certificates == []


def test_delivered_printed_matter_is_received_and_not_tracked(
    clerk: User, paper_contract: Contract, handler: ContractHandler, now: datetime
) -> None:
    delivered = hand_over_paper(
        clerk,
        paper_contract,
        handler,
        now - timedelta(days=1),
        direction="in",
        contents="督促状(印刷済・封入前)",
        records=1200,
        pieces=4,
        media_id="",
        return_required=False,
        certificate_required=False,
    )
    assert delivered.state == Handover.State.RECEIVED
    assert _entries(delivered) == [(Step.RECEIVED, "in", "", 1200, 4, "調査 一郎")]
    assert _log(delivered) == [("change", [f"handover:{delivered.pk}"])]
    with pytest.raises(ExportError, match="返却・消去証明書の管理はありません"):
        hand_over_paper(clerk, paper_contract, handler, now, direction="in", certificate_required=True)


def test_paper_with_nothing_to_track_is_closed_at_once(
    clerk: User, paper_contract: Contract, handler: ContractHandler, now: datetime
) -> None:
    closed = hand_over_paper(
        clerk, paper_contract, handler, now, media_id="", return_required=False, certificate_required=False
    )
    assert closed.state == Handover.State.CLOSED


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"media": "dvd"}, "認められていない媒体です: DVD等"),
        ({"contents": "  "}, "情報の内容を入力"),
        ({"media_id": ""}, "媒体番号"),
        ({"pieces": 0}, "点数は1以上"),
        ({"direction": "internal"}, "方向が正しくありません"),
    ],
)
def test_a_handover_is_refused(
    clerk: User,
    paper_contract: Contract,
    handler: ContractHandler,
    now: datetime,
    extra: dict[str, object],
    message: str,
) -> None:
    with pytest.raises(ExportError, match=message):
        hand_over_paper(clerk, paper_contract, handler, now, **extra)
    assert not Handover.objects.exists() and not AccessLogEntry.objects.filter(purpose__startswith="batch:handover")


def test_a_handover_outside_the_contract_period_or_by_an_unreported_handler_is_refused(
    clerk: User, paper_contract: Contract, handler: ContractHandler, now: datetime, supervisor: User
) -> None:
    with pytest.raises(ExportError, match="有効ではありません"):
        hand_over_paper(clerk, paper_contract, handler, now - timedelta(days=120))
    late = services.contract_handler_add(
        actor=supervisor, contract=paper_contract, role="handler", name="新人 次郎", reported_on=now.date()
    )
    with pytest.raises(ExportError, match="新人 次郎 はその日の取扱者として報告されていません"):
        hand_over_paper(clerk, paper_contract, late, now - timedelta(days=3))
    with pytest.raises(PermissionDenied):  # the admin records nothing
        hand_over_paper(make_user(Role.ADMIN, []), paper_contract, handler, now)


def test_overdue_paper_is_reported_and_in_the_command(
    paper: Handover, today: date, capsys: pytest.CaptureFixture[str]
) -> None:
    report = overdue_report(as_of=today)
    assert [(m.package_id, m.handover_id, m.media_id, m.days_overdue) for m in report.media] == [
        (None, paper.pk, "BOX-1", 10)
    ]
    with pytest.raises(SystemExit):
        call_command("governance", "overdue", "--json")
    payload = json.loads(capsys.readouterr().out)
    assert payload["media"][0]["handover_id"] == paper.pk and payload["media"][0]["package_id"] is None
    with pytest.raises(SystemExit):
        call_command("governance", "overdue")
    assert f"媒体未返却: 受渡番号{paper.pk}" in capsys.readouterr().out


def test_the_handover_ledger_has_packages_and_paper(paper: Handover) -> None:
    rows = list(handover_ledger(contract=paper.contract))
    assert [(r.handover_id, r.step) for r in rows] == [(paper.pk, Step.HANDED_OVER)]


# ---- screens ---------------------------------------------------------------------------------


def test_paper_through_the_screens(
    client: Client, clerk: User, paper_contract: Contract, handler: ContractHandler, now: datetime, today: date
) -> None:
    client.force_login(clerk)
    page = client.get(reverse("governance_contract", args=[paper_contract.pk])).content.decode()
    assert reverse("governance_handover_new", args=[paper_contract.pk]) in page
    form = client.get(reverse("governance_handover_new", args=[paper_contract.pk])).content.decode()
    assert 'value="paper"' in form and 'value="dvd"' not in form  # only the media the contract allows
    moment = (now - timedelta(days=3)).strftime("%Y-%m-%dT%H:%M")
    response = client.post(
        reverse("governance_handover_new", args=[paper_contract.pk]),
        {
            "direction": "out",
            "media_kind": "paper",
            "media_id": "BOX-9",
            "contents": "納税通知書 返戻分",
            "records": 30,
            "pieces": 1,
            "occurred_at": moment,
            "contractor_handler": handler.pk,
            "return_required": "on",
            "certificate_required": "on",
        },
        REMOTE_ADDR="192.0.2.44",
    )
    handover = Handover.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("governance_handover", args=[handover.pk])
    entry = AccessLogEntry.objects.get(purpose=f"batch:handover:{handover.pk}")
    assert (entry.action, entry.actor_id, entry.client_address) == ("export", clerk.pk, "192.0.2.44")
    detail = client.get(response["Location"]).content.decode()
    assert "返却を記録" in detail and "消去証明書を記録" not in detail
    client.post(
        reverse("governance_handover_return", args=[handover.pk]),
        {
            "return-occurred_at": (now - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M"),
            "return-media_id": "BOX-9",
            "return-contractor_handler": handler.pk,
            "return-pieces": 1,
        },
    )
    client.post(
        reverse("governance_handover_erasure", args=[handover.pk]),
        {
            "erasure-certificate_no": "D-9",
            "erasure-issued_on": today.isoformat(),
            "erasure-issuer": "株式会社調査サービス",
            "erasure-occurred_at": now.strftime("%Y-%m-%dT%H:%M"),
            "erasure-contractor_handler": handler.pk,
        },
    )
    handover.refresh_from_db()
    assert handover.state == Handover.State.ERASED
    assert ErasureCertificate.objects.get(handover=handover).certificate_no == "D-9"
    ledger = client.get(reverse("governance_ledger")).content.decode()
    assert reverse("governance_handover", args=[handover.pk]) in ledger
    refused = client.post(
        reverse("governance_handover_new", args=[paper_contract.pk]),
        {
            "direction": "out",
            "media_kind": "paper",
            "contents": "x",
            "records": 0,
            "pieces": 1,
            "occurred_at": moment,
            "contractor_handler": handler.pk,
            "return_required": "on",
        },
    )
    assert refused.status_code == 200 and "媒体番号" in refused.content.decode()
    assert Handover.objects.count() == 1


def test_the_auditor_reads_paper_handovers_without_forms(client: Client, paper: Handover) -> None:
    client.force_login(make_user(Role.AUDITOR, []))
    listing = client.get(reverse("governance_handovers")).content.decode()
    assert "課税資料 原票" in listing and "媒体未返却" in listing
    detail = client.get(reverse("governance_handover", args=[paper.pk])).content.decode()
    assert "BOX-1" in detail and "返却を記録" not in detail
