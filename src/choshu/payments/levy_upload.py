"""ペイジー調定データ (seed 002): the export kind ``payeasy-levy-upload``.

Seed 002 uploads the levy data (調定データ) of 特別区民税・都民税等 to the Multi-Payment Network
server of an LGWAN-ASP provider, so that a payer who types a slip's Pay-easy keys at an ATM or in
net banking sees the bill and pays it. The upload is personal data leaving the ward, so it goes
through the export engine (governance/exports.py): a contract (the LGWAN-ASP linkage / 委託) must
approve every column, a second supervisor approves, and the file goes out as an AES-256 ZIP.

- **Columns** (catalogue codes): 収納機関番号・納付番号・確認番号・納付区分 (seed 002's MPN keys),
  納付金額・支払期限 (what to pay, until when) and 氏名(カナ) (whose bill, for the payer to confirm),
  plus 整理番号. Layout: ``choshu.formats.payeasy_levy`` v1 (ours; the MPN's is not public), CSV in
  Shift_JIS with a trailer line ``T`` carrying 件数・合計金額・作成日 (not counted as a record:
  the package's 件数 is the installments).
- **Subjects** (what the clerk types, one per line): 宛名番号, or the single word ``全件`` (every
  person with an unpaid installment in the scope: the full upload after the annual notices; a list
  of 宛名番号 is the differential upload after a revision or a reissued slip). A 年度 is not a key:
  the engine hands the row builder person ids only, and a payer's earlier-year slips must be
  payable too.
- **Rows**: one per unpaid installment (amount > paid principal) of those persons, in the kind's
  revenues within the preparer's scope — 特別区民税・都民税 (普通・特別徴収) and 軽自動車税, the
  revenues of seed 002; NHI premiums are not in that paper, so they are not uploaded. Each row is
  what the installment's slip says on the day the package is built (``choshu slips list ATENA_NO``):
  the same keys (``formats.payeasy.payeasy_keys`` over ``payment_key``, with the PAYEASY_* settings),
  the unpaid principal, and the slip's deadline (``notices.slips.slip_deadline``: the due date, or
  the build date + SLIP_VALIDITY_DAYS once it has passed). Persons in 宛名番号 order for ``全件``,
  in the order typed otherwise; a person's installments in slip order.
- **Name**: ``person.name_kana`` in the Zengin character set (``to_zengin_kana``: what ATM screens
  show), cut to 30 characters; a name with no Zengin form refuses the preparation naming the
  宛名番号 (and, if it changed since, the build naming the line).
- **Cap**: at most ``MAX_RECORDS`` installments (2,000,000: a 350,000-person city has about a
  million unpaid installments after the annual notices) and ``MAX_PERSONS`` 宛名番号 typed.
  Reads go in chunks of ``CHUNK`` persons, a few queries per chunk, never one per row.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import date
from typing import TypeVar

from django.conf import settings
from django.db.models import Exists, F, OuterRef, QuerySet

from choshu.formats.payeasy import PayEasyKeys, payeasy_keys
from choshu.formats.payeasy_levy import LevyFileError, LevyRecord, lines
from choshu.formats.payment_key import payment_key
from choshu.formats.zengin_kana import ZenginKanaError, to_zengin_kana
from choshu.governance.exports import ExportError, ExportKind, Request, register_export_kind
from choshu.ledger.models import Installment
from choshu.notices.slips import slip_deadline
from choshu.people.models import Person

CODE = "payeasy-levy-upload"
EVERYONE = "全件"
MAX_RECORDS = 2_000_000
MAX_PERSONS = 400_000
CHUNK = 5_000
PROBLEMS_SHOWN = 30
REVENUES = frozenset({"resident_ordinary", "resident_special", "light_vehicle"})
NAME_WIDTH = 30
T = TypeVar("T")
SLIP_ORDER = ("due_date", "levy__fiscal_year", "levy__levy_no", "installment_no")  # as notices.slips


def payer_kana(name_kana: str) -> str:
    """The 氏名(カナ) of a row: the Zengin form, cut to 30 characters; ValueError when there is none."""
    name = to_zengin_kana(name_kana)[:NAME_WIDTH].rstrip(" ")
    if not name:
        raise ValueError("カナ氏名が空です")
    return name


def _kana_problem(name_kana: str) -> str | None:
    try:
        payer_kana(name_kana)
    except ZenginKanaError as error:
        return "カナ氏名を全銀協の文字に変換できません(" + "".join(f"「{c}」" for c in error.chars) + ")"
    except ValueError as error:
        return str(error)
    return None


def installment_keys(installment_id: int, revenue: str) -> PayEasyKeys:
    """The Pay-easy keys the installment's slip carries (as ``notices.slips.slips_for`` derives them)."""
    return payeasy_keys(
        institution_no=settings.PAYEASY_INSTITUTION_NO,
        payment_no=payment_key(installment_id),
        category=settings.PAYEASY_CATEGORIES[revenue],
        secret=settings.PAYEASY_CONFIRMATION_KEY,
        length=settings.PAYEASY_CONFIRMATION_LENGTH,
    )


def _unpaid(revenues: frozenset[str]) -> QuerySet[Installment]:
    return Installment.objects.filter(levy__revenue__in=sorted(revenues), paid_principal__lt=F("amount"))


def _chunks(values: Sequence[T]) -> Iterator[list[T]]:
    for start in range(0, len(values), CHUNK):
        yield list(values[start : start + CHUNK])


