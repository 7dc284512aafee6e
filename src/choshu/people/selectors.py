"""Reads on persons (宛名). `person_search` is the one search box of the 宛名検索 screen.

The box understands, per space-separated term (terms are ANDed):

- 宛名番号: digits → exact ``atena_no``. Eight digits that form a valid date are read as
  "宛名番号 or 生年月日 (YYYYMMDD)".
- 生年月日: ``1980-04-01``, ``1980/4/1``, ``19800401``, 和暦 ``S55.4.1`` / ``s55/4/1`` /
  ``昭和55年4月1日`` / ``平成元年1月8日`` / ``R2.1.5`` (M, T, S, H, R).
- カナ: hiragana or katakana, full- or half-width → prefix on ``Person.kana_key``. Adjacent kana
  terms are joined ("ヤマダ ハナコ" searches the key "ヤマダハナコ").
- 住所: a term that starts with 東京都, or contains a digit or 丁目 → prefix on ``address``.
  Addresses are stored in full (東京都新宿区…); a term that does not start with 東京都 gets
  ``CITY_ADDRESS_PREFIX`` (東京都新宿区, setting ``CHOSHU_CITY_ADDRESS_PREFIX``) put in front, so
  "西新宿2丁目" finds 東京都新宿区西新宿2丁目…. A term that is only (a start of) the city prefix, such
  as 東京都 or 東京都新宿区, says nothing and is ignored (it would match every resident).
- 氏名・名称: any other term → prefix on ``name`` OR prefix on ``address`` (a bare place name such
  as 西新宿 cannot be told from a surname). Adjacent name terms are joined with a space, the way
  names are stored ("新宿 太郎").

Every prefix is a range ``col >= p AND col < p || U+10FFFF`` so that a plain b-tree index serves
it on SQLite (BINARY collation) and on PostgreSQL under the C / C.UTF-8 collation (code-point
order). Under a linguistic PostgreSQL collation the upper bound would not be reliable; the
database is created with C.UTF-8. Results are ordered by ``kana_key`` and limited, so a short
kana prefix walks the kana_key index and stops after ``limit`` rows (see
`person_search_queryset` for the order without a kana term).

Revenue scope (担当税目): given `revenues`, the search finds only persons with at least one levy
(調定) in them, the obligors of those revenues; a user holding every revenue is not restricted
(and finds persons with no levy yet). The same rule opens a person's ledger (`person_in_scope`).
For NHI the obligor is the head of household (世帯主); household members without a levy of
their own are not found by an NHI-only user (docs/security.md).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import date

from django.conf import settings
from django.db.models import Exists, F, OuterRef, Q, QuerySet, Value
from django.db.models.functions import Coalesce

from choshu.ledger.models import Levy
from choshu.people.kana import kana_key
from choshu.people.models import Person
from choshu.rules.revenue import REVENUES

# Upper bound for a prefix range: the highest code point sorts after every continuation.
_TOP = "\U0010ffff"

CITY_ADDRESS_PREFIX: str = getattr(settings, "CHOSHU_CITY_ADDRESS_PREFIX", "東京都新宿区")
ADDRESS_PREFECTURE = "東京都"

# Era first days for parsing 和暦 input (older eras accepted: some taxpayers were born in 大正).
_ERA_START: dict[str, date] = {
    "M": date(1868, 1, 25),
    "T": date(1912, 7, 30),
    "S": date(1926, 12, 25),
    "H": date(1989, 1, 8),
    "R": date(2019, 5, 1),
}
_ERA_NAMES = {"明治": "M", "大正": "T", "昭和": "S", "平成": "H", "令和": "R"}

_WESTERN_DATE = re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})$")
_WESTERN_KANJI_DATE = re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})日?$")
_COMPACT_DATE = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_WAREKI_SHORT = re.compile(r"^([MTSHR])(\d{1,2}|元)[-/.](\d{1,2})[-/.](\d{1,2})$")
_WAREKI_LONG = re.compile(r"^(明治|大正|昭和|平成|令和)(\d{1,2}|元)年(\d{1,2})月(\d{1,2})日?$")
_KANA = re.compile(r"^[\u3041-\u3096\u30a1-\u30fa\u30fc\u30fb\u309b\u309c]+$")
_ADDRESS_HINT = re.compile(r"[0-9]|丁目|番地")


def _safe_date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def parse_birth_date(term: str) -> date | None:
    """A date typed in the search box (西暦 or 和暦), or None. The term must be NFKC-normalised."""
    text = term.upper()
    if m := _WESTERN_DATE.match(text) or _WESTERN_KANJI_DATE.match(text):
        return _safe_date(int(m[1]), int(m[2]), int(m[3]))
    if m := _COMPACT_DATE.match(text):
        return _safe_date(int(m[1]), int(m[2]), int(m[3]))
    era: str | None = None
    if m := _WAREKI_SHORT.match(text):
        era = m[1]
    elif m := _WAREKI_LONG.match(text):
        era = _ERA_NAMES[m[1]]
    if m is None or era is None:
        return None
    era_year = 1 if m[2] == "元" else int(m[2])
    if era_year < 1:
        return None
    start = _ERA_START[era]
    d = _safe_date(start.year + era_year - 1, int(m[3]), int(m[4]))
    if d is None or d < start:
        return None
    return d


def _prefix(column: str, value: str) -> Q:
    return Q(**{f"{column}__gte": value, f"{column}__lt": value + _TOP})


def _address_prefix(term: str) -> str:
    return term if term.startswith(ADDRESS_PREFECTURE) else CITY_ADDRESS_PREFIX + term


@dataclass
class _Terms:
    conditions: list[Q] = field(default_factory=list)
    kana: list[str] = field(default_factory=list)
    names: list[str] = field(default_factory=list)
    has_kana: bool = False

    def flush(self) -> None:
        if self.kana:
            self.conditions.append(_prefix("kana_key", kana_key("".join(self.kana))))
            self.kana = []
            self.has_kana = True
        if self.names:
            joined = " ".join(self.names)
            condition = _prefix("name", joined)
            if len(self.names) == 1:
                condition |= _prefix("address", _address_prefix(joined))
            self.conditions.append(condition)
            self.names = []


def _parse(query: str) -> _Terms:
    terms = _Terms()
    for raw in unicodedata.normalize("NFKC", query).split():
        if _KANA.match(raw):
            if terms.names:
                terms.flush()
            terms.kana.append(raw)
            continue
        if birth := parse_birth_date(raw):
            terms.flush()
            condition = Q(birth_date=birth)
            if raw.isdigit():
                condition |= Q(atena_no=raw)
            terms.conditions.append(condition)
            continue
        if raw.isdigit():
            terms.flush()
            terms.conditions.append(Q(atena_no=raw))
            continue
        if raw.startswith(ADDRESS_PREFECTURE) or _ADDRESS_HINT.search(raw):
            terms.flush()
            if not CITY_ADDRESS_PREFIX.startswith(raw):  # "東京都新宿区" alone matches every resident
                terms.conditions.append(_prefix("address", _address_prefix(raw)))
            continue
        if terms.kana:
            terms.flush()
        terms.names.append(raw)
    terms.flush()
    return terms


def search_conditions(query: str) -> list[Q]:
    """The ANDed conditions for a search-box query (empty when the query says nothing)."""
    return _parse(query).conditions


def _restricted(revenues: Collection[str] | None) -> list[str] | None:
    """The revenues to restrict to, or None when `revenues` is None or holds every revenue."""
    if revenues is None or set(REVENUES) <= set(revenues):
        return None
    return sorted(set(revenues) & set(REVENUES))


def scope_condition(revenues: Collection[str] | None) -> Q | None:
    """Persons with a levy in `revenues` (an EXISTS on the levy index), or None: no restriction."""
    restricted = _restricted(revenues)
    if restricted is None:
        return None
    return Q(Exists(Levy.objects.filter(person=OuterRef("pk"), revenue__in=restricted)))


def person_in_scope(*, person: Person, revenues: Collection[str] | None) -> bool:
    """Whether a user working on `revenues` may see `person` at all (see the module's docstring)."""
    restricted = _restricted(revenues)
    return restricted is None or Levy.objects.filter(person=person, revenue__in=restricted).exists()


def person_search_queryset(*, query: str, revenues: Collection[str] | None, limit: int = 50) -> QuerySet[Person] | None:
    """The search as one query (None when the query says nothing).

    With a kana term, the kana_key index serves both the range and the order. Without one, the
    order is by an expression of kana_key that no index matches, so that the planner uses the
    index of the condition and sorts what it found: walking the kana_key index instead (which
    PostgreSQL chooses for a common surname such as 佐藤) reads a large part of the table, because
    names and kana are correlated. `revenues` restricts to their obligors (None: no restriction).
    """
    terms = _parse(query)
    if not terms.conditions:
        return None
    qs = Person.objects.all()
    for condition in terms.conditions:
        qs = qs.filter(condition)
    scope = scope_condition(revenues)
    if scope is not None:
        qs = qs.filter(scope)
    order = F("kana_key") if terms.has_kana else Coalesce("kana_key", Value(""))
    return qs.order_by(order.asc(), "id")[:limit]


def person_search(*, query: str, revenues: Collection[str] | None, limit: int = 50) -> list[Person]:
    """Persons matching every term of ``query`` (within `revenues`), ordered by kana; [] for an empty query."""
    qs = person_search_queryset(query=query, limit=limit, revenues=revenues)
    return [] if qs is None else list(qs)
