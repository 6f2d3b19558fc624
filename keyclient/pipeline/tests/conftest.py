"""Pipeline test helpers: the `spark` marker (tests that share one local SparkSession per module)."""

from __future__ import annotations

import pytest


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "spark: runs on a local SparkSession shared by the test module")
