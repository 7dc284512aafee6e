"""Channel imports end to end: 速報 → 確報 once, 取消, suspense, duplicates, rejected files."""

from datetime import date

import pytest

from choshu.formats import cvs_csv
from choshu.formats.cvs_barcode import build_barcode, free_area
from choshu.formats.payment_key import payment_key
from choshu.ledger.models import Installment, Payment, Suspense
from choshu.ledger.verify import ledger_violations
from choshu.payments import services
from choshu.payments.models import ChannelImport, ChannelRecord
from choshu.payments.selectors import open_preliminaries, open_suspense, unconfirmed_preliminaries
from choshu.payments.services import channel_file_import
from choshu.staff.models import Role
from tests.factories import make_levy, make_person, make_user

pytestmark = pytest.mark.django_db
DUE = date(2025, 7, 31)
RECEIVED = date(2025, 7, 25)


def _barcode(inst: Installment, amount: int | None = None) -> str:
    return build_barcode(
        company_code="912345",
        free_area=free_area(prefix="59919", key=payment_key(inst.pk)),
        reissue=0,
        due_date=inst.due_date,
        amount=amount or inst.amount,
    )


def _event(data_type: str, inst: Installment, *, paid_on=date(2025, 7, 20), store="123456", **kw):
    settles = date(2025, 7, 24) if data_type == "02" else None
    return cvs_csv.make_event(
        data_type=data_type,
        barcode=_barcode(inst),
        paid_on=paid_on,
        paid_time="1015",
        store_code=store,
        settles_on=settles,
        **kw,
    )


def _import(events, *, actor=None, received_on=RECEIVED, name="syuno.csv"):
    return channel_file_import(
        actor=actor or make_user(Role.CLERK),
        format="cvs-csv",
        file_name=name,
        data=cvs_csv.dump(events),
        received_on=received_on,
    )


@pytest.fixture
def inst() -> Installment:
    return make_levy(make_person(), [12_300], [DUE]).installments.get()


def test_preliminary_marks_pending_and_confirmation_pays_exactly_once(inst):
    first = _import([_event("01", inst)], name="sokuho.csv")
    assert first.ok and first.counts == {"pending": 1}
    assert list(open_preliminaries().values_list("installment_id", flat=True)) == [inst.pk]
    assert not Payment.objects.exists()

    second = _import([_event("02", inst)], name="kakuho.csv")
    assert second.ok and second.counts == {"posted": 1}
    inst.refresh_from_db()
    assert inst.balance == 0
    payment = Payment.objects.get()
    assert (payment.amount, payment.channel, payment.paid_on, payment.accounted_on) == (
        12_300,
        "cvs",
        date(2025, 7, 20),
        RECEIVED,
    )
    assert not open_preliminaries().exists()
    preliminary = ChannelRecord.objects.get(kind="preliminary")
    assert preliminary.settled_by.kind == "confirmed"
    assert ledger_violations(as_of=RECEIVED) == []


def test_the_same_file_twice_is_refused_and_changes_nothing(inst):
    events = [_event("02", inst)]
    assert _import(events).ok
    again = _import(events, name="again.csv")
    assert not again.ok and "already imported" in again.errors[0].reason
    assert Payment.objects.count() == 1
    assert ChannelImport.objects.filter(ok=False).count() == 1


def test_a_record_seen_before_in_another_file_refuses_the_whole_file(inst):
    other = make_levy(make_person(), [5_000], [DUE]).installments.get()
    assert _import([_event("02", inst)]).ok
    result = _import([_event("02", other), _event("02", inst)], name="mixed.csv")
    assert not result.ok
    assert [(e.line, e.column) for e in result.errors] == [(3, "-")]
    assert Payment.objects.count() == 1 and ChannelRecord.objects.count() == 1


def test_duplicate_records_inside_one_file_are_named_by_line(inst):
    result = _import([_event("02", inst), _event("02", inst)])
    assert not result.ok and result.errors[0].line == 3 and "line 2" in result.errors[0].reason
    assert not Payment.objects.exists()


