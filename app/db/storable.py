"""Text the stores can keep: checked where input enters (HTTP bodies, socket frames)."""

from __future__ import annotations

from typing import Any


def storable_text_problem(raw: Any) -> str | None:
    """Why decoded JSON holds text no store can keep, or None. JSON may escape a NUL
    (`\\u0000`) or half a surrogate pair, and `json.loads` passes both through, but PostgreSQL
    refuses NUL in text and jsonb and nothing encodes a lone surrogate: caught here, they are a
    400 naming the problem instead of a 500 from deep inside a write. Walked with a stack, not
    recursion, so nesting depth costs nothing but memory the body size already bounds."""
    pending = [raw]
    while pending:
        item = pending.pop()
        if isinstance(item, dict):
            pending.extend(item.keys())
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
        elif isinstance(item, str):
            if "\x00" in item:
                return "text must not contain NUL characters (\\u0000)"
            try:
                item.encode()
            except UnicodeEncodeError:
                return "text must not contain unpaired surrogates"
    return None
