"""納品検査 and 返戻: what comes back from the print house and from the post office.

Delivery inspection (seed 001 ⑦職員による納品物の検査): the contractor returns, with the sealed
pieces, a list of the 整理番号 printed on them (one per line; a CSV whose first column is the
number also reads). It is reconciled with the letters of the print export: a letter with no piece
is missing, a number that is no letter of the export is extra, a number given twice is a
duplicate. The inspection passes only when all three lists are empty; it is recorded either way.

Returned mail (返戻): recorded by the number of a demand letter or a reminder, with the address it
was sent to (the address on record when the return is entered). While the person's address is still that one, it
counts as unreachable (`unreachable_person_ids`): the case work chooses field-survey subjects
from them. A new address from the register ends it without any further step.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from collections.abc import Iterable
from datetime import date

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from choshu.audit.models import AccessChannel, Action
from choshu.audit.services import access_log_write, ref
from choshu.governance import permissions
from choshu.governance.exports import Request
from choshu.governance.models import ExportPackage
from choshu.notices.models import DeliveryInspection, DemandLetter, DemandLine, Reminder, ReminderLine, ReturnedMail
from choshu.notices.print_data import PRINT_KINDS, printed_lines
from choshu.people.models import Person
from choshu.staff.models import User

INSPECTABLE = (ExportPackage.State.HANDED_OVER, ExportPackage.State.RETURNED, ExportPackage.State.ERASED)
SHOWN = 50  # numbers named in a message


class DeliveryError(ValueError):
    """Refused; the message is shown to the clerk."""


def piece_numbers(text: str) -> list[str]:
    """The first field of each non-blank line, as given (the contractor's list, CSV or plain)."""
    rows = csv.reader(io.StringIO(text.lstrip("\ufeff")))
    return [row[0].strip() for row in rows if row and row[0].strip()]


def package_letter_ids(package: ExportPackage) -> set[int]:
    """The letters a print export holds (one query)."""
    _, scope = PRINT_KINDS[package.kind]
    request = Request(package.keys, package.selection, frozenset(package.revenues), timezone.localdate())
    return set(scope.letter_ids(printed_lines(scope, request)).distinct())


@transaction.atomic
def delivery_inspect(
    *, actor: User, package: ExportPackage, pieces: Iterable[str], note: str = "", client_address: str | None = None
) -> DeliveryInspection:
    """Reconcile the piece list with the export's letters; record the result."""
    if not permissions.can_record_handovers(actor):
        raise PermissionDenied("納品検査を記録する権限がありません。")
    package = ExportPackage.objects.select_for_update().get(pk=package.pk)
    if set(package.revenues) - actor.scopes():
        raise PermissionDenied("担当外の税目のデータです。")
    if package.kind not in PRINT_KINDS:
        raise DeliveryError(f"出力番号 {package.pk} は印字データではありません。")
    if package.state not in INSPECTABLE:
        state = package.get_state_display()
        raise DeliveryError(f"出力番号 {package.pk} は{state}です。納品検査は受渡し後に行います。")
    given = list(pieces)
    if not given:
        raise DeliveryError("納品一覧に整理番号がありません。")
    expected = package_letter_ids(package)
    counts = Counter(given)
    delivered = {int(n) for n in counts if n.isdigit() and int(n) in expected}
    inspection = DeliveryInspection.objects.create(
        package=package,
        inspected_at=timezone.now(),
        inspected_by=actor,
        expected=len(expected),
        delivered=len(given),
        missing=sorted(expected - delivered),
        extra=[n for n in counts if not (n.isdigit() and int(n) in expected)],
        duplicated=sorted(int(n) for n, c in counts.items() if c > 1 and n.isdigit() and int(n) in expected),
        passed=False,
        note=note.strip()[:200],
    )
    inspection.passed = not (inspection.missing or inspection.extra or inspection.duplicated)
    inspection.save(update_fields=["passed"])
    access_log_write(
        actor=actor,
        action=Action.CHANGE,
        subjects=[ref("exportpackage", package.pk), f"count:letter:{len(expected)}"],
        purpose=f"batch:export:{package.pk}",
        client_address=client_address,
    )
    return inspection


def describe(inspection: DeliveryInspection) -> list[str]:
    """The findings, for the screen and the command: 不足・過剰・重複 with their numbers."""

    def numbers(values: list) -> str:  # type: ignore[type-arg]
        more = f" ほか{len(values) - SHOWN}件" if len(values) > SHOWN else ""
        return "、".join(str(v) for v in values[:SHOWN]) + more

    found = []
    if inspection.missing:
        found.append(f"不足 {len(inspection.missing)}通: {numbers(inspection.missing)}")
    if inspection.extra:
        found.append(f"該当なし {len(inspection.extra)}件: {numbers(inspection.extra)}")
    if inspection.duplicated:
        found.append(f"重複 {len(inspection.duplicated)}件: {numbers(inspection.duplicated)}")
    return found


# ---- returned mail (返戻) ---------------------------------------------------------------------


DOCUMENTS = {"demand": "督促状", "reminder": "催告書"}


@transaction.atomic
def returned_mail_record(
    *,
    actor: User,
    letter_no: str,
    returned_on: date,
    reason: str,
    document: str = "demand",
    client_address: str | None = None,
    channel: str = AccessChannel.WEB,
) -> ReturnedMail:
    """Record a letter (``document`` demand) or reminder the post office returned, by its 整理番号;
    its person's address becomes unreachable."""
    if not actor.can_post_payments():
        raise PermissionDenied("返戻を記録する権限がありません(収納担当・係長)。")
    if reason not in ReturnedMail.Reason.values:
        raise DeliveryError(f"返戻理由が正しくありません: {reason}")
    if document not in DOCUMENTS:
        raise DeliveryError(f"文書の種類が正しくありません: {document}")
    name = DOCUMENTS[document]
    if not letter_no.strip().isdigit():
        raise DeliveryError(f"整理番号は数字です: {letter_no}")
    sent: DemandLetter | Reminder | None
    if document == "demand":
        sent = DemandLetter.objects.select_related("batch", "person").filter(pk=int(letter_no)).first()
        revenues = set(DemandLine.objects.filter(letter=sent).values_list("installment__levy__revenue", flat=True))
    else:
        sent = Reminder.objects.select_related("batch", "person").filter(pk=int(letter_no)).first()
        revenues = set(ReminderLine.objects.filter(reminder=sent).values_list("installment__levy__revenue", flat=True))
    if sent is None:
        raise DeliveryError(f"整理番号 {letter_no} の{name}がありません。")
    if set(revenues) - actor.scopes():
        raise PermissionDenied(f"担当外の税目の{name}です。")
    batch = sent.batch
    if batch.state != batch.State.DISPATCHED:
        raise DeliveryError(f"整理番号 {letter_no} の{name}は発送されていません({batch.get_state_display()})。")
    if batch.dispatched_on and returned_on < batch.dispatched_on:
        raise DeliveryError("返戻日が発送日より前です。")
    if ReturnedMail.objects.filter(**{"letter" if document == "demand" else "reminder": sent}).exists():
        raise DeliveryError(f"整理番号 {letter_no} の{name}の返戻は記録済みです。")
    person = sent.person
    returned = ReturnedMail.objects.create(
        letter=sent if isinstance(sent, DemandLetter) else None,
        reminder=sent if isinstance(sent, Reminder) else None,
        person=person,
        address=person.address,
        address_extra=person.address_extra,
        returned_on=returned_on,
        reason=reason,
        recorded_by=actor,
    )
    access_log_write(
        actor=actor,
        action=Action.CHANGE,
        subjects=[ref("person", person.pk)],
        purpose=f"returned_mail:{document}:{sent.pk}",
        client_address=client_address,
        channel=channel,
    )
    return returned


def unreachable_person_ids() -> set[int]:
    """Persons whose address on record is one a letter came back from (宛所不明)."""
    returned_here = ReturnedMail.objects.filter(
        person=OuterRef("pk"), address=OuterRef("address"), address_extra=OuterRef("address_extra")
    )
    return set(Person.objects.filter(Exists(returned_here)).values_list("pk", flat=True))
