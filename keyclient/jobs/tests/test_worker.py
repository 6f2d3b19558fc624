"""Real worker processes (`keyclient worker`) on a database of their own, SQLite or PostgreSQL:

- a worker SIGKILLed mid-job leaves a job that shows failed (never "running" forever), and its
  retry runs to the same result; an intake load killed mid-write retries to a clean load's result;
- two workers draining one queue never run a job twice.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[3]
ON_POSTGRES = os.environ.get("DJANGO_SETTINGS_MODULE") == "keyclient.config.settings_test_pg"
SETUP = """
import django; django.setup()
from django.core.management import call_command
call_command("migrate", verbosity=0)
from tests.personas import build_bank
build_bank()
"""
START = """
import json, sys, django; django.setup()
from keyclient.audit.actors import Job
from keyclient.jobs.services import start_job
kind, parameters, count = sys.argv[1], json.loads(sys.argv[2]), int(sys.argv[3])
print(json.dumps([start_job(actor=Job("test"), kind=kind, parameters=parameters).pk for _ in range(count)]))
"""


class WorkerDb:
    """A database of its own for worker subprocesses, read directly by the test."""

    def __init__(self, tmp: Path, url: str, connect: Any) -> None:
        self.tmp, self.url, self.connect = tmp, url, connect

    def env(self, **extra: str) -> dict[str, str]:
        return {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "keyclient.config.settings",
            "DATABASE_URL": self.url,
            "KEYCLIENT_LAKE_DIR": str(self.tmp / "lake"),
            "KEYCLIENT_VAR_DIR": str(self.tmp / "var"),
            "KEYCLIENT_JOB_HEARTBEAT_SECONDS": "0.1",
            "KEYCLIENT_CRASH_AT": "",
            **extra,
        }

    def run(self, *args: str, **extra: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, *args], cwd=ROOT, env=self.env(**extra), capture_output=True, text=True,
            timeout=600, check=False,
        )  # fmt: skip

    def keyclient(self, *args: str, **extra: str) -> subprocess.CompletedProcess:
        return self.run("-m", "keyclient.cli", *args, **extra)

    def worker(self, *args: str, **extra: str) -> subprocess.Popen:
        return subprocess.Popen(
            [sys.executable, "-m", "keyclient.cli", "worker", "--interval", "0.1", *args],
            cwd=ROOT, env=self.env(**extra), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )  # fmt: skip

    def start(self, kind: str, parameters: dict[str, Any], count: int = 1) -> list[int]:
        done = self.run("-c", START, kind, json.dumps(parameters), str(count))
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout.strip().splitlines()[-1])

    def rows(self, sql: str) -> list[tuple]:
        con = self.connect()
        try:
            cursor = con.cursor()
            cursor.execute(sql)
            return list(cursor.fetchall())
        finally:
            con.close()

    def task_key(self, task_id: str) -> str:
        """django-tasks' row id as SQL: a UUID is stored as 32 hex digits on SQLite."""
        return f"'{task_id}'" if ON_POSTGRES else f"'{task_id.replace('-', '')}'"

    def job(self, pk: int) -> dict[str, Any]:
        columns = ["status", "progress_done", "progress_total", "error", "result", "retry_of_id", "task_id"]
        (row,) = self.rows(f"SELECT {', '.join(columns)} FROM jobs_jobrun WHERE id = {int(pk)}")
        record = dict(zip(columns, row, strict=True))
        if isinstance(record["result"], str):
            record["result"] = json.loads(record["result"])
        return record


@pytest.fixture(scope="module")
def worker_db(request, tmp_path_factory) -> WorkerDb:  # type: ignore[no-untyped-def]
    tmp = tmp_path_factory.mktemp("worker")
    if ON_POSTGRES:
        import psycopg

        server = request.getfixturevalue("postgresql_server")
        name = f"kc_worker_{uuid.uuid4().hex[:8]}"
        params = {"host": server.host, "port": server.port, "user": server.user}
        with psycopg.connect(**params, dbname="postgres", autocommit=True) as con:
            con.execute(f'CREATE DATABASE "{name}"')
        db = WorkerDb(
            tmp, f"postgresql://{server.user}@{server.host}:{server.port}/{name}",
            lambda: psycopg.connect(**params, dbname=name, autocommit=True),
        )  # fmt: skip
    else:
        path = tmp / "crm.sqlite3"
        db = WorkerDb(tmp, f"sqlite:///{path}", lambda: sqlite3.connect(path))
    setup = db.run("-c", SETUP)
    assert setup.returncode == 0, setup.stderr
    return db


