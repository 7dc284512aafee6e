"""Forms of 収納データ (Japanese UI): uploading a channel file, resolving a suspense item."""

from __future__ import annotations

from datetime import date
from typing import Any

from django import forms

from choshu.formats.channels import FORMATS

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")

# What a clerk calls each channel file (choshu.formats.channels.FORMATS); an unknown name shows as itself.
FORMAT_LABELS = {
    "cvs-csv": "コンビニ収納 速報・確報(CSV)",
    "cvs-120": "コンビニ収納(120バイト)",
    "zengin-debit-result": "口座振替結果(全銀 種別91)",
    "payeasy": "ペイジー(MPN 収納データ)",
    "eltax": "地方税共通納税(eLTAX 納付データ)",
    "bank-ocr": "金融機関窓口(OCR 収納データ)",
}


def format_label(name: str) -> str:
    return FORMAT_LABELS.get(name, name)


def format_choices() -> list[tuple[str, str]]:
    return [(name, f"{format_label(name)} [{name}]") for name in sorted(FORMATS)]


class ChannelImportForm(forms.Form):
    """収納データ取込: which channel's file, the file, the day it was received."""

    format = forms.ChoiceField(
        label="形式",
        error_messages={"required": "形式を選んでください。", "invalid_choice": "形式が正しくありません。"},
    )
    file = forms.FileField(
        label="ファイル",
        error_messages={
            "required": "ファイルを選んでください。",
            "empty": "ファイルが空です。",
            "invalid": "ファイルを読み取れません。",
        },
    )
    received_on = forms.DateField(
        label="受領日",
        widget=DATE,
        error_messages={"required": "受領日を入力してください。", "invalid": "日付の形式が正しくありません。"},
    )

    def __init__(self, *args: Any, today: date, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"received_on": today})
        super().__init__(*args, **kwargs)
        self.today = today
        self.fields["format"].choices = [("", "選択してください"), *format_choices()]  # type: ignore[attr-defined]
        self.fields["format"].widget.attrs["autofocus"] = True

    def clean_received_on(self) -> date:
        received_on: date = self.cleaned_data["received_on"]
        if received_on > self.today:
            raise forms.ValidationError("受領日に未来の日付は指定できません。")
        return received_on


class SuspenseResolveForm(forms.Form):
    """未確認入金の消込: the person and which of their installments the held money pays."""

    atena_no = forms.CharField(label="宛名番号", max_length=20)
    installment_ids = forms.TypedMultipleChoiceField(
        label="消込する期別",
        coerce=int,
        widget=forms.CheckboxSelectMultiple,
        error_messages={
            "required": "消込する期別を選んでください。",
            "invalid_choice": "選んだ期別はこの宛名の未納の期別ではありません。",
        },
    )

    def __init__(self, *args: Any, choices: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["installment_ids"].choices = choices  # type: ignore[attr-defined]


class OverpaymentDecisionForm(forms.Form):
    """充当日 or 支出決定日: today or earlier (a decision is never dated in the future)."""

    decided_on = forms.DateField(
        label="決定日",
        widget=DATE,
        error_messages={"required": "決定日を入力してください。", "invalid": "日付の形式が正しくありません。"},
    )

    def __init__(self, *args: Any, today: date, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.today = today
        self.fields["decided_on"].initial = today

    def clean_decided_on(self) -> date:
        decided_on: date = self.cleaned_data["decided_on"]
        if decided_on > self.today:
            raise forms.ValidationError("決定日に未来の日付は指定できません。")
        return decided_on
