"""納付書: what the payment slip of each unpaid installment carries (docs/slips.md).

One slip per installment with a principal balance. The slip bills the outstanding principal
(本税) only: a late fee (延滞金) is computed when the principal is paid and billed on its own slip.
The slips enclosed with a demand letter bill each line's demanded amount (督促額) as of the
batch's issue date (``slips_for_amounts``); both go through ``installment_slip``.

Rules (``as_of`` is the issue date; only the command reads the clock):

- deadline (支払期限 / 使用期限): the due date while it has not passed; a slip issued after the
  due date may be used until ``as_of + SLIP_VALIDITY_DAYS``.
- reissue digit (再発行区分): choshu keeps no count of printed slips, so the digit says which
  kind of slip it is: 0 for one issued on or before the due date (the original period, deadline =
  due date), 1 for one issued after it (a reissue with its own deadline). The agent's data carries
  the digit back, so reconciliation can tell the two apart; the key is the same.
- barcode: the convenience-store barcode, or None when the amount is above ``CVS_BARCODE_CAP``
  (stores do not take such slips); Pay-easy keys, eL番号 and eL-QR are printed whatever the amount.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from django.conf import settings
from django.db.models import F
from django.utils.module_loading import import_string

from choshu.formats.cvs_barcode import MAX_AMOUNT, build_barcode, free_area
from choshu.formats.elqr import ElQrEncoder
from choshu.formats.payeasy import ElNumber, PayEasyKeys, payeasy_keys
from choshu.formats.payment_key import payment_key
from choshu.ledger.models import Installment
from choshu.people.models import Person
from choshu.rules.revenue import REVENUES


@dataclass(frozen=True)
class Slip:
    installment_id: int
    levy_no: str
    revenue: str
    fiscal_year: int
    installment_no: int
    amount: int  # outstanding principal; the late fee is billed separately
    due_date: date  # 納期限
    deadline: date  # 支払期限 (使用期限) of this slip
    reissue: int  # 再発行区分: 0 issued on or before the due date, 1 after
    barcode: str | None  # 44 digits; None above CVS_BARCODE_CAP
    payeasy: PayEasyKeys
    qr: str  # eL-QR payload (ELQR_ENCODER)

    @property
    def el_no(self) -> ElNumber:
        return self.payeasy.el_no

    @property
    def revenue_label(self) -> str:
        return REVENUES[self.revenue].label


def slip_deadline(*, due_date: date, as_of: date) -> date:
    """The due date while it has not passed, else ``as_of`` + SLIP_VALIDITY_DAYS."""
    return due_date if as_of <= due_date else as_of + timedelta(days=settings.SLIP_VALIDITY_DAYS)


def reissue_of(*, due_date: date, as_of: date) -> int:
    """再発行区分: 0 for a slip issued on or before the due date, 1 for one issued after it."""
    return 0 if as_of <= due_date else 1


def barcode_cap() -> int:
    return min(int(settings.CVS_BARCODE_CAP), MAX_AMOUNT)


def elqr_encoder() -> ElQrEncoder:
    """The encoder named by the ``ELQR_ENCODER`` setting (a class built without arguments)."""
    encoder: ElQrEncoder = import_string(settings.ELQR_ENCODER)()
    return encoder


def installment_slip(installment: Installment, *, amount: int, as_of: date, encoder: ElQrEncoder | None = None) -> Slip:
    """The slip billing ``amount`` of ``installment`` (its levy loaded), issued on ``as_of``.

    ``amount`` is what the slip asks for: the outstanding principal for an ordinary slip, the
    demanded amount (督促額) for the slip enclosed with a demand letter.
    """
    if amount <= 0:
        raise ValueError(f"a slip bills a positive amount, got {amount}")
    levy = installment.levy
    if encoder is None:
        encoder = elqr_encoder()
    key = payment_key(installment.pk)
    deadline = slip_deadline(due_date=installment.due_date, as_of=as_of)
    reissue = reissue_of(due_date=installment.due_date, as_of=as_of)
    barcode = None
    if amount <= barcode_cap():
        barcode = build_barcode(
            company_code=settings.CVS_COMPANY_CODE,
            free_area=free_area(prefix=settings.CVS_AGENT_PREFIX, key=key),
            reissue=reissue,
            due_date=deadline,
            amount=amount,
        )
    keys = payeasy_keys(
        institution_no=settings.PAYEASY_INSTITUTION_NO,
        payment_no=key,
        category=settings.PAYEASY_CATEGORIES[levy.revenue],
        secret=settings.PAYEASY_CONFIRMATION_KEY,
        length=settings.PAYEASY_CONFIRMATION_LENGTH,
    )
    return Slip(
        installment_id=installment.pk,
        levy_no=levy.levy_no,
        revenue=levy.revenue,
        fiscal_year=levy.fiscal_year,
        installment_no=installment.installment_no,
        amount=amount,
        due_date=installment.due_date,
        deadline=deadline,
        reissue=reissue,
        barcode=barcode,
        payeasy=keys,
        qr=encoder.encode(keys=keys, amount=amount, due_date=deadline),
    )


def slips_for_amounts(items: Iterable[tuple[Installment, int]], *, as_of: date) -> list[Slip]:
    """One slip per (installment, amount), in the given order, issued on ``as_of``; no query when
    each installment's levy is loaded (select_related)."""
    encoder = elqr_encoder()
    return [installment_slip(inst, amount=amount, as_of=as_of, encoder=encoder) for inst, amount in items]


def slips_for(
    *, person: Person, fiscal_year: int | None = None, as_of: date, revenues: Collection[str] | None = None
) -> list[Slip]:
    """The slips of the person's unpaid installments (optionally one 年度, within ``revenues``), in one query."""
    installments = Installment.objects.filter(levy__person=person, paid_principal__lt=F("amount")).select_related(
        "levy"
    )
    if fiscal_year is not None:
        installments = installments.filter(levy__fiscal_year=fiscal_year)
    if revenues is not None:
        installments = installments.filter(levy__revenue__in=list(revenues))
    installments = installments.order_by("due_date", "levy__fiscal_year", "levy__levy_no", "installment_no")
    return slips_for_amounts(((inst, inst.amount - inst.paid_principal) for inst in installments), as_of=as_of)
