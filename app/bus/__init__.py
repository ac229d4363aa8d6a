"""Redis: the only state API workers share besides PostgreSQL.

`connection` builds the client (real Redis or the embedded in-process server), `hub` is the
per-worker pub/sub multiplexer, `ratelimit` the cluster-wide limiter, `streams` the work queue.
"""

from app.bus.connection import create_redis
from app.bus.hub import Hub

__all__ = ["Hub", "create_redis"]
