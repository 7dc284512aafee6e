import subprocess
from datetime import date, timedelta

import pytest
from django.test import Client

from choshu.ledger.models import Installment, Levy, Payment
from choshu.ledger.receipt import receipt_of, receipt_pdf
from choshu.ledger.services import counter_payment_post
from choshu.people.models import Person
from choshu.staff.models import Role
from tests.factories import make_levy, make_person, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def person() -> Person:
    return make_person(atena_no="600001", name="窓口 三郎", name_kana="マドグチ サブロウ")


@pytest.fixture
def levy(person: Person, today: date) -> Levy:
    # Not yet due: no late fee, whatever today is.
    return make_levy(person, [12_300, 45_600], [today + timedelta(days=30), today + timedelta(days=120)])


def _installments(levy: Levy) -> list[Installment]:
    return list(levy.installments.order_by("installment_no"))


def test_counter_form_lists_open_installments(client_for, levy: Levy) -> None:
    body = client_for(Role.CLERK).get("/persons/600001/counter/").content.decode()
    first, second = _installments(levy)
    assert f'value="{first.pk}"' in body and f'value="{second.pk}"' in body
    assert "12,300" in body and "45,600" in body
    assert "収納を登録" in body


def test_counter_total_fragment_sums_ticked_installments(client_for, levy: Levy) -> None:
    first, second = _installments(levy)
    client: Client = client_for(Role.CLERK)
    response = client.get(
        "/persons/600001/counter/total/", {"installment_ids": [first.pk, second.pk]}, HTTP_HX_REQUEST="true"
    )
    body = response.content.decode()
    assert "57,900" in body
    assert 'hx-swap-oob="true"' in body and 'value="57900"' in body


def test_counter_payment_is_posted_and_shown(client_for, levy: Levy, today: date) -> None:
    first, second = _installments(levy)
    client: Client = client_for(Role.CLERK)
    response = client.post(
        "/persons/600001/counter/",
        {"installment_ids": [first.pk], "amount": "12300", "paid_on": today.isoformat(), "note": "窓口"},
    )
    payment = Payment.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/payments/{payment.pk}/?purpose=counter"
    assert (payment.amount, payment.channel, payment.paid_on) == (12_300, "counter", today)
    first.refresh_from_db()
    assert first.balance == 0
    detail = client.get(response["Location"]).content.decode()
    assert "収納しました" in detail and "12,300" in detail and "領収証書" in detail
    ledger = client.get("/persons/600001/")
    assert ledger.context["ledger"].total_balance == 45_600
    assert "完納" in ledger.content.decode()


def test_counter_payment_form_errors_post_nothing(client_for, levy: Levy, today: date) -> None:
    client: Client = client_for(Role.CLERK)
    no_choice = client.post("/persons/600001/counter/", {"amount": "100", "paid_on": today.isoformat()})
    assert no_choice.status_code == 200 and "納付する期別を選んでください" in no_choice.content.decode()
    first, _ = _installments(levy)
    future = client.post(
        "/persons/600001/counter/",
        {"installment_ids": [first.pk], "amount": "100", "paid_on": (today + timedelta(days=1)).isoformat()},
    )
    assert "未来の日付" in future.content.decode()
    zero = client.post(
        "/persons/600001/counter/", {"installment_ids": [first.pk], "amount": "0", "paid_on": today.isoformat()}
    )
    assert "1円以上" in zero.content.decode()
    assert Payment.objects.count() == 0


def test_counter_payment_cannot_reach_installments_outside_scope(
    client_for, person: Person, levy: Levy, today: date
) -> None:
    nhi = make_levy(person, [9_900], [today + timedelta(days=30)], revenue="nhi").installments.get()
    client: Client = client_for(Role.CLERK, ("resident_ordinary",))
    assert f'value="{nhi.pk}"' not in client.get("/persons/600001/counter/").content.decode()
    response = client.post(
        "/persons/600001/counter/", {"installment_ids": [nhi.pk], "amount": "9900", "paid_on": today.isoformat()}
    )
    assert response.status_code == 200
    assert Payment.objects.count() == 0


