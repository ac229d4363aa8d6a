"""Free-form JSON columns, stored as text so both databases keep them byte for byte."""

from __future__ import annotations

import json
from typing import Any


def dump_json(value: Any) -> str | None:
    """Free-form JSON stored as text: identical on both databases and never re-ordered."""
    return None if value is None else json.dumps(value, separators=(",", ":"))


def load_json(text: str | None) -> Any:
    return None if text in (None, "") else json.loads(text)
