import pytest


@pytest.fixture(autouse=True)
def _no_cached_figures():  # type: ignore[no-untyped-def]
    """Each test computes the dashboard's figures from its own data (the cache outlives a test)."""
    from django.core.cache import cache

    cache.clear()
