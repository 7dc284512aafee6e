from collections.abc import Mapping
from dataclasses import replace
from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from choshu.rules.limitation import (
    DEFAULT_KINDS,
    Effect,
    Event,
    EventKind,
    extinction,
    limitation,
    suspension_extinction_date,
)

D = date
TAX, NHI = 5, 2


def _completes(due: date, years: int, *events: Event, kinds: Mapping[str, EventKind] = DEFAULT_KINDS) -> date | None:
    return limitation(due, years, events, kinds).completes_on


# --- the period ---------------------------------------------------------------------


def test_tax_five_years_from_the_day_after_the_legal_due_date() -> None:
    result = limitation(D(2020, 6, 30), TAX)
    assert result.completes_on == D(2025, 6, 30)
    (step,) = result.steps
    assert step.event is None and step.applied
    assert step.reason == "法定納期限(令和2年6月30日)の翌日から起算(5年)"


def test_nhi_two_years() -> None:
    assert _completes(D(2023, 6, 30), NHI) == D(2025, 6, 30)
    assert _completes(D(2023, 1, 31), NHI) == D(2025, 1, 31)


def test_leap_year_edges() -> None:
    # Due 2023-02-28: the period starts 2023-03-01, so it ends on 2028-02-29 (民法143条2項).
    assert _completes(D(2023, 2, 28), TAX) == D(2028, 2, 29)
    # Start on 2024-02-29: no 29 February in 2029 → the last day of that month.
    assert _completes(D(2024, 2, 28), TAX) == D(2029, 2, 28)
    assert _completes(D(2024, 2, 28), NHI) == D(2026, 2, 28)
    assert _completes(D(2024, 2, 29), TAX) == D(2029, 2, 28)  # starts 2024-03-01


def test_years_must_be_positive() -> None:
    with pytest.raises(ValueError, match="years"):
        limitation(D(2020, 6, 30), 0)


# --- renewals -------------------------------------------------------------------------


def test_demand_renews_after_its_tenth_day() -> None:
    # Issued 2020-07-15; 指定期限 2020-07-25; anew from 2020-07-26.
    result = limitation(D(2020, 6, 30), TAX, [Event("demand", D(2020, 7, 15))])
    assert result.completes_on == D(2025, 7, 25)
    assert [(s.applied, s.completes_on, s.reason) for s in result.steps] == [
        (True, D(2025, 6, 30), "法定納期限(令和2年6月30日)の翌日から起算(5年)"),
        (True, D(2025, 7, 25), "督促(令和2年7月15日)により更新: 令和2年7月25日の翌日から新たに5年"),
    ]


def test_only_the_first_demand_renews() -> None:
    result = limitation(D(2020, 6, 30), TAX, [Event("demand", D(2021, 2, 1)), Event("demand", D(2020, 7, 15))])
    assert result.completes_on == D(2025, 7, 25)
    assert not result.steps[2].applied
    assert result.steps[2].reason == "督促(令和3年2月1日): 2回目以降の督促のため効力なし"


def test_demand_issued_on_the_last_day_renews_after_its_tenth_day() -> None:
    # 18条の2第1項: completion is postponed from the issue to the 10th day, then the period runs anew.
    assert _completes(D(2020, 6, 30), TAX, Event("demand", D(2025, 6, 30))) == D(2030, 7, 10)


def test_pledge_renews_from_the_next_day() -> None:
    assert _completes(D(2020, 6, 30), TAX, Event("acknowledgement", D(2023, 4, 10))) == D(2028, 4, 10)
    # Renewals chain: each runs the whole period anew.
    assert _completes(
        D(2020, 6, 30),
        TAX,
        Event("demand", D(2020, 7, 15)),
        Event("acknowledgement", D(2024, 11, 5)),
        Event("acknowledgement", D(2029, 8, 20)),
    ) == D(2034, 8, 20)


