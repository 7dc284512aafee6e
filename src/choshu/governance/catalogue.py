"""承認データ項目カタログ: the data items a contract may approve, as codes with Japanese labels.

Built from the privacy council's papers (seeds): 資料35-2 (seed 004, the items of the standard
tax system, grouped 基本情報・個人住民税・軽自動車税・収納情報・滞納整理情報) and the item lists of
seeds 000 (field survey), 001 (demand print), 002 (payment channels; printing of 税額通知・納付書・
督促状・催告書) and 003 (bank inquiries). Where a seed names a use but not its items (seed 002's
levy upload and printing: the item lists are not among the council papers), the items are those
the data written needs, so that a contract approves them one by one.
A contract approves a set of these codes; an export kind declares the codes it writes; the export
engine refuses a run whose fields the contract does not cover (`missing_items`).

Pure Python: no Django import, so the catalogue can be read by docs and tests alone.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class DataItem:
    code: str
    label: str  # 日本語, as the council paper names it
    group: str  # 資料35-2 group or the seed's own list
    source: str  # where the item is named


BASIC = "基本情報"
RESIDENT = "個人住民税"
LIGHT_VEHICLE = "軽自動車税(種別割)"
COLLECTION = "収納情報"
DELINQUENCY = "滞納整理情報"
SURVEY = "現地調査"
DEMAND = "督促状(特別徴収分)"
PAYEASY = "ペイジー・収納チャネル"
INQUIRY = "財産調査"
PRINTING = "税額通知等の印字出力"

S000 = "seed 000 現地調査委託(委託先に提供・収集させる項目)"
S001 = "seed 001 督促状印字委託(特別徴収義務者の情報)"
S002 = "seed 002 モバイルレジ・ペイジー(マルチペイメントネットワーク照会依頼キー)"
S002_LEVY = "seed 002 ペイジー調定データのアップロード(項目一覧の資料48-5は審議会資料に含まれない)"
S002_PRINT = "seed 002 税額通知等の印字出力処理業務の委託(項目一覧は審議会資料に含まれない)"
S003 = "seed 003 財産調査(照会データ・回答)"
S004 = "seed 004 資料35-2"

_ITEMS: tuple[DataItem, ...] = (
    # 資料35-2 【基本情報】; 000, 001, 002 (printing) and 003 name some of them too.
    DataItem("person.atena_no", "宛名番号(住民番号)", BASIC, S004),
    DataItem("person.name", "氏名(漢字)", BASIC, f"{S004}; {S000}; {S002_PRINT}"),
    DataItem("person.name_kana", "氏名(カナ)", BASIC, f"{S004}; {S003}"),
    DataItem("person.sex", "性別", BASIC, S004),
    DataItem("person.birth_date", "生年月日", BASIC, f"{S004}; {S003}"),
    DataItem("person.postal_code", "郵便番号", BASIC, f"{S000}; {S001}; {S002_PRINT}"),
    DataItem("person.address", "住所(現住所)", BASIC, f"{S004}; {S000}; {S003}; {S002_PRINT}"),
    DataItem("person.address_extra", "方書", BASIC, f"{S000}; {S002_PRINT}"),
    DataItem("person.sending_address", "送付先情報", BASIC, S004),
    DataItem("person.resident_since", "区民日", BASIC, S004),
    DataItem("person.nationality", "国籍", BASIC, S004),
    DataItem("person.household_no", "世帯番号", BASIC, S004),
    DataItem("person.relationship", "続柄", BASIC, S004),
    DataItem("person.phone", "電話番号", BASIC, S004),
    DataItem("person.public_assistance", "公的扶助", BASIC, S004),
    # 資料35-2 【個人住民税】
    DataItem("resident.assessment_address", "住所(賦課住所・家屋敷・事務所)", RESIDENT, S004),
    DataItem("resident.nonresidence", "不現住情報", RESIDENT, S004),
    DataItem("resident.taxing_municipality", "住登外課税地市区町村コード", RESIDENT, S004),
    DataItem("resident.income", "課税履歴情報(収入・所得・控除)", RESIDENT, S004),
    DataItem("resident.tax_amount", "税額", RESIDENT, S004),
    DataItem("resident.installment_amount", "期別(月割)額", RESIDENT, S004),
    DataItem("resident.due_date", "納期限", RESIDENT, S004),
    DataItem("resident.late_fee", "延滞金", RESIDENT, S004),
    DataItem("resident.reduction", "減免", RESIDENT, S004),
    DataItem("resident.collection_method", "徴収方法希望", RESIDENT, S004),
    DataItem("resident.dependants", "扶養者情報", RESIDENT, S004),
    DataItem("resident.family_employees", "専従者情報", RESIDENT, S004),
    DataItem("resident.special_collector", "特別徴収義務者", RESIDENT, S004),
    DataItem("resident.recipient_no", "受給者番号", RESIDENT, S004),
    DataItem("resident.pension_no", "基礎年金番号", RESIDENT, S004),
    DataItem("resident.disability", "障害程度", RESIDENT, S004),
    DataItem("resident.heir_agent", "相続人・納税管理人情報", RESIDENT, S004),
    DataItem("resident.notice_issued_on", "通知書発付日", RESIDENT, S004),
    DataItem("resident.notice_no", "通知書番号", RESIDENT, S004),
    DataItem("resident.public_notice", "公示情報", RESIDENT, S004),
    DataItem("resident.tax_materials", "課税資料情報", RESIDENT, S004),
    DataItem("resident.caution", "処理注意者情報", RESIDENT, S004),
    DataItem("resident.certificate_stop", "証明発行停止情報", RESIDENT, S004),
    # 資料35-2 【軽自動車税(種別割)】
    DataItem("vehicle.garage_address", "住所(定置場)", LIGHT_VEHICLE, S004),
    DataItem(
        "vehicle.details",
        "車両情報(車台番号・車種・車両区分・登録年月日・廃車年月日・標識番号・初度検査年月)",
        LIGHT_VEHICLE,
        S004,
    ),
    DataItem("vehicle.tax_history", "課税履歴情報(税率区分・税額・納期限・延滞金・減免)", LIGHT_VEHICLE, S004),
    DataItem("vehicle.heir_agent", "相続人・納税管理人情報", LIGHT_VEHICLE, S004),
    DataItem("vehicle.notice", "通知書発付日・通知書番号", LIGHT_VEHICLE, S004),
    DataItem("vehicle.public_notice", "公示情報", LIGHT_VEHICLE, S004),
    DataItem("vehicle.compensation", "弁償金徴収有無", LIGHT_VEHICLE, S004),
    # 資料35-2 【収納情報】
    DataItem(
        "collection.account",
        "口座情報(金融機関コード・口座番号・預金科目・名義人・納付方法・開始・取消年月日)",
        COLLECTION,
        S004,
    ),
    DataItem("collection.payments", "収納履歴(収納日・領収日)", COLLECTION, S004),
    DataItem("collection.appropriations", "充当履歴", COLLECTION, S004),
    DataItem("collection.payment_agent", "納付委託情報", COLLECTION, S004),
    DataItem("collection.refunds", "還付情報", COLLECTION, S004),
    # 資料35-2 【滞納整理情報】
    DataItem("delinquency.property", "財産状態", DELINQUENCY, S004),
    DataItem("delinquency.installment_plan", "分納情報", DELINQUENCY, S004),
    DataItem("delinquency.deferral", "徴収猶予・換価猶予情報", DELINQUENCY, S004),
    DataItem("delinquency.disposition", "滞納処分情報", DELINQUENCY, S004),
    DataItem("delinquency.suspension", "滞納処分の停止情報", DELINQUENCY, S004),
    DataItem("delinquency.negotiation", "交渉情報", DELINQUENCY, S004),
    DataItem("delinquency.consultation", "相談情報", DELINQUENCY, S004),
    DataItem("delinquency.occupation", "職業", DELINQUENCY, S004),
    # seed 000: 《委託先に収集させる項目》 (they come back; listed so a contract can approve them)
    DataItem("survey.residence", "居住の有無", SURVEY, S000),
    DataItem("survey.exterior", "現地の外観状況", SURVEY, S000),
    # seed 001: the print data of a special-collection demand letter; seed 002's printing of the
    # ordinary-collection and light-vehicle demand letters prints the 期別 and amounts too
    DataItem("employer.postal_code", "郵便番号(特別徴収義務者)", DEMAND, S001),
    DataItem("employer.location", "所在地", DEMAND, S001),
    DataItem("employer.name", "事業者氏名", DEMAND, S001),
    DataItem("employer.designation_no", "指定番号", DEMAND, S001),
    DataItem("demand.installment", "督促対象期別", DEMAND, f"{S001}; {S002_PRINT}"),
    DataItem("demand.tax_amount", "課税額", DEMAND, f"{S001}; {S002_PRINT}"),
    DataItem("demand.demand_amount", "督促額", DEMAND, f"{S001}; {S002_PRINT}"),
    # seed 002: Pay-easy keys on slips (printed by the print house too), levy data uploaded,
    # payment data downloaded
    DataItem("payeasy.institution_no", "収納機関番号", PAYEASY, f"{S002}; {S002_PRINT}"),
    DataItem("payeasy.payment_no", "納付番号", PAYEASY, f"{S002}; {S002_PRINT}"),
    DataItem("payeasy.confirmation_no", "確認番号", PAYEASY, f"{S002}; {S002_PRINT}"),
    DataItem("payeasy.payment_class", "納付区分", PAYEASY, f"{S002}; {S002_PRINT}"),
    # what the 調定データ carries besides the keys (export kind payeasy-levy-upload)
    DataItem("payeasy.amount", "納付金額", PAYEASY, S002_LEVY),
    DataItem("payeasy.deadline", "支払期限", PAYEASY, S002_LEVY),
    DataItem("payeasy.levy_data", "調定データ", PAYEASY, S002),
    DataItem("payeasy.payment_data", "収納データ", PAYEASY, S002),
    # seed 002: what a 納付書 prints besides the addressee and the Pay-easy keys (export kinds
    # demand-print and tax-notice-slips; the slip of notices/slips.py)
    DataItem("slip.installment", "年度・税目・期別", PRINTING, S002_PRINT),
    DataItem("slip.due_date", "納期限", PRINTING, S002_PRINT),
    DataItem("slip.amount", "納付金額", PRINTING, S002_PRINT),
    DataItem("slip.deadline", "使用期限", PRINTING, S002_PRINT),
    DataItem("slip.barcode", "コンビニ収納用バーコード", PRINTING, S002_PRINT),
    DataItem("slip.elqr", "地方税統一QRコード(eL-QR)", PRINTING, S002_PRINT),
    # seed 002: what a 催告書 prints besides the addressee and its slips (export kind reminder-print)
    DataItem("reminder.document", "文書名(催告書・最終催告書・差押予告書)", PRINTING, S002_PRINT),
    DataItem("reminder.installment", "催告対象期別", PRINTING, S002_PRINT),
    DataItem("reminder.principal", "本税額", PRINTING, S002_PRINT),
    DataItem("reminder.amount", "催告額(未納額)", PRINTING, S002_PRINT),
    # seed 003: bank inquiries (the inquiry itself uses person.name_kana, birth_date, address)
    DataItem("inquiry.bank", "照会先金融機関", INQUIRY, S003),
    DataItem("inquiry.answer", "回答結果(取引の有無)", INQUIRY, S003),
    DataItem("inquiry.transactions", "取引明細", INQUIRY, S003),
)

CATALOGUE: dict[str, DataItem] = {item.code: item for item in _ITEMS}
assert len(CATALOGUE) == len(_ITEMS), "duplicate data item code"


def label_of(code: str) -> str:
    item = CATALOGUE.get(code)
    return item.label if item else code


def unknown_codes(codes: Iterable[str]) -> list[str]:
    return sorted(set(codes) - set(CATALOGUE))


def missing_items(required: Iterable[str], approved: Iterable[str]) -> list[str]:
    """The required codes that `approved` does not cover, in the order required."""
    allowed = set(approved)
    return [code for code in dict.fromkeys(required) if code not in allowed]


def describe(codes: Iterable[str]) -> str:
    """「郵便番号(person.postal_code)・…」 — how a refusal names the items."""
    return "・".join(f"{label_of(code)}({code})" for code in codes)


def groups() -> list[tuple[str, list[DataItem]]]:
    """The catalogue in its groups, in catalogue order (for the contract form)."""
    out: dict[str, list[DataItem]] = {}
    for item in _ITEMS:
        out.setdefault(item.group, []).append(item)
    return list(out.items())
