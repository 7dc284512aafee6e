"""Retention engine (保存期間): rules as data, purged in chunks under a RetentionRun record.

A rule names a queryset (what may be purged at all), the date field its period runs from and
the number of days. A row is due when `date_field < as_of - days` (the day itself counts as
kept). The default purge deletes the rows; a rule may bring its own purge (the export packages
rule deletes files and stamps the rows, which stay as the audit trail).

Another app registers its rule from AppConfig.ready():

    register_retention_rule(RetentionRule(
        code="inquiry-answers", label="財産調査の照会・回答データ(受領後60日)",
        queryset=lambda: InquiryAnswer.objects.all(), date_field="received_on", days=60))

A run is set-based: keyset chunks (`pk > last ORDER BY pk LIMIT n`), one transaction per
chunk, the run's counters and chunk list (first pk, last pk, count) updated in the same
transaction, so an interrupted run leaves an exact record of what it deleted. An erasure
certificate (消去証明書) can cite the run.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import models, transaction
from django.db.models import QuerySet
from django.utils import timezone

from choshu.governance import permissions
from choshu.governance.access import log_purge
from choshu.governance.models import ExportPackage, RetentionRun
from choshu.staff.models import User

CHUNK_SIZE = 1000
PACKAGE_FILE_DAYS = 30

Purge = Callable[[list[int], datetime], int]


@dataclass(frozen=True)
class RetentionRule:
    code: str
    label: str
    queryset: Callable[[], QuerySet[Any]]
    date_field: str
    days: int
    purge: Purge | None = None  # None: delete the rows


RETENTION_RULES: dict[str, RetentionRule] = {}


def register_retention_rule(rule: RetentionRule) -> None:
    if rule.days < 0:
        raise ValueError("days must not be negative")
    RETENTION_RULES[rule.code] = rule


def _due(rule: RetentionRule, as_of: date) -> tuple[QuerySet[Any], date]:
    cutoff = as_of - timedelta(days=rule.days)
    queryset = rule.queryset()
    field = queryset.model._meta.get_field(rule.date_field)
    bound: date | datetime = cutoff
    if isinstance(field, models.DateTimeField):
        bound = timezone.make_aware(datetime.combine(cutoff, time.min))
    return queryset.filter(**{f"{rule.date_field}__lt": bound}), cutoff


def _delete_rows(rule: RetentionRule) -> Purge:
    model = rule.queryset().model

    def purge(ids: list[int], now: datetime) -> int:
        _, per_model = model._default_manager.filter(pk__in=ids).delete()
        return per_model.get(model._meta.label, 0)

    return purge


def retention_run(
    *,
    actor: User | None,
    as_of: date,
    dry_run: bool = False,
    rules: Sequence[str] | None = None,
    chunk_size: int = CHUNK_SIZE,
    channel: str = "cli",
) -> list[RetentionRun]:
    """Run the given rules (all by default); one RetentionRun per rule. `actor` None = the batch."""
    if actor is not None and not permissions.can_run_retention(actor):
        raise PermissionDenied("保存期間経過データの消去は係長のみ行えます。")
    codes = list(rules) if rules else sorted(RETENTION_RULES)
    unknown = [code for code in codes if code not in RETENTION_RULES]
    if unknown:
        raise ValueError(
            f"unknown retention rule(s): {', '.join(unknown)}; known: {', '.join(sorted(RETENTION_RULES))}"
        )
    return [
        _run_rule(
            RETENTION_RULES[code], actor=actor, as_of=as_of, dry_run=dry_run, chunk_size=chunk_size, channel=channel
        )
        for code in codes
    ]


def _run_rule(
    rule: RetentionRule, *, actor: User | None, as_of: date, dry_run: bool, chunk_size: int, channel: str
) -> RetentionRun:
    due, cutoff = _due(rule, as_of)
    run = RetentionRun.objects.create(
        rule=rule.code,
        as_of=as_of,
        cutoff=cutoff,
        dry_run=dry_run,
        eligible=due.count(),
        actor=actor,
        started_at=timezone.now(),
    )
    if dry_run:
        run.state = RetentionRun.State.DONE
        run.finished_at = timezone.now()
        run.save(update_fields=["state", "finished_at"])
        return run
    purge = rule.purge or _delete_rows(rule)
    model_name = due.model._meta.model_name or "row"
    last = 0
    try:
        while True:
            with transaction.atomic(durable=True):
                ids = list(due.filter(pk__gt=last).order_by("pk").values_list("pk", flat=True)[:chunk_size])
                if not ids:
                    break
                count = purge(ids, timezone.now())
                run.deleted += count
                run.chunks = [*run.chunks, {"first": ids[0], "last": ids[-1], "count": count}]
                run.save(update_fields=["deleted", "chunks"])
                log_purge(actor=actor, model=model_name, ids=ids, run_id=run.pk, channel=channel)
                last = ids[-1]
            if len(ids) < chunk_size:
                break
    except Exception as error:
        run.state = RetentionRun.State.FAILED
        run.error = f"{type(error).__name__}: {error}"
        run.finished_at = timezone.now()
        run.save(update_fields=["state", "error", "finished_at"])
        raise
    run.state = RetentionRun.State.DONE
    run.finished_at = timezone.now()
    run.save(update_fields=["state", "finished_at"])
    return run


# ---- the rules of this app -------------------------------------------------------------------


def _purge_package_files(ids: list[int], now: datetime) -> int:
    """Delete the returned packages' files; the rows stay (SHA-256, ledger) as the trail."""
    from choshu.governance.services import package_path

    packages = list(ExportPackage.objects.select_for_update().filter(pk__in=ids, file_deleted_at__isnull=True))
    for package in packages:
        if package.file_name:
            package_path(package).unlink(missing_ok=True)
        package.file_deleted_at = now
    ExportPackage.objects.bulk_update(packages, ["file_deleted_at"])
    return len(packages)


register_retention_rule(
    RetentionRule(
        code="export-package-files",
        label=f"外部提供パッケージファイル(媒体返却後{PACKAGE_FILE_DAYS}日)",
        queryset=lambda: ExportPackage.objects.filter(returned_at__isnull=False, file_deleted_at__isnull=True),
        date_field="returned_at",
        days=PACKAGE_FILE_DAYS,
        purge=_purge_package_files,
    )
)
