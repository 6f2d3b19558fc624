"""One lock per batch verb, so that two runs of the same verb never overlap.

Two intake loads at once would discard each other's staging (each starts by cleaning up what a dead
run left); two pipeline runs would swap each other's running state. Every batch verb takes its lock
for the whole run: `with batch_lock("intake"): ...`.

- PostgreSQL: a session-level advisory lock (`pg_try_advisory_lock`), keyed by the verb; the server
  drops it when the holding connection ends, so a killed run never leaves it behind.
- SQLite: an exclusive `flock` on `<database file>.locks/<verb>.lock`; the kernel drops it when the process
  dies. (SQLite means one machine, so a file lock reaches every process that can write the database.)

A second run waits up to `settings.KEYCLIENT_BATCH_LOCK_WAIT_SECONDS` (0: not at all) and then fails
with `BatchLocked`, naming the verb and, where known, the holder. The lock is re-entrant within one
thread (a backfill holds the pipeline lock over each date's run).
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

from django.conf import settings
from django.db import DatabaseError, connection

_held = threading.local()
POLL_SECONDS = 0.2


class BatchLocked(RuntimeError):
    """Another run of the same batch verb holds its lock."""


def holder_label() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def on_this_machine(worker: str) -> bool:
    """Whether `worker` ("host:pid") names a process of this machine."""
    host, _, pid_text = worker.rpartition(":")
    return host == socket.gethostname() and pid_text.isdigit()


def process_gone(worker: str) -> bool:
    """Whether `worker` ("host:pid") is a process of this machine that no longer runs."""
    if not on_this_machine(worker):
        return False  # another machine's worker: only the heartbeat tells
    pid_text = worker.rpartition(":")[2]
    pid = int(pid_text)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    try:  # a killed child not yet waited for is a zombie: gone as far as the job is concerned
        with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] == "Z"
    except (OSError, IndexError):
        return False


def _key(verb: str) -> int:
    """A stable signed 64-bit advisory-lock key for `verb`."""
    return int.from_bytes(hashlib.sha256(f"keyclient.batch.{verb}".encode()).digest()[:8], "big", signed=True)


def lock_dir() -> Path:
    """Beside the SQLite file (`<db>.locks/`), so that each database has its own locks; an in-memory
    database (tests) uses `settings.KEYCLIENT_LOCK_DIR`."""
    name = str(connection.settings_dict["NAME"])
    if name and not name.startswith("file:") and ":memory:" not in name:
        return Path(f"{name}.locks")
    return Path(settings.KEYCLIENT_LOCK_DIR)


@contextmanager
def batch_lock(verb: str, *, wait: float | None = None) -> Iterator[None]:
    """Hold the lock of `verb` for the block; raise `BatchLocked` if another run holds it past `wait`."""
    counts: dict[str, int] = getattr(_held, "counts", None) or {}
    _held.counts = counts
    if counts.get(verb):
        counts[verb] += 1
        try:
            yield
        finally:
            counts[verb] -= 1
        return
    wait = settings.KEYCLIENT_BATCH_LOCK_WAIT_SECONDS if wait is None else wait
    release = _acquire_pg(verb, wait) if connection.vendor == "postgresql" else _acquire_file(verb, wait)
    counts[verb] = 1
    try:
        yield
    finally:
        counts[verb] = 0
        release()


def _deadline_loop(verb: str, wait: float, attempt, holder) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + wait
    while not attempt():
        if time.monotonic() >= deadline:
            who = holder()
            raise BatchLocked(
                f"another {verb} run is in progress{f' ({who})' if who else ''}: "
                f"only one {verb} run at a time; wait for it to finish, or check /jobs/"
            )
        time.sleep(POLL_SECONDS)


def _acquire_pg(verb: str, wait: float):  # type: ignore[no-untyped-def]
    key = _key(verb)

    def attempt() -> bool:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_try_advisory_lock(%s)", [key])
            return bool(cursor.fetchone()[0])

    def holder() -> str:
        with connection.cursor() as cursor:
            cursor.execute(
                """SELECT a.pid, a.application_name, a.client_addr FROM pg_locks l
                JOIN pg_stat_activity a ON a.pid = l.pid WHERE l.locktype = 'advisory' AND l.granted
                AND ((l.classid::bigint << 32) | l.objid::bigint) = %s LIMIT 1""",
                [key],
            )
            row = cursor.fetchone()
        return f"database backend pid {row[0]}" if row else ""

    _deadline_loop(verb, wait, attempt, holder)

    def release() -> None:
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s)", [key])
        except DatabaseError:
            # The session is unusable (e.g. an aborted transaction): closing it drops its locks, so a
            # long-lived worker never keeps a verb locked after the run.
            connection.close()

    return release


def _acquire_file(verb: str, wait: float):  # type: ignore[no-untyped-def]
    folder = lock_dir()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{verb}.lock"
    handle: IO[str] = path.open("a+", encoding="utf-8")

    def attempt() -> bool:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        handle.seek(0)
        handle.truncate()
        handle.write(holder_label())
        handle.flush()
        return True

    def holder() -> str:
        text = path.read_text(encoding="utf-8").strip()
        return f"process {text}" if text else ""

    try:
        _deadline_loop(verb, wait, attempt, holder)
    except BaseException:
        handle.close()
        raise

    def release() -> None:
        handle.seek(0)
        handle.truncate()
        handle.flush()
        fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
        handle.close()

    return release
