"""Retention engine: rules as data, chunked purges under a RetentionRun, dry runs, certificates."""

import json
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from django.core.exceptions import PermissionDenied
from django.core.management import call_command
from django.utils import timezone

from choshu.audit.models import AccessLogEntry
from choshu.governance import services
from choshu.governance.models import Contract, ContractHandler, ExportPackage, Incident, RetentionRun
from choshu.governance.retention import RETENTION_RULES, RetentionRule, register_retention_rule, retention_run
from choshu.governance.services import GovernanceError
from choshu.staff.models import Role, User
from tests.factories import make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def incident_rule() -> Iterator[RetentionRule]:
    """A rule another app would register: rows deleted 60 days after a date (here: closed incidents)."""
    rule = RetentionRule(
        code="test-closed-incidents",
        label="完了した事故(完了後60日)",
        queryset=lambda: Incident.objects.filter(closed_on__isnull=False),
        date_field="closed_on",
        days=60,
    )
    register_retention_rule(rule)
    yield rule
    del RETENTION_RULES[rule.code]


def _incidents(contract: Contract, supervisor: User, closed: list[date | None]) -> None:
    Incident.objects.bulk_create(
        Incident(
            contract=contract,
            occurred_on=date(2025, 4, 1),
            reported_on=date(2025, 4, 1),
            summary=f"事故{n}",
            closed_on=day,
            recorded_by=supervisor,
        )
        for n, day in enumerate(closed)
    )


def test_rows_past_their_period_are_deleted_in_chunks(
    incident_rule: RetentionRule, contract: Contract, supervisor: User, today: date
) -> None:
    old = today - timedelta(days=61)
    _incidents(contract, supervisor, [old] * 5 + [today - timedelta(days=60), today, None])
    (run,) = retention_run(actor=supervisor, as_of=today, rules=[incident_rule.code], chunk_size=2)
    assert (run.state, run.eligible, run.deleted, run.dry_run) == ("done", 5, 5, False)
    assert [c["count"] for c in run.chunks] == [2, 2, 1]
    assert run.cutoff == today - timedelta(days=60)
    assert Incident.objects.count() == 3  # the 60th day is kept; open incidents never match
    assert run.actor == supervisor and run.finished_at is not None
    purge_entries = AccessLogEntry.objects.filter(purpose=f"batch:retention:{run.pk}")
    assert purge_entries.count() == 3 and all(e.action == "change" for e in purge_entries)


def test_a_dry_run_counts_and_deletes_nothing(
    incident_rule: RetentionRule, contract: Contract, supervisor: User, today: date
) -> None:
    _incidents(contract, supervisor, [today - timedelta(days=100)] * 3)
    (run,) = retention_run(actor=None, as_of=today, rules=[incident_rule.code], dry_run=True)
    assert (run.dry_run, run.eligible, run.deleted, run.chunks) == (True, 3, 0, [])
    assert Incident.objects.count() == 3
    assert RetentionRun.objects.filter(dry_run=True).count() == 1


def test_package_files_are_deleted_30_days_after_return(
    approved: tuple[ExportPackage, str],
    clerk: User,
    handler: ContractHandler,
    now: datetime,
    today: date,
    var_dir: Path,
) -> None:
    package, _ = approved
    services.export_hand_over(
        actor=clerk, package=package, occurred_at=now - timedelta(days=9), media_id="USB-9", contractor_handler=handler
    )
    services.export_return(
        actor=clerk, package=package, occurred_at=now - timedelta(days=8), media_id="USB-9", contractor_handler=handler
    )
    path = var_dir / "exports" / package.file_name
    returned_on = today - timedelta(days=8)
    (kept,) = retention_run(actor=None, as_of=returned_on + timedelta(days=30), rules=["export-package-files"])
    assert kept.deleted == 0 and path.exists()
    (run,) = retention_run(actor=None, as_of=returned_on + timedelta(days=31), rules=["export-package-files"])
    assert run.deleted == 1 and not path.exists()
    package.refresh_from_db()
    assert package.file_deleted_at is not None and package.sha256  # the record stays
    (again,) = retention_run(actor=None, as_of=returned_on + timedelta(days=40), rules=["export-package-files"])
    assert again.eligible == 0


def test_only_a_supervisor_runs_retention(today: date) -> None:
    with pytest.raises(PermissionDenied):
        retention_run(actor=make_user(Role.CLERK), as_of=today)


def test_an_unknown_rule_is_refused(today: date) -> None:
    with pytest.raises(ValueError, match="unknown retention rule"):
        retention_run(actor=None, as_of=today, rules=["nope"])


def test_an_erasure_certificate_cites_a_run(
    incident_rule: RetentionRule, contract: Contract, supervisor: User, today: date
) -> None:
    _incidents(contract, supervisor, [today - timedelta(days=100)])
    (dry,) = retention_run(actor=supervisor, as_of=today, rules=[incident_rule.code], dry_run=True)
    with pytest.raises(GovernanceError, match="試行を除く"):
        services.retention_certificate_record(
            actor=supervisor, run=dry, contract=contract, certificate_no="区-1", issued_on=today, issuer="税務課長"
        )
    (run,) = retention_run(actor=supervisor, as_of=today, rules=[incident_rule.code])
    certificate = services.retention_certificate_record(
        actor=supervisor, run=run, contract=contract, certificate_no="区-1", issued_on=today, issuer="税務課長"
    )
    assert certificate.retention_run == run and list(run.certificates.all()) == [certificate]


def test_the_command(
    incident_rule: RetentionRule,
    contract: Contract,
    supervisor: User,
    today: date,
    capsys: pytest.CaptureFixture[str],
) -> None:
    _incidents(contract, supervisor, [today - timedelta(days=100)] * 2)
    call_command("retention", "run", "--dry-run", "--json", "--rule", incident_rule.code)
    (dry,) = json.loads(capsys.readouterr().out)
    assert (dry["dry_run"], dry["eligible"], dry["deleted"]) == (True, 2, 0)
    call_command("retention", "run", "--rule", incident_rule.code, "--user", supervisor.username)
    assert "deleted 2" in capsys.readouterr().out
    assert Incident.objects.count() == 0
    assert RetentionRun.objects.filter(dry_run=False).get().actor == supervisor
    call_command("retention", "rules")
    assert "export-package-files" in capsys.readouterr().out


def test_run_records_are_timestamped(incident_rule: RetentionRule, today: date) -> None:
    before = timezone.now()
    (run,) = retention_run(actor=None, as_of=today, rules=[incident_rule.code])
    assert run.started_at >= before and run.finished_at is not None and run.finished_at >= run.started_at
    assert run.eligible == 0 and run.deleted == 0
