"""Fixtures for reader tests: the shared data root (tests skip if it is absent)."""

from __future__ import annotations

from pathlib import Path

import pytest

from cellresponse._paths import data_root


@pytest.fixture(scope="session")
def data_dir() -> Path:
    try:
        return data_root()
    except FileNotFoundError as exc:
        pytest.skip(f"shared data not available: {exc}")
