"""The security job kind (`settings.KEYCLIENT_JOB_KINDS`): `security.rotate_keys` re-encrypts every
personal field under the first key, table by table (safe to re-run: see `rotate_table`)."""

from __future__ import annotations

from typing import Any

from django.apps import apps

from keyclient.jobs.locks import batch_lock
from keyclient.jobs.runner import JobContext
from keyclient.security.fields import EncryptedTextField
from keyclient.security.management.commands.security import rotate_table


def rotate_keys(ctx: JobContext, *, batch: int = 5000) -> dict[str, Any]:
    tables = [
        (
            model,
            [f.column for f in model._meta.concrete_fields if isinstance(f, EncryptedTextField) and f.column],
        )
        for model in apps.get_models()
    ]
    tables = [(model, columns) for model, columns in tables if columns]
    done: dict[str, int] = {}
    with batch_lock("rotate_keys"):
        for n, (model, columns) in enumerate(tables):
            ctx.progress(n, len(tables), model._meta.label)
            done[model._meta.label] = rotate_table(model._meta.db_table, columns, batch)
            ctx.log(f"{model._meta.label}: {done[model._meta.label]} rows re-encrypted")
        ctx.progress(len(tables), len(tables), "done")
    return done
