import json
from datetime import date

import pytest
from django.core.management import CommandError, call_command

from choshu.ledger.services import counter_payment_post
from choshu.staff.models import Role
from tests.factories import make_levy, make_person, make_user

# reference/law.md §1.4 and §2: (arguments, late fee)
VECTORS = [
    (["--principal", "65000", "--due", "2021-05-31", "--paid", "2022-01-31:65000"], 3_400),
    (["--principal", "56400", "--due", "2026-02-02", "--paid", "2026-05-29:56400"], 1_300),
    (["--principal", "152500", "--due", "2025-09-01", "--paid", "2026-02-05:152500"], 4_900),
    (["--principal", "500000", "--due", "2024-01-31", "--paid", "2024-03-31:500000"], 4_600),
    (["--principal", "30000", "--due", "2025-06-30", "--paid", "2025-09-30:30000"], 0),
    (["--principal", "1000000", "--due", "2025-12-25", "--paid", "2026-01-24:1000000"], 2_200),
    (
        ["--principal", "300000", "--due", "2025-06-30", "--paid", "2025-08-29:100000", "--paid", "2025-11-28:200000"],
        7_000,
    ),
    (["--principal", "1999", "--due", "2025-06-30", "--paid", "2026-06-30:1999"], 0),
    (["--principal", "50000", "--due", "2025-06-30", "--paid", "2025-12-26:50000", "--first-tier-months", "3"], 1_300),
    (["--principal", "50000", "--due", "2025-06-30", "--paid", "2025-12-26:50000"], 1_800),
]


def _run(args, capsys):
    call_command("latefee", *args, "--json")
    return json.loads(capsys.readouterr().out)


@pytest.mark.parametrize(("args", "fee"), VECTORS)
def test_latefee_cli_reproduces_the_vectors(args, fee, capsys):
    assert _run(args, capsys)["late_fee"] == fee


def test_latefee_cli_segments_of_v1(capsys):
    out = _run(VECTORS[0][0], capsys)
    assert [(s["from"], s["to"], s["days"], s["rate"], s["amount"]) for s in out["segments"]] == [
        ("2021-06-01", "2021-06-30", 30, "2.5", 133),
        ("2021-07-01", "2021-12-31", 184, "8.8", 2_883),
        ("2022-01-01", "2022-01-31", 31, "8.7", 480),
    ]


def test_latefee_cli_as_of_when_unpaid(capsys):
    out = _run(["--principal", "65000", "--due", "2021-05-31", "--as-of", "2022-01-31"], capsys)
    assert (out["late_fee"], out["fixed"]) == (3_400, False)
    with pytest.raises(CommandError, match="as_of"):
        call_command("latefee", "--principal", "65000", "--due", "2021-05-31")


@pytest.mark.django_db
def test_ledger_cli_json(capsys):
    person = make_person(atena_no="1234567")
    levy = make_levy(person, [65_000, 20_000], [date(2021, 5, 31), date(2021, 8, 31)], fiscal_year=2021)
    first = levy.installments.get(installment_no=1)
    counter_payment_post(
        actor=make_user(Role.CLERK), person=person, installment_ids=[first.pk], amount=65_000, paid_on=date(2022, 1, 31)
    )
    call_command("ledger", "1234567", "--as-of", "2022-01-31", "--json")
    out = json.loads(capsys.readouterr().out)
    assert out["atena_no"] == "1234567"
    one, two = out["installments"]
    assert one == {
        "levy_no": levy.levy_no,
        "revenue": "resident_ordinary",
        "fiscal_year": 2021,
        "installment_no": 1,
        "nominal_due_date": "2021-05-31",
        "due_date": "2021-05-31",
        "amount": 65_000,
        "principal_paid": 65_000,
        "balance": 0,
        "late_fee": 3_400,
        "late_fee_fixed": True,
        "status": "late_fee_due",
    }
    assert (two["due_date"], two["balance"], two["late_fee_fixed"], two["status"]) == (
        "2021-08-31",
        20_000,
        False,
        "unpaid",
    )
    with pytest.raises(CommandError):
        call_command("ledger", "999")
