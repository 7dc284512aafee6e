"""Forms of the Japanese UI."""

from datetime import date

from django import forms


class CounterPaymentForm(forms.Form):
    """窓口収納: the installments paid, the amount received, the day paid."""

    installment_ids = forms.TypedMultipleChoiceField(
        label="納付する期別",
        coerce=int,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "納付する期別を選んでください。"},
    )
    amount = forms.IntegerField(
        label="領収金額(円)",
        min_value=1,
        error_messages={"required": "金額を入力してください。", "min_value": "金額は1円以上です。"},
    )
    paid_on = forms.DateField(
        label="納付日",
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"required": "納付日を入力してください。", "invalid": "日付の形式が正しくありません。"},
    )
    note = forms.CharField(label="摘要", max_length=200, required=False)

    def __init__(self, *args: object, choices: list[tuple[int, str]], today: date, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.today = today
        self.fields["installment_ids"].choices = choices  # type: ignore[attr-defined]

    def clean_paid_on(self) -> date:
        paid_on: date = self.cleaned_data["paid_on"]
        if paid_on > self.today:
            raise forms.ValidationError("納付日に未来の日付は指定できません。")
        return paid_on


class ReversalForm(forms.Form):
    """収納の取消 (係長のみ)."""

    reason = forms.CharField(
        label="取消理由", max_length=200, error_messages={"required": "取消理由を入力してください。"}
    )
