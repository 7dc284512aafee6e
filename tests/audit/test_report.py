"""The periodic analysis of the access log (choshu audit report) and the auditor's screens."""

import json
from collections.abc import Callable, Iterator
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from choshu.audit.models import AccessLogEntry
from choshu.audit.selectors import LogFilter, Thresholds, access_log_page, access_log_report, seq_ranges
from choshu.audit.services import access_log_write
from choshu.staff.models import Role, User
from tests.factories import make_user

pytestmark = pytest.mark.django_db

TOKYO = ZoneInfo("Asia/Tokyo")
MON, HOLIDAY, WED, SAT = date(2026, 11, 2), date(2026, 11, 3), date(2026, 11, 4), date(2026, 11, 7)  # 11/3 文化の日
LOW = Thresholds(open_hour=8, close_hour=20, volume_factor=3, volume_floor=5, repeat_threshold=3)


@pytest.fixture
def at(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[date, int, int], None]]:
    """Set the clock of the next access-log entries to a local date and time."""

    def set_clock(d: date, hour: int, minute: int = 0) -> None:
        moment = datetime(d.year, d.month, d.day, hour, minute, tzinfo=TOKYO)
        monkeypatch.setattr(timezone, "now", lambda: moment)

    yield set_clock


def _log(user: User, action: str = "read", subjects: tuple[str, ...] = ("person:1",), **fields: str) -> int:
    return access_log_write(actor=user, action=action, subjects=list(subjects), **fields).seq  # type: ignore[arg-type]


@pytest.fixture
def users() -> dict[str, User]:
    return {
        name: make_user(role, username=name)
        for name, role in [
            ("clerk", Role.CLERK),
            ("officer", Role.OFFICER),
            ("nhi", Role.NHI_OFFICER),
            ("busy", Role.CLERK),
        ]
    }


def test_no_purpose_counts_reads_searches_and_prints_without_a_recognised_purpose(users, at) -> None:
    at(MON, 10)
    clerk = users["clerk"]
    flagged = [
        _log(clerk, subjects=("person:1",)),
        _log(clerk, "search", ("person:1", "person:2"), query="シンジュク"),
        _log(clerk, "print", ("person:3", "payment:9"), purpose="なんとなく"),
    ]
    _log(clerk, purpose="counter")
    _log(clerk, purpose="case:12")
    _log(clerk, "search", ("person:4",), query="ヤマダ", purpose="batch:demand:3")
    _log(clerk, "change", ("person:5", "payment:10"))  # a change is not a read
    _log(users["officer"], purpose="case:1")
    report = access_log_report(date_from=MON, date_to=MON, thresholds=LOW)
    assert report["entries"] == 8 and report["users"] == 2
    assert report["no_purpose"] == {
        "count": 3,
        "persons": 3,
        "by_user": [{"user": "clerk", "count": 3, "persons": 3, "seqs": [[flagged[0], flagged[-1]]]}],
    }


def test_volume_outliers_are_above_factor_times_median_and_the_floor(users, at) -> None:
    at(WED, 11)
    for name in ("clerk", "officer", "nhi"):
        for _ in range(2):
            _log(users[name], purpose="counter")
    first = _log(users["busy"], purpose="counter")
    last = [_log(users["busy"], purpose="counter") for _ in range(9)][-1]
    report = access_log_report(date_from=WED, date_to=WED, thresholds=LOW)
    outliers = report["volume_outliers"]
    assert (outliers["median"], outliers["limit"], outliers["count"]) == (2.0, 6.0, 1)
    assert outliers["items"] == [
        {"user": "busy", "date": "2026-11-04", "count": 10, "first_seq": first, "last_seq": last}
    ]
    high_floor = Thresholds(volume_floor=50)
    assert access_log_report(date_from=WED, date_to=WED, thresholds=high_floor)["volume_outliers"]["count"] == 0


