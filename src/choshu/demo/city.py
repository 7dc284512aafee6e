"""Demo city generator (デモ自治体): persons, households, levies, installments and payments.

Pure Python (no database): `CityGenerator.chunks()` yields, chunk after chunk, the rows of every
table as tuples in the column order of `COLUMNS`, with ids assigned from the caller's first ids.
`choshu.demo.services.city_seed` writes them with bulk inserts.

The output is a function of (persons, seed, today, chunk size) only: every chunk has its own
`random.Random` seeded from the demo seed and the chunk number, names come from fixed pools
(`choshu.demo.names`), and counters run in generation order.

What the city looks like (shares are of persons unless said otherwise):
- households (世帯) of 1–5 persons sharing a surname and an address in the ward; ~3 % of
  households moved out (転出) to an address elsewhere, with `moved_out_on`; ~2 % nonresident
  (住登外) individuals living elsewhere; ~1 % deceased (死亡, elderly persons living alone);
- ~3 % businesses (株式会社…, valid 法人番号), most of them employers with a 指定番号 that
  pay resident_special monthly (12 installments, July 10 – June 10);
- resident_ordinary for ~45 % of individuals (4 installments: end of June, August, October,
  January), nhi for ~25 % of household heads (10 installments, month ends June–March),
  light_vehicle for ~10 % of individuals (one installment, 31 May); three fiscal years ending
  with the fiscal year of `today`; a few levies revised down (更正, revision 1);
- payment behaviour per obligor: punctual, sometimes late, or delinquent (stops paying at some
  date: unpaid and partly paid installments); direct debit (口座振替) for ~30 % of the
  resident_ordinary and nhi obligors, debited on the due date; late fees (延滞金) paid on a
  separate slip by some late payers; a few double payments left as overpayments (過誤納金).

Ledger invariants hold by construction: each payment's amount is its allocations plus its
overpayment; paid_principal is the sum of the principal allocations and never above the
amount; allocations take effect on the payment's paid_on; late-fee allocations come after
the principal is fully paid and equal the fixed fee.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date

from choshu.demo import names, ward
from choshu.people.kana import kana_key
from choshu.rules.calendar import fiscal_year_of, is_closed_day, shift_due_date
from choshu.rules.latefee import compute_late_fee
from choshu.rules.revenue import REVENUES

Row = tuple[object, ...]
Rows = dict[str, list[Row]]

# Table key → column attnames, in insert order (parents before children).
COLUMNS: dict[str, tuple[str, ...]] = {
    "household": ("id", "household_no"),
    "person": (
        "id",
        "atena_no",
        "kind",
        "name",
        "name_kana",
        "kana_key",
        "birth_date",
        "sex",
        "postal_code",
        "address",
        "address_extra",
        "residency",
        "moved_out_on",
        "phone",
        "household_id",
        "is_household_head",
        "corporate_no",
        "designation_no",
    ),
    "mandate": (
        "id",
        "person_id",
        "revenue",
        "bank_code",
        "branch_code",
        "account_type",
        "account_no",
        "holder_kana",
        "start_on",
        "end_on",
    ),
    "levy": ("id", "levy_no", "person_id", "revenue", "fiscal_year", "notice_no"),
    "revision": ("id", "levy_id", "revision_no", "revised_on", "recorded_at"),
    "installment": (
        "id",
        "levy_id",
        "installment_no",
        "nominal_due_date",
        "due_date",
        "legal_due_date",
        "amount",
        "paid_principal",
    ),
    "installment_amount": ("id", "installment_id", "revision_id", "amount"),
    "payment": (
        "id",
        "person_id",
        "channel",
        "amount",
        "paid_on",
        "accounted_on",
        "status",
        "reference",
        "note",
        "created_at",
    ),
    "allocation": ("id", "payment_id", "installment_id", "kind", "reason", "amount", "effective_on", "created_at"),
    "overpayment": ("id", "person_id", "payment_id", "installment_id", "reason", "amount", "arose_on", "created_at"),
}
TABLES: tuple[str, ...] = tuple(COLUMNS)

RESIDENT_ORDINARY = "resident_ordinary"
RESIDENT_SPECIAL = "resident_special"
LIGHT_VEHICLE = "light_vehicle"
NHI = "nhi"
_REVENUE_DIGIT = {RESIDENT_ORDINARY: "1", RESIDENT_SPECIAL: "2", LIGHT_VEHICLE: "3", NHI: "4"}

# Shares (probabilities) that shape the city.
P_BUSINESS = 0.03  # share of persons
P_NONRESIDENT = 0.02  # share of persons (individuals living elsewhere, no household)
HOUSEHOLD_SIZES = ((1, 48), (2, 26), (3, 14), (4, 9), (5, 3))  # (persons, weight)
P_MOVED_OUT_HOUSEHOLD = 0.03
P_DECEASED_ELDERLY_SINGLE = 0.15
P_EMPLOYER = 0.8  # businesses that withhold resident tax (指定番号)
P_RESIDENT_ORDINARY_ADULT = 0.54
P_RESIDENT_ORDINARY_NONRESIDENT = 0.85
P_LIGHT_VEHICLE_ADULT = 0.12
P_NHI_HEAD = 0.25
P_MANDATE = 0.30
P_REVISION = 0.005
P_DOUBLE_PAYMENT = 0.0003
P_LATE_FEE_PAID = 0.6

PUNCTUAL, SOMETIMES_LATE, DELINQUENT = 0, 1, 2
# (P(sometimes late), P(delinquent)) per kind of obligor.
PROFILE_SHARES = {"resident": (0.17, 0.075), "moved_out": (0.20, 0.35), "business": (0.15, 0.08)}

ON_TIME, LATE, PARTIAL, NEVER = 0, 1, 2, 3

# Channel → business days from paid_on to accounted_on.
CHANNEL_LAG = {
    "counter": 0,
    "bank": 2,
    "cvs": 4,
    "payeasy": 1,
    "mobile_banking": 3,
    "credit_card": 5,
    "eltax": 3,
    "direct_debit": 0,
}
_PERSON_CHANNELS = names.WeightedPool(
    [("cvs", 35), ("bank", 22), ("counter", 12), ("payeasy", 9), ("mobile_banking", 12), ("credit_card", 10)]
)
_EMPLOYER_CHANNELS = names.WeightedPool([("bank", 55), ("eltax", 30), ("payeasy", 10), ("counter", 5)])
_OPEN_DAY_CHANNELS = frozenset({"bank", "counter"})  # cannot pay on a closed day

_TOWN_POOL = names.WeightedPool([((t, p, c), w) for t, p, c, w in ward.TOWNS])
_ELSEWHERE_POOL = names.WeightedPool([((city, towns), w) for city, towns, w in ward.ELSEWHERE])
_FORM_POOL = names.WeightedPool([((form, code), w) for form, code, w in names.CORPORATE_FORMS])
_SIZE_POOL = names.WeightedPool(list(HOUSEHOLD_SIZES))


def _draw_shares() -> tuple[float, float]:
    """Per-draw probabilities of a business and of a nonresident, one draw making one household or one
    person, so that they come out as P_BUSINESS and P_NONRESIDENT of the persons."""
    mean_size = sum(n * w for n, w in HOUSEHOLD_SIZES) / sum(w for _, w in HOUSEHOLD_SIZES)
    single = P_BUSINESS + P_NONRESIDENT
    draws_single = single * mean_size / (1 - single + single * mean_size)
    return draws_single * P_BUSINESS / single, draws_single * P_NONRESIDENT / single


_DRAW_BUSINESS, _DRAW_NONRESIDENT = _draw_shares()


@dataclass(frozen=True)
class CityParams:
    persons: int
    seed: int
    today: date
    chunk_size: int = 5000

    @property
    def fiscal_years(self) -> tuple[int, int, int]:
        current = fiscal_year_of(self.today)
        return (current - 2, current - 1, current)


@dataclass
class CityStats:
    """What the generator made, beyond row counts."""

    persons: int = 0
    obligors: int = 0  # persons with at least one levy
    delinquent: int = 0  # obligors with an unpaid balance on an installment past its due date
    overpayments: int = 0
    revisions: int = 0
    by_revenue: dict[str, int] = field(default_factory=dict)  # levies per revenue


def split_amount(total: int, count: int, unit: int) -> list[int]:
    """Installment amounts: equal parts truncated to ``unit``, the remainder on installment 1."""
    part = total // count // unit * unit
    return [total - part * (count - 1)] + [part] * (count - 1)


def _month_end(year: int, month: int) -> date:
    if month == 12:
        return date(year, 12, 31)
    return date.fromordinal(date(year, month + 1, 1).toordinal() - 1)


def nominal_due_dates(revenue: str, fiscal_year: int) -> list[date]:
    """本来の納期限 of each installment of a levy, in installment order."""
    y = fiscal_year
    if revenue == RESIDENT_ORDINARY:
        return [date(y, 6, 30), date(y, 8, 31), date(y, 10, 31), date(y + 1, 1, 31)]
    if revenue == NHI:
        months = [(y, m) for m in range(6, 13)] + [(y + 1, m) for m in range(1, 4)]
        return [_month_end(yy, m) for yy, m in months]
    if revenue == RESIDENT_SPECIAL:  # June's withholding is due on July 10, …, May's on June 10
        months = [(y, m) for m in range(7, 13)] + [(y + 1, m) for m in range(1, 7)]
        return [date(yy, m, 10) for yy, m in months]
    if revenue == LIGHT_VEHICLE:
        return [date(y, 5, 31)]
    raise ValueError(f"unknown revenue {revenue!r}")


def _log_uniform(rng: random.Random, low: int, high: int, skew: float = 1.0) -> float:
    return math.exp(math.log(low) + (math.log(high) - math.log(low)) * rng.random() ** skew)


class CityGenerator:
    """Generates the city chunk by chunk; see the module docstring."""

    def __init__(
        self,
        params: CityParams,
        first_ids: dict[str, int],
        *,
        adapt_date: Callable[[date], object] = lambda d: d,
        created_at: object = None,
    ) -> None:
        if params.persons < 1:
            raise ValueError("persons must be at least 1")
        self.params = params
        self.next_id = {table: first_ids.get(table, 1) for table in TABLES}
        self.adapt_date = adapt_date
        self.created_at = created_at
        self.stats = CityStats()
        self.today = params.today.toordinal()
        self.years = params.fiscal_years
        self.first_day = date(self.years[0], 4, 1).toordinal()
        self._dates: dict[int, object] = {}
        self._closed: dict[int, bool] = {}
        self._business_days: dict[tuple[int, int], int] = {}
        self._late_fee_months = {code: r.first_tier_months for code, r in REVENUES.items()}
        # (revenue, fiscal year) → [(installment_no, nominal ordinal, due ordinal)]
        self.schedules: dict[tuple[str, int], list[tuple[int, int, int]]] = {}
        for revenue in (RESIDENT_ORDINARY, RESIDENT_SPECIAL, LIGHT_VEHICLE, NHI):
            for fy in self.years:
                self.schedules[revenue, fy] = [
                    (no, nominal.toordinal(), shift_due_date(nominal).toordinal())
                    for no, nominal in enumerate(nominal_due_dates(revenue, fy), start=1)
                ]
        self._person_seq = 0
        self._household_seq = 0
        self._levy_seq = 0
        self._business_seq = 0
        self._chunk_has_overpayment = False
        self._chunk_has_revision = False

    # ---- small helpers -------------------------------------------------------------------

    def _d(self, ordinal: int) -> object:
        value = self._dates.get(ordinal)
        if value is None:
            value = self._dates[ordinal] = self.adapt_date(date.fromordinal(ordinal))
        return value

    def _is_closed(self, ordinal: int) -> bool:
        closed = self._closed.get(ordinal)
        if closed is None:
            closed = self._closed[ordinal] = is_closed_day(date.fromordinal(ordinal))
        return closed

    def _add_business_days(self, ordinal: int, days: int) -> int:
        key = (ordinal, days)
        result = self._business_days.get(key)
        if result is None:
            result = ordinal
            while days > 0:
                result += 1
                if not self._is_closed(result):
                    days -= 1
            self._business_days[key] = result
        return result

    def _take(self, table: str) -> int:
        value = self.next_id[table]
        self.next_id[table] = value + 1
        return value

    # ---- chunks --------------------------------------------------------------------------

    def chunks(self) -> Iterator[Rows]:
        remaining = self.params.persons
        index = 0
        while remaining > 0:
            count = min(self.params.chunk_size, remaining)
            yield self.chunk(index, count)
            remaining -= count
            index += 1

    def chunk(self, index: int, count: int) -> Rows:
        rng = random.Random(f"choshu-demo:{self.params.seed}:{index}")
        rows: Rows = {table: [] for table in TABLES}
        self._chunk_has_overpayment = False
        self._chunk_has_revision = False
        made = 0
        while made < count:
            r = rng.random()
            if r < _DRAW_BUSINESS:
                self._business(rng, rows)
                made += 1
            elif r < _DRAW_BUSINESS + _DRAW_NONRESIDENT:
                self._nonresident(rng, rows)
                made += 1
            else:
                size = min(_SIZE_POOL.pick(rng), count - made)
                self._household(rng, rows, size)
                made += size
        return rows

    # ---- addresses -----------------------------------------------------------------------

    def _ward_address(self, rng: random.Random) -> tuple[str, str, str]:
        town, postal, chome = _TOWN_POOL.pick(rng)
        ban, go = rng.randint(1, 28), rng.randint(1, 24)
        block = f"{rng.randint(1, chome)}丁目{ban}番{go}号" if chome else f"{ban}番{go}号"
        extra = ""
        if rng.random() < 0.6:
            kind = ward.BUILDING_KINDS[int(rng.random() * len(ward.BUILDING_KINDS))]
            word = ward.BUILDING_WORDS[int(rng.random() * len(ward.BUILDING_WORDS))]
            building = f"{word}{kind}" if kind == "荘" else f"{kind}{word}{town}"
            extra = f"{building} {rng.randint(1, 9)}{rng.randint(1, 8):02d}号室"
        return postal, f"{ward.WARD}{town}{block}", extra

    def _elsewhere_address(self, rng: random.Random) -> tuple[str, str, str]:
        city, towns = _ELSEWHERE_POOL.pick(rng)
        town, postal, chome = towns[int(rng.random() * len(towns))]
        ban, go = rng.randint(1, 30), rng.randint(1, 20)
        block = f"{rng.randint(1, chome)}丁目{ban}番{go}号" if chome else f"{ban}番{go}号"
        extra = f"{ward.BUILDING_KINDS[int(rng.random() * 9)]}{town} {rng.randint(1, 5)}0{rng.randint(1, 6)}号室"
        return postal, f"{city}{town}{block}", extra if rng.random() < 0.5 else ""

    # ---- persons -------------------------------------------------------------------------

    def _birth(self, rng: random.Random, age: int) -> int:
        return self.today - int(age * 365.25) - rng.randrange(365)

    def _first_name(self, rng: random.Random, sex: str) -> tuple[str, str]:
        pool = names.MALE_FIRST if sex == "1" else names.FEMALE_FIRST
        return pool[int(rng.random() * len(pool))]

    def _person_row(
        self,
        rows: Rows,
        *,
        kind: str,
        name: str,
        kana: str,
        birth: int | None,
        sex: str,
        address: tuple[str, str, str],
        residency: str,
        moved_out_on: int | None,
        household_id: int | None = None,
        is_head: bool = False,
        corporate_no: str = "",
        designation_no: str | None = None,
    ) -> tuple[int, str]:
        person_id = self._take("person")
        self._person_seq += 1
        self.stats.persons += 1
        atena_no = f"1{self._person_seq:09d}"
        rows["person"].append(
            (
                person_id,
                atena_no,
                kind,
                name,
                kana,
                kana_key(kana),
                None if birth is None else self._d(birth),
                sex,
                address[0],
                address[1],
                address[2],
                residency,
                None if moved_out_on is None else self._d(moved_out_on),
                "",
                household_id,
                is_head,
                corporate_no,
                designation_no,
            )
        )
        return person_id, atena_no

    def _household(self, rng: random.Random, rows: Rows, size: int) -> None:
        household_id = self._take("household")
        self._household_seq += 1
        rows["household"].append((household_id, f"{self._household_seq:010d}"))
        last_kanji, last_kana = names.LAST_NAME_POOL.pick(rng)
        moved_out_on: int | None = None
        residency = "resident"
        if rng.random() < P_MOVED_OUT_HOUSEHOLD:
            residency = "moved_out"
            moved_out_on = rng.randint(self.first_day, self.today - 1)
            address = self._elsewhere_address(rng)
        else:
            address = self._ward_address(rng)
        # (sex, age) of the members, the head first.
        if size == 1:
            band = rng.random()
            if band < 0.30:
                age = rng.randint(20, 29)
            elif band < 0.52:
                age = rng.randint(30, 39)
            elif band < 0.67:
                age = rng.randint(40, 49)
            elif band < 0.82:
                age = rng.randint(50, 64)
            else:
                age = rng.randint(65, 95)
            members = [("1" if rng.random() < 0.52 else "2", age)]
            if residency == "resident" and age >= 70 and rng.random() < P_DECEASED_ELDERLY_SINGLE:
                residency = "deceased"
        else:
            head_sex = "1" if rng.random() < 0.75 else "2"
            head_age = rng.randint(28, 80)
            members = [(head_sex, head_age)]
            if rng.random() < 0.8:
                members.append(("2" if head_sex == "1" else "1", max(20, head_age + rng.randint(-6, 4))))
            while len(members) < size:
                child_age = rng.randint(0, max(0, min(35, head_age - 22)))
                members.append(("1" if rng.random() < 0.51 else "2", child_age))
        for position, (sex, age) in enumerate(members):
            first_kanji, first_kana = self._first_name(rng, sex)
            is_head = position == 0
            person_id, atena_no = self._person_row(
                rows,
                kind="individual",
                name=f"{last_kanji} {first_kanji}",
                kana=f"{last_kana} {first_kana}",
                birth=self._birth(rng, age),
                sex=sex,
                address=address,
                residency=residency,
                moved_out_on=moved_out_on,
                household_id=household_id,
                is_head=is_head,
            )
            self._individual_levies(
                rng,
                rows,
                person_id,
                atena_no,
                f"{last_kana} {first_kana}",
                age,
                residency,
                moved_out_on,
                is_head=is_head,
            )

    def _nonresident(self, rng: random.Random, rows: Rows) -> None:
        last_kanji, last_kana = names.LAST_NAME_POOL.pick(rng)
        sex = "1" if rng.random() < 0.55 else "2"
        first_kanji, first_kana = self._first_name(rng, sex)
        age = rng.randint(25, 80)
        kana = f"{last_kana} {first_kana}"
        person_id, atena_no = self._person_row(
            rows,
            kind="individual",
            name=f"{last_kanji} {first_kanji}",
            kana=kana,
            birth=self._birth(rng, age),
            sex=sex,
            address=self._elsewhere_address(rng),
            residency="nonresident",
            moved_out_on=None,
        )
        self._individual_levies(rng, rows, person_id, atena_no, kana, age, "nonresident", None, is_head=False)

    def _business(self, rng: random.Random, rows: Rows) -> None:
        self._business_seq += 1
        form, form_code = _FORM_POOL.pick(rng)
        word, word_kana = names.BUSINESS_WORDS[int(rng.random() * len(names.BUSINESS_WORDS))]
        r = rng.random()
        if r < 0.55:
            stem, stem_kana = names.LAST_NAME_POOL.pick(rng)
        elif r < 0.8:
            stem, stem_kana = names.PLACE_WORDS[int(rng.random() * len(names.PLACE_WORDS))]
        else:
            stem = stem_kana = names.KATAKANA_WORDS[int(rng.random() * len(names.KATAKANA_WORDS))]
        core, core_kana = f"{stem}{word}", f"{stem_kana}{word_kana}"
        name = f"{form}{core}" if rng.random() < 0.6 else f"{core}{form}"
        registry = ("0111", "0104", "0110", "0113")[int(rng.random() * 4)]
        corporate_no = names.corporate_number(f"{registry}{form_code}{self._business_seq:06d}")
        employer = rng.random() < P_EMPLOYER
        designation_no = f"{self._business_seq:08d}" if employer else None
        if rng.random() < 0.85:
            postal, address, _ = self._ward_address(rng)
            residency = "resident"
        else:
            postal, address, _ = self._elsewhere_address(rng)
            residency = "nonresident"
        extra = f"{stem}ビル {rng.randint(1, 9)}階" if rng.random() < 0.7 else ""
        person_id, atena_no = self._person_row(
            rows,
            kind="business",
            name=name,
            kana=core_kana,
            birth=None,
            sex="",
            address=(postal, address, extra),
            residency=residency,
            moved_out_on=None,
            corporate_no=corporate_no,
            designation_no=designation_no,
        )
        profile, stop = self._profile(rng, "business")
        obligor = ObligorState(person_id, atena_no, profile, stop)
        if employer:
            monthly = _log_uniform(rng, 10_000, 2_000_000, skew=1.8)
            for fy in self.years:
                annual = int(monthly * 12 * rng.uniform(0.9, 1.1)) // 100 * 100
                self._levy(rng, rows, obligor, RESIDENT_SPECIAL, fy, split_amount(annual, 12, 100), None)
        if rng.random() < 0.15:
            amount = (3_900, 6_900, 10_800)[int(rng.random() * 3)]
            for fy in self.years:
                self._levy(rng, rows, obligor, LIGHT_VEHICLE, fy, [amount], None)
        self._close_obligor(obligor)

    # ---- levies and payments -------------------------------------------------------------

    def _profile(self, rng: random.Random, kind: str) -> tuple[int, int]:
        late, delinquent = PROFILE_SHARES[kind]
        r = rng.random()
        if r < delinquent:
            return DELINQUENT, rng.randint(self.first_day - 120, self.today - 20)
        if r < delinquent + late:
            return SOMETIMES_LATE, 0
        return PUNCTUAL, 0

    def _years_for(self, revenue: str, residency: str, moved_out_on: int | None) -> list[int]:
        years = list(self.years)
        if residency == "deceased":
            years = years[:-1]
        if moved_out_on is not None:
            # 賦課期日: 1 January for resident tax, 1 April for light vehicle tax and NHI.
            month = 1 if revenue == RESIDENT_ORDINARY else 4
            years = [fy for fy in years if date(fy, month, 1).toordinal() < moved_out_on]
        return years

    def _mandate(
        self, rng: random.Random, rows: Rows, person_id: int, revenue: str, kana: str, moved_out_on: int | None
    ) -> tuple[int, int]:
        if rng.random() < 0.85:
            start = rng.randint(date(2012, 4, 1).toordinal(), self.first_day)
        else:
            start = rng.randint(self.first_day, self.today - 60)
        end: int | None = None
        if moved_out_on is not None:
            start = min(start, moved_out_on - 200)
            end = moved_out_on
        account_type = "1" if rng.random() < 0.95 else "3"
        rows["mandate"].append(
            (
                self._take("mandate"),
                person_id,
                revenue,
                ward.BANK_CODES[int(rng.random() * len(ward.BANK_CODES))],
                f"{rng.randint(1, 999):03d}",
                account_type,
                f"{rng.randint(0, 9_999_999):07d}",
                kana[:40],
                self._d(start),
                None if end is None else self._d(end),
            )
        )
        return start, end if end is not None else 10**7

    def _individual_levies(
        self,
        rng: random.Random,
        rows: Rows,
        person_id: int,
        atena_no: str,
        kana: str,
        age: int,
        residency: str,
        moved_out_on: int | None,
        *,
        is_head: bool,
    ) -> None:
        adult = age >= 20
        if residency == "nonresident":
            ordinary = rng.random() < P_RESIDENT_ORDINARY_NONRESIDENT
        else:
            ordinary = adult and rng.random() < P_RESIDENT_ORDINARY_ADULT
        vehicle = adult and rng.random() < P_LIGHT_VEHICLE_ADULT
        nhi = is_head and rng.random() < P_NHI_HEAD
        if not (ordinary or vehicle or nhi):
            return
        profile, stop = self._profile(rng, "moved_out" if residency == "moved_out" else "resident")
        obligor = ObligorState(person_id, atena_no, profile, stop)
        in_ward = residency != "nonresident"
        if ordinary:
            mandate = None
            if in_ward and rng.random() < P_MANDATE:
                mandate = self._mandate(rng, rows, person_id, RESIDENT_ORDINARY, kana, moved_out_on)
            base = _log_uniform(rng, 20_000, 600_000, skew=1.3)
            for fy in self._years_for(RESIDENT_ORDINARY, residency, moved_out_on):
                annual = int(base * rng.uniform(0.9, 1.1)) // 100 * 100
                self._levy(rng, rows, obligor, RESIDENT_ORDINARY, fy, split_amount(annual, 4, 1000), mandate)
        if nhi:
            mandate = None
            if rng.random() < P_MANDATE:
                mandate = self._mandate(rng, rows, person_id, NHI, kana, moved_out_on)
            base = _log_uniform(rng, 20_000, 600_000, skew=1.3)
            for fy in self._years_for(NHI, residency, moved_out_on):
                annual = int(base * rng.uniform(0.9, 1.1)) // 100 * 100
                self._levy(rng, rows, obligor, NHI, fy, split_amount(annual, 10, 100), mandate)
        if vehicle:
            amount = (3_900, 6_900, 10_800)[0 if rng.random() < 0.15 else 1 if rng.random() < 0.2 else 2]
            for fy in self._years_for(LIGHT_VEHICLE, residency, moved_out_on):
                self._levy(rng, rows, obligor, LIGHT_VEHICLE, fy, [amount], None)
        self._close_obligor(obligor)

    def _close_obligor(self, obligor: ObligorState) -> None:
        if obligor.levies:
            self.stats.obligors += 1
            if obligor.in_arrears:
                self.stats.delinquent += 1

    def _levy(
        self,
        rng: random.Random,
        rows: Rows,
        obligor: ObligorState,
        revenue: str,
        fiscal_year: int,
        amounts: Sequence[int],
        mandate: tuple[int, int] | None,
    ) -> None:
        today = self.today
        d = self._d
        take = self._take
        created_at = self.created_at
        schedule = self.schedules[revenue, fiscal_year]
        levy_id = take("levy")
        self._levy_seq += 1
        digit = _REVENUE_DIGIT[revenue]
        rows["levy"].append(
            (
                levy_id,
                f"{fiscal_year}{digit}{self._levy_seq:09d}",
                obligor.person_id,
                revenue,
                fiscal_year,
                f"{fiscal_year}{digit}{obligor.atena_no}",
            )
        )
        obligor.levies += 1
        self.stats.by_revenue[revenue] = self.stats.by_revenue.get(revenue, 0) + 1
        revision0 = take("revision")
        rows["revision"].append((revision0, levy_id, 0, None, created_at))

        final = list(amounts)
        revised_on: int | None = None
        revision1: int | None = None
        count = len(schedule)
        if (
            count > 1
            and revenue in (RESIDENT_ORDINARY, NHI)
            and (not self._chunk_has_revision or rng.random() < P_REVISION)
        ):
            k = rng.randint(1, count - 1)  # first installment lowered
            low, high = schedule[k - 1][2] + 1, min(schedule[k][2] - 1, today - 1)
            if low <= high:
                revised_on = rng.randint(low, high)
                unit = 1000 if revenue == RESIDENT_ORDINARY else 100
                rest = sum(final[k:]) * rng.uniform(0.4, 0.9)
                final[k:] = split_amount(int(rest) // unit * unit, count - k, unit)
                revision1 = take("revision")
                rows["revision"].append((revision1, levy_id, 1, d(revised_on), created_at))
                self.stats.revisions += 1
                self._chunk_has_revision = True

        profile, stop = obligor.profile, obligor.stop
        channels = _EMPLOYER_CHANNELS if revenue == RESIDENT_SPECIAL else _PERSON_CHANNELS
        installments = rows["installment"]
        amounts_rows = rows["installment_amount"]
        for (no, nominal, due), original, amount in zip(schedule, amounts, final, strict=True):
            installment_id = take("installment")
            paid = 0
            if due < today:
                r = rng.random()
                if profile == PUNCTUAL:
                    outcome = ON_TIME if r < 0.98 else LATE
                elif profile == SOMETIMES_LATE:
                    outcome = ON_TIME if r < 0.65 else LATE
                elif due < stop:
                    outcome = ON_TIME if r < 0.6 else LATE
                else:
                    outcome = NEVER if r < 0.6 else PARTIAL if r < 0.85 else LATE
                if outcome == ON_TIME:
                    if mandate is not None and mandate[0] <= due <= mandate[1]:
                        self._pay(rows, obligor.person_id, installment_id, "direct_debit", amount, due)
                    else:
                        channel = channels.pick(rng)
                        paid_on = due - rng.randrange(15)
                        if revised_on is not None and due > revised_on >= paid_on:
                            paid_on = revised_on + 1
                        if channel in _OPEN_DAY_CHANNELS:
                            while self._is_closed(paid_on):
                                paid_on -= 1
                        self._pay(rows, obligor.person_id, installment_id, channel, amount, paid_on)
                        if not self._chunk_has_overpayment or rng.random() < P_DOUBLE_PAYMENT:
                            self._double_payment(rng, rows, obligor.person_id, installment_id, amount, paid_on)
                    paid = amount
                elif outcome == LATE:
                    paid_on = due + 1 + int(rng.expovariate(1 / 30))
                    if paid_on < today:
                        self._pay(rows, obligor.person_id, installment_id, channels.pick(rng), amount, paid_on)
                        paid = amount
                        self._late_fee(rng, rows, obligor.person_id, installment_id, revenue, amount, due, paid_on)
                elif outcome == PARTIAL and amount >= 2000:
                    part = max(1000, int(amount * rng.uniform(0.2, 0.8)) // 1000 * 1000)
                    paid_on = due + 1 + int(rng.expovariate(1 / 40))
                    if part < amount and paid_on < today:
                        self._pay(rows, obligor.person_id, installment_id, channels.pick(rng), part, paid_on)
                        paid = part
                if paid < amount:
                    obligor.in_arrears = True
            due_value = d(due)
            installments.append((installment_id, levy_id, no, d(nominal), due_value, due_value, amount, paid))
            amounts_rows.append((take("installment_amount"), installment_id, revision0, original))
            if revision1 is not None:
                amounts_rows.append((take("installment_amount"), installment_id, revision1, amount))

    def _pay(self, rows: Rows, person_id: int, installment_id: int, channel: str, amount: int, paid_on: int) -> int:
        payment_id = self._take("payment")
        accounted_on = min(self._add_business_days(paid_on, CHANNEL_LAG[channel]), self.today)
        paid_value = self._d(paid_on)
        rows["payment"].append(
            (
                payment_id,
                person_id,
                channel,
                amount,
                paid_value,
                self._d(accounted_on),
                "confirmed",
                "",
                "",
                self.created_at,
            )
        )
        rows["allocation"].append(
            (
                self._take("allocation"),
                payment_id,
                installment_id,
                "principal",
                "allocate",
                amount,
                paid_value,
                self.created_at,
            )
        )
        return payment_id

    def _double_payment(
        self, rng: random.Random, rows: Rows, person_id: int, installment_id: int, amount: int, first_paid_on: int
    ) -> None:
        """The same slip paid twice: the second payment's money is an overpayment (過納)."""
        paid_on = first_paid_on + rng.randint(1, 20)
        if paid_on >= self.today:
            return
        channel = "bank" if rng.random() < 0.5 else "cvs"
        payment_id = self._take("payment")
        accounted_on = min(self._add_business_days(paid_on, CHANNEL_LAG[channel]), self.today)
        paid_value = self._d(paid_on)
        rows["payment"].append(
            (
                payment_id,
                person_id,
                channel,
                amount,
                paid_value,
                self._d(accounted_on),
                "confirmed",
                "",
                "二重納付",
                self.created_at,
            )
        )
        rows["overpayment"].append(
            (
                self._take("overpayment"),
                person_id,
                payment_id,
                installment_id,
                "excess",
                amount,
                paid_value,
                self.created_at,
            )
        )
        self._chunk_has_overpayment = True
        self.stats.overpayments += 1

    def _late_fee(
        self,
        rng: random.Random,
        rows: Rows,
        person_id: int,
        installment_id: int,
        revenue: str,
        amount: int,
        due: int,
        paid_on: int,
    ) -> None:
        """Some late payers also pay the fixed late fee (延滞金), on a later slip."""
        # Cheap bound first: at most 9.1 % a year can reach the 1,000-yen minimum.
        if amount < 2000 or amount * 910 * (paid_on - due) < 1000 * 365 * 10_000:
            return
        fee = compute_late_fee(
            principal=amount,
            due_date=date.fromordinal(due),
            payments=[(date.fromordinal(paid_on), amount)],
            first_tier_months=self._late_fee_months[revenue],
        ).amount
        if fee <= 0 or rng.random() >= P_LATE_FEE_PAID:
            return
        fee_paid_on = paid_on + rng.randint(7, 90)
        if fee_paid_on >= self.today:
            return
        payment_id = self._take("payment")
        accounted_on = min(self._add_business_days(fee_paid_on, CHANNEL_LAG["bank"]), self.today)
        paid_value = self._d(fee_paid_on)
        rows["payment"].append(
            (
                payment_id,
                person_id,
                "bank",
                fee,
                paid_value,
                self._d(accounted_on),
                "confirmed",
                "",
                "延滞金",
                self.created_at,
            )
        )
        rows["allocation"].append(
            (
                self._take("allocation"),
                payment_id,
                installment_id,
                "late_fee",
                "allocate",
                fee,
                paid_value,
                self.created_at,
            )
        )


@dataclass
class ObligorState:
    person_id: int
    atena_no: str
    profile: int
    stop: int  # DELINQUENT: the day from which the obligor mostly stops paying
    levies: int = 0
    in_arrears: bool = False
