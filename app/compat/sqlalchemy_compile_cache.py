"""Cache compiled SQL in `databases`' PostgreSQL backend.

databases 0.9 compiles every SQLAlchemy statement on every call: about 100 µs, a quarter of a
worker's CPU on a one-query route under load. SQLAlchemy can key a compilation by the
statement's structure and pull the new values out of an equal-shaped statement (the cache its
own Engine uses); this module puts that cache in front of `PostgresConnection._compile`, the
one private hook Voxhub uses in databases.

Statements whose SQL text depends on their values (IN lists expanded at render time, literal
binds) or that SQLAlchemy cannot key are compiled as before.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple

from databases.backends.postgres import PostgresConnection
from sqlalchemy.sql import ClauseElement
from sqlalchemy.sql.cache_key import CacheKey
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.ddl import DDLElement
from sqlalchemy.util import LRUCache

from app.compat import pin

SUPPORTED = "0.9."
pin("databases", SUPPORTED, __name__)


class _Entry(NamedTuple):
    compiled: SQLCompiler
    sql: str
    names: tuple[str, ...]
    processors: Mapping[str, Any]
    result_columns: Any


_cache: LRUCache = LRUCache(2000)
_original_compile = PostgresConnection._compile


def _cache_key(query: ClauseElement) -> CacheKey | None:
    """The statement's key, or None when its SQL text may depend on its values."""
    key = None if isinstance(query, DDLElement) else query._generate_cache_key()
    if key is None or any(bind.expanding or bind.literal_execute for bind in key.bindparams):
        return None
    return key


def _compile(self: PostgresConnection, query: ClauseElement) -> tuple[str, list[Any], Any]:
    key = _cache_key(query)
    if key is None:
        return _original_compile(self, query)
    entry = _cache.get(key.key)
    if entry is None:
        # Compiled with its cache key (as SQLAlchemy's Engine does), so construct_params can
        # map a later statement's values onto it. No post-compile step is needed: statements
        # with expanding or literal binds never get here.
        compiled = self._dialect.statement_compiler(self._dialect, query, cache_key=key)
        names = tuple(sorted(compiled.params))
        # The same positional rendering databases does: %(name)s -> $n in sorted name order.
        sql = compiled.string % {name: f"${i}" for i, name in enumerate(names, start=1)}
        entry = _Entry(compiled, sql, names, compiled._bind_processors, compiled._result_columns)
        _cache[key.key] = entry
    params = entry.compiled.construct_params(extracted_parameters=key.bindparams, _check=False)
    processors = entry.processors
    args = [
        processors[name](params[name]) if name in processors else params[name]
        for name in entry.names
    ]
    return entry.sql, args, entry.result_columns


def install() -> None:
    """Idempotent; the module's import already refused an unchecked databases release."""
    PostgresConnection._compile = _compile  # type: ignore[method-assign]