def test_off_hours_are_early_late_weekends_and_holidays(users, at) -> None:
    clerk = users["clerk"]
    at(MON, 12)
    _log(clerk, purpose="counter")
    at(MON, 19, 59)
    _log(clerk, purpose="counter")
    at(MON, 7, 59)
    early = _log(clerk, purpose="counter")
    at(MON, 20, 0)
    late = _log(clerk, purpose="counter")
    at(HOLIDAY, 12)
    holiday = _log(clerk, purpose="counter")
    at(SAT, 12)
    saturday = _log(users["officer"], purpose="case:1")
    report = access_log_report(date_from=MON, date_to=SAT, thresholds=LOW)
    assert report["off_hours"] == {
        "count": 4,
        "by_user": [
            {"user": "clerk", "count": 3, "seqs": [[early, holiday]]},
            {"user": "officer", "count": 1, "seqs": [[saturday, saturday]]},
        ],
    }
    assert late == early + 1
    page = access_log_page(LogFilter(date_from=MON, date_to=SAT, off_hours=True))
    assert [e.seq for e in page] == [saturday, holiday, late, early]


def test_repeated_searches_and_exports(users, at) -> None:
    at(WED, 9)
    clerk = users["clerk"]
    repeated = [_log(clerk, "search", ("person:1",), query="ヤマダ タロウ") for _ in range(3)]
    _log(clerk, "search", ("person:1",), query="ヤマダ")
    _log(users["officer"], "search", (), query="ヤマダ タロウ")
    export = access_log_write(actor=users["officer"], action="export", subjects=[1, 2, 3], purpose="batch:survey:4")
    report = access_log_report(date_from=WED, date_to=WED, thresholds=LOW)
    assert report["repeated_searches"] == {
        "count": 1,
        "items": [
            {
                "user": "clerk",
                "date": "2026-11-04",
                "query": "ヤマダ タロウ",
                "count": 3,
                "first_seq": repeated[0],
                "last_seq": repeated[-1],
            }
        ],
    }
    assert report["exports"]["count"] == 1
    item = report["exports"]["items"][0]
    assert (item["seq"], item["user"], item["purpose"], item["subjects"]) == (
        export.seq,
        "officer",
        "batch:survey:4",
        3,
    )
    assert item["at"].startswith("2026-11-04T09:00:00")


def test_report_period_is_by_local_date(users, at) -> None:
    at(MON, 0, 30)  # 2026-11-01 15:30 UTC: still Monday in Tokyo
    _log(users["clerk"], purpose="counter")
    assert access_log_report(date_from=MON, date_to=MON)["entries"] == 1
    assert access_log_report(date_from=date(2026, 11, 1), date_to=date(2026, 11, 1))["entries"] == 0


def test_report_command_json_and_its_own_entry(users, at, capsys: pytest.CaptureFixture[str]) -> None:
    at(MON, 10)
    _log(users["clerk"])
    call_command("audit", "report", "--from", "2026-11-02", "--to", "2026-11-02", "--json", "--volume-floor", "1")
    report = json.loads(capsys.readouterr().out)
    assert set(report) == {
        "from",
        "to",
        "entries",
        "users",
        "thresholds",
        "no_purpose",
        "volume_outliers",
        "off_hours",
        "repeated_searches",
        "exports",
    }
    assert report["thresholds"]["volume_floor"] == 1 and report["no_purpose"]["count"] == 1
    own = AccessLogEntry.objects.order_by("-seq").first()
    assert own is not None
    assert (own.action, own.subjects, own.purpose, own.channel) == ("read", ["accesslog"], "audit", "cli")
    assert own.query == "report 2026-11-02..2026-11-02"
    call_command("audit", "report", "--from", "2026-11-02", "--to", "2026-11-02")
    text = capsys.readouterr().out
    assert "no purpose: 1 entries, 1 persons" in text and "clerk: 1 entries" in text


