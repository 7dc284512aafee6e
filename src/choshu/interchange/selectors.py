"""Reads of interchange import runs (取込結果)."""

from django.db.models import QuerySet

from choshu.interchange.models import ImportRun


def import_runs(*, kind: str | None = None, limit: int = 50) -> QuerySet[ImportRun]:
    """The latest import runs, newest first (optionally of one kind)."""
    runs = ImportRun.objects.select_related("actor").order_by("-started_at", "-pk")
    if kind:
        runs = runs.filter(kind=kind)
    return runs[:limit]
