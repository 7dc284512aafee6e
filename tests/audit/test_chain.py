"""The access log's sequence and hash chain: writing, append-only, verify and tampering."""

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import RequestFactory, override_settings

from choshu.audit.chain import entry_hash
from choshu.audit.models import GENESIS_HASH, AccessLogEntry, AccessLogHead, AppendOnlyError
from choshu.audit.services import access_log_request, access_log_verify, access_log_write, request_purpose
from choshu.staff.models import Role
from tests.factories import make_user

CHOSHU = str(Path(sys.executable).with_name("choshu"))


def _write(n: int, **fields: object) -> list[AccessLogEntry]:
    values: dict[str, object] = {"actor": None, "action": "read", "subjects": ["person:1"], "actor_label": "cli"}
    values.update(fields)
    return [access_log_write(**values) for _ in range(n)]  # type: ignore[arg-type]


def _raw(sql: str, params: list[object]) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def _verify_cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    try:
        call_command("audit", "verify", *args)
    except SystemExit as exit_:
        return int(exit_.code or 0), capsys.readouterr().out
    return 0, capsys.readouterr().out


@pytest.mark.django_db
def test_entries_form_a_gap_free_chain() -> None:
    clerk = make_user(Role.CLERK, username="clerk-a")
    first, second, third = (
        access_log_write(actor=clerk, action="search", subjects=["person:1", "person:2"], query="ヤマダ"),
        access_log_write(
            actor=clerk, action="read", subjects=["person:2"], purpose="case:7", client_address="10.0.0.5"
        ),
        access_log_write(actor=None, action="change", subjects=["importrun:3"], channel="cli", actor_label="os:batch"),
    )
    assert [e.seq for e in (first, second, third)] == [1, 2, 3]
    assert first.prev_hash == GENESIS_HASH
    assert second.prev_hash == first.hash and third.prev_hash == second.hash
    assert (first.actor_label, first.query, first.actor_id) == ("clerk-a", "ヤマダ", clerk.pk)
    assert (third.actor_id, third.actor_label, third.channel, third.client_address) == (None, "os:batch", "cli", "")
    stored = AccessLogEntry.objects.get(seq=2)
    values = {f: getattr(stored, f) for f in ("seq", "at", "actor_id", "actor_label", "action", "subjects")}
    values |= {f: getattr(stored, f) for f in ("query", "purpose", "client_address", "channel", "prev_hash")}
    assert entry_hash(values) == stored.hash == second.hash  # the hash survives the database round trip
    head = AccessLogHead.objects.get()
    assert (head.last_seq, head.last_hash) == (3, third.hash)
    check = access_log_verify()
    assert (check.ok, check.count, check.last_seq, check.last_hash) == (True, 3, 3, third.hash)


@pytest.mark.django_db
def test_subjects_are_references_and_the_query_is_cleaned() -> None:
    entry = access_log_write(
        actor=None,
        action="export",
        subjects=[12, "payment:4", 12, "person:12"],
        query="ヤマダ\x00\n太郎" + "x" * 300,
        client_address="not an address",
        actor_label="os:x",
    )
    assert entry.subjects == ["person:12", "payment:4"]  # ints are person ids; duplicates dropped
    assert entry.query.startswith("ヤマダ  太郎") and len(entry.query) == 200
    assert entry.client_address == ""
    with pytest.raises(ValueError, match="unknown access-log action"):
        access_log_write(actor=None, action="delete", subjects=[])
    assert access_log_verify().ok


@pytest.mark.django_db
def test_entries_cannot_be_updated_or_deleted_through_the_app() -> None:
    entry = _write(1)[0]
    entry.subjects = ["person:2"]
    with pytest.raises(AppendOnlyError):
        entry.save()
    with pytest.raises(AppendOnlyError):
        entry.delete()
    with pytest.raises(AppendOnlyError):
        AccessLogEntry.objects.filter(seq=1).update(purpose="x")
    with pytest.raises(AppendOnlyError):
        AccessLogEntry.objects.all().delete()
    assert AccessLogEntry.objects.get().subjects == ["person:1"]


@pytest.mark.django_db
def test_verify_command_ok_and_json(capsys: pytest.CaptureFixture[str]) -> None:
    last = _write(4)[-1]
    code, out = _verify_cli(capsys)
    assert code == 0 and out.startswith("OK: 4 entries, last seq 4") and last.hash in out
    code, out = _verify_cli(capsys, "--json")
    assert code == 0 and json.loads(out) == {
        "ok": True,
        "count": 4,
        "last_seq": 4,
        "last_hash": last.hash,
        "broken_seq": None,
        "reason": "",
    }


@pytest.mark.django_db
def test_empty_log_verifies() -> None:
    check = access_log_verify()
    assert (check.ok, check.count, check.last_seq) == (True, 0, 0)


@pytest.mark.django_db
@pytest.mark.parametrize("chunk", [3, 10_000])
def test_altered_subjects_break_the_chain_at_that_entry(capsys: pytest.CaptureFixture[str], chunk: int) -> None:
    _write(10)
    _raw("UPDATE audit_accesslogentry SET subjects = %s WHERE seq = %s", ['["person:2"]', 7])
    check = access_log_verify(chunk_size=chunk)
    assert (check.ok, check.broken_seq, check.count) == (False, 7, 6)
    assert "hash" in check.reason
    code, out = _verify_cli(capsys, "--chunk", str(chunk))
    assert code == 1 and out.startswith("BROKEN at seq 7")


