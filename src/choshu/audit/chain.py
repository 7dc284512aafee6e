"""The hash chain of the access log: canonical serialisation and SHA-256.

An entry's hash covers every field of the entry and the previous entry's hash::

    hash = sha256(canonical(entry)).hexdigest()
    canonical = JSON of {seq, at, actor_id, actor_label, action, subjects, query, purpose,
                         client_address, channel, prev_hash}, keys sorted, no spaces, UTF-8,
                `at` in UTC ISO 8601 with microseconds.

Changing any field of any entry, removing an entry or inserting one breaks the chain at that
entry; `audit.services.access_log_verify` finds it.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any

# The order of the fields in `values_list` rows read by the verifier.
FIELDS = (
    "seq",
    "at",
    "actor_id",
    "actor_label",
    "action",
    "subjects",
    "query",
    "purpose",
    "client_address",
    "channel",
    "prev_hash",
)


def canonical(values: dict[str, Any]) -> bytes:
    at: datetime = values["at"]
    data = {name: values[name] for name in FIELDS}
    data["at"] = at.astimezone(UTC).isoformat(timespec="microseconds")
    return json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8")


def entry_hash(values: dict[str, Any]) -> str:
    return hashlib.sha256(canonical(values)).hexdigest()