def test_cancel_undoes_a_preliminary_without_money(inst):
    assert _import([_event("01", inst)], name="a.csv").ok
    result = _import([_event("03", inst)], name="b.csv")
    assert result.counts == {"cancelled": 1}
    assert not open_preliminaries().exists() and not Payment.objects.exists()


def test_unknown_key_goes_to_suspense_never_away(inst):
    stranger = _event("02", inst)
    bogus = stranger.extra["barcode"]
    # a key whose check digit does not hold: swap one digit of the biller key and rebuild the barcode
    key = bogus[13:29]
    wrong_key = key[:-1] + str((int(key[-1]) + 1) % 10)
    barcode = build_barcode(
        company_code="912345", free_area=free_area(prefix="59919", key=wrong_key), reissue=0, due_date=DUE, amount=7_000
    )
    event = cvs_csv.make_event(data_type="02", barcode=barcode, paid_on=date(2025, 7, 20), settles_on=date(2025, 7, 24))
    result = _import([event])
    assert result.ok and result.counts == {"suspense": 1}
    (held,) = open_suspense()
    assert held.remaining == 7_000 and "照合キー" in held.reason
    assert Suspense.objects.get().payment.person_id is None
    assert ledger_violations(as_of=RECEIVED) == []


def test_preliminary_without_confirmation_is_listed_for_follow_up(inst):
    assert _import([_event("01", inst, paid_on=date(2025, 7, 1))]).ok
    assert unconfirmed_preliminaries(as_of=date(2025, 7, 10), days=14).count() == 0
    assert unconfirmed_preliminaries(as_of=date(2025, 7, 20), days=14).count() == 1


def test_a_bad_file_is_rejected_whole_with_line_and_field(inst):
    good = cvs_csv.dump([_event("02", inst)])
    bad = good.replace(b",12300,", b",12X00,")
    result = channel_file_import(
        actor=make_user(Role.CLERK), format="cvs-csv", file_name="bad.csv", data=bad, received_on=RECEIVED
    )
    assert not result.ok and result.errors[0].line == 2
    assert not Payment.objects.exists() and not ChannelRecord.objects.exists()
    run = ChannelImport.objects.get()
    assert not run.ok and run.errors[0][0] == 2


def test_officers_without_collection_rights_cannot_import(inst):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        _import([_event("02", inst)], actor=make_user(Role.AUDITOR))


def test_records_committed_by_a_concurrent_import_refuse_the_file_whole(inst, monkeypatch):
    """Between the duplicate check and the insert another import committed the same record: the
    unique record key refuses this file whole instead of counting the money twice."""
    assert _import([_event("02", inst)]).ok
    monkeypatch.setattr(services, "_duplicates", lambda events: [])  # the check ran before the other commit
    other = make_levy(make_person(), [5_000], [DUE]).installments.get()
    result = _import([_event("02", other, store="999999"), _event("02", inst)], name="again.csv")
    assert not result.ok and "at the same time" in result.errors[0].reason
    assert Payment.objects.count() == 1 and ChannelImport.objects.filter(ok=False).count() == 1
    assert ledger_violations(as_of=date(2025, 8, 1)) == []


def test_a_preliminary_after_its_confirmation_is_settled_at_once(inst):
    """The store's 速報 arrives after the 確報 (files crossed): nothing stays pending."""
    assert _import([_event("02", inst)], name="kakuho.csv").ok
    late = _import([_event("01", inst)], name="sokuho.csv")
    assert late.ok and late.counts == {"pending": 1}
    preliminary = ChannelRecord.objects.get(kind="preliminary")
    assert preliminary.settled_by == ChannelRecord.objects.get(kind="confirmed")
    assert "確報の後" in preliminary.note
    assert not open_preliminaries().exists()
    assert unconfirmed_preliminaries(as_of=date(2025, 9, 30), days=14).count() == 0
    assert Payment.objects.count() == 1 and ledger_violations(as_of=RECEIVED) == []