@pytest.mark.django_db
def test_a_rehashed_entry_breaks_the_chain_at_the_next() -> None:
    _write(5)
    row = AccessLogEntry.objects.get(seq=3)
    values = {f: getattr(row, f) for f in ("seq", "at", "actor_id", "actor_label", "action", "query", "purpose")}
    values |= {"subjects": ["person:99"], "client_address": row.client_address, "channel": row.channel}
    values["prev_hash"] = row.prev_hash
    _raw(
        "UPDATE audit_accesslogentry SET subjects = %s, hash = %s WHERE seq = 3", ['["person:99"]', entry_hash(values)]
    )
    check = access_log_verify()
    assert (check.ok, check.broken_seq) == (False, 4)
    assert "prev_hash" in check.reason


@pytest.mark.django_db
def test_a_deleted_entry_is_a_gap(capsys: pytest.CaptureFixture[str]) -> None:
    _write(6)
    _raw("DELETE FROM audit_accesslogentry WHERE seq = %s", [4])
    check = access_log_verify(chunk_size=2)
    assert (check.ok, check.broken_seq, check.reason) == (False, 4, "entry 4 missing")
    code, out = _verify_cli(capsys, "--json")
    assert code == 1 and json.loads(out)["broken_seq"] == 4


@pytest.mark.django_db
def test_entries_deleted_from_the_end_are_found_by_the_head() -> None:
    _write(6)
    _raw("DELETE FROM audit_accesslogentry WHERE seq >= %s", [5])
    check = access_log_verify()
    assert (check.ok, check.broken_seq, check.reason) == (False, 5, "entry 5 missing")


@pytest.mark.django_db
def test_an_entry_inserted_past_the_head_is_found() -> None:
    entries = _write(3)
    values = {f: getattr(entries[-1], f) for f in ("at", "actor_id", "actor_label", "action", "subjects", "query")}
    values |= {"purpose": "", "client_address": "", "channel": "web", "seq": 4, "prev_hash": entries[-1].hash}
    _raw(
        "INSERT INTO audit_accesslogentry (seq, at, actor_id, actor_label, action, subjects, query, purpose,"
        " client_address, channel, prev_hash, hash) VALUES (%s, %s, NULL, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
        [4, values["at"], "cli", "read", json.dumps(values["subjects"]), "", "", "", "web", entries[-1].hash, "x"],
    )
    check = access_log_verify()
    assert (check.ok, check.broken_seq) == (False, 4)


@pytest.mark.django_db
def test_a_lost_head_row_is_rebuilt_from_the_last_entry() -> None:
    _write(3)
    AccessLogHead.objects.all().delete()
    entry = _write(1)[0]
    assert entry.seq == 4
    assert access_log_verify().ok


WORKER = """
import os, sys, time
import django
django.setup()
from choshu.audit.services import access_log_write
while not os.path.exists(sys.argv[2]):
    time.sleep(0.005)
for i in range(int(sys.argv[1])):
    access_log_write(actor=None, action="read", subjects=[f"person:{i}"], channel="cli", actor_label=f"w{os.getpid()}")
"""


def _database_url(tmp_path: Path) -> str:
    """The database the worker processes share: the test database, or a migrated SQLite file
    (the SQLite test database lives in this process's memory)."""
    if connection.vendor == "sqlite":
        url = f"sqlite:///{tmp_path / 'log.sqlite3'}"
        subprocess.run([CHOSHU, "migrate", "-v0"], env={**os.environ, "CHOSHU_DATABASE_URL": url}, check=True)
        return url
    s = connection.settings_dict
    password = f":{s['PASSWORD']}" if s["PASSWORD"] else ""
    return f"postgres://{s['USER']}{password}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_keep_the_sequence_gap_free(tmp_path: Path) -> None:
    processes, per_process = 4, 40
    env = {**os.environ, "CHOSHU_DATABASE_URL": _database_url(tmp_path), "DJANGO_SETTINGS_MODULE": "choshu.settings"}
    go = tmp_path / "go"
    workers = [
        subprocess.Popen([sys.executable, "-c", WORKER, str(per_process), str(go)], env=env, stderr=subprocess.PIPE)
        for _ in range(processes)
    ]
    time.sleep(1.5)  # let them start and wait for the signal
    go.touch()
    for w in workers:
        _, err = w.communicate(timeout=120)
        assert w.returncode == 0, err.decode()
    done = subprocess.run([CHOSHU, "audit", "verify", "--json"], env=env, capture_output=True, check=False)
    assert done.returncode == 0, done.stdout
    result = json.loads(done.stdout)
    assert (result["ok"], result["count"], result["last_seq"]) == (
        True,
        processes * per_process,
        processes * per_process,
    )


@pytest.mark.django_db
def test_request_helper_records_user_and_address() -> None:
    auditor = make_user(Role.AUDITOR, username="auditor-a")
    request = RequestFactory().get("/x/?purpose=case:12", REMOTE_ADDR="192.0.2.7", HTTP_X_FORWARDED_FOR="203.0.113.9")
    request.user = auditor
    entry = access_log_request(request, action="read", subjects=["accesslog"], purpose=request_purpose(request))
    assert (entry.actor_id, entry.actor_label, entry.client_address) == (auditor.pk, "auditor-a", "192.0.2.7")
    assert (entry.purpose, entry.channel) == ("case:12", "web")
    with override_settings(CHOSHU_TRUST_X_FORWARDED_FOR=True):
        assert access_log_request(request, action="read", subjects=[]).client_address == "203.0.113.9"


@pytest.mark.parametrize(
    ("given", "default", "expected"),
    [
        ("case:12", "", "case:12"),
        ("batch:demand:3", "", "batch:demand:3"),
        ("counter", "", "counter"),
        ("なんとなく", "", ""),
        ("case:abc", "counter", "counter"),
        ("", "counter", "counter"),
    ],
)
def test_request_purpose_accepts_recognised_purposes_only(given: str, default: str, expected: str) -> None:
    assert request_purpose(RequestFactory().get("/", {"purpose": given}), default) == expected
