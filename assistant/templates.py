"""Template checks across a dialog directory (placeholder)."""

from __future__ import annotations

from typing import Any


def problems(dset: Any) -> list[Exception]:
    return []