def test_pledge_on_the_last_day_renews_but_after_completion_does_not_revive() -> None:
    assert _completes(D(2020, 6, 30), TAX, Event("acknowledgement", D(2025, 6, 30))) == D(2030, 6, 30)
    result = limitation(D(2020, 6, 30), TAX, [Event("acknowledgement", D(2025, 7, 1))])
    assert result.completes_on == D(2025, 6, 30)
    assert not result.steps[1].applied
    assert result.steps[1].reason == "承認(令和7年7月1日): 時効完成後のため効力なし"


def test_seizure_postpones_while_in_force_then_renews_from_release() -> None:
    seizure = Event("seizure", D(2022, 5, 10), until=D(2023, 1, 20))
    assert _completes(D(2020, 6, 30), TAX, seizure) == D(2028, 1, 20)
    # In force across the original completion date: no completion then, anew after release.
    across = Event("seizure", D(2025, 3, 1), until=D(2025, 12, 15))
    result = limitation(D(2020, 6, 30), TAX, [across])
    assert result.completes_on == D(2030, 12, 15)
    assert result.steps[1].reason == "差押(令和7年3月1日〜令和7年12月15日)により完成猶予、終了の翌日から新たに5年"


def test_open_seizure_means_no_completion() -> None:
    result = limitation(
        D(2020, 6, 30), TAX, [Event("seizure", D(2022, 5, 10)), Event("acknowledgement", D(2023, 1, 5))]
    )
    assert result.completes_on is None
    assert [s.completes_on for s in result.steps] == [D(2025, 6, 30), None, None]
    assert result.steps[1].reason == "差押(令和4年5月10日〜)により完成猶予: 継続中のため時効は完成しない"
    assert result.steps[2].reason.endswith("(差押(令和4年5月10日〜)が継続中のため時効は完成しない)")


def test_seizure_after_completion_has_no_effect() -> None:
    assert _completes(D(2020, 6, 30), TAX, Event("seizure", D(2025, 7, 1))) == D(2025, 6, 30)


def test_exchange_request_works_like_a_seizure() -> None:
    assert _completes(D(2020, 6, 30), TAX, Event("exchange_request", D(2024, 9, 2), D(2025, 2, 14))) == D(2030, 2, 14)
    assert _completes(D(2020, 6, 30), TAX, Event("exchange_request", D(2024, 9, 2))) is None


def test_notice_has_no_effect_by_default() -> None:
    result = limitation(D(2020, 6, 30), TAX, [Event("notice", D(2020, 5, 15))])
    assert result.completes_on == D(2025, 6, 30)
    assert not result.steps[1].applied
    assert result.steps[1].reason == "納付の告知(令和2年5月15日): 時効への効力なし"


def test_until_is_read_only_by_renew_at_end_kinds() -> None:
    assert _completes(D(2020, 6, 30), TAX, Event("acknowledgement", D(2023, 4, 10), D(2024, 1, 1))) == D(2028, 4, 10)


# --- reminders (民法150条) --------------------------------------------------------------


def test_reminder_within_six_months_postpones() -> None:
    result = limitation(D(2020, 6, 30), TAX, [Event("reminder", D(2025, 3, 10))])
    assert result.completes_on == D(2025, 9, 10)
    assert result.steps[1].reason == "催告(令和7年3月10日)により完成猶予: 6か月を経過する令和7年9月10日まで完成しない"


def test_reminder_six_months_or_more_before_completion_has_no_effect() -> None:
    # 2024-12-31: 6 months elapse on 2025-06-30, the completion date itself → nothing changes.
    result = limitation(D(2020, 6, 30), TAX, [Event("reminder", D(2024, 12, 31))])
    assert result.completes_on == D(2025, 6, 30)
    assert not result.steps[1].applied
    assert result.steps[1].reason == "催告(令和6年12月31日): 時効完成まで6か月以上あるため効力なし"
    # One day later it postpones by one day.
    assert _completes(D(2020, 6, 30), TAX, Event("reminder", D(2025, 1, 1))) == D(2025, 7, 1)


