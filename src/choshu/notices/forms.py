"""Forms of 督促・催告・返戻・納品検査 (dates as <input type=date>, 西暦 values, 和暦 shown beside)."""

from __future__ import annotations

from typing import Any

from django import forms

from choshu.notices.delivery import DOCUMENTS
from choshu.notices.models import ReturnedMail

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class DemandRunForm(forms.Form):
    due_on = forms.DateField(label="納期限", widget=DATE)
    issue_date = forms.DateField(label="発付日", widget=DATE)


class ReminderRunForm(forms.Form):
    as_of = forms.DateField(label="基準日", widget=DATE)
    issue_date = forms.DateField(label="発付日", widget=DATE)


class CancelForm(forms.Form):
    reason = forms.CharField(label="取消理由", max_length=200)


class DispatchForm(forms.Form):
    dispatched_on = forms.DateField(label="発送日", widget=DATE)


class ReturnedMailForm(forms.Form):
    document = forms.ChoiceField(label="文書", choices=list(DOCUMENTS.items()))
    letter_no = forms.CharField(label="整理番号", max_length=12, widget=forms.TextInput(attrs={"inputmode": "numeric"}))
    returned_on = forms.DateField(label="返戻日", widget=DATE)
    reason = forms.ChoiceField(label="返戻理由", choices=ReturnedMail.Reason.choices)


class InspectionForm(forms.Form):
    pieces = forms.CharField(
        label="納品一覧(整理番号、1行に1件。CSVは1列目)",
        required=False,
        widget=forms.Textarea(attrs={"rows": 8, "class": "keys"}),
    )
    file = forms.FileField(label="または納品一覧ファイル(CSV)", required=False)
    note = forms.CharField(label="備考", max_length=200, required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        upload = data.get("file")
        if upload is not None:
            raw = upload.read()
            try:
                data["pieces"] = raw.decode("utf-8-sig")
            except UnicodeDecodeError:
                data["pieces"] = raw.decode("cp932", errors="replace")
        if not (data.get("pieces") or "").strip():
            raise forms.ValidationError("納品一覧を入力するか、ファイルを選んでください。")
        return data