def wait_for(check, timeout: float = 180) -> Any:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if found := check():
            return found
        time.sleep(0.1)
    pytest.fail("timed out")


def test_a_worker_killed_mid_job_leaves_a_failed_job_whose_retry_gives_the_same_result(worker_db) -> None:
    (pk,) = worker_db.start("jobs.probe", {"steps": 30, "pause": 0.1})
    worker = worker_db.worker()
    try:
        wait_for(lambda: (j := worker_db.job(pk))["status"] == "running" and j["progress_done"] >= 3)
    finally:
        worker.send_signal(signal.SIGKILL)
        worker.wait()
    assert worker.returncode == -9
    assert worker_db.job(pk)["status"] == "running"  # nothing ran to say otherwise

    listing = worker_db.keyclient("jobs", "list")  # runs the reaper: the worker process is gone
    assert listing.returncode == 0, listing.stderr
    killed = worker_db.job(pk)
    assert killed["status"] == "failed" and killed["error"].startswith("the worker "), killed
    assert f"job {pk} (jobs.probe): the worker " in listing.stderr
    (task_status,) = worker_db.rows(
        f"SELECT status FROM django_tasks_database_dbtaskresult WHERE id = {worker_db.task_key(killed['task_id'])}"
    )
    assert task_status == ("FAILED",)

    retry = worker_db.keyclient("jobs", "retry", str(pk))
    assert retry.returncode == 0, retry.stderr
    (again,) = worker_db.rows(f"SELECT id FROM jobs_jobrun WHERE retry_of_id = {pk}")
    drained = worker_db.keyclient("worker", "--batch")
    assert drained.returncode == 0, drained.stdout + drained.stderr
    retried = worker_db.job(again[0])
    assert (retried["status"], retried["progress_done"], retried["progress_total"]) == ("done", 30, 30)
    assert retried["result"] == {"steps": 30}


def test_two_workers_never_run_one_job_twice(worker_db) -> None:
    pks = worker_db.start("jobs.probe", {"steps": 1, "pause": 0.2}, count=8)
    workers = [worker_db.worker("--batch") for _ in range(2)]
    for worker in workers:
        worker.wait(timeout=600)
        assert worker.returncode == 0, worker.stdout.read() if worker.stdout else ""
    ids = ", ".join(str(pk) for pk in pks)
    runs = worker_db.rows(f"SELECT status, worker, task_id FROM jobs_jobrun WHERE id IN ({ids})")
    assert sorted(status for status, _w, _t in runs) == ["done"] * 8
    tasks = ", ".join(worker_db.task_key(t) for _s, _w, t in runs)
    claims = worker_db.rows(
        f"SELECT worker_ids FROM django_tasks_database_dbtaskresult WHERE id IN ({tasks})"
    )
    assert [len(json.loads(w) if isinstance(w, str) else w) for (w,) in claims] == [1] * 8


def test_an_intake_load_killed_mid_write_retries_to_a_clean_loads_result(
    worker_db, bank, settings, tmp_path
) -> None:
    from keyclient.customers.models import Customer
    from keyclient.intake.services import load_extracts
    from keyclient.intake.tests.extracts import LOAD_DATE, write_day

    source = write_day(tmp_path / "day")
    (pk,) = worker_db.start("intake.load", {"source": str(source), "date": str(LOAD_DATE)})
    crashed = worker_db.keyclient("worker", "--batch", KEYCLIENT_CRASH_AT="before_lake_commit")
    assert crashed.returncode == -9, crashed.stdout + crashed.stderr
    assert worker_db.job(pk)["status"] == "running"
    retry = worker_db.keyclient("jobs", "retry", str(pk))  # reaps first: the dead worker's job is failed
    assert retry.returncode == 0, retry.stderr
    assert worker_db.job(pk)["status"] == "failed"
    drained = worker_db.keyclient("worker", "--batch")
    assert drained.returncode == 0, drained.stdout + drained.stderr
    (again,) = worker_db.rows(f"SELECT id FROM jobs_jobrun WHERE retry_of_id = {pk}")
    retried = worker_db.job(again[0])
    assert retried["status"] == "done", retried

    settings.KEYCLIENT_LAKE_DIR = tmp_path / "clean"
    clean = load_extracts(source=source, load_date=LOAD_DATE)
    expected = {"read": clean.rows_read, "accepted": clean.rows_accepted, "rejected": clean.rows_rejected}
    assert {k: retried["result"][k] for k in expected} == expected
    assert worker_db.rows(
        "SELECT customer_no, name, status FROM customers_customer ORDER BY customer_no"
    ) == sorted(Customer.objects.values_list("customer_no", "name", "status"))