def test_reminder_during_a_reminder_postponement_has_no_effect() -> None:
    events = [Event("reminder", D(2025, 3, 10)), Event("reminder", D(2025, 8, 1))]
    result = limitation(D(2020, 6, 30), TAX, events)
    assert result.completes_on == D(2025, 9, 10)
    assert result.steps[2].reason == "催告(令和7年8月1日): 催告による完成猶予中のため効力なし(民法150条2項)"
    # Alone, the second reminder would have postponed further: adding an earlier reminder can
    # make completion earlier.
    assert _completes(D(2020, 6, 30), TAX, Event("reminder", D(2025, 6, 1))) == D(2025, 12, 1)
    assert _completes(D(2020, 6, 30), TAX, Event("reminder", D(2025, 6, 1)), Event("reminder", D(2025, 3, 10))) == D(
        2025, 9, 10
    )


def test_reminder_after_completion_has_no_effect() -> None:
    assert _completes(D(2020, 6, 30), TAX, Event("reminder", D(2025, 7, 1))) == D(2025, 6, 30)


def test_after_a_renewal_a_reminder_counts_again() -> None:
    events = [
        Event("reminder", D(2025, 3, 10)),  # → 2025-09-10
        Event("acknowledgement", D(2025, 9, 1)),  # during the postponement → 2030-09-01
        Event("reminder", D(2030, 5, 1)),  # a new period: → 2030-11-01
    ]
    assert _completes(D(2020, 6, 30), TAX, *events) == D(2030, 11, 1)


# --- errors and kinds as data ---------------------------------------------------------


def test_unknown_kind_is_named() -> None:
    with pytest.raises(ValueError, match="unknown limitation event kind 'garnish'; known: demand, "):
        limitation(D(2020, 6, 30), TAX, [Event("demand", D(2020, 7, 15)), Event("garnish", D(2021, 1, 1))])


def test_unknown_kind_raises_even_after_completion() -> None:
    with pytest.raises(ValueError, match="'garnish'"):
        limitation(D(2020, 6, 30), TAX, [Event("garnish", D(2030, 1, 1))])


def test_event_ending_before_it_starts() -> None:
    with pytest.raises(ValueError, match="ends before it starts"):
        limitation(D(2020, 6, 30), TAX, [Event("seizure", D(2022, 5, 10), until=D(2022, 5, 9))])


def test_negative_offset_is_refused() -> None:
    with pytest.raises(ValueError, match="offset_days"):
        EventKind("demand", "督促", Effect.RENEW_AFTER, offset_days=-1)


def test_kinds_are_data() -> None:
    demand = Event("demand", D(2020, 7, 15))
    same_day = {**DEFAULT_KINDS, "demand": replace(DEFAULT_KINDS["demand"], offset_days=0)}
    assert _completes(D(2020, 6, 30), TAX, demand) == D(2025, 7, 25)
    assert _completes(D(2020, 6, 30), TAX, demand, kinds=same_day) == D(2025, 7, 15)
    # A notice whose deadline is after the legal due date, mapped to renew after that deadline.
    notice = Event("notice", D(2021, 5, 10), until=D(2021, 5, 31))
    renewing = {**DEFAULT_KINDS, "notice": replace(DEFAULT_KINDS["notice"], effect=Effect.RENEW_AT_END)}
    assert _completes(D(2020, 6, 30), TAX, notice) == D(2025, 6, 30)
    assert _completes(D(2020, 6, 30), TAX, notice, kinds=renewing) == D(2026, 5, 31)
    # Every demand renewing, if a lawyer says so.
    every = {**DEFAULT_KINDS, "demand": replace(DEFAULT_KINDS["demand"], first_only=False)}
    second = Event("demand", D(2021, 2, 1))
    assert _completes(D(2020, 6, 30), TAX, demand, second, kinds=every) == D(2026, 2, 11)


