"""Vectorised helpers between numpy and Arrow: digit strings, lookups, joins, dictionary columns."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

EPOCH = np.datetime64("1970-01-01", "D")


def digits(values: np.ndarray, width: int) -> np.ndarray:
    """Zero-padded decimal digits of non-negative integers: an (n, width) int64 matrix."""
    v = np.asarray(values, dtype=np.int64).copy()
    out = np.empty((v.size, width), dtype=np.int64)
    for k in range(width - 1, -1, -1):
        out[:, k] = v % 10
        v //= 10
    return out


def ascii_strings(codes: np.ndarray) -> pa.StringArray:
    """Fixed-width ASCII strings from an (n, width) matrix of byte codes, built without a Python loop."""
    mat = np.ascontiguousarray(codes, dtype=np.uint8)
    n, width = mat.shape
    offsets = np.arange(0, (n + 1) * width, width, dtype=np.int32)
    return pa.Array.from_buffers(pa.string(), n, [None, pa.py_buffer(offsets), pa.py_buffer(mat)])


def digit_strings(values: np.ndarray, width: int) -> pa.StringArray:
    """`digit_strings([42], 5)` -> `["00042"]`."""
    return ascii_strings(digits(values, width) + 48)


def lookup(table: Sequence[str] | pa.Array, index: np.ndarray, mask: np.ndarray | None = None) -> pa.Array:
    """Strings of `table` at `index`; null where `mask` is False (or index < 0)."""
    arr = table if isinstance(table, pa.Array) else pa.array(list(table), type=pa.string())
    idx = np.asarray(index, dtype=np.int64)
    null = idx < 0 if mask is None else ~mask | (idx < 0)
    return arr.take(pa.array(np.where(null, 0, idx), mask=null))


def join(*parts: pa.Array | str) -> pa.Array:
    """Element-wise concatenation of string arrays (and literal strings); null if any part is null."""
    return pc.binary_join_element_wise(*parts, "")


def with_nulls(arr: pa.Array, null: np.ndarray) -> pa.Array:
    """`arr` with the rows where `null` is True set to null."""
    return pc.if_else(pa.array(null), pa.scalar(None, type=arr.type), arr)


def int_strings(values: np.ndarray) -> pa.Array:
    """Decimal strings of integers (no padding)."""
    return pc.cast(pa.array(np.asarray(values, dtype=np.int64)), pa.string())


def dates(days: np.ndarray, null: np.ndarray | None = None) -> pa.Array:
    """A date32 array from days since 1970-01-01; null where `null` is True."""
    d = np.asarray(days, dtype=np.int32)
    return pa.array(d, type=pa.int32(), mask=null).view(pa.date32())


def day_number(value: object) -> int:
    """Days since 1970-01-01 of a `datetime.date`."""
    return int((np.datetime64(value, "D") - EPOCH).astype(np.int64))


def dict_column(table: pa.Array, index: np.ndarray, null: np.ndarray | None = None) -> pa.DictionaryArray:
    """A dictionary column whose dictionary is only the entries of `table` that `index` uses.

    Keeps each Parquet row group's dictionary small and exact. `index` < 0 (or `null`) gives null.
    """
    idx = np.asarray(index, dtype=np.int64)
    missing = idx < 0 if null is None else null | (idx < 0)
    used = np.zeros(len(table), dtype=bool)
    used[idx[~missing]] = True
    kept = np.flatnonzero(used)
    remap = np.cumsum(used, dtype=np.int64) - 1
    local = np.where(missing, 0, remap[np.where(missing, 0, idx)]).astype(np.int32)
    indices = pa.array(local, mask=missing if missing.any() else None)
    return pa.DictionaryArray.from_arrays(indices, table.take(pa.array(kept)))


def sorted_dict_column(table: pa.Array, index: np.ndarray) -> pa.DictionaryArray:
    """Like `dict_column` for non-decreasing `index` (rows grouped by customer): no scatter needed."""
    idx = np.asarray(index, dtype=np.int64)
    if idx.size == 0:
        return pa.DictionaryArray.from_arrays(pa.array([], pa.int32()), table.slice(0, 0))
    lo, hi = int(idx[0]), int(idx[-1])
    return pa.DictionaryArray.from_arrays(pa.array((idx - lo).astype(np.int32)), table.slice(lo, hi - lo + 1))


def weighted_choice(rng: np.random.Generator, weights: np.ndarray, size: int) -> np.ndarray:
    """Indices drawn with the given (unnormalised) weights."""
    cdf = np.cumsum(np.asarray(weights, dtype=np.float64))
    return np.minimum(np.searchsorted(cdf / cdf[-1], rng.random(size), side="right"), len(cdf) - 1)


def group_offsets(group: np.ndarray, n_groups: int) -> np.ndarray:
    """Start offsets (length n_groups + 1) of rows sorted by `group`."""
    return np.concatenate([[0], np.cumsum(np.bincount(group, minlength=n_groups))]).astype(np.int64)
