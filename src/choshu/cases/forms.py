"""Forms of 滞納整理 (dates as <input type=date>, 西暦 values, 和暦 shown beside)."""

from __future__ import annotations

import calendar
from datetime import date
from typing import Any

from django import forms

from choshu.cases.models import Activity, Deferral, Seizure, Suspension
from choshu.staff.models import User

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
MAX_PLAN_PAYMENTS = 60


class ActivityForm(forms.Form):
    kind = forms.ChoiceField(label="種別", choices=Activity.Kind.choices)
    occurred_at = forms.DateTimeField(
        label="日時",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
    )
    contacted = forms.BooleanField(label="本人と接触", required=False)
    acknowledged = forms.BooleanField(label="債務の承認あり(時効の更新)", required=False)
    summary = forms.CharField(label="内容", max_length=2000, widget=forms.Textarea(attrs={"rows": 3}))
    next_action_on = forms.DateField(label="次回対応日", required=False, widget=DATE)


class AssignForm(forms.Form):
    officer = forms.ModelChoiceField(
        label="担当者", queryset=User.objects.none(), required=False, empty_label="(未割当)"
    )

    def __init__(self, *args: Any, officers: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["officer"].queryset = officers  # type: ignore[attr-defined]


def monthly_schedule(total: int, first: date, count: int) -> list[tuple[date, int]]:
    """``count`` monthly payments from ``first`` (the same day each month, or the month's last
    day), equal amounts with the remainder on the first payment: 100,000 in 3 → 33,334 + 33,333 × 2."""
    base, rest = divmod(total, count)
    return [(_months_after(first, n), base + (rest if n == 0 else 0)) for n in range(count)]


def _months_after(first: date, months: int) -> date:
    year, month0 = divmod(first.year * 12 + first.month - 1 + months, 12)
    return date(year, month0 + 1, min(first.day, calendar.monthrange(year, month0 + 1)[1]))


class PlanForm(forms.Form):
    pledged_on = forms.DateField(label="誓約日", widget=DATE)
    first_due_on = forms.DateField(label="第1回納付予定日", widget=DATE)
    count = forms.IntegerField(label="回数(毎月)", min_value=1, max_value=MAX_PLAN_PAYMENTS)
    note = forms.CharField(label="備考", max_length=200, required=False)


class DeferralForm(forms.Form):
    kind = forms.ChoiceField(label="種類", choices=Deferral.Kind.choices)
    ground = forms.ChoiceField(label="事由", choices=Deferral.Ground.choices)
    applied_on = forms.DateField(label="申請日(職権は空欄)", required=False, widget=DATE)
    starts_on = forms.DateField(label="猶予期間 始期", widget=DATE)
    ends_on = forms.DateField(label="終期", widget=DATE)
    note = forms.CharField(label="備考", max_length=200, required=False)


class SeizureForm(forms.Form):
    property = forms.ChoiceField(label="財産の種類", choices=Seizure.Property.choices)
    description = forms.CharField(label="財産の表示", max_length=200)
    third_party = forms.CharField(label="第三債務者等", max_length=100, required=False)
    amount = forms.IntegerField(label="差押額", min_value=1)
    seized_on = forms.DateField(label="差押日", widget=DATE)


class SuspensionForm(forms.Form):
    ground = forms.TypedChoiceField(label="事由", choices=Suspension.Ground.choices, coerce=int)
    started_on = forms.DateField(label="停止日", widget=DATE)
    notified_on = forms.DateField(label="通知日", required=False, widget=DATE)
    reason = forms.CharField(label="理由", max_length=200)


class AmountOnForm(forms.Form):
    """取立: an amount on a day."""

    amount = forms.IntegerField(label="取立額", min_value=1)
    on = forms.DateField(label="取立日", widget=DATE)


class EndForm(forms.Form):
    """取消・解除・即時消滅: a day and a reason."""

    on = forms.DateField(label="日付", widget=DATE)
    reason = forms.CharField(label="理由", max_length=200)