def _refuse(problems: list[str]) -> None:
    shown = "; ".join(problems[:PROBLEMS_SHOWN])
    more = f"; ほか{len(problems) - PROBLEMS_SHOWN:,}件" if len(problems) > PROBLEMS_SHOWN else ""
    raise ExportError(f"対象にできない宛名があります({len(problems):,}件): {shown}{more}")


def _select(keys: Sequence[str], revenues: frozenset[str], as_of: date) -> list[int]:
    """宛名番号 (or 全件) → person ids, refusing with every bad key named."""
    if not keys:
        raise ExportError("対象を1件以上入力してください。")
    if EVERYONE in keys:
        if len(keys) > 1:
            raise ExportError(f"「{EVERYONE}」は単独で入力してください(宛名番号と一緒には使えません)。")
        has_unpaid = Exists(_unpaid(revenues).filter(levy__person_id=OuterRef("pk")))
        persons = list(
            Person.objects.filter(has_unpaid).order_by("atena_no").values_list("pk", "atena_no", "name_kana")
        )
        if not persons:
            raise ExportError("担当税目に未納の期別がある宛名がありません。")
        problems: list[str] = []
        records = _unpaid(revenues).count()
    else:
        if len(keys) > MAX_PERSONS:
            raise ExportError(
                f"宛名番号は{MAX_PERSONS:,}件までです({len(keys):,}件)。全員分は「{EVERYONE}」で作成します。"
            )
        found: dict[str, tuple[int, str]] = {}
        for chunk in _chunks(keys):
            rows = Person.objects.filter(atena_no__in=chunk).values_list("atena_no", "pk", "name_kana")
            found.update((atena_no, (pk, kana)) for atena_no, pk, kana in rows)
        with_unpaid: set[int] = set()
        records = 0
        for ids in _chunks([pk for pk, _ in found.values()]):
            unpaid = _unpaid(revenues).filter(levy__person_id__in=ids)
            with_unpaid.update(unpaid.values_list("levy__person_id", flat=True).distinct())
            records += unpaid.count()
        problems = [f"{k}: 宛名番号がありません" for k in keys if k not in found]
        problems += [
            f"{k}: 担当税目に未納の期別がありません" for k in keys if k in found and found[k][0] not in with_unpaid
        ]
        persons = [(found[k][0], k, found[k][1]) for k in keys if k in found and found[k][0] in with_unpaid]
    problems += [f"{atena_no}: {problem}" for _, atena_no, kana in persons if (problem := _kana_problem(kana))]
    if problems:
        _refuse(problems)
    if records > MAX_RECORDS:
        raise ExportError(
            f"未納の期別が{records:,}件あり、1回の上限{MAX_RECORDS:,}件を超えます。宛名番号で分けてください。"
        )
    return [pk for pk, _, _ in persons]


def _records(person_ids: Sequence[int], revenues: frozenset[str], as_of: date) -> Iterator[LevyRecord]:
    """Each unpaid installment of the persons, as its slip shows it on ``as_of``: one query per chunk."""
    line = 0
    for chunk in _chunks(list(person_ids)):
        rows = (
            _unpaid(revenues)
            .filter(levy__person_id__in=chunk)
            .order_by("levy__person_id", *SLIP_ORDER)
            .values_list(
                "pk",
                "levy__person_id",
                "levy__revenue",
                "due_date",
                "amount",
                "paid_principal",
                "levy__person__name_kana",
            )
        )
        by_person: dict[int, list[tuple[int, str, date, int]]] = {}
        kana: dict[int, str] = {}
        for pk, person_id, revenue, due_date, amount, paid, name_kana in rows:
            by_person.setdefault(person_id, []).append((pk, revenue, due_date, amount - paid))
            kana[person_id] = name_kana
        for person_id in chunk:
            installments = by_person.get(person_id)
            if not installments:
                continue
            try:
                name = payer_kana(kana[person_id])
            except ValueError as error:  # ZenginKanaError too; the selection checked it, the name changed since
                raise ExportError(
                    f"{line + 1}件目の氏名(カナ)に使えない値があります: {error}。作成し直してください。"
                ) from None
            for pk, revenue, due_date, unpaid in installments:
                line += 1
                yield LevyRecord(
                    keys=installment_keys(pk, revenue),
                    amount=unpaid,
                    deadline=slip_deadline(due_date=due_date, as_of=as_of),
                    name_kana=name,
                )


def _rows(request: Request) -> Iterator[list[str]]:
    try:
        yield from lines(
            _records(request.person_ids, request.revenues, request.as_of),
            institution_no=settings.PAYEASY_INSTITUTION_NO,
            created_on=request.as_of,
        )
    except LevyFileError as error:
        raise ExportError(f"ペイジー調定データの形式に合わない値があります: {error}") from None


LEVY_UPLOAD = ExportKind(
    code=CODE,
    label="ペイジー調定データ(マルチペイメントネットワーク)",
    fields=(
        "payeasy.institution_no",
        "payeasy.payment_no",
        "payeasy.confirmation_no",
        "payeasy.payment_class",
        "payeasy.amount",
        "payeasy.deadline",
        "person.name_kana",
    ),
    encoding="cp932",
    key_label=f"宛名番号(全員分は「{EVERYONE}」)",
    max_records=MAX_RECORDS,
    revenues=REVENUES,
    select=_select,
    rows=_rows,
    serial=True,
    trailer_lines=1,
    description=(
        "未納の期別ごとに1行(納付書と同じペイジー番号・未納本税・支払期限・カナ氏名)、"
        f"末尾に件数・合計の行。最大{MAX_RECORDS:,}件。"
    ),
)


def register() -> None:
    """Called from ``PaymentsConfig.ready()``."""
    register_export_kind(LEVY_UPLOAD)
