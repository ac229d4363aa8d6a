"""Translate a user-facing DATABASE_URL into the forms each library expects.

Users write `postgres://…?sslmode=disable` (seed 000) or `sqlite:///./var/voxhub.db`; the
`databases` pool and SQLAlchemy's async engine (used by Alembic) want driver-qualified URLs.
"""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

_SSLMODE_TO_ASYNCPG = {
    "disable": None,
    "allow": "prefer",
    "prefer": "prefer",
    "require": "require",
    "verify-ca": "verify-ca",
    "verify-full": "verify-full",
}


def _split(url: str) -> tuple[str, str]:
    scheme, _, rest = url.partition("://")
    return scheme.split("+", 1)[0], rest


def _asyncpg_query(rest: str) -> str:
    """asyncpg takes `ssl=`, not libpq's `sslmode=`; `disable` simply drops it."""
    parts = urlsplit("x://" + rest)
    query = []
    for key, value in parse_qsl(parts.query):
        if key == "sslmode":
            mapped = _SSLMODE_TO_ASYNCPG.get(value)
            if mapped:
                query.append(("ssl", mapped))
        else:
            query.append((key, value))
    return urlunsplit(("x", parts.netloc, parts.path, urlencode(query), ""))[len("x://") :]


def async_url(url: str) -> str:
    """Driver-qualified URL: the `databases` pool and Alembic's async engine take the same one."""
    scheme, rest = _split(url)
    if scheme in ("postgres", "postgresql"):
        return "postgresql+asyncpg://" + _asyncpg_query(rest)
    return "sqlite+aiosqlite://" + rest


def sqlite_path(url: str) -> str | None:
    """Filesystem path of an SQLite database, to create its folder before first use."""
    scheme, rest = _split(url)
    if scheme != "sqlite":
        return None
    path = rest[1:] if rest.startswith("/") else rest
    return None if path in ("", ":memory:") else path
