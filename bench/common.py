"""Shared helpers of the benchmarks: a throwaway PostgreSQL 15, the app as a subprocess, timing, JSON.

Everything here starts processes that the caller must stop; use the context managers
(`ThrowawayPostgres`, `AppServer`) so that an error or Ctrl-C leaves nothing running.
PostgreSQL goes through the repository's `scripts/pg_ctl` wrapper, which runs the real `pg_ctl`
as the `postgres` user when we are root (initdb and postgres refuse to run as root).
"""

from __future__ import annotations

import contextlib
import json
import os
import platform
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = ROOT / ".venv" / "bin"
KEYCLIENT = VENV_BIN / "keyclient"
PG_CTL = ROOT / "scripts" / "pg_ctl"
RESULTS = Path(__file__).resolve().parent / "results"

# Settings of the throwaway server. Reads are measured with a server sized like a small production
# box (shared_buffers 1 GB of 24 GB); durability is off because nothing here must survive a crash.
PG_SETTINGS: dict[str, str] = {
    "listen_addresses": "127.0.0.1",
    "unix_socket_directories": "",
    "max_connections": "50",
    "shared_buffers": "1GB",
    "effective_cache_size": "8GB",
    "work_mem": "16MB",
    "maintenance_work_mem": "1GB",
    "max_wal_size": "8GB",
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "random_page_cost": "1.1",
    "jit": "off",
}


def say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that is free right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _raise_on_sigterm() -> None:
    """Turn SIGTERM/SIGHUP into SystemExit so that `finally` blocks stop what we started."""

    def handler(signum: int, _frame: Any) -> None:
        raise SystemExit(128 + signum)

    for sig in (signal.SIGTERM, signal.SIGHUP):
        with contextlib.suppress(ValueError):  # not the main thread
            signal.signal(sig, handler)


_raise_on_sigterm()


