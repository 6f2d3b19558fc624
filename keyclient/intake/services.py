"""`load_extracts`: validate one business date's extracts, land them in the lake, write what they
carry into the CRM database (`keyclient.intake.crm`). All or nothing: over the reject threshold
nothing is landed or written; a crash leaves the previous state (see `keyclient.intake.lake`)."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from keyclient.audit.actors import Actor, Job, actor_columns
from keyclient.audit.services import record_event
from keyclient.core import balance_frequency
from keyclient.core.progress import progress_bar
from keyclient.customers.models import Customer
from keyclient.intake import crm_org, lake, landing
from keyclient.intake.compile import read_extract
from keyclient.intake.crm import write_crm
from keyclient.intake.formats import EXTRACTS, Extract
from keyclient.intake.mapping import Mapping, load_mapping
from keyclient.intake.models import IntakeJob
from keyclient.intake.sources import Reader, find_files
from keyclient.intake.validate import IntakeError, Staged, lit, validate
from keyclient.jobs.locks import batch_lock
from keyclient.org.models import OrgUnit, User
from keyclient.products.models import Product

DEFAULT_MAX_REJECT_RATE = 0.01
CRASH_ENV = "KEYCLIENT_CRASH_AT"  # fault injection for the kill -9 tests


@batch_lock("intake")  # one load at a time: each starts by cleaning up what a dead load left
def load_extracts(
    *,
    actor: Actor | None = None,
    source: Path,
    load_date: date,
    mapping_path: Path | None = None,
    history: bool = False,
    max_reject_rate: float = DEFAULT_MAX_REJECT_RATE,
    progress: bool = False,
) -> IntakeJob:
    """Load the extracts under `source` for `load_date`; returns the job (raises on failure)."""
    actor = actor or Job("intake")
    root = lake.lake_dir()
    root.mkdir(parents=True, exist_ok=True)
    lake.recover(root)
    job = IntakeJob.objects.create(
        load_date=load_date,
        source=str(source)[:500],
        actor_name=actor_columns(actor)["actor_name"],
        started_at=timezone.now(),
    )
    workdir = Path(tempfile.mkdtemp(prefix="intake-"))
    try:
        _run(job, actor, source, load_date, mapping_path, history, max_reject_rate, progress, workdir, root)
    except Exception as exc:
        job.status, job.message, job.finished_at = IntakeJob.Status.FAILED, str(exc)[:4000], timezone.now()
        job.save()
        raise
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return job


def _run(
    job: IntakeJob,
    actor: Actor,
    source: Path,
    load_date: date,
    mapping_path: Path | None,
    history: bool,
    max_rate: float,
    progress: bool,
    workdir: Path,
    root: Path,
) -> None:
    mapping = load_mapping(mapping_path)
    # Checked with the mapping's other options (`mapping._check_option`).
    frequency = mapping.option("daily_balances", "balance_frequency", balance_frequency.DAILY)
    if not source.is_dir():
        raise IntakeError(f"{source} is not a directory")
    # The load's tables live in memory up to the limit, then spill to the load's temp directory.
    spill = workdir / "duckdb-spill"
    con = duckdb.connect(
        config={"memory_limit": str(settings.KEYCLIENT_INTAKE_MEMORY_LIMIT), "temp_directory": str(spill)}
    )
    bar = progress_bar(total=len(EXTRACTS) + 2, desc=f"intake {load_date}", unit="step", disable=not progress)
    staged, problems = stage(con, source, mapping, load_date, history, workdir, bar.update)
    if problems:
        raise IntakeError(
            "; ".join(problems) if len(problems) == 1 else "\n".join(["nothing was loaded:", *problems])
        )
    counts = extract_counts(con, staged)
    job.counts = counts
    job.rows_read = sum(c["read"] for c in counts.values())
    job.rows_rejected = sum(c["rejected"] for c in counts.values())
    job.rows_accepted = sum(c["accepted"] for c in counts.values())
    if "daily_balances" in counts:
        job.counts = {**counts, "balance_frequency": frequency}  # also recorded with each landed partition
    job.reject_summary = reject_summary(con)
    job.reject_file = str(_write_rejects(con, root, job))
    over = [
        f"{name}: {c['rejected']:,} of {c['read']:,} rows rejected"
        for name, c in counts.items()
        if c["read"] and c["rejected"] / c["read"] > max_rate
    ]
    if over:
        raise IntakeError(
            f"over the reject threshold of {max_rate:.2%} ({'; '.join(over)}): nothing was loaded. "
            f"Rejects: {job.reject_file}"
        )
    landing.blind_keys(con, [item.extract for item in staged])
    staging = lake.new_staging(root)
    for item in staged:
        _land(con, item.extract, staging, load_date, history)
    for folder in (staging / "daily_balances").glob("date=*"):  # the pipeline reads it back
        balance_frequency.write(folder, frequency)
    bar.set_postfix_str("lake")
    bar.update()
    crash_at = os.environ.get(CRASH_ENV, "")
    with transaction.atomic():
        job.counts.update(
            write_crm(
                con,
                actor=actor,
                extracts={item.extract.name for item in staged},
                lake=root,
                load_date=load_date,
            )
        )
        lake._crash_point("before_lake_commit", crash_at)
        job.status, job.finished_at = IntakeJob.Status.SUCCEEDED, timezone.now()
        job.save()
        record_event(
            actor=actor,
            verb="intake.loaded",
            after={
                "load_date": str(load_date),
                "accepted": job.rows_accepted,
                "rejected": job.rows_rejected,
                **({"balance_frequency": frequency} if "balance_frequency" in job.counts else {}),
            },
            note=f"intake job {job.pk} from {source}",
        )
        lake.commit(staging, root, crash_at=crash_at)
    bar.set_postfix_str("crm")
    bar.update()
    bar.close()


def stage(
    con: duckdb.DuckDBPyConnection,
    source: Path,
    mapping: Mapping,
    load_date: date,
    history: bool,
    workdir: Path,
    step: Callable[[], object] = lambda: None,
) -> tuple[list[Staged], list[str]]:
    """Read and validate every extract under `source` into `con` (`ok_<name>` and `rejects`), writing
    nothing else. Returns what was staged and every problem met (a missing file, a mapping that does
    not fit the files); an extract with a problem is not validated, the others are."""
    con.execute(
        "CREATE TABLE rejects (extract VARCHAR, file VARCHAR, line BIGINT, field VARCHAR, reason VARCHAR)"
    )
    _references(con)
    reader = Reader(con, source, mapping, workdir)
    staged: list[Staged] = []
    problems: list[str] = []
    for extract in EXTRACTS:
        files = find_files(source, extract, mapping)
        if not files:
            if extract.required_file:
                problems.append(f"no {extract.name} extract under {source}")
            step()
            continue
        item = Staged(extract, files)
        if found := read_extract(con, item, mapping, reader):
            problems += found
            step()
            continue
        if extract.name == "org_units":
            crm_org.remember_lines(con)
        validate(con, extract, mapping, load_date, history=history)
        if extract.name == "org_units":
            crm_org.check_tree(con)
        key = {
            "org_units": "org_code",
            "staff": "staff_no",
            "products": "product_code",
            "customers": "customer_no",
        }.get(extract.name)
        if key:
            con.execute(f"INSERT INTO ref_{extract.name} SELECT {key} FROM ok_{extract.name}")  # noqa: S608 - declared names
        if extract.name == "products":
            _deposit_products(con)
        staged.append(item)
        step()
    return staged, problems


def _references(con: duckdb.DuckDBPyConnection) -> None:
    """What references may point at: the CRM's rows, plus this load's accepted products and clients."""
    sources = {
        "org_units": OrgUnit.objects.values_list("code", flat=True),
        "staff": User.objects.values_list("username", flat=True),
        "products": Product.objects.values_list("code", flat=True),
        "customers": Customer.objects.values_list("customer_no", flat=True),
    }
    for name, values in sources.items():
        con.register(f"crm_{name}", pa.table({"code": pa.array(list(values), pa.string())}))
        con.execute(f"CREATE TABLE ref_{name} AS SELECT code FROM crm_{name}")  # noqa: S608 - names from the dict above
    deposits = Product.objects.filter(category="deposit").values_list("code", flat=True)
    con.register("crm_deposit_products", pa.table({"code": pa.array(list(deposits), pa.string())}))
    con.execute("CREATE TABLE ref_deposit_products AS SELECT code FROM crm_deposit_products")


def _deposit_products(con: duckdb.DuckDBPyConnection) -> None:
    """`ref_deposit_products`, the current-deposit products (where a negative balance is an
    overdraft): this load's catalog where it has the product, the CRM's otherwise."""
    con.execute("DELETE FROM ref_deposit_products WHERE code IN (SELECT product_code FROM ok_products)")
    con.execute(
        "INSERT INTO ref_deposit_products SELECT product_code FROM ok_products WHERE category = 'deposit'"
    )


def extract_counts(con: duckdb.DuckDBPyConnection, staged: list[Staged]) -> dict[str, dict[str, int]]:
    counts = {}
    for item in staged:
        name = item.extract.name
        rejected = con.execute(
            "SELECT count(*) FROM (SELECT DISTINCT file, line FROM rejects WHERE extract = ?)", [name]
        ).fetchall()[0][0]
        accepted = con.execute(f"SELECT count(*) FROM ok_{name}").fetchall()[0][0]  # noqa: S608 - a declared extract name
        counts[name] = {"read": accepted + rejected, "accepted": accepted, "rejected": rejected}
    return counts


def reject_summary(con: duckdb.DuckDBPyConnection, top: int = 20) -> list[dict[str, Any]]:
    rows = con.execute(
        """SELECT extract, field, regexp_replace(reason, ': .*$', '') AS rule, count(*) AS n, arg_min(file || ':' || line, (file, line))
        FROM rejects GROUP BY ALL ORDER BY n DESC, extract, field LIMIT ?""",
        [top],
    ).fetchall()
    return [{"extract": e, "field": f, "reason": r, "count": n, "first": first} for e, f, r, n, first in rows]


def _write_rejects(con: duckdb.DuckDBPyConnection, root: Path, job: IntakeJob) -> Path:
    folder = root / "_intake" / f"date={job.load_date}" / f"job-{job.pk}"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "rejects.csv"
    con.execute(
        "COPY (SELECT file, line, field, reason FROM rejects ORDER BY extract, file, line, field, reason) "  # noqa: S608 - a lake path, quoted by lit
        f"TO {lit(path)} (HEADER, DELIMITER ',')"
    )
    summary = {"counts": job.counts, "reasons": job.reject_summary}
    (folder / "summary.json").write_text(json.dumps(summary, ensure_ascii=False, indent=2), encoding="utf-8")
    return path


def _land(
    con: duckdb.DuckDBPyConnection, ext: Extract, staging: Path, load_date: date, history: bool
) -> None:
    """Write the accepted rows as Parquet, one directory per date, into the staging area; personal
    columns are replaced by their blind index or mask (`keyclient.intake.landing`)."""
    target = staging / ext.name
    if ext.kind == "dated" and history:
        select = landing.landed(ext)
        if ext.date_column != "date":
            select = f"SELECT *, {ext.date_column} AS date FROM ({select})"  # noqa: S608 - declared names
        con.execute(
            f"COPY ({select}) TO {lit(target)} (FORMAT parquet, PARTITION_BY (date), FILENAME_PATTERN 'part-{{i}}', OVERWRITE_OR_IGNORE)"
        )
        return
    folder = target / f"date={load_date}"
    folder.mkdir(parents=True, exist_ok=True)
    select = landing.landed(ext, keep_date=ext.date_column != "date")
    con.execute(f"COPY ({select}) TO {lit(folder / 'part-0.parquet')} (FORMAT parquet)")
