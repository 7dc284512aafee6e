"""Access-log entries of 委託・外部結合 (through the audit app's one entry point).

Subjects are references (``person:123``, ``exportpackage:7``), never copies; the purpose of
everything an export does is ``batch:export:<package id>``, of a retention run
``batch:retention:<run id>``, of a handover that is not a package ``batch:handover:<id>``.
"""

from collections.abc import Iterable

from choshu.audit.models import AccessChannel, Action
from choshu.audit.services import access_log_write, ref
from choshu.staff.models import User


def export_purpose(package_id: int) -> str:
    return f"batch:export:{package_id}"


def log_persons(
    *,
    actor: User | None,
    action: str,
    person_ids: Iterable[int],
    purpose: str,
    client_address: str | None = None,
    channel: str = AccessChannel.WEB,
) -> None:
    """One entry for persons read (prepare) or exported (package built or written out)."""
    access_log_write(
        actor=actor,
        action=action,
        subjects=[ref("person", pk) for pk in person_ids],
        purpose=purpose,
        client_address=client_address,
        channel=channel,
    )


def log_export(
    *, actor: User | None, person_ids: Iterable[int], purpose: str, client_address: str | None = None
) -> None:
    log_persons(
        actor=actor, action=Action.EXPORT, person_ids=person_ids, purpose=purpose, client_address=client_address
    )


def log_handover(*, actor: User, handover_id: int, action: str, client_address: str | None) -> None:
    """One entry per step of a handover that is not a package (paper documents, printed matter)."""
    access_log_write(
        actor=actor,
        action=action,
        subjects=[ref("handover", handover_id)],
        purpose=f"batch:handover:{handover_id}",
        client_address=client_address,
    )


def log_purge(*, actor: User | None, model: str, ids: Iterable[int], run_id: int, channel: str) -> None:
    """One entry per purged chunk of a retention run (action change: the data is erased)."""
    access_log_write(
        actor=actor,
        action=Action.CHANGE,
        subjects=[ref(model, pk) for pk in ids],
        purpose=f"batch:retention:{run_id}",
        channel=channel,
    )