def _post(levy: Levy, today: date, amount: int = 12_300) -> Payment:
    first, _ = _installments(levy)
    return counter_payment_post(
        actor=make_user(Role.CLERK), person=levy.person, installment_ids=[first.pk], amount=amount, paid_on=today
    )


@pytest.mark.parametrize("role", [Role.CLERK, Role.OFFICER, Role.NHI_OFFICER, Role.AUDITOR, Role.ADMIN])
def test_only_a_supervisor_may_reverse(client_for, levy: Levy, today: date, role: str) -> None:
    payment = _post(levy, today)
    client: Client = client_for(role)
    if role == Role.CLERK:
        assert "取り消す" not in client.get(f"/payments/{payment.pk}/").content.decode()
    response = client.post(f"/payments/{payment.pk}/reverse/", {"reason": "誤入力"})
    assert response.status_code == 403
    assert not Payment.objects.filter(reverses=payment).exists()


def test_supervisor_reverses_a_posting(client_for, levy: Levy, today: date) -> None:
    payment = _post(levy, today)
    client: Client = client_for(Role.SUPERVISOR)
    assert "取り消す" in client.get(f"/payments/{payment.pk}/").content.decode()
    response = client.post(f"/payments/{payment.pk}/reverse/", {"reason": "金額誤り"})
    assert response.status_code == 302
    reversal = Payment.objects.get(reverses=payment)
    assert reversal.amount == -12_300 and reversal.note == "金額誤り"
    first, _ = _installments(levy)
    assert first.balance == 12_300
    detail = client.get(response["Location"]).content.decode()
    assert "取り消しました" in detail and "取り消す" not in detail
    again = client.post(f"/payments/{payment.pk}/reverse/", {"reason": "二重"})
    assert again.status_code == 302
    assert Payment.objects.filter(reverses__isnull=False).count() == 1


def test_reversal_needs_a_reason(client_for, levy: Levy, today: date) -> None:
    payment = _post(levy, today)
    client: Client = client_for(Role.SUPERVISOR)
    response = client.post(f"/payments/{payment.pk}/reverse/", {"reason": ""}, follow=True)
    assert "取消理由を入力してください" in response.content.decode()
    assert not Payment.objects.filter(reverses=payment).exists()


def _pdf_text(pdf: bytes) -> str:
    result = subprocess.run(["pdftotext", "-layout", "-", "-"], input=pdf, capture_output=True, check=True)
    return result.stdout.decode()


def test_receipt_pdf_has_name_amount_and_lines(client_for, levy: Levy, today: date) -> None:
    first, second = _installments(levy)
    payment = counter_payment_post(
        actor=make_user(Role.CLERK),
        person=levy.person,
        installment_ids=[first.pk, second.pk],
        amount=1_234_567,
        paid_on=today,
    )
    response = client_for(Role.CLERK).get(f"/payments/{payment.pk}/receipt.pdf")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    text = _pdf_text(response.content)
    assert "窓口 三郎" in text and "600001" in text
    assert "1,234,567" in text  # total
    assert "12,300" in text and "45,600" in text  # each installment's principal
    assert "1,176,667" in text  # the rest: 過誤納金
    assert f"領収番号 {payment.pk}" in text
    assert "個人住民税(普通徴収)" in text and "第1期" in text and "第2期" in text


def test_receipt_of_reversal_is_negative(levy: Levy, today: date) -> None:
    from choshu.ledger.services import payment_reverse

    payment = _post(levy, today)
    reversal = payment_reverse(actor=make_user(Role.SUPERVISOR), payment=payment, reason="誤り")
    receipt = receipt_of(payment=reversal)
    assert receipt.total == -12_300
    assert [(line.principal, line.late_fee) for line in receipt.lines] == [(-12_300, 0)]
    assert "領収取消通知書" in _pdf_text(receipt_pdf(receipt, issued_on=today))
