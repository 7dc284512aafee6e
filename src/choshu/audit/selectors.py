"""Reads of the access log: the auditor's search and the periodic analysis report.

The report (`access_log_report`, `choshu audit report`) looks at the entries of a period of
local dates and finds:

- no_purpose: reads, searches and prints of personal data whose purpose is not a recognised one
  (``counter``, ``payments`` (収納事務), ``audit``, ``case:<id>``, ``batch:<kind>:<id>``) — usually an
  empty purpose;
- volume_outliers: a user's entries on one day above `volume_factor` × the median of all
  (user, day) counts of the period, and at least `volume_floor`;
- off_hours: entries before `open_hour` or from `close_hour` (local time), or on a closed day
  (weekend, holiday, 29 Dec – 3 Jan: `rules.calendar.is_closed_day`);
- repeated_searches: the same user searching the same text at least `repeat_threshold` times in
  one day;
- exports: every export.

Each finding carries counts and its entries: per-user seq ranges ``[[first, last], …]``, or the
first and last seq of a (user, day) group.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.db.models import Count, Max, Min, Q, QuerySet, TextField
from django.db.models.functions import Cast, TruncDate
from django.utils import timezone

from choshu.audit.models import AccessLogEntry, Action
from choshu.rules.calendar import is_closed_day

# A purpose the report accepts as a reason to look at a person (SQL regex, both databases).
RECOGNISED_PURPOSE = r"^(counter|payments|audit|case:[0-9]+|batch:[a-z_]+:[0-9]+)$"
PERSONAL_READS = (Action.READ, Action.SEARCH, Action.PRINT)
CHUNK = 10_000


def _setting(name: str, default: int) -> int:
    return int(getattr(settings, name, default))


@dataclass(frozen=True)
class Thresholds:
    open_hour: int = field(default_factory=lambda: _setting("CHOSHU_AUDIT_OPEN_HOUR", 8))
    close_hour: int = field(default_factory=lambda: _setting("CHOSHU_AUDIT_CLOSE_HOUR", 20))
    volume_factor: int = field(default_factory=lambda: _setting("CHOSHU_AUDIT_VOLUME_FACTOR", 3))
    volume_floor: int = field(default_factory=lambda: _setting("CHOSHU_AUDIT_VOLUME_FLOOR", 100))
    repeat_threshold: int = field(default_factory=lambda: _setting("CHOSHU_AUDIT_REPEAT_THRESHOLD", 5))


def day_start(d: date) -> datetime:
    return timezone.make_aware(datetime.combine(d, time.min))


def in_period(qs: QuerySet[AccessLogEntry], date_from: date | None, date_to: date | None) -> QuerySet[AccessLogEntry]:
    if date_from is not None:
        qs = qs.filter(at__gte=day_start(date_from))
    if date_to is not None:
        qs = qs.filter(at__lt=day_start(date_to + timedelta(days=1)))
    return qs


def no_purpose_q() -> Q:
    return Q(action__in=PERSONAL_READS) & ~Q(purpose__regex=RECOGNISED_PURPOSE)


def _log_span() -> tuple[date, date] | None:
    first = AccessLogEntry.objects.order_by("seq").values_list("at", flat=True).first()
    last = AccessLogEntry.objects.order_by("-seq").values_list("at", flat=True).first()
    if first is None or last is None:
        return None
    return timezone.localdate(first), timezone.localdate(last)


def off_hours_q(date_from: date | None, date_to: date | None, thresholds: Thresholds) -> Q:
    """Before opening, from closing, or on a closed day (local time)."""
    if date_from is None or date_to is None:
        span = _log_span()
        if span is not None:
            date_from, date_to = date_from or span[0], date_to or span[1]
    closed: list[date] = []
    if date_from is not None and date_to is not None:
        d = date_from
        while d <= date_to:
            if is_closed_day(d):
                closed.append(d)
            d += timedelta(days=1)
    condition = Q(at__hour__lt=thresholds.open_hour) | Q(at__hour__gte=thresholds.close_hour)
    condition |= Q(at__week_day__in=[1, 7])  # Sunday, Saturday
    if closed:
        condition |= Q(at__date__in=closed)
    return condition


def subject_q(subject: str) -> Q:
    """Entries whose subjects include `subject` exactly (e.g. "person:123")."""
    return Q(subjects_text__contains=f'"{subject}"')


@dataclass
class LogFilter:
    """The auditor's search of the log; every field optional."""

    date_from: date | None = None
    date_to: date | None = None
    user: str = ""
    action: str = ""
    subject: str = ""
    purpose: str = ""  # exact, or a prefix when it ends with ":" ("case:")
    query: str = ""  # the search text, exact
    no_purpose: bool = False
    off_hours: bool = False
    seq_from: int | None = None
    seq_to: int | None = None

    def describe(self) -> str:
        """The filter in one line, for the auditor's own access-log entry."""
        parts = []
        for name, value in self.__dict__.items():
            if value not in (None, "", False):
                parts.append(f"{name}={value}")
        return " ".join(parts)