class ThrowawayPostgres:
    """A PostgreSQL server in a temporary (or kept) data directory on a free port.

    `keep` names a directory whose `pgdata/` survives the run (a filled database for reruns);
    without it the data directory is a temp dir removed at stop.
    """

    def __init__(self, *, keep: Path | None = None, settings: dict[str, str] | None = None) -> None:
        self.keep = keep.resolve() if keep else None
        self.base = self.keep or Path(tempfile.mkdtemp(prefix="kc-bench-pg-"))
        self.base.mkdir(parents=True, exist_ok=True)
        self.datadir = self.base / "pgdata"
        self.logfile = self.base / "postgres.log"
        self.settings = {**PG_SETTINGS, **(settings or {})}
        self.port = 0
        self.running = False

    # --- life cycle -------------------------------------------------------------------------
    def start(self) -> ThrowawayPostgres:
        if not (self.datadir / "PG_VERSION").exists():
            self._pg_ctl(
                "initdb",
                "-D",
                str(self.datadir),
                "-o",
                "--username=postgres --auth=trust --encoding=UTF8 --locale=C.UTF-8",
            )
        self.port = free_port()
        options = " ".join(
            f"-c {k}={_quote(v)}" for k, v in {**self.settings, "port": str(self.port)}.items()
        )
        self._pg_ctl(
            "start", "-D", str(self.datadir), "-l", str(self.logfile), "-w", "-t", "60", "-o", options
        )
        self.running = True
        self.wait_ready()
        return self

    def stop(self) -> None:
        if self.running:
            try:
                self._pg_ctl("stop", "-D", str(self.datadir), "-m", "fast", "-w", "-t", "60")
            except subprocess.CalledProcessError:
                self._pg_ctl("stop", "-D", str(self.datadir), "-m", "immediate", "-w", check=False)
            self.running = False
        if not self.keep:
            shutil.rmtree(self.base, ignore_errors=True)

    def __enter__(self) -> ThrowawayPostgres:
        try:
            return self.start()
        except BaseException:
            self.stop()
            raise

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _pg_ctl(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        done = subprocess.run([str(PG_CTL), *args], capture_output=True, text=True, check=False, timeout=600)
        if check and done.returncode != 0:
            log = self.logfile.read_text(errors="replace")[-3000:] if self.logfile.exists() else ""
            raise subprocess.CalledProcessError(
                done.returncode, done.args, done.stdout, f"{done.stderr}\n--- postgres.log ---\n{log}"
            )
        return done

    # --- connections ------------------------------------------------------------------------
    def url(self, dbname: str = "keyclient") -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{dbname}"

    def connect(self, dbname: str = "keyclient", *, autocommit: bool = True) -> Any:
        import psycopg

        return psycopg.connect(
            host="127.0.0.1", port=self.port, user="postgres", dbname=dbname, autocommit=autocommit
        )

    def wait_ready(self, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while True:
            try:
                with self.connect("postgres"):
                    return
            except Exception:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)

    def ensure_database(self, dbname: str = "keyclient") -> bool:
        """Create `dbname` if missing; True when it was created."""
        with self.connect("postgres") as con:
            if con.execute("SELECT 1 FROM pg_database WHERE datname = %s", [dbname]).fetchone():
                return False
            con.execute(f'CREATE DATABASE "{dbname}"')
            return True

    def postmaster_pid(self) -> int:
        return int((self.datadir / "postmaster.pid").read_text().split("\n")[0])

    def version(self) -> str:
        with self.connect("postgres") as con:
            return str(con.execute("SHOW server_version").fetchone()[0])


def _quote(value: str) -> str:
    """A `-c name=value` value for pg_ctl -o (parsed by postgres with shell-like quoting)."""
    return "''" if value == "" else (f"'{value}'" if any(c in value for c in " ,") else value)


def app_env(database_url: str, var_dir: Path, **extra: str) -> dict[str, str]:
    """Environment of the app subprocesses: the benchmark database, DEBUG off, a private var dir."""
    env = dict(os.environ)
    env.update(
        {
            "DATABASE_URL": database_url,
            "DJANGO_SETTINGS_MODULE": "keyclient.config.settings",
            "KEYCLIENT_DEBUG": "0",
            "KEYCLIENT_VAR_DIR": str(var_dir),
            "KEYCLIENT_SECRET_KEY": env.get("KEYCLIENT_BENCH_SECRET_KEY") or secrets.token_urlsafe(50),
            "KEYCLIENT_LOG_LEVEL": "WARNING",
            # One benchmark user searches far more than a person: measure the list, not the limit.
            "KEYCLIENT_SEARCH_RATE": "1000000000",
            "PYTHONUNBUFFERED": "1",
        }
    )
    env.update(extra)
    # As an installed deployment runs: with bytecode caches. This machine sets PYTHONDONTWRITEBYTECODE,
    # which makes every process compile every module it imports again (seconds for Django, Ibis, pandas).
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    (var_dir / "static").mkdir(parents=True, exist_ok=True)  # whitenoise warns when STATIC_ROOT is missing
    return env


def keyclient(args: Sequence[str], env: dict[str, str], *, timeout: float = 7200) -> str:
    """Run a `keyclient` management command; its output, or an error with the tail of stderr."""
    done = subprocess.run(
        [str(KEYCLIENT), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        cwd=ROOT,
    )
    if done.returncode != 0:
        raise RuntimeError(f"keyclient {' '.join(args)} failed ({done.returncode}):\n{done.stderr[-4000:]}")
    return done.stdout + done.stderr


# `keyclient runserver` with Nagle's algorithm off on accepted sockets. The development server writes
# the status line, the headers and the body in separate small sends; with Nagle on, the second send
# waits for the client's delayed ACK (40 ms on Linux), so every response over a keep-alive
# connection takes >= 40 ms whatever the app does. `socketserver` has the switch; nothing of the app
# changes.
NODELAY_RUNSERVER = (
    "import sys, django.core.servers.basehttp as b; b.WSGIRequestHandler.disable_nagle_algorithm = True; "
    "from keyclient.cli import main; main(sys.argv[1:])"
)


class AppServer:
    """`keyclient runserver 127.0.0.1:<free port> --noreload` as a subprocess (`nodelay`: with
    TCP_NODELAY on its connections, see NODELAY_RUNSERVER)."""

    def __init__(self, env: dict[str, str], logfile: Path, *, nodelay: bool = False) -> None:
        self.env = env
        self.logfile = logfile
        self.nodelay = nodelay
        self.port = free_port()
        self.proc: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> AppServer:
        log = self.logfile.open("wb")
        launcher = [str(VENV_BIN / "python"), "-c", NODELAY_RUNSERVER] if self.nodelay else [str(KEYCLIENT)]
        self.proc = subprocess.Popen(
            [*launcher, "runserver", f"127.0.0.1:{self.port}", "--noreload"],
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=ROOT,
            start_new_session=True,
        )
        log.close()
        try:
            self._wait()
        except BaseException:
            self.__exit__()
            raise
        return self

    def _wait(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.proc is not None
            if self.proc.poll() is not None:
                raise RuntimeError(f"runserver exited: {self.logfile.read_text(errors='replace')[-3000:]}")
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", self.port), timeout=1):
                return
            time.sleep(0.2)
        raise TimeoutError("runserver did not start listening")

    def __exit__(self, *exc: object) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)


def cpu_seconds(pid: int, *, reaped: bool = False) -> float:
    """User + system CPU seconds of one process (0 when it is gone); with `reaped`, those of its
    children that have exited and been waited for instead (Linux adds them to the parent)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    first = 13 if reaped else 11
    return (int(fields[first]) + int(fields[first + 1])) / os.sysconf("SC_CLK_TCK")


REAPED = -1  # the key of a tree snapshot's exited children


def tree_cpu_snapshot(root_pid: int) -> dict[int, float]:
    """CPU seconds per process of a process and its direct children (the postmaster and its backends),
    plus under `REAPED` those of its children that have exited: a backend whose client disconnected
    before the second snapshot (a `keyclient pipeline run` process) is counted there."""
    tick = os.sysconf("SC_CLK_TCK")
    snap = {root_pid: cpu_seconds(root_pid), REAPED: cpu_seconds(root_pid, reaped=True)}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == root_pid:
            snap[int(stat.parent.name)] = (int(fields[11]) + int(fields[12])) / tick
    return snap


def cpu_delta(before: dict[int, float], after: dict[int, float]) -> float:
    """CPU seconds the tree spent between two snapshots: a child that exited in between moved its
    whole time into `REAPED`, so the difference of the totals counts it once."""
    return max(0.0, sum(after.values()) - sum(before.values()))


def percentile(values: Sequence[float], pct: float) -> float:
    """Nearest-rank percentile (p95 of 30 samples is the 29th smallest)."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    rank = max(1, min(len(ordered), -(-len(ordered) * pct // 100)))
    return ordered[int(rank) - 1]


def summary(values_ms: Sequence[float]) -> dict[str, float]:
    return {
        "n": len(values_ms),
        "p50_ms": round(statistics.median(values_ms), 1),
        "p95_ms": round(percentile(values_ms, 95), 1),
        "max_ms": round(max(values_ms), 1),
        "mean_ms": round(statistics.fmean(values_ms), 1),
    }


def machine() -> dict[str, Any]:
    """What the figures were measured on (the machine is shared: record the load beside them)."""
    info: dict[str, Any] = {
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "load_avg": [round(x, 2) for x in os.getloadavg()],
        "platform": platform.platform(),
    }
    with contextlib.suppress(OSError):
        mem = Path("/proc/meminfo").read_text().split("\n")[0].split()
        info["mem_gib"] = round(int(mem[1]) / 1024 / 1024, 1)
    with contextlib.suppress(OSError, subprocess.CalledProcessError):
        info["git_commit"] = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=True
        ).stdout.strip()
    return info


def write_json(path: Path, payload: dict[str, Any]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(payload, ensure_ascii=False, indent=2, default=str))
    tmp.replace(path)
    return path


@contextlib.contextmanager
def stopwatch() -> Iterator[dict[str, float]]:
    """`with stopwatch() as t: ...` then `t["s"]` is the elapsed seconds."""
    box: dict[str, float] = {}
    started = time.perf_counter()
    try:
        yield box
    finally:
        box["s"] = time.perf_counter() - started
