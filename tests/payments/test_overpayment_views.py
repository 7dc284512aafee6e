"""過誤納金 screens: a clerk appropriates to what is owed and prints the notice; only a supervisor
decides a refund, and only when nothing is owed; both notices read back with pdftotext; every
read, change and print is in the access log; an overpayment outside the user's revenues is 404."""

import subprocess
from datetime import date, timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from pytest_django import Settings

from choshu.audit.models import AccessLogEntry
from choshu.ledger.models import Overpayment, Refund
from choshu.ledger.services import counter_payment_post
from choshu.ledger.verify import ledger_violations
from choshu.staff.models import Role
from tests.factories import make_levy, make_person, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fast_passwords(settings: Settings) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def today() -> date:
    return timezone.localdate()


@pytest.fixture
def overpayment(today: date) -> Overpayment:
    """60,000 paid on a 10,000 installment not yet due; another of 20,000 is 10 days overdue."""
    person = make_person(atena_no="730001", name="過誤 太郎")
    first, _second = make_levy(
        person, [10_000, 20_000], [today + timedelta(days=20), today - timedelta(days=10)]
    ).installments.order_by("installment_no")
    payment = counter_payment_post(
        actor=make_user(Role.CLERK), person=person, installment_ids=[first.pk], amount=60_000, paid_on=today
    )
    return Overpayment.objects.get(payment=payment)


def _pdf_text(data: bytes, tmp_path) -> str:
    path = tmp_path / "notice.pdf"
    path.write_bytes(data)
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], check=True, capture_output=True, text=True).stdout


def _entries(before: int) -> list[tuple[str, list[str]]]:
    return [(e.action, e.subjects) for e in AccessLogEntry.objects.filter(seq__gt=before).order_by("seq")]


def _last_seq() -> int:
    return AccessLogEntry.objects.order_by("-seq").values_list("seq", flat=True).first() or 0


def test_appropriate_then_refund_with_notices(client: Client, overpayment: Overpayment, today: date, tmp_path) -> None:
    clerk = make_user(Role.CLERK)
    client.force_login(clerk)
    url = reverse("payments_overpayment", args=[overpayment.pk])
    listing = client.get(reverse("payments_overpayments")).content.decode()
    assert "過誤 太郎" in listing and "50,000" in listing

    page = client.get(url).content.decode()
    assert 'data-testid="owed"' in page and "充当する" in page
    before = _last_seq()
    refused = client.post(url, {"action": "refund", "decided_on": today.isoformat()})
    assert refused.status_code == 403 and not Refund.objects.exists()
    done = client.post(url, {"action": "appropriate", "decided_on": today.isoformat()})
    assert done.status_code == 302
    appropriation = overpayment.appropriations.get()
    assert _entries(before) == [
        ("change", [f"person:{overpayment.person_id}", f"appropriation:{appropriation.pk}"]),
    ]
    notice = client.get(reverse("payments_appropriation_notice", args=[appropriation.pk]))
    assert notice["Content-Type"] == "application/pdf"
    text = _pdf_text(notice.content, tmp_path)
    assert "過誤納金充当通知書" in text and "過誤 太郎" in text and "20,000" in text and "第2期" in text
    assert _entries(before)[-1][0] == "print"

    page = client.get(url).content.decode()
    assert 'data-testid="owed"' not in page and "還付の決定は係長が行います" in page
    client.force_login(make_user(Role.SUPERVISOR))
    page = client.get(url).content.decode()
    assert 'data-testid="refund-preview"' in page and "30,000" in page
    future = client.post(url, {"action": "refund", "decided_on": (today + timedelta(days=1)).isoformat()})
    assert "未来の日付" in future.content.decode() and not Refund.objects.exists()
    assert client.post(url, {"action": "refund", "decided_on": today.isoformat()}).status_code == 302
    refund = Refund.objects.get()
    assert (refund.amount, refund.interest) == (30_000, 0)  # decided the day it arose: no interest
    text = _pdf_text(client.get(reverse("payments_refund_notice", args=[refund.pk])).content, tmp_path)
    assert "過誤納金還付通知書" in text and "30,000" in text and "計算期間なし" in text
    assert ledger_violations(as_of=today) == []


def test_an_overpayment_outside_the_revenues_is_not_found(client: Client, overpayment: Overpayment) -> None:
    client.force_login(make_user(Role.CLERK, ["nhi"]))
    before = _last_seq()
    assert client.get(reverse("payments_overpayment", args=[overpayment.pk])).status_code == 404
    assert "過誤 太郎" not in client.get(reverse("payments_overpayments")).content.decode()
    assert _entries(before) == []


def test_the_page_is_logged_as_a_read(client: Client, overpayment: Overpayment) -> None:
    client.force_login(make_user(Role.CLERK))
    before = _last_seq()
    client.get(reverse("payments_overpayment", args=[overpayment.pk]))
    assert _entries(before) == [("read", [f"person:{overpayment.person_id}", f"overpayment:{overpayment.pk}"])]