def test_default_kinds() -> None:
    assert {k: (v.label, v.effect, v.offset_days, v.first_only) for k, v in DEFAULT_KINDS.items()} == {
        "demand": ("督促", Effect.RENEW_AFTER, 10, True),
        "acknowledgement": ("承認", Effect.RENEW_AFTER, 0, False),
        "seizure": ("差押", Effect.RENEW_AT_END, 0, False),
        "exchange_request": ("交付要求", Effect.RENEW_AT_END, 0, False),
        "reminder": ("催告", Effect.POSTPONE_ONCE, 0, False),
        "notice": ("納付の告知", Effect.NONE, 0, False),
    }
    assert all(code == kind.code for code, kind in DEFAULT_KINDS.items())


# --- suspension (執行停止) and extinction ---------------------------------------------


def test_suspension_extinguishes_after_three_years() -> None:
    # Started 2021-04-01: the 3 years run 2021-04-02 … 2024-04-01; gone from 2024-04-02.
    assert suspension_extinction_date(D(2021, 4, 1)) == D(2024, 4, 2)
    assert suspension_extinction_date(D(2021, 3, 31)) == D(2024, 4, 1)
    # Leap years: started 2024-02-28 (3 years from 2024-02-29) or 2024-02-29 (from 2024-03-01).
    assert suspension_extinction_date(D(2024, 2, 28)) == D(2027, 3, 1)
    assert suspension_extinction_date(D(2024, 2, 29)) == D(2027, 3, 1)


def test_cancelled_suspension() -> None:
    assert suspension_extinction_date(D(2021, 4, 1), D(2023, 10, 1)) is None
    assert suspension_extinction_date(D(2021, 4, 1), D(2024, 4, 1)) is None  # on the last day
    assert suspension_extinction_date(D(2021, 4, 1), D(2024, 4, 2)) == D(2024, 4, 2)  # too late
    with pytest.raises(ValueError, match="before it started"):
        suspension_extinction_date(D(2021, 4, 1), D(2021, 3, 31))


def test_extinction_by_limitation() -> None:
    result = extinction(D(2020, 6, 30), TAX, [Event("demand", D(2020, 7, 15))])
    assert (result.on, result.ground) == (D(2025, 7, 26), "limitation")
    assert result.limitation.completes_on == D(2025, 7, 25)


def test_suspension_reaching_three_years_extinguishes_before_limitation() -> None:
    result = extinction(D(2020, 6, 30), TAX, [Event("demand", D(2020, 7, 15))], suspensions=[(D(2021, 4, 1), None)])
    assert (result.on, result.ground) == (D(2024, 4, 2), "suspension")


def test_cancelled_suspension_does_not_extinguish() -> None:
    result = extinction(
        D(2020, 6, 30),
        TAX,
        [Event("demand", D(2020, 7, 15))],
        suspensions=[(D(2021, 4, 1), D(2023, 10, 1)), (D(2023, 10, 2), D(2024, 3, 1))],
    )
    assert (result.on, result.ground) == (D(2025, 7, 26), "limitation")


def test_limitation_keeps_running_during_a_suspension() -> None:
    # NHI: 2 years complete 2025-06-30 while a suspension started 2023-09-01 is in force.
    result = extinction(D(2023, 6, 30), NHI, suspensions=[(D(2023, 9, 1), None)])
    assert (result.on, result.ground) == (D(2025, 7, 1), "limitation")
    assert suspension_extinction_date(D(2023, 9, 1)) == D(2026, 9, 2)


def test_same_day_prefers_limitation() -> None:
    result = extinction(D(2020, 6, 30), TAX, suspensions=[(D(2022, 6, 30), None)])
    assert suspension_extinction_date(D(2022, 6, 30)) == D(2025, 7, 1)
    assert (result.on, result.ground) == (D(2025, 7, 1), "limitation")