def test_log_search_filters(users, at) -> None:
    at(MON, 10)
    a = _log(users["clerk"], subjects=("person:1", "payment:7"))
    b = _log(users["clerk"], subjects=("person:12",), purpose="case:3")
    c = _log(users["officer"], "search", ("person:1",), query="ヤマダ", purpose="case:30")
    at(WED, 10)
    d = _log(users["officer"], "change", ("person:1",), purpose="counter")

    def seqs(**kw: object) -> list[int]:
        return [e.seq for e in access_log_page(LogFilter(**kw))]  # type: ignore[arg-type]

    assert seqs(subject="person:1") == [d, c, a]  # not person:12
    assert seqs(subject="payment:7") == [a]
    assert seqs(user="officer") == [d, c]
    assert seqs(action="search", query="ヤマダ") == [c]
    assert seqs(purpose="case:") == [c, b] and seqs(purpose="case:3") == [b]
    assert seqs(no_purpose=True) == [a]
    assert seqs(date_from=WED) == [d] and seqs(date_to=MON) == [c, b, a]
    assert seqs(seq_from=b, seq_to=c) == [c, b]
    assert [e.seq for e in access_log_page(LogFilter(), before=c, size=1)] == [b]


def test_seq_ranges() -> None:
    assert seq_ranges([1, 2, 3, 7, 9, 10]) == [[1, 3], [7, 7], [9, 10]]
    assert seq_ranges([]) == []


def test_auditor_screens_drill_down_and_log_themselves(client: Client, users, at) -> None:
    at(MON, 10)
    flagged = _log(users["clerk"], subjects=("person:1",))
    _log(users["clerk"], purpose="counter")
    at(date(2026, 11, 5), 10)  # the auditor looks three days later
    client.force_login(make_user(Role.AUDITOR, [], username="auditor"))
    response = client.get("/audit/report/", {"date_from": "2026-11-02", "date_to": "2026-11-02"})
    body = response.content.decode()
    assert response.status_code == 200 and "目的なしの個人情報閲覧" in body
    link = response.context["report"]["no_purpose"]["by_user"][0]["link"]
    assert link.startswith("/audit/log/?") and "no_purpose=1" in link and "user=clerk" in link
    drill = client.get(link)
    assert [e.seq for e in drill.context["entries"]] == [flagged]
    assert "person:1" in drill.content.decode()
    own = list(AccessLogEntry.objects.filter(actor__username="auditor").exclude(action="login").order_by("seq"))
    assert [(e.action, e.subjects, e.purpose) for e in own] == [("read", ["accesslog"], "audit")] * 2
    assert own[0].query == "report 2026-11-02..2026-11-02"
    assert "no_purpose=True" in own[1].query and "user=clerk" in own[1].query


def test_log_screen_pages_by_seq_and_rejects_a_bad_subject(client: Client, users, at) -> None:
    at(MON, 10)
    for _ in range(105):
        _log(users["clerk"], purpose="counter")
    client.force_login(make_user(Role.AUDITOR, [], username="auditor"))
    first = client.get("/audit/log/", {"user": "clerk"})
    assert len(first.context["entries"]) == 100 and first.context["entries"][0].seq == 105
    second = client.get("/audit/log/" + first.context["next_url"])
    assert [e.seq for e in second.context["entries"]] == [5, 4, 3, 2, 1]
    before = AccessLogEntry.objects.count()
    bad = client.get("/audit/log/", {"subject": "山田 太郎"})
    assert bad.status_code == 200 and "person:123 の形式" in bad.content.decode()
    assert AccessLogEntry.objects.count() == before  # nothing shown, nothing logged


def test_nav_shows_audit_to_the_auditor_only(client: Client) -> None:
    client.force_login(make_user(Role.AUDITOR, []))
    assert 'href="/audit/log/"' in client.get("/").content.decode()
    client.force_login(make_user(Role.SUPERVISOR))
    assert 'href="/audit/log/"' not in client.get("/").content.decode()
