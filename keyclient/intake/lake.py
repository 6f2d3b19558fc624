"""Landing in the lake: stage a load's partitions, then swap them in so that a crash never leaves
a half-written date.

A load writes every partition under `<lake>/_staging/<token>/`; when all are written it writes the
`COMMIT` marker (atomically: a rename), then moves each partition into place, the previous version
into `<lake>/_trash/<token>/`. `recover()` runs before every load and every pipeline run: a staging
directory (tagged with its writer's `OWNER`, host:pid) whose writer is gone and without `COMMIT` is discarded (the previous state stands), one with `COMMIT` is rolled
forward (each move is idempotent). kill -9 at any point therefore leaves either the old or the new
state, never a mix, once `recover()` has run.
"""

from __future__ import annotations

import os
import shutil
import socket
import uuid
from pathlib import Path

from django.conf import settings

from keyclient.jobs.locks import holder_label, process_gone

STAGING = "_staging"
TRASH = "_trash"
COMMIT = "COMMIT"
OWNER = "OWNER"


def lake_dir() -> Path:
    return Path(settings.KEYCLIENT_LAKE_DIR)


def new_staging(lake: Path) -> Path:
    path = lake / STAGING / uuid.uuid4().hex
    path.mkdir(parents=True)
    (path / OWNER).write_text(holder_label(), encoding="utf-8")  # which process is writing it
    return path


def partitions(staging: Path) -> list[Path]:
    """The staged partition directories (`<extract>/date=YYYY-MM-DD`), relative to `staging`."""
    return sorted(p.parent.relative_to(staging) for p in staging.glob("*/date=*/*.parquet"))


def commit(staging: Path, lake: Path, *, crash_at: str = "") -> None:
    """Mark `staging` committed, then move its partitions into the lake."""
    marker = staging / COMMIT
    tmp = staging / f".{COMMIT}.tmp"
    tmp.write_text("\n".join(str(p) for p in partitions(staging)), encoding="utf-8")
    os.replace(tmp, marker)
    _fsync_dir(staging)
    _crash_point("after_commit_marker", crash_at)
    apply(staging, lake, crash_at=crash_at)


def apply(staging: Path, lake: Path, *, crash_at: str = "") -> None:
    token = staging.name
    names = (staging / COMMIT).read_text(encoding="utf-8").split("\n")
    for moved, name in enumerate(n for n in names if n):
        source, target = staging / name, lake / name
        if not source.exists():
            continue  # moved before a crash
        if target.exists():
            old = lake / TRASH / token / name
            old.parent.mkdir(parents=True, exist_ok=True)
            if old.exists():
                shutil.rmtree(old)
            os.replace(target, old)
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(source, target)
        if moved == 0:
            _crash_point("mid_apply", crash_at)
    shutil.rmtree(lake / TRASH / token, ignore_errors=True)
    shutil.rmtree(staging, ignore_errors=True)


def recover(lake: Path) -> list[str]:
    """Finish committed loads and drop uncommitted ones; returns what was done, for the log."""
    done = []
    for staging in sorted((lake / STAGING).glob("*")) if (lake / STAGING).exists() else []:
        if _owned_by_a_live_run(staging):
            done.append(f"left {staging.name} (another load is writing it)")
            continue
        if (staging / COMMIT).exists():
            apply(staging, lake)
            done.append(f"rolled forward {staging.name}")
        else:
            shutil.rmtree(staging, ignore_errors=True)
            done.append(f"discarded {staging.name}")
    shutil.rmtree(lake / TRASH, ignore_errors=True)
    return done


def _owned_by_a_live_run(staging: Path) -> bool:
    """Whether another process of this machine, still running, is writing `staging` (intake holds its
    batch lock, so this happens only to a load started without it; a dead run's staging is cleaned)."""
    owner = staging / OWNER
    label = owner.read_text(encoding="utf-8").strip() if owner.exists() else ""
    return (
        bool(label)
        and label != holder_label()
        and not process_gone(label)
        and label.rpartition(":")[0] == socket.gethostname()
    )


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _crash_point(name: str, crash_at: str) -> None:
    """Fault injection for the kill -9 tests: the process kills itself with SIGKILL here."""
    if crash_at == name:
        import signal

        os.kill(os.getpid(), signal.SIGKILL)
