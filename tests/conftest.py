"""Shared test helpers: the reference data in ../shared/data, skipped when absent."""

from __future__ import annotations

from pathlib import Path

import pytest

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


def require_data(subpath: str) -> Path:
    """The path of ``subpath`` under the reference data, or skip the test."""
    path = DATA / subpath
    if not path.exists():
        pytest.skip(f"reference data not available: {path} is missing")
    return path