def access_log_queryset(f: LogFilter, thresholds: Thresholds | None = None) -> QuerySet[AccessLogEntry]:
    qs = in_period(AccessLogEntry.objects.all(), f.date_from, f.date_to)
    if f.user:
        qs = qs.filter(actor_label=f.user)
    if f.action:
        qs = qs.filter(action=f.action)
    if f.subject:
        qs = qs.annotate(subjects_text=Cast("subjects", TextField())).filter(subject_q(f.subject))
    if f.purpose:
        qs = qs.filter(purpose__startswith=f.purpose) if f.purpose.endswith(":") else qs.filter(purpose=f.purpose)
    if f.query:
        qs = qs.filter(query=f.query)
    if f.no_purpose:
        qs = qs.filter(no_purpose_q())
    if f.off_hours:
        qs = qs.filter(off_hours_q(f.date_from, f.date_to, thresholds or Thresholds()))
    if f.seq_from is not None:
        qs = qs.filter(seq__gte=f.seq_from)
    if f.seq_to is not None:
        qs = qs.filter(seq__lte=f.seq_to)
    return qs


def access_log_page(f: LogFilter, *, before: int | None = None, size: int = 100) -> list[AccessLogEntry]:
    """One page of matching entries, newest first; the next page is `before=<last seq shown>`."""
    qs = access_log_queryset(f)
    if before is not None:
        qs = qs.filter(seq__lt=before)
    return list(qs.select_related(None).order_by("-seq")[:size])


def seq_ranges(seqs: Iterable[int]) -> list[list[int]]:
    """[1, 2, 3, 7, 9, 10] → [[1, 3], [7, 7], [9, 10]] (seqs in ascending order)."""
    out: list[list[int]] = []
    for s in seqs:
        if out and s == out[-1][1] + 1:
            out[-1][1] = s
        else:
            out.append([s, s])
    return out


def _chunked(qs: QuerySet[AccessLogEntry], *fields: str) -> Iterator[tuple[Any, ...]]:
    """values_list rows (seq first) in seq order, streamed `CHUNK` at a time by one query."""
    yield from qs.order_by("seq").values_list("seq", *fields).iterator(chunk_size=CHUNK)


def _by_user(qs: QuerySet[AccessLogEntry], persons: bool = False) -> dict[str, Any]:
    users: dict[str, dict[str, Any]] = {}
    seqs: dict[str, list[int]] = defaultdict(list)
    subjects: dict[str, set[str]] = defaultdict(set)
    all_persons: set[str] = set()
    for seq, label, subject_list in _chunked(qs, "actor_label", "subjects"):
        seqs[label].append(seq)
        if persons:
            found = {s for s in subject_list or [] if str(s).startswith("person:")}
            subjects[label] |= found
            all_persons |= found
    for label in sorted(seqs):
        users[label] = {"user": label, "count": len(seqs[label]), "seqs": seq_ranges(seqs[label])}
        if persons:
            users[label]["persons"] = len(subjects[label])
    result: dict[str, Any] = {"count": sum(len(v) for v in seqs.values()), "by_user": list(users.values())}
    if persons:
        result["persons"] = len(all_persons)
    return result


def access_log_report(*, date_from: date, date_to: date, thresholds: Thresholds | None = None) -> dict[str, Any]:
    """The periodic analysis of the access log for the local dates `date_from`..`date_to`."""
    t = thresholds or Thresholds()
    base = in_period(AccessLogEntry.objects.all(), date_from, date_to)

    per_day = list(
        base.annotate(day=TruncDate("at"))
        .values("actor_label", "day")
        .annotate(n=Count("seq"), first=Min("seq"), last=Max("seq"))
        .order_by("day", "actor_label")
    )
    median = statistics.median([row["n"] for row in per_day]) if per_day else 0
    limit = median * t.volume_factor
    outliers = [
        {
            "user": r["actor_label"],
            "date": r["day"].isoformat(),
            "count": r["n"],
            "first_seq": r["first"],
            "last_seq": r["last"],
        }
        for r in per_day
        if r["n"] > limit and r["n"] >= t.volume_floor
    ]

    repeated = [
        {
            "user": r["actor_label"],
            "date": r["day"].isoformat(),
            "query": r["query"],
            "count": r["n"],
            "first_seq": r["first"],
            "last_seq": r["last"],
        }
        for r in base.filter(action=Action.SEARCH)
        .annotate(day=TruncDate("at"))
        .values("actor_label", "day", "query")
        .annotate(n=Count("seq"), first=Min("seq"), last=Max("seq"))
        .filter(n__gte=t.repeat_threshold)
        .order_by("day", "actor_label", "query")
    ]

    exports = [
        {
            "seq": seq,
            "at": timezone.localtime(at).isoformat(),
            "user": label,
            "purpose": purpose,
            "subjects": len(subjects or []),
        }
        for seq, at, label, purpose, subjects in _chunked(
            base.filter(action=Action.EXPORT), "at", "actor_label", "purpose", "subjects"
        )
    ]

    return {
        "from": date_from.isoformat(),
        "to": date_to.isoformat(),
        "entries": sum(r["n"] for r in per_day),
        "users": len({r["actor_label"] for r in per_day}),
        "thresholds": t.__dict__,
        "no_purpose": _by_user(base.filter(no_purpose_q()), persons=True),
        "volume_outliers": {
            "median": median,
            "limit": max(limit, t.volume_floor),
            "count": len(outliers),
            "items": outliers,
        },
        "off_hours": _by_user(base.filter(off_hours_q(date_from, date_to, t))),
        "repeated_searches": {"count": len(repeated), "items": repeated},
        "exports": {"count": len(exports), "items": exports},
    }
