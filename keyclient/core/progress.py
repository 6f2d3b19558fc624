"""Progress of long batch verbs: a terminal bar (tqdm) and, inside a background job, the job record.

A service writes `progress_bar(total=…, desc=…, disable=not progress)` where it used `tqdm(...)`;
when it runs inside a job (`keyclient.jobs`), every update also goes to the job's reporter, which
shows it on `/jobs/` — whether or not the terminal bar is shown.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from tqdm import tqdm

# (done, total, step) → None; set by the job runner for the duration of a job.
Sink = Callable[[int, int | None, str], None]
_sink: ContextVar[Sink | None] = ContextVar("keyclient_progress_sink", default=None)


@contextmanager
def reporting_to(sink: Sink) -> Iterator[None]:
    """Send every progress bar's updates to `sink` while the block runs."""
    token = _sink.set(sink)
    try:
        yield
    finally:
        _sink.reset(token)


class progress_bar:  # named like the tqdm class it wraps
    """A tqdm bar whose updates also reach the current job's reporter (if any)."""

    def __init__(
        self,
        iterable: Iterable[Any] | None = None,
        *,
        total: int | None = None,
        desc: str = "",
        **kwargs: Any,
    ) -> None:
        if total is None and iterable is not None and hasattr(iterable, "__len__"):
            total = len(iterable)  # type: ignore[arg-type]
        self.iterable, self.total, self.desc, self.n, self.step = iterable, total, desc, 0, ""
        self.bar = tqdm(total=total, desc=desc, **kwargs)
        self.sink = _sink.get()
        self._report()

    def _report(self) -> None:
        if self.sink is not None:
            self.sink(self.n, self.total, f"{self.desc}: {self.step}" if self.step else self.desc)

    def update(self, n: int = 1) -> None:
        self.n += n
        self.bar.update(n)
        self._report()

    def set_postfix_str(self, text: str) -> None:
        self.step = text
        self.bar.set_postfix_str(text)
        self._report()

    def close(self) -> None:
        self.bar.close()

    def __iter__(self) -> Iterator[Any]:
        assert self.iterable is not None
        for item in self.iterable:
            self.step = str(item)
            self._report()
            yield item
            self.update(1)
        self.close()
