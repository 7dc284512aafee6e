"""Writes to the access log (アクセスログ) and the check of its chain.

`access_log_write` appends one entry. Call it inside the transaction of the work it records
(a service's writes, or at the end of a view that has read personal data, before the response
leaves): if the entry cannot be written, the work is rolled back or the data is not shown.
Writers take the next seq under a row lock on `AccessLogHead`, so the sequence has no gap and the
chain no fork on SQLite and PostgreSQL; the lock is held from the write to the commit, so write
the entry last in the transaction.
"""

from __future__ import annotations

import getpass
import ipaddress
import re
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from choshu.audit.chain import FIELDS, entry_hash
from choshu.audit.models import GENESIS_HASH, AccessChannel, AccessLogEntry, AccessLogHead, Action
from choshu.staff.models import User

QUERY_MAX = 200
PURPOSE_MAX = 100
VERIFY_CHUNK = 10_000
# Purposes a screen accepts from its `purpose` parameter (see docs/audit.md).
PURPOSE_PATTERN = re.compile(r"^(counter|audit|case:\d+|batch:[a-z_]+:\d+)$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def ref(kind: str, pk: object) -> str:
    """A subject reference: ``ref("person", 123)`` → ``"person:123"``."""
    return f"{kind}:{pk}"


def _subject(value: str | int) -> str:
    # A bare integer is a person id (the common case of exports).
    return ref("person", value) if isinstance(value, int) else str(value)


def _client_address(value: str | None) -> str:
    if not value:
        return ""
    try:
        return str(ipaddress.ip_address(value.strip()))
    except ValueError:
        return ""


def _os_user() -> str:
    try:
        return "os:" + getpass.getuser()
    except (KeyError, OSError):
        return "cli"


def _lock_head() -> AccessLogHead:
    head = AccessLogHead.objects.select_for_update().filter(pk=1).first()
    if head is None:
        # An emptied database (the migration creates the row): restart from the last entry.
        last = AccessLogEntry.objects.order_by("-seq").values_list("seq", "hash").first()
        seq, hash_ = last or (0, GENESIS_HASH)
        AccessLogHead.objects.bulk_create([AccessLogHead(pk=1, last_seq=seq, last_hash=hash_)], ignore_conflicts=True)
        head = AccessLogHead.objects.select_for_update().get(pk=1)
    return head


def access_log_write(
    *,
    actor: User | None,
    action: str,
    subjects: Iterable[str | int],
    purpose: str = "",
    query: str = "",
    client_address: str | None = None,
    channel: str = AccessChannel.WEB,
    actor_label: str = "",
) -> AccessLogEntry:
    """Append one access-log entry (seq, chain) in the current transaction (or its own).

    `subjects` are references such as "person:123", "payment:45" (an int is a person id);
    `actor_label` names a command's operator when there is no `actor` (default: the OS user).
    """
    if action not in Action.values:
        raise ValueError(f"unknown access-log action {action!r}")
    if channel not in AccessChannel.values:
        raise ValueError(f"unknown access-log channel {channel!r}")
    label = actor.get_username() if actor is not None else (actor_label or _os_user())
    values: dict[str, object] = {
        "actor_id": actor.pk if actor is not None else None,
        "actor_label": label[:150],
        "action": action,
        "subjects": list(dict.fromkeys(_subject(s) for s in subjects)),
        "query": _CONTROL.sub(" ", query).strip()[:QUERY_MAX],
        "purpose": _CONTROL.sub("", purpose).strip()[:PURPOSE_MAX],
        "client_address": _client_address(client_address),
        "channel": channel,
    }
    with transaction.atomic():
        head = _lock_head()
        values["seq"] = head.last_seq + 1
        values["prev_hash"] = head.last_hash
        values["at"] = timezone.now()
        entry = AccessLogEntry(**values, hash=entry_hash(values))
        entry.save()
        AccessLogHead.objects.filter(pk=1).update(last_seq=entry.seq, last_hash=entry.hash)
    return entry


def request_client_address(request: HttpRequest) -> str | None:
    """The client address: REMOTE_ADDR, or the first X-Forwarded-For hop when the setting
    CHOSHU_TRUST_X_FORWARDED_FOR is true (only behind a proxy that sets it)."""
    if getattr(settings, "CHOSHU_TRUST_X_FORWARDED_FOR", False):
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        if forwarded:
            return forwarded.split(",")[0].strip()
    return request.META.get("REMOTE_ADDR")


def request_purpose(request: HttpRequest, default: str = "") -> str:
    """The `purpose` parameter of a screen if it is a recognised purpose, else `default`."""
    given = (request.POST.get("purpose") if request.method == "POST" else None) or request.GET.get("purpose", "")
    return given if PURPOSE_PATTERN.match(given) else default


def access_log_request(
    request: HttpRequest, *, action: str, subjects: Iterable[str | int], purpose: str = "", query: str = ""
) -> AccessLogEntry:
    """`access_log_write` for a screen: the logged-in user, the client address, channel web."""
    user = request.user
    return access_log_write(
        actor=user if isinstance(user, User) else None,
        action=action,
        subjects=subjects,
        purpose=purpose,
        query=query,
        client_address=request_client_address(request),
        channel=AccessChannel.WEB,
        actor_label="" if isinstance(user, User) else "anonymous",
    )


@dataclass(frozen=True)
class ChainCheck:
    ok: bool
    count: int  # entries checked
    last_seq: int
    last_hash: str
    broken_seq: int | None = None
    reason: str = ""

    def as_dict(self) -> dict[str, object]:
        return {
            "ok": self.ok,
            "count": self.count,
            "last_seq": self.last_seq,
            "last_hash": self.last_hash,
            "broken_seq": self.broken_seq,
            "reason": self.reason,
        }


def access_log_verify(*, chunk_size: int = VERIFY_CHUNK) -> ChainCheck:
    """Recompute the sequence and the chain from seq 1; stop at the first broken entry.

    Reads `chunk_size` entries per query (keyset on seq). Also checks the head row, so that
    entries removed from the end are found too.
    """
    expected_seq, prev_hash, count = 1, GENESIS_HASH, 0
    names = (*FIELDS, "hash")
    after = 0
    while True:
        rows = list(AccessLogEntry.objects.filter(seq__gt=after).order_by("seq").values_list(*names)[:chunk_size])
        for row in rows:
            values = dict(zip(names, row, strict=True))
            seq = int(values["seq"])
            if seq != expected_seq:
                missing = f"entry {expected_seq} missing"
                return ChainCheck(False, count, expected_seq - 1, prev_hash, expected_seq, missing)
            if values["prev_hash"] != prev_hash:
                return ChainCheck(False, count, seq - 1, prev_hash, seq, "prev_hash does not match the previous entry")
            if entry_hash(values) != values["hash"]:
                return ChainCheck(False, count, seq - 1, prev_hash, seq, "hash does not match the entry's content")
            prev_hash, expected_seq, count = str(values["hash"]), seq + 1, count + 1
        if len(rows) < chunk_size:
            break
        after = int(rows[-1][0])
    head = AccessLogHead.objects.filter(pk=1).first()
    last_seq = expected_seq - 1
    if head is not None and (head.last_seq, head.last_hash) != (last_seq, prev_hash):
        if head.last_seq > last_seq:
            return ChainCheck(False, count, last_seq, prev_hash, last_seq + 1, f"entry {last_seq + 1} missing")
        if head.last_seq < last_seq:
            return ChainCheck(False, count, last_seq, prev_hash, head.last_seq + 1, "entry written past the head")
        return ChainCheck(False, count, last_seq, prev_hash, last_seq, "the head does not match the last entry")
    return ChainCheck(True, count, last_seq, prev_hash)
