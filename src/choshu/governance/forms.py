"""Forms of 委託・外部結合 (Japanese UI)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django import forms
from django.utils import timezone

from choshu.governance.catalogue import groups
from choshu.governance.exports import EXPORT_KINDS
from choshu.governance.models import Contract, ContractHandler, Contractor, Handover, Media, OnSiteAudit

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
MOMENT = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
MOMENT_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"]


def _now_minute() -> datetime:
    return timezone.localtime().replace(second=0, microsecond=0)


class ContractorForm(forms.Form):
    name = forms.CharField(label="名称", max_length=200)
    address = forms.CharField(label="所在地", max_length=200, required=False)
    privacy_mark = forms.BooleanField(label="プライバシーマーク", required=False)
    iso27001 = forms.BooleanField(label="ISO 27001", required=False)


class ContractForm(forms.Form):
    contract_no = forms.CharField(label="契約番号", max_length=30)
    title = forms.CharField(label="件名", max_length=200)
    kind = forms.ChoiceField(label="区分", choices=Contract.Kind.choices)
    contractor = forms.ModelChoiceField(label="委託先", queryset=Contractor.objects.order_by("name"))
    parent = forms.ModelChoiceField(
        label="元契約(再委託のみ)", queryset=Contract.objects.order_by("contract_no"), required=False
    )
    purpose = forms.CharField(label="目的", widget=forms.Textarea(attrs={"rows": 2}))
    council_ref = forms.CharField(label="審議会承認", max_length=200)
    starts_on = forms.DateField(label="開始日", widget=DATE)
    ends_on = forms.DateField(label="終了日", widget=DATE)
    media_kinds = forms.MultipleChoiceField(
        label="記録媒体", choices=Media.choices, widget=forms.CheckboxSelectMultiple
    )
    approved_items = forms.MultipleChoiceField(
        label="承認データ項目",
        choices=[(group, [(item.code, f"{item.label}") for item in items]) for group, items in groups()],
        widget=forms.CheckboxSelectMultiple,
    )
    return_days = forms.IntegerField(label="媒体返却期限(受渡しから日数)", min_value=1, initial=30)
    erasure_days = forms.IntegerField(label="消去証明書提出期限(返却から日数)", min_value=1, initial=14)
    yearly_audit = forms.BooleanField(label="年度ごとの立入調査", required=False, initial=True)


class HandlerForm(forms.Form):
    role = forms.ChoiceField(label="区分", choices=ContractHandler.Role.choices)
    name = forms.CharField(label="氏名", max_length=100)
    reported_on = forms.DateField(label="報告日", widget=DATE, initial=timezone.localdate)


class AuditForm(forms.Form):
    audited_on = forms.DateField(label="実施日", widget=DATE, initial=timezone.localdate)
    auditors = forms.CharField(label="実施者", max_length=200)
    result = forms.ChoiceField(label="結果", choices=OnSiteAudit.Result.choices)
    findings = forms.CharField(label="所見", widget=forms.Textarea(attrs={"rows": 2}), required=False)
    follow_up = forms.CharField(label="改善措置", widget=forms.Textarea(attrs={"rows": 2}), required=False)


class IncidentForm(forms.Form):
    occurred_on = forms.DateField(label="発生日", widget=DATE)
    reported_on = forms.DateField(label="報告日", widget=DATE, initial=timezone.localdate)
    summary = forms.CharField(label="概要", max_length=200)
    report = forms.CharField(label="報告内容", widget=forms.Textarea(attrs={"rows": 2}), required=False)


class IncidentCloseForm(forms.Form):
    closed_on = forms.DateField(label="完了日", widget=DATE, initial=timezone.localdate)
    follow_up = forms.CharField(label="対応", widget=forms.Textarea(attrs={"rows": 2}))


class ExportPrepareForm(forms.Form):
    kind = forms.ChoiceField(label="種類")
    contract = forms.ModelChoiceField(label="契約", queryset=Contract.objects.none())
    purpose = forms.CharField(label="用途", max_length=200)
    keys = forms.CharField(
        label="対象(種類ごとの番号、1行に1件)", widget=forms.Textarea(attrs={"rows": 8, "class": "keys"})
    )

    def __init__(self, *args: Any, today: date, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [  # type: ignore[attr-defined]
            (k.code, f"{k.label}({k.encoding_label})") for k in EXPORT_KINDS.values()
        ]
        self.fields["contract"].queryset = (  # type: ignore[attr-defined]
            Contract.objects.filter(starts_on__lte=today, ends_on__gte=today, terminated_on__isnull=True)
            .select_related("contractor")
            .order_by("contract_no")
        )


class HandOverForm(forms.Form):
    prefix = "handover"

    occurred_at = forms.DateTimeField(
        label="受渡日時", widget=MOMENT, input_formats=MOMENT_FORMATS, initial=_now_minute
    )
    media_id = forms.CharField(label="媒体番号", max_length=50)
    contractor_handler = forms.ModelChoiceField(label="委託先の取扱者", queryset=ContractHandler.objects.none())
    pieces = forms.IntegerField(label="点数", min_value=1, initial=1)
    note = forms.CharField(label="備考", max_length=200, required=False)

    def __init__(self, *args: Any, contract: Contract, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["contractor_handler"].queryset = contract.handlers.filter(  # type: ignore[attr-defined]
            withdrawn_on__isnull=True
        )


class NoticeForm(forms.Form):
    prefix = "notice"

    occurred_at = forms.DateTimeField(
        label="受渡日時", widget=MOMENT, input_formats=MOMENT_FORMATS, initial=_now_minute
    )
    contractor_handler = forms.ModelChoiceField(label="委託先の取扱者", queryset=ContractHandler.objects.none())
    note = forms.CharField(label="備考", max_length=200, required=False)

    def __init__(self, *args: Any, contract: Contract, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["contractor_handler"].queryset = contract.handlers.filter(  # type: ignore[attr-defined]
            withdrawn_on__isnull=True
        )


class ReturnForm(HandOverForm):
    prefix = "return"

    notice_returned = forms.BooleanField(label="パスワード通知書も返却", required=False)

    def __init__(self, *args: Any, contract: Contract, **kwargs: Any) -> None:
        super().__init__(*args, contract=contract, **kwargs)
        self.fields["occurred_at"].label = "返却日時"


class HandoverForm(forms.Form):
    """受渡し that is not an export package (paper documents, delivered printed matter)."""

    direction = forms.ChoiceField(label="方向", choices=Handover.DIRECTIONS)
    media_kind = forms.ChoiceField(label="媒体")  # not "media": a form's `media` is its assets
    media_id = forms.CharField(label="媒体番号(管理番号)", max_length=50, required=False)
    contents = forms.CharField(
        label="情報の内容",
        max_length=200,
        help_text="書類の種類・範囲(例: 課税資料 原票 令和7年度分)。氏名等は書かない。",
    )
    records = forms.IntegerField(label="件数", min_value=0, initial=0)
    pieces = forms.IntegerField(label="点数", min_value=1, initial=1)
    occurred_at = forms.DateTimeField(
        label="受渡日時", widget=MOMENT, input_formats=MOMENT_FORMATS, initial=_now_minute
    )
    contractor_handler = forms.ModelChoiceField(label="委託先の取扱者", queryset=ContractHandler.objects.none())
    return_required = forms.BooleanField(label="返却を要する(区→委託先)", required=False)
    certificate_required = forms.BooleanField(label="消去(廃棄)証明書を要する(区→委託先)", required=False)
    note = forms.CharField(label="備考", max_length=200, required=False)

    def __init__(self, *args: Any, contract: Contract, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["media_kind"].choices = [(m, Media(m).label) for m in contract.media if m in Media.values]  # type: ignore[attr-defined]
        self.fields["contractor_handler"].queryset = contract.handlers.filter(  # type: ignore[attr-defined]
            withdrawn_on__isnull=True
        )


class HandoverReturnForm(HandOverForm):
    prefix = "return"

    def __init__(self, *args: Any, contract: Contract, **kwargs: Any) -> None:
        super().__init__(*args, contract=contract, **kwargs)
        self.fields["occurred_at"].label = "返却日時"


class ErasureForm(forms.Form):
    prefix = "erasure"

    certificate_no = forms.CharField(label="証明書番号", max_length=50)
    issued_on = forms.DateField(label="発行日", widget=DATE)
    issuer = forms.CharField(label="発行者", max_length=200)
    occurred_at = forms.DateTimeField(
        label="受領日時", widget=MOMENT, input_formats=MOMENT_FORMATS, initial=_now_minute
    )
    contractor_handler = forms.ModelChoiceField(label="提出した取扱者", queryset=ContractHandler.objects.none())

    def __init__(self, *args: Any, contract: Contract, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["contractor_handler"].queryset = contract.handlers.all()  # type: ignore[attr-defined]


class CancelForm(forms.Form):
    prefix = "cancel"

    reason = forms.CharField(label="取消理由", max_length=200)

    def __init__(self, *args: Any, contract: Contract | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)  # `contract`: as the other step forms are made; unused


class LedgerFilterForm(forms.Form):
    contract = forms.ModelChoiceField(
        label="契約", queryset=Contract.objects.order_by("contract_no"), required=False, empty_label="すべて"
    )
    date_from = forms.DateField(label="期間(から)", widget=DATE, required=False)
    date_to = forms.DateField(label="期間(まで)", widget=DATE, required=False)