def test_immediate_extinction() -> None:
    result = extinction(D(2020, 6, 30), TAX, suspensions=[(D(2022, 1, 10), None)], immediate_on=D(2022, 1, 10))
    assert (result.on, result.ground) == (D(2022, 1, 10), "immediate")
    later = extinction(D(2020, 6, 30), TAX, suspensions=[(D(2022, 1, 10), None)], immediate_on=D(2023, 5, 1))
    assert (later.on, later.ground) == (D(2023, 5, 1), "immediate")


def test_immediate_extinction_needs_a_suspension_in_force() -> None:
    with pytest.raises(ValueError, match="15条の7第5項"):
        extinction(D(2020, 6, 30), TAX, immediate_on=D(2022, 1, 10))
    with pytest.raises(ValueError, match="needs a suspension"):
        extinction(D(2020, 6, 30), TAX, suspensions=[(D(2022, 1, 10), D(2022, 6, 1))], immediate_on=D(2022, 6, 1))


def test_not_extinguished_while_a_seizure_is_in_force() -> None:
    result = extinction(D(2020, 6, 30), TAX, [Event("seizure", D(2022, 5, 10))])
    assert (result.on, result.ground) == (None, None)
    assert result.limitation.completes_on is None


# --- properties -----------------------------------------------------------------------

DUE = st.dates(min_value=D(2010, 1, 1), max_value=D(2030, 12, 31))
YEARS = st.sampled_from([NHI, TAX])
# Kinds whose effect only ever pushes completion later, whatever else happened.
MONOTONE = sorted(c for c, k in DEFAULT_KINDS.items() if not k.first_only and k.effect is not Effect.POSTPONE_ONCE)


@st.composite
def events(draw: st.DrawFn, due: date, codes: list[str] | None = None) -> Event:
    code = draw(st.sampled_from(codes or sorted(DEFAULT_KINDS)))
    on = due + timedelta(days=draw(st.integers(0, 12 * 366)))
    until = None
    if DEFAULT_KINDS[code].effect is Effect.RENEW_AT_END and draw(st.integers(0, 9)):
        until = on + timedelta(days=draw(st.integers(0, 3 * 366)))
    return Event(code, on, until)


def _key(d: date | None) -> date:
    return date.max if d is None else d


@given(st.data(), DUE, YEARS)
def test_never_before_the_plain_period(data: st.DataObject, due: date, years: int) -> None:
    evs = data.draw(st.lists(events(due), max_size=8))
    assert _key(_completes(due, years, *evs)) >= _key(_completes(due, years))


@given(st.data(), DUE, YEARS)
def test_adding_a_renewal_never_makes_completion_earlier(data: st.DataObject, due: date, years: int) -> None:
    evs = data.draw(st.lists(events(due, MONOTONE), max_size=6))
    extra = data.draw(events(due, MONOTONE))
    assert _key(_completes(due, years, *evs, extra)) >= _key(_completes(due, years, *evs))


@given(st.data(), DUE, YEARS)
def test_independent_of_input_order(data: st.DataObject, due: date, years: int) -> None:
    evs = data.draw(st.lists(events(due), max_size=8))
    shuffled = data.draw(st.permutations(evs))
    assert limitation(due, years, shuffled) == limitation(due, years, evs)


@given(st.data(), DUE, YEARS)
def test_extinction_is_never_after_limitation(data: st.DataObject, due: date, years: int) -> None:
    evs = data.draw(st.lists(events(due), max_size=5))
    start = data.draw(st.dates(min_value=due, max_value=due + timedelta(days=3000)))
    result = extinction(due, years, evs, suspensions=[(start, None)])
    assert result.on is not None
    if result.limitation.completes_on is not None:
        assert result.on <= result.limitation.completes_on + timedelta(days=1)
    assert result.on <= _key(suspension_extinction_date(start))
