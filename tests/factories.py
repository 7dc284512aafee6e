"""Small builders for tests: persons, levies with installments, staff users."""

import itertools
from collections.abc import Sequence
from datetime import date

from choshu.ledger.models import Installment, InstallmentAmount, Levy, LevyRevision
from choshu.people.kana import kana_key
from choshu.people.models import Person
from choshu.rules.calendar import shift_due_date
from choshu.staff.models import Role, User

_numbers = itertools.count(100001)
ALL_REVENUES = ["resident_ordinary", "resident_special", "light_vehicle", "nhi"]


def make_person(**fields: object) -> Person:
    n = next(_numbers)
    values: dict[str, object] = {
        "atena_no": str(n),
        "kind": "individual",
        "name": "新宿 太郎",
        "name_kana": "シンジュク タロウ",
        "birth_date": date(1980, 4, 1),
        "postal_code": "160-0022",
        "address": "東京都新宿区新宿1丁目1番1号",
        "residency": "resident",
    }
    values.update(fields)
    values.setdefault("kana_key", kana_key(str(values["name_kana"])))
    return Person.objects.create(**values)


def make_levy(
    person: Person,
    amounts: Sequence[int],
    due_dates: Sequence[date],
    revenue: str = "resident_ordinary",
    fiscal_year: int = 2025,
) -> Levy:
    n = next(_numbers)
    levy = Levy.objects.create(
        levy_no=f"L{n}", person=person, revenue=revenue, fiscal_year=fiscal_year, notice_no=f"N{n}"
    )
    revision = LevyRevision.objects.create(levy=levy, revision_no=0)
    for no, (amount, nominal) in enumerate(zip(amounts, due_dates, strict=True), start=1):
        due = shift_due_date(nominal)
        inst = Installment.objects.create(
            levy=levy, installment_no=no, nominal_due_date=nominal, due_date=due, legal_due_date=due, amount=amount
        )
        InstallmentAmount.objects.create(installment=inst, revision=revision, amount=amount)
    return levy


def make_user(role: str = Role.CLERK, scopes: Sequence[str] = tuple(ALL_REVENUES), username: str = "") -> User:
    username = username or f"{role}{next(_numbers)}"
    return User.objects.create_user(
        username=username, password="pw-" + username, role=role, revenue_scopes=list(scopes)
    )
