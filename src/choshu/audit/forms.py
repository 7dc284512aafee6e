"""Forms of the auditor's screens (監査): the access-log search and the analysis report."""

import re
from datetime import date

from django import forms

from choshu.audit.models import Action
from choshu.audit.selectors import LogFilter

SUBJECT = re.compile(r"^[a-z_]+(:[0-9A-Za-z_.:-]+)?$")
_DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class AccessLogFilterForm(forms.Form):
    date_from = forms.DateField(label="期間(自)", required=False, widget=_DATE)
    date_to = forms.DateField(label="期間(至)", required=False, widget=_DATE)
    user = forms.CharField(label="利用者", max_length=150, required=False)
    action = forms.ChoiceField(label="操作", choices=[("", "すべて"), *Action.choices], required=False)
    subject = forms.CharField(
        label="対象", max_length=60, required=False, widget=forms.TextInput(attrs={"placeholder": "person:123"})
    )
    purpose = forms.CharField(
        label="目的", max_length=100, required=False, widget=forms.TextInput(attrs={"placeholder": "case:12 / case:"})
    )
    query = forms.CharField(label="検索語", max_length=200, required=False)
    no_purpose = forms.BooleanField(label="目的なしの閲覧のみ", required=False)
    off_hours = forms.BooleanField(label="時間外・閉庁日のみ", required=False)
    seq_from = forms.IntegerField(label="通番(自)", min_value=1, required=False)
    seq_to = forms.IntegerField(label="通番(至)", min_value=1, required=False)
    before = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)

    def clean_subject(self) -> str:
        subject: str = self.cleaned_data["subject"].strip()
        if subject and not SUBJECT.match(subject):
            raise forms.ValidationError("対象は person:123 の形式で入力してください。")
        return subject

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        start, end = data.get("date_from"), data.get("date_to")
        if isinstance(start, date) and isinstance(end, date) and start > end:
            raise forms.ValidationError("期間の自と至が逆です。")
        return data

    def log_filter(self) -> LogFilter:
        d = self.cleaned_data
        return LogFilter(
            date_from=d["date_from"],
            date_to=d["date_to"],
            user=d["user"].strip(),
            action=d["action"],
            subject=d["subject"],
            purpose=d["purpose"].strip(),
            query=d["query"].strip(),
            no_purpose=d["no_purpose"],
            off_hours=d["off_hours"],
            seq_from=d["seq_from"],
            seq_to=d["seq_to"],
        )


class ReportForm(forms.Form):
    date_from = forms.DateField(label="期間(自)", widget=_DATE)
    date_to = forms.DateField(label="期間(至)", widget=_DATE)

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        start, end = data.get("date_from"), data.get("date_to")
        if isinstance(start, date) and isinstance(end, date) and start > end:
            raise forms.ValidationError("期間の自と至が逆です。")
        return data
